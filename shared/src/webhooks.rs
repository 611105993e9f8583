//! Webhooks: the names events are delivered under, and the subscription API's shapes.
//!
//! Every event in the log has one **primary** webhook name, Zoom Contact Center's closest
//! (`engagement.note_added` → `contact_center.engagement_note_added`), or a
//! `contact_center.*` name of ours where Zoom has none. Events of work-item engagements also
//! answer to Zoom's `task_*` name (`contact_center.task_created`, …): a subscription may select
//! either, and receives the event once, under the first name it selected (primary first).

use crate::events::EventKind;
use crate::ids::{DeliveryId, EventId, WebhookId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a subscription selects: `["*"]` for everything, or a list of webhook names.
pub const ALL_EVENTS: &str = "*";

/// Zoom's `endpoint.url_validation` challenge, as the server posts it to a new endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlValidationChallenge {
    /// Always `endpoint.url_validation`.
    pub event: String,
    /// Milliseconds since the Unix epoch.
    pub event_ts: i64,
    pub payload: PlainToken,
}

/// The challenge's payload: a random token the endpoint must echo and sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlainToken {
    #[serde(rename = "plainToken")]
    pub plain_token: String,
}

/// What the endpoint answers: the token and hex(HMAC-SHA256(secret, token)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlValidationAnswer {
    #[serde(rename = "plainToken")]
    pub plain_token: String,
    #[serde(rename = "encryptedToken")]
    pub encrypted_token: String,
}

/// The names one event answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookNames {
    pub primary: &'static str,
    /// The `task_*` alias, for work-item engagements only.
    pub task: Option<&'static str>,
}

/// Every name a subscription may select, with the log event it comes from (for the docs and
/// for validating `events`). Kept in step with [`webhook_names`] by a test.
pub const NAMES: &[(&str, &str)] = &[
    ("contact_center.engagement_started", "engagement.created"),
    (
        "contact_center.engagement_user_ringing",
        "engagement.offered",
    ),
    (
        "contact_center.engagement_user_rescinded",
        "engagement.offer_rescinded",
    ),
    (
        "contact_center.engagement_user_declined",
        "engagement.offer_declined",
    ),
    (
        "contact_center.engagement_user_ring_timeout",
        "engagement.offer_timed_out",
    ),
    (
        "contact_center.engagement_user_answered",
        "engagement.connected",
    ),
    ("contact_center.engagement_user_hold", "engagement.inactive"),
    (
        "contact_center.engagement_user_unhold",
        "engagement.resumed",
    ),
    (
        "contact_center.engagement_transferred",
        "engagement.transferred",
    ),
    (
        "contact_center.engagement_overflowed",
        "engagement.overflowed",
    ),
    (
        "contact_center.engagement_note_added",
        "engagement.note_added",
    ),
    (
        "contact_center.engagement_disposition_added",
        "engagement.disposition_added",
    ),
    (
        "contact_center.engagement_variables_updated",
        "engagement.variables_updated",
    ),
    (
        "contact_center.engagement_wrap_up_started",
        "engagement.wrap_up_started",
    ),
    ("contact_center.engagement_ended", "engagement.closed"),
    (
        "contact_center.engagement_user_monitor_initiated",
        "engagement.monitor_started (monitor)",
    ),
    (
        "contact_center.engagement_user_barge_initiated",
        "engagement.monitor_started (barge)",
    ),
    (
        "contact_center.engagement_message_added",
        "engagement.message_added",
    ),
    (
        "contact_center.engagement_message_receipt",
        "engagement.message_receipt",
    ),
    (
        "contact_center.engagement_messaging_transcript_completed",
        "engagement.messaging_transcript_completed",
    ),
    (
        "contact_center.engagement_survey_completed",
        "engagement.survey_completed",
    ),
    ("contact_center.recording_completed", "recording.completed"),
    (
        "contact_center.recording_transcript_completed",
        "recording.transcript_completed",
    ),
    ("contact_center.user_login", "agent.logged_in"),
    ("contact_center.user_logout", "agent.logged_out"),
    ("contact_center.user_status_changed", "agent.status_changed"),
    (
        "contact_center.user_active_device_changed",
        "agent.device_changed",
    ),
    (
        "contact_center.webhook_endpoint_disabled",
        "webhook.endpoint_disabled",
    ),
    ("contact_center.configuration_changed", "config.changed"),
    (
        "contact_center.task_created",
        "engagement.created (work item)",
    ),
    (
        "contact_center.task_reservation_created",
        "engagement.offered (work item)",
    ),
    (
        "contact_center.task_reservation_rescinded",
        "engagement.offer_rescinded (work item)",
    ),
    (
        "contact_center.task_reservation_rejected",
        "engagement.offer_declined (work item)",
    ),
    (
        "contact_center.task_reservation_timeout",
        "engagement.offer_timed_out (work item)",
    ),
    (
        "contact_center.task_reservation_accepted",
        "engagement.connected (work item)",
    ),
    (
        "contact_center.task_updated",
        "engagement.variables_updated (work item)",
    ),
    (
        "contact_center.task_completed",
        "engagement.closed, completed or wrap-up timed out (work item)",
    ),
    (
        "contact_center.task_canceled",
        "engagement.closed, cancelled or abandoned (work item)",
    ),
];

/// Whether `name` is one a subscription may select (`*` included).
pub fn is_known_name(name: &str) -> bool {
    name == ALL_EVENTS || NAMES.iter().any(|(n, _)| *n == name)
}

/// The names an event of `kind` with payload `data` is delivered under. `data` is the log
/// event's payload (`{"engagement": {...}, ...}`), read for the channel, the close reason and
/// the monitor mode.
pub fn webhook_names(kind: EventKind, data: &serde_json::Value) -> WebhookNames {
    let work_item = data["engagement"]["channel"] == "work_item";
    let task = |name: &'static str| work_item.then_some(name);
    let (primary, task) = match kind {
        EventKind::EngagementCreated => (
            "contact_center.engagement_started",
            task("contact_center.task_created"),
        ),
        EventKind::EngagementOffered => (
            "contact_center.engagement_user_ringing",
            task("contact_center.task_reservation_created"),
        ),
        EventKind::EngagementOfferRescinded => (
            "contact_center.engagement_user_rescinded",
            task("contact_center.task_reservation_rescinded"),
        ),
        EventKind::EngagementOfferDeclined => (
            "contact_center.engagement_user_declined",
            task("contact_center.task_reservation_rejected"),
        ),
        EventKind::EngagementOfferTimedOut => (
            "contact_center.engagement_user_ring_timeout",
            task("contact_center.task_reservation_timeout"),
        ),
        EventKind::EngagementConnected => (
            "contact_center.engagement_user_answered",
            task("contact_center.task_reservation_accepted"),
        ),
        EventKind::EngagementInactive => ("contact_center.engagement_user_hold", None),
        EventKind::EngagementResumed => ("contact_center.engagement_user_unhold", None),
        EventKind::EngagementTransferred => ("contact_center.engagement_transferred", None),
        EventKind::EngagementOverflowed => ("contact_center.engagement_overflowed", None),
        EventKind::EngagementNoteAdded => ("contact_center.engagement_note_added", None),
        EventKind::EngagementDispositionAdded => {
            ("contact_center.engagement_disposition_added", None)
        }
        EventKind::EngagementVariablesUpdated => (
            "contact_center.engagement_variables_updated",
            task("contact_center.task_updated"),
        ),
        EventKind::EngagementWrapUpStarted => ("contact_center.engagement_wrap_up_started", None),
        EventKind::EngagementClosed => {
            let completed = data["reason"] == "completed" || data["reason"] == "wrap_up_timeout";
            (
                "contact_center.engagement_ended",
                task(if completed {
                    "contact_center.task_completed"
                } else {
                    "contact_center.task_canceled"
                }),
            )
        }
        EventKind::EngagementMonitorStarted => (
            if data["mode"] == "barge" {
                "contact_center.engagement_user_barge_initiated"
            } else {
                "contact_center.engagement_user_monitor_initiated"
            },
            None,
        ),
        EventKind::EngagementMessageAdded => ("contact_center.engagement_message_added", None),
        EventKind::EngagementMessageReceipt => ("contact_center.engagement_message_receipt", None),
        EventKind::EngagementMessagingTranscriptCompleted => (
            "contact_center.engagement_messaging_transcript_completed",
            None,
        ),
        EventKind::EngagementSurveyCompleted => {
            ("contact_center.engagement_survey_completed", None)
        }
        EventKind::RecordingCompleted => ("contact_center.recording_completed", None),
        EventKind::RecordingTranscriptCompleted => {
            ("contact_center.recording_transcript_completed", None)
        }
        EventKind::AgentLoggedIn => ("contact_center.user_login", None),
        EventKind::AgentLoggedOut => ("contact_center.user_logout", None),
        EventKind::AgentStatusChanged => ("contact_center.user_status_changed", None),
        EventKind::AgentDeviceChanged => ("contact_center.user_active_device_changed", None),
        EventKind::WebhookEndpointDisabled => ("contact_center.webhook_endpoint_disabled", None),
        EventKind::ConfigChanged => ("contact_center.configuration_changed", None),
    };
    WebhookNames { primary, task }
}

/// The name a subscription selecting `events` receives an event under, if it selects it.
pub fn selected_name(events: &[String], names: WebhookNames) -> Option<&'static str> {
    let selects = |name: &str| events.iter().any(|e| e == ALL_EVENTS || e == name);
    if selects(names.primary) {
        return Some(names.primary);
    }
    names.task.filter(|t| selects(t))
}

// ---- the subscription API ------------------------------------------------------------------

/// `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries go. `https` (plain `http` only when the server allows private
    /// addresses, for development).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::http_url_2000)
    )]
    pub url: String,
    /// Webhook names to deliver (`contact_center.engagement_note_added`, …), or `["*"]`.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::webhook_events)
    )]
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A secret the receiver already holds: `whsec_` + base64 of 24–64 bytes. Given, the URL
    /// is validated before anything is saved; omitted, one is generated and the subscription
    /// waits, disabled, for `POST /v1/webhooks/{id}/validate`.
    #[serde(default)]
    pub secret: Option<String>,
}

/// `PATCH /v1/webhooks/{id}`: only the fields given change. A new `url` is validated again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[serde(default)]
    pub url: Option<String>,
    /// Replaces the selected webhook names (as in `POST /v1/webhooks`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::webhook_events)
    )]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Whether the endpoint answered Zoom's `endpoint.url_validation` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValidationState {
    Pending,
    Passed,
    Failed,
}

impl ValidationState {
    pub const fn as_str(self) -> &'static str {
        match self {
            ValidationState::Pending => "pending",
            ValidationState::Passed => "passed",
            ValidationState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ValidationState> {
        [Self::Pending, Self::Passed, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A webhook subscription as read back (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub webhook_id: WebhookId,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    pub validation: ValidationState,
    /// Why the server disabled it (`410 Gone`, five days of failures), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Until when deliveries also carry a signature made with the previous secret.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The answer to create and rotate-secret: the subscription and its secret, shown only here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: keep it; it is never shown again.
    pub secret: String,
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet delivered; will be (again) at `next_attempt_at`.
    Pending,
    Succeeded,
    /// Every attempt of the schedule failed (or the endpoint was disabled).
    Failed,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// The endpoint's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    pub latency_ms: i64,
    /// The start of the endpoint's answer (at most 1 KB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// Why it failed without an answer (timeout, refused address, connection error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One event's delivery to one subscription, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub delivery_id: DeliveryId,
    /// The event's id: the `webhook-id` header.
    pub event_id: EventId,
    /// The event's `seq` in the log.
    pub seq: i64,
    /// The webhook name it is delivered under.
    pub event: String,
    pub status: DeliveryStatus,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub next_attempt_at: Option<OffsetDateTime>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// `GET /v1/webhooks/{id}/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveriesPage {
    pub deliveries: Vec<Delivery>,
    /// Pass as `after` for the next page (the last delivery's `seq`).
    pub next_after: i64,
    pub has_more: bool,
}

/// `POST /v1/webhooks/{id}/recover`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    /// Re-send every selected event that occurred at or after this time (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

/// What a recover or redeliver queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requeued {
    pub queued: u64,
}

// ---- flow callouts -------------------------------------------------------------------------

/// `GET /v1/flows/callout-secret`: the key flow callouts are signed with (admins only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalloutSecret {
    /// `whsec_…`: verify callouts with it exactly as webhook deliveries.
    pub secret: String,
}

/// One callout of a flow for one event, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalloutDelivery {
    pub delivery_id: DeliveryId,
    /// The event that fired it (the `webhook-id` header).
    pub event_id: EventId,
    pub seq: i64,
    /// Which of the flow's `callouts` (its index).
    pub callout_index: i64,
    /// Its trigger (`engagement_closed`, …).
    pub on: String,
    pub url: String,
    pub status: DeliveryStatus,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub next_attempt_at: Option<OffsetDateTime>,
    pub attempts: Vec<DeliveryAttempt>,
}

/// `GET /v1/flows/{id}/callouts/deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalloutDeliveriesPage {
    pub deliveries: Vec<CalloutDelivery>,
    pub next_after: i64,
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `docs/webhooks.md`'s table of names and [`NAMES`] (which the OpenAPI enum and the
    /// server's validation use) say the same: every name in one is in the other.
    #[test]
    fn the_docs_name_every_webhook_event_and_no_other() {
        let docs = include_str!("../../docs/webhooks.md");
        let table = docs
            .split("### Event names")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("docs/webhooks.md has an Event names section");
        let mut documented: Vec<String> = Vec::new();
        for line in table
            .lines()
            .filter(|l| l.starts_with("| `contact_center."))
        {
            let mut cells = line.split('|').skip(1);
            let primary = cells.next().unwrap().trim().trim_matches('`');
            documented.push(primary.to_string());
            let aliases = cells.nth(1).unwrap_or_default();
            for part in aliases.split('`').skip(1).step_by(2) {
                if part.starts_with("task_") {
                    documented.push(format!("contact_center.{part}"));
                }
            }
        }
        documented.sort();
        documented.dedup();
        let mut known: Vec<String> = NAMES.iter().map(|(n, _)| n.to_string()).collect();
        known.sort();
        assert_eq!(documented, known);
    }

    fn engagement(channel: &str) -> serde_json::Value {
        json!({"engagement": {"channel": channel}})
    }

    #[test]
    fn the_article_names_are_exact() {
        let none = json!({});
        for (kind, name) in [
            (
                EventKind::EngagementNoteAdded,
                "contact_center.engagement_note_added",
            ),
            (
                EventKind::EngagementDispositionAdded,
                "contact_center.engagement_disposition_added",
            ),
            (
                EventKind::RecordingCompleted,
                "contact_center.recording_completed",
            ),
            (
                EventKind::RecordingTranscriptCompleted,
                "contact_center.recording_transcript_completed",
            ),
            (
                EventKind::EngagementMessagingTranscriptCompleted,
                "contact_center.engagement_messaging_transcript_completed",
            ),
        ] {
            assert_eq!(webhook_names(kind, &none).primary, name);
        }
    }

    #[test]
    fn every_name_produced_is_listed_and_every_listed_name_is_produced() {
        let mut produced = std::collections::BTreeSet::new();
        for kind in EventKind::ALL {
            for data in [
                engagement("voice"),
                engagement("work_item"),
                json!({"engagement": {"channel": "work_item"}, "reason": "completed"}),
                json!({"mode": "barge"}),
            ] {
                let names = webhook_names(*kind, &data);
                produced.insert(names.primary);
                produced.extend(names.task);
            }
        }
        let listed: std::collections::BTreeSet<&str> = NAMES.iter().map(|(n, _)| *n).collect();
        assert_eq!(produced, listed);
    }

    #[test]
    fn work_items_answer_to_task_names_too() {
        let closed = json!({"engagement": {"channel": "work_item"}, "reason": "cancelled"});
        let names = webhook_names(EventKind::EngagementClosed, &closed);
        assert_eq!(names.primary, "contact_center.engagement_ended");
        assert_eq!(names.task, Some("contact_center.task_canceled"));
        assert_eq!(
            webhook_names(EventKind::EngagementClosed, &engagement("voice")).task,
            None
        );

        let tasks_only = vec!["contact_center.task_canceled".to_string()];
        assert_eq!(
            selected_name(&tasks_only, names),
            Some("contact_center.task_canceled")
        );
        let both = vec![
            "contact_center.task_canceled".to_string(),
            "contact_center.engagement_ended".to_string(),
        ];
        assert_eq!(
            selected_name(&both, names),
            Some("contact_center.engagement_ended")
        );
        assert_eq!(
            selected_name(&["*".to_string()], names),
            Some("contact_center.engagement_ended")
        );
        assert_eq!(
            selected_name(&["contact_center.user_login".to_string()], names),
            None
        );
    }

    #[test]
    fn known_names() {
        assert!(is_known_name("*"));
        assert!(is_known_name("contact_center.task_created"));
        assert!(!is_known_name("contact_center.nope"));
        assert!(!is_known_name("engagement.note_added"));
    }
}
