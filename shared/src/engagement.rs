//! The engagement: one unit of routed work, live or asynchronous.

use crate::channel::{Channel, Direction};
use crate::ids::{AgentId, EngagementId, EntryId, FlowId, NoteId, QueueId};
use crate::state_machine::EngagementState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Engagement variables: name → value. Work-item and consumer fields are copied in as
/// variables (`work_item_name`, `consumer_email`, ...) so flows and launch URLs can use them.
pub type Variables = BTreeMap<String, String>;

/// The person on the other side (caller, chatter, ticket requester).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consumer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The consumer's id in the external system (CRM contact id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Back-office work carried by a `work_item` engagement. The external system stays the
/// system of record; these fields let the agent see and open it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkItem {
    pub name: String,
    /// The work item's id in the external system. Together with `name` it must be unique
    /// among active engagements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperlink: Option<String>,
    /// Higher is more urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_id: Option<String>,
}

/// When each step of the engagement happened (RFC 3339). A step not reached yet is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timestamps {
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it (re-)entered the queue; routing order uses `created_at`, which a re-queue keeps.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub queued_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub offered_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub connected_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub wrap_up_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<OffsetDateTime>,
}

impl Default for Timestamps {
    fn default() -> Self {
        Timestamps {
            created_at: OffsetDateTime::UNIX_EPOCH,
            queued_at: None,
            offered_at: None,
            connected_at: None,
            wrap_up_at: None,
            closed_at: None,
        }
    }
}

impl Default for Engagement {
    fn default() -> Self {
        Engagement {
            engagement_id: EngagementId(uuid::Uuid::nil()),
            channel: Channel::WorkItem,
            channel_source: None,
            entry_address: None,
            direction: Direction::Inbound,
            state: EngagementState::Queued,
            flow_entry_id: None,
            flow_id: None,
            queue_id: None,
            priority: 0,
            agent_ids: Vec::new(),
            consumer: None,
            work_item: None,
            variables: Variables::new(),
            timestamps: Timestamps::default(),
        }
    }
}

/// An engagement as the API, the WebSocket and the widget see it.
///
/// The widget reads it with [`crate::feed`] rather than this derived `Deserialize`, for size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Engagement {
    pub engagement_id: EngagementId,
    pub channel: Channel,
    /// Free-form origin of the channel, e.g. the connector or phone number it came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_source: Option<String>,
    pub direction: Direction,
    pub state: EngagementState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_entry_id: Option<EntryId>,
    /// The number or address the customer reached: the entry point's `address`, when it has
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<FlowId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<QueueId>,
    /// Effective routing priority (higher first).
    #[serde(default)]
    pub priority: i32,
    /// Agents the engagement is offered or assigned to (several only while ringing all).
    #[serde(default)]
    pub agent_ids: Vec<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<Consumer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_item: Option<WorkItem>,
    #[serde(default)]
    pub variables: Variables,
    #[serde(flatten)]
    pub timestamps: Timestamps,
}

/// A note on an engagement (`GET /v1/engagements/{id}/notes`, `engagement.note_added`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRecord {
    pub note_id: NoteId,
    pub engagement_id: EngagementId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub body: String,
    pub created_at_ms: i64,
}

/// Who wrote a message of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// The customer.
    Consumer,
    /// The engagement's agent.
    Agent,
    /// A supervisor who barged in (shown as such on both sides).
    Supervisor,
}

/// The author of a message: who, and the name both sides show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageAuthor {
    pub kind: AuthorKind,
    /// The agent or supervisor; absent for the consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub display_name: String,
}

/// One message of a chat or SMS conversation (`GET /v1/engagements/{id}/messages`, and the
/// `engagement.message_added` event). `body` is plain text, never markup: every side shows it
/// as text. A message with an `attachment` may have an empty `body` (a file sent alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageRecord {
    pub message_id: crate::ids::MessageId,
    pub engagement_id: EngagementId,
    pub author: MessageAuthor,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// A file sent with the message (an image or a PDF). Read it with the chat's session token
    /// (`GET /v1/chat/session/attachments/{message_id}`) or API credentials that may read the
    /// engagement (`GET /v1/engagements/{id}/attachments/{message_id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<MessageAttachment>,
}

impl MessageRecord {
    /// The message as the customer sees it: the author's display name, never their internal
    /// `agent_id` (the customer's session shows none of the engagement's internals).
    pub fn for_customer(mut self) -> MessageRecord {
        self.author.agent_id = None;
        self
    }
}

/// A file in a conversation: what it is called, what kind and how large. The file itself is
/// in the blob store, served only to that chat's customer and to those who may read the
/// engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageAttachment {
    /// The name the sender gave it (shown as text, never used as a path).
    pub file_name: String,
    /// `image/png`, `image/jpeg`, `image/gif`, `image/webp` or `application/pdf`, checked
    /// against the file's first bytes.
    pub content_type: String,
    pub size_bytes: u64,
}

/// How far a message has come: the sender's client shows it (✓ sent, ✓✓ delivered, read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// It reached the other side's screen (their chat page or widget received it).
    Delivered,
    /// The other side had it in view.
    Read,
}

/// Which side of a conversation received or read the other side's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// The customer (reading the agent's and supervisors' messages).
    Consumer,
    /// The engagement's agent (reading the customer's).
    Agent,
}

/// One side has received (or read) the other side's messages up to `up_to`, and every
/// earlier one (`engagement.message_receipt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageReceipt {
    pub reader: Reader,
    pub status: ReceiptStatus,
    pub up_to: crate::ids::MessageId,
}

/// `POST …/receipts`: the reader has received or read the other side's messages up to
/// `message_id`. Receipts only move forward; one that moves nothing is accepted and changes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReceipt {
    pub message_id: crate::ids::MessageId,
    pub status: ReceiptStatus,
}

/// `POST /v1/engagements/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMessage {
    /// Plain text, 1–4,000 characters (at least one visible).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_4000)
    )]
    pub body: String,
}

/// Where a transfer sends the engagement (`POST /v1/engagements/{id}/transfer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum TransferTarget {
    Queue {
        queue_id: QueueId,
    },
    Flow {
        flow_id: FlowId,
    },
    /// Ring this agent first (for up to two minutes), then anyone in the current queue.
    Agent {
        agent_id: AgentId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn engagement_round_trips_through_json() {
        let mut variables = Variables::new();
        variables.insert("ticket_tier".into(), "gold".into());
        let engagement = Engagement {
            engagement_id: EngagementId(uuid::Uuid::from_u128(7)),
            channel: Channel::WorkItem,
            channel_source: Some("crm".into()),
            state: EngagementState::Offered,
            flow_entry_id: Some(EntryId("billing".into())),
            priority: 3,
            agent_ids: vec![AgentId(uuid::Uuid::from_u128(9))],
            consumer: Some(Consumer {
                display_name: Some("Ada".into()),
                email: Some("ada@example.com".into()),
                ..Consumer::default()
            }),
            work_item: Some(WorkItem {
                name: "Invoice 42".into(),
                id: Some("INV-42".into()),
                priority: Some(5),
                due_date: Some(datetime!(2026-12-01 09:00 UTC)),
                ..WorkItem::default()
            }),
            variables,
            timestamps: Timestamps {
                created_at: datetime!(2026-11-21 10:00 UTC),
                offered_at: Some(datetime!(2026-11-21 10:00:02 UTC)),
                ..Timestamps::default()
            },
            ..Engagement::default()
        };
        let json = serde_json::to_value(&engagement).unwrap();
        assert_eq!(json["state"], "offered");
        assert_eq!(json["channel"], "work_item");
        assert_eq!(json["created_at"], "2026-11-21T10:00:00Z");
        assert_eq!(json["work_item"]["due_date"], "2026-12-01T09:00:00Z");
        assert!(json.get("closed_at").is_none());
        let back: Engagement = serde_json::from_value(json).unwrap();
        assert_eq!(back, engagement);
    }
}
