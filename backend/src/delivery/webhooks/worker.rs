//! The outbox worker. One task per enabled subscription, so a slow or dead endpoint only ever
//! delays itself, never the others nor routing. Each task loops:
//!
//! 1. **queue**: turn committed events after the subscription's cursor into delivery rows
//!    (one transaction: rows in, cursor moved);
//! 2. **claim** due deliveries under a lease (several instances never send one at once);
//! 3. **send** them concurrently, signed;
//! 4. **record** every attempt and its consequence (done, retry at, failed; `410 Gone` and
//!    five days of failure disable the subscription and log `webhook.endpoint_disabled`);
//! 5. **wait** for the next commit (in-process, or `NOTIFY` from another instance) or the
//!    next retry that falls due.
//!
//! Every state lives in the database, so a crash or `kill -9` loses nothing: unqueued events
//! are behind the cursor, claimed but unrecorded deliveries are retried when their lease
//! ends (at once on SQLite, which has only one process).

use super::retry::after_attempt;
use super::signing::{self, Secret};
use super::{envelope, Outbound, DELIVERY_TIMEOUT, DISABLE_AFTER_MS};
use crate::store::webhooks::{Claimed, WebhookRow};
use crate::store::{NewEvent, Store};
use crate::workers::Stop;
use futures_util::StreamExt;
use shared::events::{Event, EventKind};
use shared::ids::WebhookId;
use shared::webhooks::{selected_name, webhook_names, DeliveryStatus};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries claimed (and sent concurrently) per round, per subscription.
const BATCH: i64 = 128;
/// Events queued per transaction.
const FAN_OUT_PAGE: i64 = 500;
/// A claim outlives the longest request by this margin.
const LEASE_MS: i64 = DELIVERY_TIMEOUT.as_millis() as i64 + 15_000;
/// Longest sleep between checks when nothing is due (new subscriptions, other instances).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The delivery name an event has for a subscription selecting `events`, if any. Events about
/// the subscription itself are never sent to it.
pub fn select(webhook: &WebhookRow, event: &Event) -> Option<&'static str> {
    if event.kind == EventKind::WebhookEndpointDisabled
        && event.data["webhook_id"] == webhook.webhook_id.to_string().as_str()
    {
        return None;
    }
    selected_name(&webhook.events, webhook_names(event.kind, &event.data))
}

/// Run until `stop`: keep one task per enabled subscription; then wait for each to finish
/// the round in hand.
pub async fn run(store: Store, outbound: Arc<Outbound>, stop: Stop) {
    if let Err(e) = store.release_stale_leases().await {
        tracing::warn!(error = %e, "webhooks: could not release stale leases");
    }
    let mut tasks: HashMap<WebhookId, tokio::task::JoinHandle<()>> = HashMap::new();
    while !stop.is_cancelled() {
        tasks.retain(|_, task| !task.is_finished());
        match store.enabled_webhooks().await {
            Ok(list) => {
                for w in list {
                    tasks.entry(w.webhook_id).or_insert_with(|| {
                        tokio::spawn(subscription(
                            store.clone(),
                            outbound.clone(),
                            w.webhook_id,
                            stop.clone(),
                        ))
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "webhooks: cannot list subscriptions"),
        }
        tokio::select! {
            _ = outbound.changed.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = stop.cancelled() => {}
        }
    }
    for (_, task) in tasks {
        let _ = task.await;
    }
}

/// One subscription's loop; returns when it is deleted or disabled, or at `stop` once the
/// round in hand is sent and recorded.
async fn subscription(store: Store, outbound: Arc<Outbound>, id: WebhookId, stop: Stop) {
    let mut committed = store.watch_committed();
    while !stop.is_cancelled() {
        committed.borrow_and_update();
        match round(&store, &outbound, id).await {
            Ok(Round::Gone) => return,
            Ok(Round::Busy) => continue,
            Ok(Round::Idle) => {}
            Err(e) => {
                tracing::warn!(webhook = %id, error = %e, "webhook delivery round failed");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.cancelled() => {}
                }
                continue;
            }
        }
        let now = crate::store::now_ms();
        let wait = match store.next_due_ms(id).await {
            Ok(Some(due)) => Duration::from_millis((due - now).clamp(0, 1000) as u64),
            _ => IDLE_POLL,
        };
        if wait.is_zero() {
            // Due now but claimed elsewhere (another instance's lease): look again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        tokio::select! {
            _ = committed.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.cancelled() => {}
        }
    }
}

/// What a round's results mean for the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Health {
    Unchanged,
    /// A success after failures: the failure clock stops.
    Recovered,
    /// The first failure after successes: the clock starts.
    StartedFailing,
    /// `410 Gone`, or five days of nothing but failures.
    Disable(String),
}

fn endpoint_health(
    failing_since_ms: Option<i64>,
    now_ms: i64,
    any_success: bool,
    any_failure: bool,
    gone: bool,
) -> Health {
    if gone {
        return Health::Disable("the endpoint answered 410 Gone".into());
    }
    match (any_success, any_failure, failing_since_ms) {
        (true, _, Some(_)) => Health::Recovered,
        (true, _, None) | (false, false, _) => Health::Unchanged,
        (false, true, None) => Health::StartedFailing,
        (false, true, Some(since)) if now_ms - since >= DISABLE_AFTER_MS => {
            Health::Disable("the endpoint failed every delivery for 5 days".into())
        }
        (false, true, Some(_)) => Health::Unchanged,
    }
}

enum Round {
    /// Deleted or disabled.
    Gone,
    /// Sent something: go again at once.
    Busy,
    /// Nothing due.
    Idle,
}

async fn round(
    store: &Store,
    outbound: &Outbound,
    id: WebhookId,
) -> Result<Round, crate::store::StoreError> {
    let Some(webhook) = store.webhook(id).await? else {
        return Ok(Round::Gone);
    };
    if !webhook.enabled {
        return Ok(Round::Gone);
    }
    let now = crate::store::now_ms();
    let first_attempt_at = now + outbound.schedule.first().as_millis() as i64;
    loop {
        let mut tx = store.begin().await?;
        let read = tx
            .fan_out(id, FAN_OUT_PAGE, first_attempt_at, |e| select(&webhook, e))
            .await?;
        tx.commit().await?;
        match read {
            Some(n) if n as i64 == FAN_OUT_PAGE => continue,
            _ => break,
        }
    }
    let claimed = store.claim_due(id, now, now + LEASE_MS, BATCH).await?;
    if claimed.is_empty() {
        return Ok(Round::Idle);
    }
    send_and_record(store, outbound, &webhook, claimed).await?;
    Ok(Round::Busy)
}

async fn send_and_record(
    store: &Store,
    outbound: &Outbound,
    webhook: &WebhookRow,
    claimed: Vec<Claimed>,
) -> Result<(), crate::store::StoreError> {
    let seqs: Vec<i64> = claimed.iter().map(|c| c.event_seq).collect();
    let events: HashMap<i64, Event> = store
        .events_by_seq(&seqs)
        .await?
        .into_iter()
        .map(|e| (e.seq, e))
        .collect();
    let secret = Secret::parse(&webhook.secret)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("webhook secret: {e}")))?;
    let now = crate::store::now_ms();
    let previous = webhook
        .previous_secret
        .as_deref()
        .filter(|_| webhook.previous_secret_expires_ms.is_some_and(|t| t > now))
        .and_then(|s| Secret::parse(s).ok());

    let sends = claimed.into_iter().map(|c| {
        let event = events.get(&c.event_seq);
        let secret = &secret;
        let previous = previous.as_ref();
        async move {
            let Some(event) = event else {
                // The event row is gone (it never is; a manual edit): nothing can be sent.
                return (c, None);
            };
            let body = envelope(&c.event_name, event);
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let headers =
                signing::headers(&event.id.to_string(), timestamp, &body, secret, previous);
            let outcome = outbound
                .sender
                .post(&webhook.url, body, &headers, DELIVERY_TIMEOUT)
                .await;
            (c, Some(outcome))
        }
    });
    let results: Vec<_> = futures_util::stream::iter(sends)
        .buffer_unordered(BATCH as usize)
        .collect()
        .await;

    let now = crate::store::now_ms();
    let mut records = Vec::with_capacity(results.len());
    let (mut any_success, mut any_failure, mut gone) = (false, false, false);
    for (claim, outcome) in results {
        let outcome = outcome.unwrap_or(super::sender::Outcome {
            status: None,
            body_start: None,
            error: Some("the event is missing from the log".into()),
            latency_ms: 0,
        });
        any_success |= outcome.succeeded();
        any_failure |= !outcome.succeeded();
        gone |= outcome.gone();
        let (status, next, next_pos) = after_attempt(
            &outbound.schedule,
            outcome.succeeded(),
            outcome.gone(),
            claim.schedule_pos,
            now,
        );
        if status == DeliveryStatus::Succeeded {
            tracing::debug!(
                webhook = %webhook.webhook_id,
                seq = claim.event_seq,
                commit_to_delivered_ms = now - claim.committed_at_ms,
                "delivered"
            );
        }
        records.push(super::attempt_record(
            claim.delivery_id,
            claim.attempt_count,
            outcome,
            (status, next, next_pos),
            now,
        ));
    }

    let mut tx = store.begin().await?;
    tx.record_attempts(&records).await?;
    let disable = match endpoint_health(
        webhook.failing_since_ms,
        now,
        any_success,
        any_failure,
        gone,
    ) {
        Health::Unchanged => None,
        Health::Recovered => {
            tx.set_failing_since(webhook.webhook_id, None).await?;
            None
        }
        Health::StartedFailing => {
            tx.set_failing_since(webhook.webhook_id, Some(now)).await?;
            None
        }
        Health::Disable(reason) => Some(reason),
    };
    if let Some(reason) = disable {
        if tx.disable_webhook(webhook.webhook_id, &reason, now).await? {
            tracing::warn!(webhook = %webhook.webhook_id, url = %webhook.url, %reason, "webhook disabled");
            tx.append(NewEvent {
                account_id: webhook.account_id,
                kind: EventKind::WebhookEndpointDisabled,
                engagement_id: None,
                agent_id: None,
                data: shared::Payload::WebhookDisabled {
                    webhook_id: webhook.webhook_id,
                    url: webhook.url.clone(),
                    reason: reason.clone(),
                },
            })
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_days_of_failure_or_a_410_disable_the_endpoint() {
        let day = 24 * 3600 * 1000;
        assert_eq!(
            endpoint_health(None, 0, false, true, true),
            Health::Disable("the endpoint answered 410 Gone".into())
        );
        assert_eq!(
            endpoint_health(None, 0, false, true, false),
            Health::StartedFailing
        );
        assert_eq!(
            endpoint_health(Some(0), 4 * day, false, true, false),
            Health::Unchanged
        );
        assert!(matches!(
            endpoint_health(Some(0), 5 * day, false, true, false),
            Health::Disable(_)
        ));
        // One success stops the clock, however long it ran.
        assert_eq!(
            endpoint_health(Some(0), 6 * day, true, true, false),
            Health::Recovered
        );
        assert_eq!(
            endpoint_health(None, 0, true, false, false),
            Health::Unchanged
        );
    }
}
