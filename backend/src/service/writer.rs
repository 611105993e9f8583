//! Group commit: the account's engagement starts and commands are applied by one task in
//! batches — one transaction, one commit (one fsync), one routing pass per batch — and each
//! caller is answered only after the batch that holds its request has committed, so an
//! acknowledged change is a durable one.
//!
//! A batch takes whatever arrived while the previous one was committing (up to
//! [`MAX_BATCH`]); with no load it holds a single request and starts at once, so batching adds
//! no wait. Each operation runs inside a savepoint: one that fails (a 404, a 409, a state the
//! command does not apply to) rolls back only its own writes and events. The routing pass runs
//! last, in the same transaction, so the offers it makes commit together with the starts that
//! caused them. The pass also runs on its own when poked (an agent became ready, configuration
//! changed) and when a timer is due (ring timeouts, overflow, wrap-up, due dates), and at
//! least every second, which is how changes made by another instance sharing the PostgreSQL
//! database are picked up.
//!
//! On PostgreSQL the batch holds the account's advisory lock (`Store::begin_for`), so several
//! instances on one database serialise their batches and never offer one engagement twice.
//!
//! Each batch begins by catching the routing view up with the log (one read when nothing new
//! was committed elsewhere); its operations read the view rather than the database and write
//! through the transaction's buffer (`store::pending`), so an operation on the hot path (start,
//! offer, accept, close) costs no statement of its own and a batch costs a handful.

use super::routing_view::RoutingView;
use super::{dispatch, Ctx, Result, ServiceError};
use crate::store::{StoreError, Tx};
use crate::workers::Stop;
use futures_util::future::BoxFuture;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The most operations one transaction applies.
pub const MAX_BATCH: usize = 512;

/// Operations waiting for a batch; callers wait (backpressure) when it is full.
const QUEUE_DEPTH: usize = 8192;

/// The longest the task sleeps without a request or a poke: it also picks up timers and
/// changes made by other instances sharing the database.
const MAX_SLEEP: Duration = Duration::from_millis(1000);

/// An operation with its reply channel, the type erased. It reads through the routing view
/// (caught up with the log when the batch began) and writes through the transaction.
type Job = Box<
    dyn for<'a> FnOnce(&'a mut Tx, &'a Ctx, &'a RoutingView) -> BoxFuture<'a, Box<dyn Reply>>
        + Send,
>;

/// An operation's result, held until its batch commits.
trait Reply: Send {
    fn failed(&self) -> bool;
    /// Can this operation have changed what routing would do (new work, freed capacity)?
    fn reroutes(&self) -> bool;
    /// Answer the caller; `commit_error` replaces a success when the batch did not commit.
    fn send(self: Box<Self>, commit_error: Option<&str>);
}

struct Pending<T> {
    result: Result<T>,
    reroutes: bool,
    to: oneshot::Sender<Result<T>>,
}

impl<T: Send> Reply for Pending<T> {
    fn failed(&self) -> bool {
        self.result.is_err()
    }

    fn reroutes(&self) -> bool {
        self.reroutes && self.result.is_ok()
    }

    fn send(self: Box<Self>, commit_error: Option<&str>) {
        let result = match (self.result, commit_error) {
            (Ok(_), Some(cause)) => Err(StoreError::CommitFailed(cause.to_string()).into()),
            (result, _) => result,
        };
        let _ = self.to.send(result);
    }
}

/// Submits operations to the batch task. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// The receiving end, handed to [`run`].
pub struct Jobs(mpsc::Receiver<Job>);

pub fn channel() -> (Writer, Jobs) {
    let (jobs, rx) = mpsc::channel(QUEUE_DEPTH);
    (Writer { jobs }, Jobs(rx))
}

fn stopped() -> ServiceError {
    StoreError::Database(sqlx::Error::PoolClosed).into()
}

impl Writer {
    /// Run `op` in the next batch; returns its result once that batch committed (or failed).
    /// With `reroutes` (the operation may add work or free capacity), the batch ends with a
    /// routing pass.
    pub async fn apply<T, F>(&self, reroutes: bool, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut Tx, &'a Ctx, &'a RoutingView) -> BoxFuture<'a, Result<T>>
            + Send
            + 'static,
    {
        let (to, from) = oneshot::channel();
        let job: Job = Box::new(move |tx, ctx, view| {
            Box::pin(async move {
                let result = op(tx, ctx, view).await;
                Box::new(Pending {
                    result,
                    reroutes,
                    to,
                }) as Box<dyn Reply>
            })
        });
        self.jobs.send(job).await.map_err(|_| stopped())?;
        // A dropped operation (its batch could not start, or the task stopped) is answered
        // as the database being unavailable: nothing of it was kept.
        from.await.map_err(|_| stopped())?
    }
}

/// Apply batches forever (until the task is aborted or every [`Writer`] is gone).
pub async fn run(ctx: Ctx, mut jobs: Jobs, stop: Stop) {
    let mut next_timer: Option<i64> = Some(0);
    // Built by the first pass, kept current from the log by each next one.
    let mut view: Option<RoutingView> = None;
    loop {
        let sleep = next_timer
            .map(|at| {
                Duration::from_millis(
                    (at - ctx.clock.now_ms()).clamp(0, MAX_SLEEP.as_millis() as i64) as u64,
                )
            })
            .unwrap_or(MAX_SLEEP);
        let mut batch = Vec::new();
        let mut route = false;
        tokio::select! {
            job = jobs.0.recv() => match job {
                Some(job) => batch.push(job),
                None => return,
            },
            _ = ctx.dispatch.poked() => route = true,
            _ = tokio::time::sleep(sleep) => route = true,
            // Stopping: what was submitted is still applied (its callers wait for the answer).
            _ = stop.cancelled() => {
                jobs.0.close();
                loop {
                    while batch.len() < MAX_BATCH {
                        match jobs.0.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    if batch.is_empty() {
                        return;
                    }
                    apply_batch(&ctx, std::mem::take(&mut batch), None, false, &mut view).await;
                }
            }
        }
        next_timer = apply_batch(&ctx, batch, Some(&mut jobs), route, &mut view).await;
    }
}

/// Add what is waiting in `jobs` to `batch`, up to [`MAX_BATCH`].
fn drain(batch: &mut Vec<Job>, jobs: &mut Jobs) {
    while batch.len() < MAX_BATCH {
        match jobs.0.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// One transaction: every operation of `batch` in its own savepoint, then a routing pass if
/// an operation that reroutes succeeded (or `route`). Returns when the next routing timer is due.
///
/// The batch takes in what is waiting in `more` once its transaction holds the account's
/// lock, not before: what arrived while another instance's batch (or another write on
/// SQLite's one connection) held it rides in this batch instead of waiting for the next.
async fn apply_batch(
    ctx: &Ctx,
    mut batch: Vec<Job>,
    more: Option<&mut Jobs>,
    route: bool,
    view: &mut Option<RoutingView>,
) -> Option<i64> {
    let retry = Some(ctx.clock.now_ms() + 500);
    let mut tx = match ctx.store.begin_for(ctx.account).await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::warn!(error = %e, "could not begin a batch");
            ctx.metrics.batch_failed();
            // Dropping an operation answers its caller "unavailable" (see `Writer::apply`).
            drop(batch);
            return retry;
        }
    };
    if let Some(jobs) = more {
        drain(&mut batch, jobs);
    }
    if !batch.is_empty() {
        ctx.metrics.batch(batch.len());
    }
    // The operations read the view: bring it up to what is committed (the batch holds the
    // account's lock, so nothing else commits until it does).
    let current = match caught_up(ctx, &mut tx, view.take()).await {
        Ok(current) => current,
        Err(e) => {
            tracing::warn!(error = %e, "could not bring the routing view up to date");
            ctx.metrics.batch_failed();
            drop(batch);
            return retry;
        }
    };
    let mut replies: Vec<Box<dyn Reply>> = Vec::with_capacity(batch.len());
    let mut reroute = route;
    let mut broken: Option<StoreError> = None;
    for job in batch {
        if broken.is_some() {
            // The transaction is unusable: the rest are dropped, which answers them
            // "unavailable" without running them.
            continue;
        }
        let savepoint = tx.savepoint();
        let reply = job(&mut tx, ctx, &current).await;
        if reply.failed() {
            if let Err(e) = tx.rollback_to(savepoint).await {
                broken = Some(e);
            }
        }
        reroute |= reply.reroutes();
        replies.push(reply);
    }
    if let Some(e) = broken {
        tracing::warn!(error = %e, "batch failed; nothing in it was kept");
        ctx.metrics.batch_failed();
        drop(tx);
        let cause = e.to_string();
        for reply in replies {
            reply.send(Some(&cause));
        }
        return retry;
    }
    *view = Some(current);
    let mut next = None;
    if reroute {
        next = route_in(ctx, &mut tx, view).await;
    }
    let committed = match tx.commit_at().await {
        Ok(seq) => {
            if reroute {
                // The view took in this batch's changes; its events are now in the log.
                if let Some(view) = view.as_mut() {
                    view.committed(seq);
                }
            }
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "batch commit failed");
            ctx.metrics.batch_failed();
            // The view may hold what did not commit: build it again.
            *view = None;
            Some(e.to_string())
        }
    };
    for reply in replies {
        reply.send(committed.as_deref());
    }
    if committed.is_some() {
        return retry;
    }
    next
}

/// The routing pass inside the batch, in a savepoint of its own: if it fails, the batch's
/// operations still commit, the view is dropped (built again next time) and the pass is
/// retried shortly.
async fn route_in(ctx: &Ctx, tx: &mut Tx, view: &mut Option<RoutingView>) -> Option<i64> {
    let retry = Some(ctx.clock.now_ms() + 500);
    let savepoint = tx.savepoint();
    let started = std::time::Instant::now();
    let outcome = pass_with_view(ctx, tx, view).await;
    ctx.metrics.routing_pass(started.elapsed());
    match outcome {
        Ok(next) => next,
        Err(e) => {
            tracing::warn!(error = %e, "routing pass failed; retrying");
            let _ = tx.rollback_to(savepoint).await;
            retry
        }
    }
}

/// The view, caught up with the log (or built: the first time, after a failure, and every
/// `REBUILD_EVERY_MS`).
async fn caught_up(ctx: &Ctx, tx: &mut Tx, view: Option<RoutingView>) -> Result<RoutingView> {
    let now = ctx.clock.now_ms();
    match view {
        Some(mut view) if !view.is_due_for_rebuild(now) => {
            view.catch_up(tx, 0).await?;
            Ok(view)
        }
        _ => RoutingView::build(tx, ctx.account, now).await,
    }
}

/// Take in what the batch's operations wrote, then pass. On an error the view is left out
/// of `slot`, so the next batch builds a fresh one.
async fn pass_with_view(
    ctx: &Ctx,
    tx: &mut Tx,
    slot: &mut Option<RoutingView>,
) -> Result<Option<i64>> {
    let Some(mut view) = slot.take() else {
        return Ok(Some(ctx.clock.now_ms() + 500));
    };
    view.absorb(tx, 0).await?;
    let next = dispatch::pass(ctx, tx, &mut view).await?;
    *slot = Some(view);
    Ok(next)
}
