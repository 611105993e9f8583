//! REST request and response shapes. Field names follow the public shape integrators already
//! know from other contact-center products (`work_item_variables.work_item_name`, ...).

use crate::channel::Channel;
use crate::config::{AgentStatus, QueueMembership, Role};
use crate::engagement::Engagement;
use crate::events::Event;
use crate::ids::{AgentId, DispositionId, EngagementId, QueueId};
use serde::{Deserialize, Serialize};

/// `POST /v1/engagements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartEngagementRequest {
    /// Exactly one channel.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1))]
    pub channels: Vec<ChannelSpec>,
    pub flow: FlowRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 1))]
    pub consumers: Vec<ConsumerInput>,
    /// Required when the channel is `work_item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_item_variables: Option<WorkItemVariables>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub variables: Vec<VariableInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSpec {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_100)
    )]
    pub channel_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowRef {
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub flow_entry_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumerInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_200)
    )]
    pub consumer_display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::optional_email_320)
    )]
    pub consumer_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_50)
    )]
    pub consumer_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_200)
    )]
    pub consumer_external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkItemVariables {
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_200)
    )]
    pub work_item_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_200)
    )]
    pub work_item_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_4000)
    )]
    pub work_item_desc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::optional_http_url_2000)
    )]
    pub work_item_hyperlink: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = -100, maximum = 100))]
    pub work_item_priority: Option<i32>,
    /// RFC 3339, e.g. `2026-12-01T17:00:00Z` (empty: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub work_item_due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_100)
    )]
    pub work_item_origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_100)
    )]
    pub work_item_type_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableInput {
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::name_64)
    )]
    pub name: String,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_1000)
    )]
    pub value: String,
}

/// `201 Created` body of `POST /v1/engagements`: the engagement itself.
pub type StartEngagementResponse = Engagement;

/// Every error response: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_field`, `not_found`, `conflict`, `unauthorized`, ...
    pub code: String,
    /// For people; never exposes internals.
    pub message: String,
    /// The offending input, as a path (`work_item_variables.work_item_name`, `channels[0]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// On a 409 for a duplicate work item: the active engagement that holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<String>,
}

/// `GET /v1/embedding/check?origin=`: may a page at `origin` embed the widget?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingCheck {
    /// The origin, normalised as a browser serialises it (`https://crm.example:8443`).
    pub origin: String,
    pub allowed: bool,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    pub version: String,
}

/// The part of an agent (`GET /v1/agents/me`, the WebSocket `hello`) the widget reads. The
/// server sends the whole [`crate::config::Agent`]; this view skips skills and busy rules so
/// the widget's WASM carries no code to decode them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub agent_id: AgentId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub status: AgentStatus,
    #[serde(default)]
    pub queues: Vec<QueueMembership>,
}

/// The part of a queue (`GET /v1/queues`) the widget reads: names for opt-in and transfer,
/// the disposition set for the picker, when to open launch URLs, and the side-panel apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSummary {
    pub queue_id: QueueId,
    pub name: String,
    pub channel: Channel,
    #[serde(default)]
    pub disposition_ids: Vec<DispositionId>,
    #[serde(default)]
    pub launch_open: crate::config::LaunchOpen,
    /// The side-panel apps its engagements show, in order.
    #[serde(default)]
    pub app_ids: Vec<crate::ids::AppId>,
}

/// The part of a flow (`GET /v1/flows`) the widget reads: a transfer target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSummary {
    pub flow_id: crate::ids::FlowId,
    pub name: String,
}

/// One entry of the agent directory (`GET /v1/agents/directory`): a colleague the widget offers
/// as a transfer target, with their status so the agent can pick someone who will answer.
/// Readable by every agent of the account; it carries no email, skills or queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Colleague {
    pub agent_id: AgentId,
    pub display_name: String,
    pub status: AgentStatus,
}

/// `PUT /v1/agents/me/device`: make this widget instance the one that rings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceClaim {
    /// The widget instance's id: 1–64 letters, digits, `-` or `_`, chosen by the widget and
    /// kept across reloads of its tab.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")
    )]
    pub device_id: String,
    /// Claim only when no device is active (a widget starting up); `false` takes over ("use
    /// here").
    #[serde(default)]
    pub only_if_free: bool,
}

/// Which of the agent's widget instances rings (`PUT /v1/agents/me/device`,
/// `agent.device_changed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActiveDevice {
    /// `null` when none is (the active one went away).
    pub active_device: Option<String>,
}

impl DeviceClaim {
    /// Is `id` a device id the server accepts?
    pub fn valid_id(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

/// The part of a sign-in answer (`POST /v1/auth/login`, `POST /v1/auth/embed`) the widget
/// reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSession {
    pub access_token: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// One frame of the agent WebSocket (`GET /v1/agent/ws`): first
/// `{"type":"hello","agent":…,"latest_seq":n,"not_ready_reasons":[…]}`, then
/// `{"type":"event","event":…}` per event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "A: Deserialize<'de>", serialize = "A: Serialize"))]
pub struct SocketFrame<A = AgentProfile> {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<A>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// `typing`: the chat whose customer is typing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<EngagementId>,
    /// `hello`: the reasons the agent may give for not being ready (as
    /// `GET /v1/not-ready-reasons`), so the widget needs no request of its own for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ready_reasons: Option<Vec<crate::config::NotReadyReason>>,
    /// `hello`: the STUN/TURN servers for web calls' peer connections (absent: none needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ice_servers: Option<Vec<IceServer>>,
    /// `call_answer`: the server's SDP answer for `engagement_id`'s call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp: Option<String>,
    /// `call_error`: why the offer for `engagement_id`'s call was not taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `live_stats` (supervisors' and admins' sockets): the queues they may see, now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_stats: Option<crate::live::LiveStats>,
}

impl<A> SocketFrame<A> {
    pub const HELLO: &'static str = "hello";
    pub const EVENT: &'static str = "event";
    /// A chat's customer is typing (not in the log, no `seq`).
    pub const TYPING: &'static str = "typing";
    pub const CALL_ANSWER: &'static str = "call_answer";
    pub const CALL_ERROR: &'static str = "call_error";
    /// A supervisor's live picture (not in the log, no `seq`): see [`crate::live`].
    pub const LIVE_STATS: &'static str = "live_stats";

    fn bare(kind: &str) -> Self {
        SocketFrame {
            kind: kind.into(),
            agent: None,
            latest_seq: None,
            event: None,
            engagement_id: None,
            not_ready_reasons: None,
            ice_servers: None,
            sdp: None,
            message: None,
            live_stats: None,
        }
    }

    /// The answer to an agent's or supervisor's `call_offer`.
    pub fn call_answer(engagement_id: EngagementId, sdp: String) -> Self {
        SocketFrame {
            engagement_id: Some(engagement_id),
            sdp: Some(sdp),
            ..Self::bare(Self::CALL_ANSWER)
        }
    }

    /// Why an agent's or supervisor's `call_offer` was not taken.
    pub fn call_error(engagement_id: Option<EngagementId>, message: String) -> Self {
        SocketFrame {
            engagement_id,
            message: Some(message),
            ..Self::bare(Self::CALL_ERROR)
        }
    }

    pub fn hello(
        agent: A,
        latest_seq: i64,
        not_ready_reasons: Vec<crate::config::NotReadyReason>,
        ice_servers: Vec<IceServer>,
    ) -> Self {
        SocketFrame {
            agent: Some(agent),
            latest_seq: Some(latest_seq),
            not_ready_reasons: Some(not_ready_reasons),
            ice_servers: (!ice_servers.is_empty()).then_some(ice_servers),
            ..Self::bare(Self::HELLO)
        }
    }

    pub fn typing(engagement_id: EngagementId) -> Self {
        SocketFrame {
            engagement_id: Some(engagement_id),
            ..Self::bare(Self::TYPING)
        }
    }

    pub fn live_stats(stats: crate::live::LiveStats) -> Self {
        SocketFrame {
            live_stats: Some(stats),
            ..Self::bare(Self::LIVE_STATS)
        }
    }

    pub fn event(event: Event) -> Self {
        SocketFrame {
            event: Some(event),
            ..Self::bare(Self::EVENT)
        }
    }
}

/// `POST /v1/agents/me/calls`: the agent dials out (click-to-dial from the host page). The
/// call becomes an outbound voice engagement, connected to the agent at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DialRequest {
    /// The number to call, as the host shows it (`+1 555 0100`); 3–32 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 32,
            pattern = "^[ +().#*-]*([0-9][ +().#*-]*){3,}$"
        )
    )]
    pub phone: String,
    /// Who is called, for the agent's screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The host's record id (contact, lead…), kept as the consumer's `external_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl DialRequest {
    /// Why [`DialRequest::phone`] cannot be dialed, as shown to whoever typed it.
    pub const PHONE_RULE: &'static str =
        "phone must be a telephone number: 3 to 32 characters of digits, spaces and + - ( ) . # *";

    /// Can `phone` be dialed (after trimming)? The server refuses anything else with
    /// [`DialRequest::PHONE_RULE`]; the widget uses the same rule to tell a number from a name.
    pub fn is_dialable(phone: &str) -> bool {
        let phone = phone.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        phone.chars().count() <= 32
            && digits >= 3
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().#*".contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_frame_type_names_are_what_serde_writes() {
        let message = crate::engagement::MessageRecord {
            message_id: crate::ids::MessageId(uuid::Uuid::nil()),
            engagement_id: EngagementId(uuid::Uuid::nil()),
            author: crate::engagement::MessageAuthor {
                kind: crate::engagement::AuthorKind::Agent,
                agent_id: None,
                display_name: "Ada".into(),
            },
            body: "hi".into(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            attachment: None,
        };
        let frames = [
            (
                ChatFrame::HELLO,
                ChatFrame::Hello {
                    engagement_id: EngagementId(uuid::Uuid::nil()),
                    state: crate::EngagementState::Queued,
                    latest_seq: 1,
                },
            ),
            (ChatFrame::MESSAGE, ChatFrame::Message { seq: 1, message }),
            (
                ChatFrame::AGENT_JOINED,
                ChatFrame::AgentJoined {
                    seq: 1,
                    name: "Ada".into(),
                },
            ),
            (
                ChatFrame::AGENT_LEFT,
                ChatFrame::AgentLeft {
                    seq: 1,
                    name: "Ada".into(),
                },
            ),
            (ChatFrame::ENDED, ChatFrame::Ended { seq: 1 }),
            (ChatFrame::TYPING, ChatFrame::Typing {}),
            (
                ChatFrame::RECEIPT,
                ChatFrame::Receipt {
                    seq: 1,
                    status: crate::engagement::ReceiptStatus::Read,
                    up_to: crate::ids::MessageId(uuid::Uuid::nil()),
                },
            ),
        ];
        for (name, frame) in frames {
            assert_eq!(serde_json::to_value(&frame).unwrap()["type"], json!(name));
        }
    }

    #[test]
    fn dialable_numbers() {
        for ok in ["+1 555 0100", "(020) 7946-0102", "911", " 123 ", "*67#12"] {
            assert!(DialRequest::is_dialable(ok), "{ok}");
        }
        for bad in [
            "",
            "12",
            "Grace",
            "+1 555 0100 ext",
            "555-0100a",
            &"1".repeat(33),
        ] {
            assert!(!DialRequest::is_dialable(bad), "{bad}");
        }
    }

    #[test]
    fn start_engagement_accepts_the_public_shape() {
        let body = json!({
            "channels": [{"channel": "work_item", "channel_source": "crm"}],
            "flow": {"flow_entry_id": "billing"},
            "consumers": [{"consumer_display_name": "Ada", "consumer_email": "ada@example.com",
                           "consumer_phone": "+15550100", "consumer_external_id": "C-1"}],
            "work_item_variables": {"work_item_name": "Invoice", "work_item_id": "INV-1",
                "work_item_desc": "Disputed", "work_item_hyperlink": "https://crm/1",
                "work_item_priority": 3, "work_item_due_date": "2026-12-01T17:00:00Z",
                "work_item_origin": "email", "work_item_type_id": "invoice"},
            "variables": [{"name": "tier", "value": "gold"}]
        });
        let req: StartEngagementRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(req.channels[0].channel, Channel::WorkItem);
        assert_eq!(
            req.work_item_variables.as_ref().unwrap().work_item_priority,
            Some(3)
        );
        assert_eq!(serde_json::to_value(&req).unwrap(), body);
    }

    #[test]
    fn minimal_start_engagement() {
        let req: StartEngagementRequest = serde_json::from_value(json!({
            "channels": [{"channel": "voice"}], "flow": {"flow_entry_id": "support"}
        }))
        .unwrap();
        assert!(req.consumers.is_empty() && req.variables.is_empty());
        assert!(req.work_item_variables.is_none());
    }

    #[test]
    fn error_body_shape() {
        let e = ErrorBody {
            error: ErrorDetail {
                code: "invalid_field".into(),
                message: "work_item_name is required".into(),
                field: Some("work_item_variables.work_item_name".into()),
                engagement_id: None,
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["error"]["field"], "work_item_variables.work_item_name");
        assert_eq!(serde_json::from_value::<ErrorBody>(v.clone()).unwrap(), e);
        // The widget's reader reads what serde writes, with and without the optional fields.
        assert_eq!(ErrorDetail::read_body(&v), Some(e.error.clone()));
        let bare = ErrorBody {
            error: ErrorDetail {
                code: "not_found".into(),
                message: "gone".into(),
                field: None,
                engagement_id: None,
            },
        };
        let v = serde_json::to_value(&bare).unwrap();
        assert_eq!(ErrorDetail::read_body(&v), Some(bare.error));
        assert_eq!(
            ErrorDetail::read_body(&serde_json::json!({"error": "x"})),
            None
        );
    }
}

/// `POST /v1/chat/{entry_id}/sessions`: the customer's pre-chat answers. Which of `email` and
/// `question` are required is the entry point's choice (`EntryPoint::chat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatStart {
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_200)
    )]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::optional_email_320)
    )]
    pub email: Option<String>,
    /// The first question; it becomes the conversation's first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_4000)
    )]
    pub question: Option<String>,
}

/// A started web chat: the customer's session token (send it as `Authorization: Bearer` to
/// `/v1/chat/session…`; it names this chat only) and the engagement it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatSession {
    pub session_token: String,
    pub engagement_id: EngagementId,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// `GET /v1/chat/session`: the customer's view of their chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatView {
    pub engagement_id: EngagementId,
    pub state: crate::EngagementState,
    /// The conversation, oldest first.
    pub messages: Vec<crate::engagement::MessageRecord>,
    /// Where the chat waits, while it waits for an agent (`queued` or ringing); absent after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueuePlace>,
    /// The largest file the customer may send (`POST /v1/chat/session/attachments`), in bytes.
    pub attachment_max_bytes: u64,
    /// The satisfaction survey the page asks once the conversation has ended: present when
    /// the entry point has one and an agent answered (`POST /v1/chat/session/survey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<crate::survey::ChatSurvey>,
}

/// A waiting chat's place in its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuePlace {
    /// 1 for the next to be answered (0 while it rings an agent).
    pub position: u32,
    /// The expected wait in seconds, from how fast the queue was answered in the last
    /// half hour; absent when nothing was answered in that time (no honest estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_wait_secs: Option<u64>,
}

/// What a web chat customer's socket sends (`GET /v1/chat/session/socket`), one JSON object per
/// frame: `hello` first, then what happened in the chat, each with the log's `seq` (reconnect
/// with `after=<seq>` to resume without gaps or repeats; `after=0` replays the whole chat).
/// It tells the customer only what is theirs to see: messages, who joined or left, the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatFrame {
    Hello {
        engagement_id: EngagementId,
        state: crate::EngagementState,
        latest_seq: i64,
    },
    Message {
        seq: i64,
        message: crate::engagement::MessageRecord,
    },
    /// An agent took the chat ("Ada joined").
    AgentJoined { seq: i64, name: String },
    /// The agent handed the chat on (a transfer: "Ada left").
    AgentLeft { seq: i64, name: String },
    /// The conversation is over.
    Ended { seq: i64 },
    /// The agent is typing (not in the log, no `seq`: show it for a few seconds unless it
    /// comes again or a message arrives).
    Typing {},
    /// The agent received (`delivered`) or read the customer's messages up to `up_to`.
    Receipt {
        seq: i64,
        status: crate::engagement::ReceiptStatus,
        up_to: crate::ids::MessageId,
    },
    /// A web call: the server's SDP answer to the page's `call_offer` (not in the log).
    CallAnswer { sdp: String },
    /// A web call: the offer could not be taken (`message` says why, for the visitor).
    CallError { message: String },
    /// A web call: the server records this call from now on (tell the visitor).
    CallRecording {},
}

impl ChatFrame {
    /// Each frame's `type`, for clients that read frames without serde (the chat page).
    pub const HELLO: &'static str = "hello";
    pub const MESSAGE: &'static str = "message";
    pub const AGENT_JOINED: &'static str = "agent_joined";
    pub const AGENT_LEFT: &'static str = "agent_left";
    pub const ENDED: &'static str = "ended";
    pub const TYPING: &'static str = "typing";
    pub const RECEIPT: &'static str = "receipt";
    pub const CALL_ANSWER: &'static str = "call_answer";
    pub const CALL_ERROR: &'static str = "call_error";
    pub const CALL_RECORDING: &'static str = "call_recording";
}

/// What a browser may send on its socket (the agent's `GET /v1/agent/ws`, which supervisors
/// use too, or a chat customer's `GET /v1/chat/session/socket`), one JSON object per frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SocketRequest {
    /// The browser's SDP offer for its leg of a web call (audio m-lines: the first sendrecv,
    /// the second recvonly; docs/voice.md). An agent or supervisor names the engagement; a
    /// customer's socket belongs to its call. Answered by `call_answer` or `call_error`.
    CallOffer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        engagement_id: Option<EngagementId>,
        sdp: String,
    },
}

impl SocketRequest {
    pub const CALL_OFFER: &'static str = "call_offer";
}

/// `GET /v1/chat/{entry_id}`: what a chat page needs before the pre-chat form (public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatEntry {
    pub entry_id: String,
    pub require_email: bool,
    pub require_question: bool,
    /// Whether a live chat can be answered now: open (opening hours) and someone ready in a
    /// queue the entry point routes to.
    pub available: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<ChatUnavailable>,
    /// Whether a message can be left instead (`POST /v1/chat/{entry_id}/left-messages`).
    pub leave_message: bool,
    /// When the chat is open in the next seven days, as instants (so the page can show them in
    /// the visitor's own time zone), earliest first; a period under way now comes first. Empty
    /// when the entry point has no opening hours (always open).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opening_hours: Vec<OpeningTime>,
    /// Whether the page offers **Call** (`POST /v1/chat/{entry_id}/calls`), and the STUN/TURN
    /// servers its peer connection uses.
    #[serde(default)]
    pub calls: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ice_servers: Vec<IceServer>,
}

/// One stretch of opening hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningTime {
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: time::OffsetDateTime,
}

/// Why a live chat cannot be answered now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatUnavailable {
    /// Outside the opening hours (starting a chat is refused).
    Closed,
    /// Nobody is ready in the queues it routes to (a chat started anyway waits).
    NobodyReady,
}

/// `POST /v1/chat/{entry_id}/left-messages`: the "leave a message" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaveMessage {
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_200)
    )]
    pub name: String,
    /// Where the answer goes.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::email_320)
    )]
    pub email: String,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_4000)
    )]
    pub message: String,
}

/// A left message: the work item it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftMessage {
    pub engagement_id: EngagementId,
}

/// One STUN/TURN server for the browsers' `RTCPeerConnection` (`iceServers`), as configured
/// with `--ice-servers` (docs/voice.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}
