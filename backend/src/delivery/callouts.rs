//! Flow event callouts ("event scripts"): when an engagement's flow has a callout whose
//! trigger matches an event of the log, POST the callout's rendered body to its URL, signed
//! like a webhook with the account's callout secret.
//!
//! Same outbox as webhooks: a per-account cursor over the event log; each matching
//! (callout, event) becomes a delivery row with its body rendered from the engagement as it
//! was at the event, in the transaction that moves the cursor. Each delivery is then sent in
//! its own task (a slow endpoint never holds up another), at most three attempts within a
//! minute (8 s timeout each), and every attempt lands in the flow's callout log.

use super::webhooks::retry::{after_attempt, RetrySchedule};
use super::webhooks::signing::{self, Secret};
use super::webhooks::Outbound;
use crate::routing::template::{lookup_path, render_callout};
use crate::service::Ctx;
use crate::store::callouts::{ClaimedCallout, NewCalloutDelivery};
use crate::store::config::{self as cfg, DocTable};
use crate::store::{agents, engagements as eng, Store, StoreError, Tx};
use crate::workers::Stop;
use serde_json::{json, Value};
use shared::config::{Flow, Queue};
use shared::events::{Event, EventKind};
use shared::ids::{AccountId, AgentId, FlowId};
use shared::webhooks::DeliveryStatus;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long a callout's endpoint has to answer.
pub const CALLOUT_TIMEOUT: Duration = Duration::from_secs(8);
const LEASE_MS: i64 = CALLOUT_TIMEOUT.as_millis() as i64 + 15_000;
const PAGE: i64 = 500;
/// Callouts in flight at once, per process.
const IN_FLIGHT: usize = 64;

/// Run until `stop`: queue and send the account's callouts; then wait for the ones in
/// flight to be sent and recorded.
pub async fn run(ctx: Ctx, stop: Stop) {
    let schedule: RetrySchedule = ctx.outbound.callout_schedule.clone();
    let secret = loop {
        match ctx
            .store
            .callout_secret(ctx.account, Secret::generate().as_str())
            .await
            .map(|s| Secret::parse(&s))
        {
            Ok(Ok(s)) => break s,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the stored callout secret is unusable; callouts are off");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "callouts: cannot read the secret; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.cancelled() => return,
                }
            }
        }
    };
    if let Err(e) = ctx.store.release_stale_callout_leases().await {
        tracing::warn!(error = %e, "callouts: could not release stale leases");
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut committed = ctx.store.watch_committed();
    let mut idle = Idle::default();
    // When the next queued callout is due (`None`: none is queued), so that a commit with
    // nothing to call out costs no claim.
    let mut due: Option<i64> = Some(0);
    while !stop.is_cancelled() {
        committed.borrow_and_update();
        match queue(&ctx.store, ctx.account, &mut idle).await {
            Ok(0) => {}
            Ok(_) => due = Some(0),
            Err(e) => {
                tracing::warn!(error = %e, "callouts: queueing failed");
                due = Some(0);
            }
        }
        let now = crate::store::now_ms();
        let free = slots.available_permits() as i64;
        let claimed = if free > 0 && due.is_some_and(|d| d <= now) {
            ctx.store
                .claim_due_callouts(ctx.account, now, now + LEASE_MS, free)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "callouts: claiming failed");
                    vec![]
                })
        } else {
            vec![]
        };
        let busy = !claimed.is_empty();
        for c in claimed {
            let permit = slots.clone().acquire_owned().await.expect("never closed");
            let (store, outbound, secret, schedule) = (
                ctx.store.clone(),
                ctx.outbound.clone(),
                secret.clone(),
                schedule.clone(),
            );
            tokio::spawn(async move {
                send(&store, &outbound, &secret, &schedule, c).await;
                drop(permit);
            });
        }
        if busy {
            continue;
        }
        due = ctx
            .store
            .next_callout_due_ms(ctx.account)
            .await
            .unwrap_or(Some(0));
        let wait = match due {
            Some(due) => Duration::from_millis((due - now).clamp(50, 1000) as u64),
            None => Duration::from_secs(1),
        };
        tokio::select! {
            _ = committed.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => {}
        }
    }
    // Every slot free again: each callout in flight was sent and recorded.
    let _ = slots.acquire_many(IN_FLIGHT as u32).await;
}

/// How often the cursor is moved along the log while no flow has a callout.
const IDLE_ADVANCE: Duration = Duration::from_secs(1);

/// When the cursor was last moved while no flow had a callout.
#[derive(Default)]
struct Idle {
    advanced: Option<std::time::Instant>,
}

/// The event kinds some flow of the account has a callout on (read outside any write).
async fn trigger_kinds(store: &Store, account: AccountId) -> Result<Vec<EventKind>, StoreError> {
    let mut conn = store.read().await?;
    let flows: Vec<Flow> = cfg::list_docs(&mut conn, DocTable::Flows, account).await?;
    let mut kinds: Vec<EventKind> = flows
        .iter()
        .flat_map(|f| f.callouts.iter().map(|c| c.on.event()))
        .collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    Ok(kinds)
}

/// Turn the events after the cursor into callout deliveries, a page per transaction;
/// returns how many were queued. Only events of a kind some flow has a callout on are read.
/// While no flow has one, the cursor still moves with the log, but at most once every
/// [`IDLE_ADVANCE`] (not a write per commit): a callout added now fires for events from
/// about then on, not for the log's history.
async fn queue(store: &Store, account: AccountId, idle: &mut Idle) -> Result<usize, StoreError> {
    let kinds = trigger_kinds(store, account).await?;
    if kinds.is_empty() {
        if idle.advanced.is_some_and(|at| at.elapsed() < IDLE_ADVANCE) {
            return Ok(0);
        }
        idle.advanced = Some(std::time::Instant::now());
    } else {
        idle.advanced = None;
    }
    let mut queued = 0;
    loop {
        let mut tx = store.begin().await?;
        let Some((events, cursor)) = tx.callout_events(account, &kinds, PAGE).await? else {
            return Ok(queued);
        };
        let now = crate::store::now_ms();
        let mut flows: HashMap<FlowId, Option<Flow>> = HashMap::new();
        for event in &events {
            for delivery in deliveries_for(&mut tx, account, event, &mut flows).await? {
                tx.queue_callout(&delivery, now).await?;
                queued += 1;
            }
        }
        tx.set_callout_cursor(account, cursor).await?;
        tx.commit().await?;
        if (events.len() as i64) < PAGE {
            return Ok(queued);
        }
    }
}

/// The callouts `event` fires: those of its engagement's flow whose trigger is its kind.
async fn deliveries_for(
    tx: &mut Tx,
    account: AccountId,
    event: &Event,
    flows: &mut HashMap<FlowId, Option<Flow>>,
) -> Result<Vec<NewCalloutDelivery>, StoreError> {
    let Some(flow_id) = event.data["engagement"]["flow_id"]
        .as_str()
        .and_then(|f| f.parse::<FlowId>().ok())
    else {
        return Ok(vec![]);
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = flows.entry(flow_id) {
        slot.insert(
            cfg::get_doc(
                tx.conn().await?,
                DocTable::Flows,
                account,
                &flow_id.to_string(),
            )
            .await?,
        );
    }
    let Some(flow) = flows.get(&flow_id).and_then(Option::as_ref) else {
        return Ok(vec![]);
    };
    let matching: Vec<(usize, &shared::config::EventCallout)> = flow
        .callouts
        .iter()
        .enumerate()
        .filter(|(_, c)| c.on.event() == event.kind)
        .collect();
    if matching.is_empty() {
        return Ok(vec![]);
    }
    let context = context(tx, account, event).await?;
    Ok(matching
        .into_iter()
        .map(|(i, c)| NewCalloutDelivery {
            account_id: account,
            flow_id,
            callout_index: i,
            trigger: String::from(c.on),
            event: event.clone(),
            url: c.url.clone(),
            body: render_callout(&c.body_template, &|p| lookup_path(&context, p)),
        })
        .collect())
}

/// What placeholders read: `engagement.*` (with `queue_name`), `agent.*`, `consumer.*`,
/// `work_item.*`, `disposition.*`, `note.*`, `variables.*`, `event.*`.
async fn context(tx: &mut Tx, account: AccountId, event: &Event) -> Result<Value, StoreError> {
    let mut engagement = event.data["engagement"].clone();
    let queue_name = match engagement["queue_id"].as_str() {
        Some(q) => cfg::get_doc::<Queue>(tx.conn().await?, DocTable::Queues, account, q)
            .await?
            .map(|q| q.name),
        None => None,
    };
    if let Value::Object(map) = &mut engagement {
        map.insert("queue_name".into(), json!(queue_name));
    }
    let agent_id: Option<AgentId> = event.agent_id.or_else(|| {
        engagement["agent_ids"][0]
            .as_str()
            .and_then(|a| a.parse().ok())
    });
    let agent = match agent_id {
        Some(id) => agents::get(tx.conn().await?, account, id).await?.map(|a| {
            json!({"agent_id": a.agent.agent_id, "email": a.agent.email, "display_name": a.agent.display_name})
        }),
        None => None,
    };
    let disposition = match event.data.get("disposition") {
        Some(d) => Some(d.clone()),
        None => match event.engagement_id {
            Some(e) => match eng::get(tx.conn().await?, account, e)
                .await?
                .and_then(|r| r.disposition_id)
            {
                Some(d) => cfg::list_dispositions(tx.conn().await?, account)
                    .await?
                    .into_iter()
                    .find(|x| x.disposition_id == d)
                    .map(|x| json!(x)),
                None => None,
            },
            None => None,
        },
    };
    Ok(json!({
        "event": {"id": event.id, "seq": event.seq, "name": event.kind.as_str(),
                  "occurred_at": event.occurred_at.format(&time::format_description::well_known::Rfc3339).ok()},
        "consumer": engagement["consumer"].clone(),
        "work_item": engagement["work_item"].clone(),
        "variables": engagement["variables"].clone(),
        "engagement": engagement,
        "agent": agent,
        "disposition": disposition,
        "note": event.data.get("note").cloned(),
        "reason": event.data.get("reason").cloned(),
    }))
}

async fn send(
    store: &Store,
    outbound: &Outbound,
    secret: &Secret,
    schedule: &RetrySchedule,
    c: ClaimedCallout,
) {
    let body = c.body.clone().into_bytes();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let headers = signing::headers(&c.event_id.to_string(), timestamp, &body, secret, None);
    let outcome = outbound
        .sender
        .post(&c.url, body, &headers, CALLOUT_TIMEOUT)
        .await;
    let now = crate::store::now_ms();
    // A callout has no 410 rule: only its three attempts.
    let (status, next, pos) =
        after_attempt(schedule, outcome.succeeded(), false, c.schedule_pos, now);
    if status == DeliveryStatus::Failed {
        tracing::warn!(url = %c.url, outcome = %outcome.describe(), "callout failed after every attempt");
    }
    let record = super::webhooks::attempt_record(
        c.delivery_id,
        c.attempt_count,
        outcome,
        (status, next, pos),
        now,
    );
    let saved = async {
        let mut tx = store.begin().await?;
        tx.record_callout_attempt(&record).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = saved {
        // The lease runs out and the delivery is tried again: at least once.
        tracing::warn!(error = %e, "callouts: could not record an attempt");
    }
}
