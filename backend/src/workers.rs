//! The background workers (the batch writer, webhook and callout delivery, chat transcripts,
//! abandoned chats, the event hub) and how they stop: through one token. On shutdown the
//! token is cancelled; each worker notices it only where it waits for work, so the attempt in
//! hand — a batch being committed, a webhook or callout being sent and recorded — finishes
//! first. What is still running after the grace period is aborted; nothing is lost by that
//! either (every state is in the database, and a claimed delivery is retried when its lease
//! ends), but the log names it.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinSet;
pub use tokio_util::sync::CancellationToken as Stop;

/// How long shutdown waits for the workers to finish what they hold.
pub const GRACE: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct Workers {
    stop: Stop,
    running: JoinSet<&'static str>,
    names: Vec<&'static str>,
}

impl Workers {
    /// Run `worker` until it returns; it is handed the token that asks it to stop.
    pub fn spawn<F>(&mut self, name: &'static str, worker: impl FnOnce(Stop) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let run = worker(self.stop.clone());
        self.names.push(name);
        self.running.spawn(async move {
            run.await;
            name
        });
    }

    /// Ask every worker to stop and wait for them (at most `grace`, then abort the rest).
    pub async fn stop(mut self, grace: Duration) {
        self.stop.cancel();
        let mut left = self.names;
        let joined = tokio::time::timeout(grace, async {
            while let Some(done) = self.running.join_next().await {
                match done {
                    Ok(name) => left.retain(|n| *n != name),
                    Err(e) => tracing::error!(error = %e, "a worker failed"),
                }
            }
        })
        .await;
        if joined.is_err() {
            tracing::warn!(workers = ?left, "workers still busy after the grace period: aborted");
            self.running.abort_all();
        } else {
            tracing::info!("workers stopped");
        }
    }
}
