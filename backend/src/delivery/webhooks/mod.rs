//! Webhooks: signed deliveries of the event log to subscribers' endpoints.
//!
//! - [`signing`]: Standard Webhooks and Zoom-style signatures, URL-validation tokens.
//! - [`address`]: which addresses the server may call.
//! - [`sender`]: the outbound HTTP client.
//! - [`retry`]: the retry schedule.
//! - [`worker`]: the outbox worker that queues, sends, retries and records deliveries.

pub mod address;
pub mod retry;
pub mod sender;
pub mod signing;
pub mod worker;

use serde_json::json;
use shared::events::Event;
use shared::webhooks::{PlainToken, UrlValidationAnswer, UrlValidationChallenge};
use signing::Secret;
use std::time::Duration;

/// How long an endpoint has to answer a delivery.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an endpoint has to answer the URL-validation challenge.
pub const VALIDATION_TIMEOUT: Duration = Duration::from_secs(3);
/// An endpoint failing without a single success for this long is disabled.
pub const DISABLE_AFTER_MS: i64 = 5 * 24 * 3600 * 1000;
/// After a rotation, how long deliveries also carry the previous secret's signature.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// Settings and shared parts of outbound delivery.
pub struct Outbound {
    pub sender: sender::Sender,
    pub schedule: retry::RetrySchedule,
    /// Flow callouts' schedule (default: three attempts within a minute).
    pub callout_schedule: retry::RetrySchedule,
    /// Poked when subscriptions change, so the worker picks them up at once.
    pub changed: tokio::sync::Notify,
}

impl Outbound {
    pub fn new(
        allow_private: bool,
        allowed_hosts: address::AllowedHosts,
        schedule: retry::RetrySchedule,
        callout_schedule: retry::RetrySchedule,
    ) -> Outbound {
        Outbound {
            sender: sender::Sender::new(allow_private, allowed_hosts),
            schedule,
            callout_schedule,
            changed: tokio::sync::Notify::new(),
        }
    }
}

/// What to record of an attempt: its outcome and the delivery's state after it
/// (`after`: from [`retry::after_attempt`]).
pub fn attempt_record(
    delivery_id: shared::ids::DeliveryId,
    attempts_before: i64,
    outcome: sender::Outcome,
    after: (shared::webhooks::DeliveryStatus, Option<i64>, i64),
    now_ms: i64,
) -> crate::store::webhooks::AttemptRecord {
    let (status, next_attempt_ms, schedule_pos) = after;
    crate::store::webhooks::AttemptRecord {
        delivery_id,
        attempt_no: attempts_before + 1,
        attempted_at_ms: now_ms - outcome.latency_ms,
        response_status: outcome.status,
        latency_ms: outcome.latency_ms,
        response_body: outcome.body_start,
        error: outcome.error,
        status,
        next_attempt_ms,
        schedule_pos,
    }
}

/// The delivery body: `{event, event_ts, payload: {account_id, object}}`. `object` carries
/// the event's id and `seq`, the engagement (and agent) it concerns, and the event's data
/// (the note, the disposition, the engagement as it is now, …), so a receiver needs no
/// second call. Serialised with sorted keys: the same event always gives the same bytes.
pub fn envelope(name: &str, event: &Event) -> Vec<u8> {
    let mut object = serde_json::Map::new();
    object.insert("event_id".into(), json!(event.id));
    object.insert("seq".into(), json!(event.seq));
    object.insert("log_event".into(), json!(event.kind.as_str()));
    if let Some(e) = event.engagement_id {
        object.insert("engagement_id".into(), json!(e));
    }
    if let Some(a) = event.agent_id {
        object.insert("agent_id".into(), json!(a));
    }
    if let serde_json::Value::Object(data) = &event.data {
        for (k, v) in data {
            object.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let body = json!({
        "event": name,
        "event_ts": (event.occurred_at.unix_timestamp_nanos() / 1_000_000) as i64,
        "payload": {"account_id": event.account_id, "object": object},
    });
    serde_json::to_vec(&body).expect("JSON values serialize")
}

/// Run Zoom's `endpoint.url_validation` challenge against `url`: the endpoint must answer 200
/// within 3 s with the plain token and its HMAC. `Err` says what the endpoint did instead.
pub async fn validate_endpoint(
    sender: &sender::Sender,
    url: &str,
    secret: &Secret,
) -> Result<(), String> {
    let plain_token: String = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
    };
    let now = time::OffsetDateTime::now_utc();
    let body = serde_json::to_vec(&UrlValidationChallenge {
        event: "endpoint.url_validation".into(),
        event_ts: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        payload: PlainToken {
            plain_token: plain_token.clone(),
        },
    })
    .expect("JSON values serialize");
    let id = format!("validation_{}", uuid::Uuid::now_v7());
    let headers = signing::headers(&id, now.unix_timestamp(), &body, secret, None);
    let outcome = sender.post(url, body, &headers, VALIDATION_TIMEOUT).await;
    if outcome.status != Some(200) {
        return Err(format!(
            "the URL validation failed: the endpoint {}",
            outcome.describe()
        ));
    }
    let expected = signing::encrypted_token(secret.as_str(), &plain_token);
    let Some(answer) = outcome
        .body_start
        .as_deref()
        .and_then(|b| serde_json::from_str::<UrlValidationAnswer>(b).ok())
    else {
        return Err(
            "the URL validation failed: the endpoint answered 200 without {\"plainToken\", \"encryptedToken\"}".into(),
        );
    };
    if answer.plain_token != plain_token {
        return Err(format!(
            "the URL validation failed: the endpoint answered 200 but its plainToken is {:?} (expected the token sent)",
            answer.plain_token
        ));
    }
    if answer.encrypted_token != expected {
        return Err(format!(
            "the URL validation failed: the endpoint answered 200 but its encryptedToken is {:?}, not hex(HMAC-SHA256(secret, plainToken))",
            answer.encrypted_token
        ));
    }
    Ok(())
}
