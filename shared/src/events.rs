//! The durable event log's vocabulary.
//!
//! Every state change appends one or more [`Event`]s to an ordered log (`seq`) in the same
//! database transaction as the change. WebSocket pushes, webhooks, the polling API, flow
//! callouts, postMessage and reports all read that log, and all carry the same `id` and `seq`,
//! so a consumer can dedupe across them.

use crate::ids::{AccountId, AgentId, EngagementId, EventId};
use crate::state_machine::EngagementState;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

macro_rules! event_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal ),+ $(,)?) => {
        /// Every lifecycle event, named `object.what_happened` (e.g. `engagement.note_added`).
        /// Its webhook names are [`crate::webhooks::webhook_names`]
        /// (`contact_center.engagement_note_added`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventKind {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )+
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[ $( EventKind::$variant, )+ ];

            /// The log and postMessage name, e.g. `engagement.connected`.
            pub const fn as_str(self) -> &'static str {
                match self { $( EventKind::$variant => $name, )+ }
            }
        }
    };
}

event_kinds! {
    /// A new engagement entered routing (state `queued`).
    EngagementCreated = "engagement.created",
    /// Reserved for an agent and ringing (`queued → offered`).
    EngagementOffered = "engagement.offered",
    /// A ring-all offer was withdrawn from the agents who did not win it.
    EngagementOfferRescinded = "engagement.offer_rescinded",
    /// The agent declined (`offered → queued`).
    EngagementOfferDeclined = "engagement.offer_declined",
    /// Nobody accepted in time (`offered → queued`).
    EngagementOfferTimedOut = "engagement.offer_timed_out",
    /// An agent accepted (`offered → connected`).
    EngagementConnected = "engagement.connected",
    /// `connected → inactive`.
    EngagementInactive = "engagement.inactive",
    /// `inactive → connected`.
    EngagementResumed = "engagement.resumed",
    /// Sent back to routing toward a queue, flow or agent (`connected → queued`).
    EngagementTransferred = "engagement.transferred",
    /// Overflow moved it to another queue or relaxed its required skills.
    EngagementOverflowed = "engagement.overflowed",
    EngagementNoteAdded = "engagement.note_added",
    EngagementDispositionAdded = "engagement.disposition_added",
    EngagementVariablesUpdated = "engagement.variables_updated",
    /// The conversation ended; wrap-up started (`→ wrap_up`).
    EngagementWrapUpStarted = "engagement.wrap_up_started",
    /// Finished, whether completed, cancelled or abandoned (`→ closed`); the payload says which.
    EngagementClosed = "engagement.closed",
    /// A supervisor started monitoring or barged in.
    EngagementMonitorStarted = "engagement.monitor_started",
    /// A message in a chat or SMS conversation (from the consumer, the agent or a barging
    /// supervisor); the payload carries it whole.
    EngagementMessageAdded = "engagement.message_added",
    /// One side of a conversation received or read the other side's messages up to one.
    EngagementMessageReceipt = "engagement.message_receipt",
    /// A chat/SMS transcript was finalised after close.
    EngagementMessagingTranscriptCompleted = "engagement.messaging_transcript_completed",
    /// The customer answered the entry point's satisfaction survey (`shared::survey`); the
    /// payload carries the answer as `survey`.
    EngagementSurveyCompleted = "engagement.survey_completed",
    RecordingCompleted = "recording.completed",
    RecordingTranscriptCompleted = "recording.transcript_completed",
    AgentLoggedIn = "agent.logged_in",
    AgentLoggedOut = "agent.logged_out",
    AgentStatusChanged = "agent.status_changed",
    /// Another of the agent's widget instances (tab, PWA, CRM frame) became the one that rings,
    /// or the active one went away (`device_id` null).
    AgentDeviceChanged = "agent.device_changed",
    /// The server disabled a webhook subscription (`410 Gone`, or five days of failures).
    WebhookEndpointDisabled = "webhook.endpoint_disabled",
    /// Configuration changed (audit trail): who, which object, what before and after.
    ConfigChanged = "config.changed",
}

/// The schema lists the names as they travel (`engagement.created`), which a derived schema
/// cannot see through the macro's `serde(rename)`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for EventKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(EventKind::ALL.iter().map(|k| k.as_str())))
            .description(Some("An event name, `object.what_happened`."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for EventKind {}

impl EventKind {
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// The engagement state this event announces entering, if it announces one.
    pub const fn entered_state(self) -> Option<EngagementState> {
        use EngagementState as S;
        match self {
            EventKind::EngagementCreated
            | EventKind::EngagementOfferDeclined
            | EventKind::EngagementOfferTimedOut
            | EventKind::EngagementTransferred => Some(S::Queued),
            EventKind::EngagementOffered => Some(S::Offered),
            EventKind::EngagementConnected | EventKind::EngagementResumed => Some(S::Connected),
            EventKind::EngagementInactive => Some(S::Inactive),
            EventKind::EngagementWrapUpStarted => Some(S::WrapUp),
            EventKind::EngagementClosed => Some(S::Closed),
            _ => None,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the durable event log, as read back (and as served by `GET /v1/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Position in the log: strictly increasing, in commit order.
    pub seq: i64,
    /// Globally unique; used as `webhook-id` and postMessage `id` for dedupe.
    pub id: EventId,
    pub account_id: AccountId,
    #[serde(rename = "event")]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<EngagementId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The event's payload object (the engagement, the note, ...).
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), *k);
        }
    }

    #[test]
    fn event_round_trips() {
        let event = Event {
            seq: 42,
            id: EventId(uuid::Uuid::from_u128(1)),
            account_id: AccountId(uuid::Uuid::from_u128(2)),
            kind: EventKind::EngagementClosed,
            engagement_id: Some(EngagementId(uuid::Uuid::from_u128(3))),
            agent_id: None,
            occurred_at: OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap(),
            data: serde_json::json!({"reason": "completed"}),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "engagement.closed");
        assert!(json.get("agent_id").is_none());
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
    }
}
