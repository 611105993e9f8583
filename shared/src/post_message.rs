//! The widget ⇄ host page protocol, carried by `window.postMessage`.
//!
//! Two dialects:
//! - **native** (default): every message is an [`Envelope`]
//!   `{source:"switchboard", v:1, type, id, seq, ts, engagementId?, requestId?, data}`;
//! - **zcc** (`?protocol=zcc`): `{type, data}` with the message names of Zoom Contact Center
//!   Smart Embed (module [`zcc`]), so a host page written for it works unchanged.
//!
//! Security rules (enforced by the widget): it posts only to `window.parent` with the validated
//! host origin as the explicit target origin (never `"*"`), and accepts a message only when
//! `event.origin` equals that origin and `event.source` is `window.parent`.

use crate::config::{AgentStatus, StatusPartsError};
use crate::engagement::{Engagement, Variables};
use crate::ids::EngagementId;
use serde::{Deserialize, Serialize};

/// `source` of every native message.
pub const SOURCE: &str = "switchboard";
/// Native protocol version.
pub const VERSION: u32 = 1;

/// Which dialect the widget speaks (query parameter `protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    #[default]
    Native,
    Zcc,
}

impl Dialect {
    /// `None` for an unknown name; a missing parameter means [`Dialect::Native`].
    pub fn parse(name: &str) -> Option<Dialect> {
        match name {
            "" | "native" | "switchboard" => Some(Dialect::Native),
            "zcc" => Some(Dialect::Zcc),
            _ => None,
        }
    }
}

/// The native envelope, in both directions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub source: String,
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unique message id. For messages that mirror an event-log entry this is the event's id,
    /// so the host can dedupe against webhooks and the polling API.
    pub id: String,
    /// The event-log `seq` this message mirrors; `null` for messages that are not log events
    /// (`widget.ready`, replies, errors).
    #[serde(default)]
    pub seq: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub ts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<EngagementId>,
    /// On a host request: the host's id to match the reply. On a reply: the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Envelope {
    /// A widget → host message.
    pub fn new(kind: &str, id: String, ts: i64, data: serde_json::Value) -> Envelope {
        Envelope {
            source: SOURCE.to_string(),
            v: VERSION,
            kind: kind.to_string(),
            id,
            seq: None,
            ts,
            engagement_id: None,
            request_id: None,
            data,
        }
    }
}

/// Widget → host message types.
pub mod widget {
    pub const READY: &str = "widget.ready";
    pub const AGENT_LOGGED_IN: &str = "agent.logged_in";
    pub const AGENT_LOGGED_OUT: &str = "agent.logged_out";
    pub const AGENT_STATUS_CHANGED: &str = "agent.status_changed";
    pub const ENGAGEMENT_RINGING: &str = "engagement.ringing";
    pub const ENGAGEMENT_CONNECTED: &str = "engagement.connected";
    pub const ENGAGEMENT_INACTIVE: &str = "engagement.inactive";
    pub const ENGAGEMENT_RESUMED: &str = "engagement.resumed";
    pub const ENGAGEMENT_TRANSFERRED: &str = "engagement.transferred";
    pub const ENGAGEMENT_CLOSED: &str = "engagement.closed";
    pub const ENGAGEMENT_NOTE_ADDED: &str = "engagement.note_added";
    pub const ENGAGEMENT_DISPOSITION_ADDED: &str = "engagement.disposition_added";
    pub const ENGAGEMENT_WRAP_UP_STARTED: &str = "engagement.wrap_up_started";
    /// The customer wrote in a chat or SMS conversation (`data.message`).
    pub const ENGAGEMENT_MESSAGE_RECEIVED: &str = "engagement.message_received";
    /// The agent (or a supervisor) wrote in a chat or SMS conversation (`data.message`).
    pub const ENGAGEMENT_MESSAGE_SENT: &str = "engagement.message_sent";
    /// An offer to this agent ended unanswered (declined, not answered in time, withdrawn).
    pub const ENGAGEMENT_NOT_CONNECTED: &str = "engagement.not_connected";
    /// A recording of one of this agent's engagements can be downloaded.
    pub const RECORDING_READY: &str = "engagement.recording_ready";
    /// Whether this widget is the agent's active one (only it rings and reports engagements;
    /// another tab, window or device took over, or this one took over): `{active}`.
    pub const ACTIVE_CHANGED: &str = "widget.active_changed";
    /// The widget's content changed size: `{width, height}` in CSS pixels.
    pub const RESIZED: &str = "widget.resized";
    pub const SCREEN_POP: &str = "screen_pop";
    pub const ERROR: &str = "error";
    /// A reply to a host request; carries the request's `requestId`.
    pub const REPLY: &str = "reply";
}

/// Host → widget message types.
pub mod host {
    pub const AUTH_TOKEN: &str = "auth.token";
    pub const SNAPSHOT_REQUEST: &str = "snapshot.request";
    pub const CLICK_TO_DIAL: &str = "click_to_dial";
    pub const SET_STATUS: &str = "set_status";
    pub const ADD_NOTE: &str = "add_note";
    pub const SET_VARIABLES: &str = "set_variables";
    pub const OPEN_ENGAGEMENT: &str = "open_engagement";
    pub const END_ENGAGEMENT: &str = "end_engagement";
    pub const CLOSE_ENGAGEMENT: &str = "close_engagement";
    pub const SET_DISPOSITION: &str = "set_disposition";
}

/// The widget ⇄ side-panel app protocol (`Queue::app_ids`, docs/embedding.md): plain
/// `{type, …}` objects. The widget posts only to the app's frame (or the window it popped out)
/// with the app's registered origin as the target origin, and accepts a message only when
/// `event.source` is that window and `event.origin` the app's origin.
pub mod app {
    /// widget → app: `{type, context: {engagement_id, channel, direction, state, queue_id,
    /// entry_address, consumer, work_item, variables}}`, on load, on `app.ready`, and on every
    /// change of the engagement.
    pub const CONTEXT: &str = "app.context";
    /// app → widget: send the context now (a popped-out window says so once it has loaded).
    pub const READY: &str = "app.ready";
    /// app → widget: `{type, request_id?, engagement_id?, variables: {name: text}}`, merged
    /// into the engagement's variables; `engagement_id`, when given, must be the panel's.
    pub const SET_VARIABLES: &str = "app.set_variables";
    /// app → widget: close this app's tab (or its window).
    pub const CLOSE: &str = "app.close";
    /// widget → app: `{type, request_id}`: the request succeeded.
    pub const RESULT: &str = "app.result";
    /// widget → app: `{type, request_id, code, message}`: it did not.
    pub const ERROR: &str = "app.error";
    /// The fields of an engagement an app is told.
    pub const CONTEXT_FIELDS: [&str; 9] = [
        "engagement_id",
        "channel",
        "direction",
        "state",
        "queue_id",
        "entry_address",
        "consumer",
        "work_item",
        "variables",
    ];
}

/// Why an offer ended without the agent connecting, as `(reasonCode, message)`: the native
/// `engagement.not_connected` and zcc's `zcc-inbound-not-connected`/`-outbound-` carry it.
pub fn not_connected_reason(kind: crate::events::EventKind) -> (&'static str, &'static str) {
    use crate::events::EventKind as K;
    match kind {
        K::EngagementOfferDeclined => ("declined", "The agent declined the engagement."),
        K::EngagementOfferTimedOut => ("no_answer", "The agent did not answer in time."),
        K::EngagementOfferRescinded => (
            "withdrawn",
            "The offer was withdrawn before it was answered.",
        ),
        _ => ("ended", "The engagement ended before it was connected."),
    }
}

/// `widget.ready` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyData {
    pub protocol: Dialect,
    pub version: u32,
    /// The widget build, e.g. `0.1.0`.
    pub widget_version: String,
    /// True once an agent is signed in (false right after load).
    pub authenticated: bool,
}

/// `error` data, and the `error` of a failed reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorData {
    pub code: String,
    pub message: String,
}

/// `reply` data: `ok` with an optional `result`, or not ok with an `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyData {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorData>,
}

/// `engagement.closed` data: enough for the host to log the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosedData {
    pub engagement: Engagement,
    pub duration_secs: u64,
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
}

/// `screen_pop` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenPopData {
    pub url: String,
    pub variables: Variables,
}

/// A host → widget request, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum HostRequest {
    AuthToken {
        token: String,
    },
    SnapshotRequest,
    ClickToDial {
        phone: String,
        name: Option<String>,
        record_id: Option<String>,
    },
    SetStatus {
        status: AgentStatus,
    },
    AddNote {
        engagement_id: EngagementId,
        text: String,
    },
    SetVariables {
        engagement_id: EngagementId,
        variables: Variables,
    },
    OpenEngagement {
        engagement_id: EngagementId,
    },
    /// End a live engagement (wrap-up follows).
    EndEngagement {
        engagement_id: EngagementId,
    },
    /// Close an engagement (ends wrap-up).
    CloseEngagement {
        engagement_id: EngagementId,
    },
    /// Set the disposition, named by its id or its code.
    SetDisposition {
        engagement_id: EngagementId,
        disposition: String,
    },
}

/// Why a host message was refused. The widget answers with an `error` (or a failed `reply`
/// when the message had a `requestId`) whose `code` is [`ProtocolError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("not a Switchboard message (source must be \"switchboard\")")]
    NotSwitchboard,
    #[error("unsupported protocol version {0} (this widget speaks version 1)")]
    UnsupportedVersion(u32),
    #[error("unknown message type \"{0}\"")]
    UnknownType(String),
    #[error("bad data for \"{kind}\": {message}")]
    BadData { kind: String, message: String },
}

impl ProtocolError {
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::NotSwitchboard => "not_switchboard",
            ProtocolError::UnsupportedVersion(_) => "unsupported_version",
            ProtocolError::UnknownType(_) => "unknown_type",
            ProtocolError::BadData { .. } => "bad_data",
        }
    }
}

/// Reads the fields of a message by hand, so each error names its field (`data.phone must be
/// a string`). Host messages are small; reading them without derived deserializers also keeps
/// a few kilobytes of generic code per message type out of the widget's WASM, whose first load
/// has a budget (BENCHMARKS.md). Unit tests check it against the serde shapes of the same types.
struct Reader<'a> {
    kind: &'a str,
    object: &'a serde_json::Value,
    /// How the fields are named in errors: `""` (the envelope) or `"data."`.
    path: &'static str,
}

impl<'a> Reader<'a> {
    fn bad(&self, key: &str, what: &str) -> ProtocolError {
        ProtocolError::BadData {
            kind: self.kind.to_string(),
            message: format!("{}{key} {what}", self.path),
        }
    }

    /// A present, non-null field.
    fn get(&self, key: &str) -> Option<&'a serde_json::Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, ProtocolError> {
        match self.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(key, "must be a string")),
        }
    }

    fn str(&self, key: &str) -> Result<String, ProtocolError> {
        self.opt_str(key)?
            .ok_or_else(|| self.bad(key, "is required"))
    }

    fn opt_int(&self, key: &str) -> Result<Option<i64>, ProtocolError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(key, "must be an integer")),
        }
    }

    fn int(&self, key: &str) -> Result<i64, ProtocolError> {
        self.opt_int(key)?
            .ok_or_else(|| self.bad(key, "is required"))
    }

    fn engagement_id(&self) -> Result<Option<EngagementId>, ProtocolError> {
        self.opt_str("engagementId")?
            .map(|s| {
                s.parse()
                    .map_err(|_| self.bad("engagementId", "must be an engagement id (a UUID)"))
            })
            .transpose()
    }

    fn status(&self) -> Result<AgentStatus, ProtocolError> {
        let status = self.str("status")?;
        let reason = if status == "not_ready" {
            self.opt_str("reason")?
        } else {
            None
        };
        AgentStatus::from_parts(&status, reason).map_err(|e| match e {
            StatusPartsError::MissingReason => self.bad("reason", "is required"),
            StatusPartsError::Unknown => {
                self.bad("status", "must be \"ready\", \"not_ready\" or \"offline\"")
            }
        })
    }

    fn variables(&self) -> Result<Variables, ProtocolError> {
        let not_a_map = || self.bad("variables", "must be an object of string values");
        let map = self
            .get("variables")
            .ok_or_else(|| self.bad("variables", "is required"))?
            .as_object()
            .ok_or_else(not_a_map)?;
        map.iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect::<Option<Variables>>()
            .ok_or_else(not_a_map)
    }
}

impl HostRequest {
    /// Parse a message the host posted. Unknown fields are ignored; missing or ill-typed ones
    /// are a [`ProtocolError::BadData`] that names the field.
    pub fn parse(raw: &serde_json::Value) -> Result<(Envelope, HostRequest), ProtocolError> {
        if raw.get("source").and_then(|s| s.as_str()) != Some(SOURCE) {
            return Err(ProtocolError::NotSwitchboard);
        }
        let top = Reader {
            kind: raw.get("type").and_then(|t| t.as_str()).unwrap_or(""),
            object: raw,
            path: "",
        };
        let v = top.int("v")?;
        if v != i64::from(VERSION) {
            return Err(ProtocolError::UnsupportedVersion(
                u32::try_from(v).unwrap_or(u32::MAX),
            ));
        }
        let envelope = Envelope {
            source: SOURCE.to_string(),
            v: VERSION,
            kind: top.str("type")?,
            id: top.str("id")?,
            seq: top.opt_int("seq")?,
            ts: top.int("ts")?,
            engagement_id: top.engagement_id()?,
            request_id: top.opt_str("requestId")?,
            data: raw.get("data").cloned().unwrap_or_default(),
        };
        let data = Reader {
            kind: top.kind,
            object: &envelope.data,
            path: "data.",
        };
        let engagement_id = || {
            envelope
                .engagement_id
                .ok_or_else(|| top.bad("engagementId", "is required"))
        };
        let request = match top.kind {
            host::AUTH_TOKEN => HostRequest::AuthToken {
                token: data.str("token")?,
            },
            host::SNAPSHOT_REQUEST => HostRequest::SnapshotRequest,
            host::CLICK_TO_DIAL => HostRequest::ClickToDial {
                phone: data.str("phone")?,
                name: data.opt_str("name")?,
                record_id: data.opt_str("recordId")?,
            },
            host::SET_STATUS => HostRequest::SetStatus {
                status: data.status()?,
            },
            host::ADD_NOTE => HostRequest::AddNote {
                engagement_id: engagement_id()?,
                text: data.str("text")?,
            },
            host::SET_VARIABLES => HostRequest::SetVariables {
                engagement_id: engagement_id()?,
                variables: data.variables()?,
            },
            host::OPEN_ENGAGEMENT => HostRequest::OpenEngagement {
                engagement_id: engagement_id()?,
            },
            host::END_ENGAGEMENT => HostRequest::EndEngagement {
                engagement_id: engagement_id()?,
            },
            host::CLOSE_ENGAGEMENT => HostRequest::CloseEngagement {
                engagement_id: engagement_id()?,
            },
            host::SET_DISPOSITION => HostRequest::SetDisposition {
                engagement_id: engagement_id()?,
                disposition: data.str("disposition")?,
            },
            other => return Err(ProtocolError::UnknownType(other.to_string())),
        };
        Ok((envelope, request))
    }
}

/// The Zoom Contact Center Smart Embed dialect: `{type, data}` with that product's names.
pub mod zcc {
    use serde::{Deserialize, Serialize};

    pub const INIT_CONFIG_REQUEST: &str = "zcc-init-config-request";
    pub const INIT_CONFIG_RESPONSE: &str = "zcc-init-config-response";
    pub const CALL_RINGING: &str = "zcc-call-ringing";
    pub const CALL_CONNECTED: &str = "zcc-call-connected";
    pub const CALL_ENDED: &str = "zcc-call-ended";
    pub const PHONE_CALL_LOG: &str = "zcc-phone-call-log";
    pub const INCOMING_PHONE_REQUEST: &str = "zcc-incomingPhone-request";
    pub const INCOMING_PHONE_RESPONSE: &str = "zcc-incomingPhone-response";
    pub const SCREEN_POP: &str = "zcc-screen-pop";
    pub const CONTACT_SEARCH_EVENT: &str = "zcc-contact-search-event";
    pub const CONTACT_SEARCH_RESPONSE: &str = "zcc-contact-search-response";
    pub const CLICK_TO_ACT: &str = "onclicktoact";
    pub const ENGAGEMENT_STATUS_REQUEST: &str = "zcc-engagement-status-request";
    pub const ENGAGEMENT_STATUS_RESPONSE: &str = "zcc-engagement-status-response";
    pub const AGENT_STATUS_NOTIFICATION: &str = "zcc-agent-status-notification";
    pub const END_POST_ENGAGEMENT: &str = "zcc-end-post-engagement";
    pub const GET_VARIABLES: &str = "zcc-get-variables";
    pub const GET_VARIABLES_RESPONSE: &str = "zcc-get-variables-response";
    pub const ERROR: &str = "zcc-error";
    pub const INCOMING_EMAIL_REQUEST: &str = "zcc-incomingEmail-request";
    pub const INCOMING_EMAIL_RESPONSE: &str = "zcc-incomingEmail-response";
    pub const OUTBOUND_CALL_STARTED: &str = "zcc-outbound-call-started";
    pub const INBOUND_NOT_CONNECTED: &str = "zcc-inbound-not-connected";
    pub const OUTBOUND_NOT_CONNECTED: &str = "zcc-outbound-not-connected";
    pub const CALL_RECORDING: &str = "zcc-call-recording";
    pub const ENGAGEMENT_LOG_URL: &str = "zcc-engagement-log-url";
    pub const RESIZE: &str = "zcc-resize";
    pub const TERMINATE_ENGAGEMENT: &str = "zcc-terminate-engagement";
    pub const CLOSE_ENGAGEMENT_WRAPUP: &str = "zcc-close-engagement-wrapup";
    pub const SET_ENGAGEMENT_DISPOSITION: &str = "zcc-set-engagement-disposition";
    pub const AGENT_STATUS_SET_REQUEST: &str = "zcc-agent-status-set-request";

    /// Status codes as hosts read `statusCode` (and send as `zcc-agent-status-set-request`'s
    /// `id`).
    pub const READY: &str = "1";
    pub const NOT_READY: &str = "2";
    pub const OCCUPIED: &str = "3";
    pub const OFFLINE: &str = "30";

    /// Every zcc message: `{type, data}`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Message {
        #[serde(rename = "type")]
        pub kind: String,
        #[serde(default)]
        pub data: serde_json::Value,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum ScreenPopEvent {
        #[default]
        Ringing,
        Connected,
    }

    /// `zcc-init-config-response` data.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    pub struct InitConfig {
        #[serde(default)]
        pub phone: PhoneConfig,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhoneConfig {
        #[serde(default)]
        pub screen_pop_event: ScreenPopEvent,
    }

    /// `zcc-call-ringing`, `zcc-call-connected`, `zcc-call-ended` data.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CallData {
        pub engagement_id: String,
        pub from: String,
        pub to: String,
        pub channel: String,
    }

    /// A host-side record: the match list of `zcc-incomingPhone-response` and the `user` of
    /// `zcc-phone-call-log`.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    pub struct Record {
        pub id: String,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub phone: String,
        #[serde(default)]
        pub email: String,
        #[serde(default)]
        pub entity: String,
    }

    /// `zcc-incomingPhone-request` data.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct IncomingPhoneRequest {
        pub incoming_phone_number: String,
        pub engagement_id: String,
        pub channel: String,
    }

    /// `zcc-screen-pop` data: the record the agent picked.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ScreenPop {
        pub id: String,
    }

    /// `onclicktoact` data: click-to-dial, from a host record (`{id, name, phone, email,
    /// userEntity}`) or from a bare number (`{phone}`, as two of three public hosts send it).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ClickToAct {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub phone: String,
        #[serde(default)]
        pub email: String,
        #[serde(default)]
        pub user_entity: String,
    }

    /// `zcc-phone-call-log` data.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PhoneCallLog {
        pub engagement_id: String,
        pub object_record: CallRecord,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user: Option<Record>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CallRecord {
        /// `phone`, `chat`, `sms`, … ([`record_type`]); hosts file the log by it.
        #[serde(rename = "type")]
        pub kind: String,
        /// `inbound` or `outbound`.
        pub call_type: String,
        pub from: String,
        pub to: String,
        /// `"m:ss"` ([`duration_text`]): hosts read a string.
        pub call_duration: String,
        /// RFC 3339.
        pub call_start_time: String,
        pub call_end_time: String,
        pub notes: String,
        pub disposition_code: String,
    }

    /// The engagement variable that keeps the host's record of an engagement (the match it
    /// popped, or the record it dialed) on the server, so `zcc-phone-call-log`'s `user` names
    /// it after the host page or the widget reloads: the record as JSON
    /// (`{"id","name","phone","email","entity"}`; a variable holds up to 1,000 characters).
    pub const RECORD_VARIABLE: &str = "zcc_record";

    /// The record kept in an engagement's variables (`None` without one, or unreadable).
    pub fn record_from_variables(variables: &crate::engagement::Variables) -> Option<Record> {
        Record::read(&serde_json::from_str(variables.get(RECORD_VARIABLE)?).ok()?)
    }

    /// An engagement's `state` as Zoom's `zcc-engagement-status-response` names it (payloads
    /// captured from Zoom): `active` while live (connected or on hold), `wrapup` in wrap-up;
    /// a ringing one, which Zoom's lists do not show, `ringing`.
    pub fn engagement_state(state: crate::EngagementState) -> &'static str {
        use crate::EngagementState as S;
        match state {
            S::WrapUp => "wrapup",
            S::Queued | S::Offered => "ringing",
            S::Connected | S::Inactive | S::Closed => "active",
        }
    }

    /// A call's length as hosts read `callDuration`: minutes and two-digit seconds (`"1:01"`).
    pub fn duration_text(secs: u64) -> String {
        format!("{}:{:02}", secs / 60, secs % 60)
    }

    /// `objectRecord.type` for a channel: `phone` for voice, else the channel's own name.
    pub fn record_type(channel: crate::Channel) -> &'static str {
        match channel {
            crate::Channel::Voice => "phone",
            other => other.as_str(),
        }
    }

    /// The agent status as hosts read `statusCode`: `"1"` ready, `"3"` occupied (ready with
    /// an engagement in hand), `"2"` not ready (the reason in `subReason`), `"30"` offline.
    pub fn status_code(status: &crate::config::AgentStatus, occupied: bool) -> &'static str {
        use crate::config::AgentStatus as S;
        match status {
            S::Ready if occupied => OCCUPIED,
            S::Ready => READY,
            S::NotReady { .. } => NOT_READY,
            S::Offline => OFFLINE,
        }
    }

    /// The `status` text that goes with a code.
    pub fn status_name(code: &str) -> &'static str {
        match code {
            READY => "Ready",
            OCCUPIED => "Occupied",
            NOT_READY => "Not Ready",
            _ => "Offline",
        }
    }

    /// The status a host asks for with `zcc-agent-status-set-request {id}`. Not ready without a
    /// reason is "Not Ready"; another number is a not-ready reason's code (`"21"`), which the
    /// server stores under that reason's name (a number no reason has stays as it is). Occupied
    /// (`"3"`) and anything else cannot be set (`None`).
    pub fn status_for_code(
        code: &str,
        reason: Option<String>,
    ) -> Option<crate::config::AgentStatus> {
        use crate::config::AgentStatus as S;
        match code.trim() {
            READY => Some(S::Ready),
            NOT_READY => Some(S::NotReady {
                reason: reason.unwrap_or_else(|| "Not Ready".into()),
            }),
            OFFLINE => Some(S::Offline),
            OCCUPIED => None,
            c if crate::config::NotReadyReason::is_code(c) => {
                Some(S::NotReady { reason: c.into() })
            }
            _ => None,
        }
    }

    /// The message family of a channel: `zcc-chat-*`, `zcc-sms-*`, `zcc-video-*`, and
    /// `zcc-call-*` for voice — and for email and work items, which Zoom's dialect has no family
    /// for: a host written for it still sees their whole life (ring, connect, end, log), with
    /// `channel` saying what they are.
    pub fn family(channel: crate::Channel) -> &'static str {
        match channel {
            crate::Channel::Chat => "chat",
            crate::Channel::Sms => "sms",
            crate::Channel::Video => "video",
            crate::Channel::Voice | crate::Channel::Email | crate::Channel::WorkItem => "call",
        }
    }

    /// `zcc-<family>-<verb>`, e.g. `zcc-chat-ringing`.
    pub fn message(family: &str, verb: &str) -> String {
        format!("zcc-{family}-{verb}")
    }

    // Reading what a zcc host sends, by hand (see `Reader` above for why): lenient like the
    // product it mirrors — optional text fields default to empty.

    use crate::feed::text as required;

    fn text(v: &serde_json::Value, key: &str) -> String {
        required(v, key).unwrap_or_default()
    }

    impl InitConfig {
        /// `zcc-init-config-response` data; anything unreadable means the defaults.
        pub fn read(data: &serde_json::Value) -> InitConfig {
            let event = data
                .pointer("/phone/screenPopEvent")
                .and_then(|e| e.as_str());
            InitConfig {
                phone: PhoneConfig {
                    screen_pop_event: match event {
                        Some("CONNECTED") => ScreenPopEvent::Connected,
                        _ => ScreenPopEvent::Ringing,
                    },
                },
            }
        }
    }

    impl Record {
        /// One record; `None` without a string `id`.
        pub fn read(v: &serde_json::Value) -> Option<Record> {
            Some(Record {
                id: required(v, "id")?,
                name: text(v, "name"),
                phone: text(v, "phone"),
                email: text(v, "email"),
                entity: text(v, "entity"),
            })
        }

        /// `zcc-incomingPhone-response` data: an array of records.
        pub fn read_list(data: &serde_json::Value) -> Option<Vec<Record>> {
            data.as_array()?.iter().map(Record::read).collect()
        }

        /// An answer that may be an array of records, one record, or `{}`/`null` for none
        /// (hosts answer `zcc-contact-search-response` with a single object).
        pub fn read_any(data: &serde_json::Value) -> Option<Vec<Record>> {
            match data {
                serde_json::Value::Array(_) => Record::read_list(data),
                serde_json::Value::Null => Some(Vec::new()),
                serde_json::Value::Object(o) if o.is_empty() => Some(Vec::new()),
                serde_json::Value::Object(_) => Record::read(data).map(|r| vec![r]),
                _ => None,
            }
        }
    }

    impl ClickToAct {
        /// `onclicktoact` data; `None` without a string `phone`.
        pub fn read(v: &serde_json::Value) -> Option<ClickToAct> {
            Some(ClickToAct {
                id: required(v, "id").filter(|id| !id.is_empty()),
                phone: required(v, "phone")?,
                name: text(v, "name"),
                email: text(v, "email"),
                user_entity: text(v, "userEntity"),
            })
        }
    }

    /// `zcc-error` data.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Error {
        pub code: String,
        pub message: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_uses_the_documented_field_names() {
        let mut e = Envelope::new(
            widget::READY,
            "m1".into(),
            1_700_000_000_000,
            serde_json::to_value(ReadyData {
                protocol: Dialect::Native,
                version: VERSION,
                widget_version: "0.1.0".into(),
                authenticated: false,
            })
            .unwrap(),
        );
        e.request_id = Some("r1".into());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["source"], "switchboard");
        assert_eq!(v["v"], 1);
        assert_eq!(v["type"], "widget.ready");
        assert_eq!(v["seq"], serde_json::Value::Null);
        assert_eq!(v["requestId"], "r1");
        assert_eq!(v["data"]["widgetVersion"], "0.1.0");
        assert!(v.get("engagementId").is_none());
        assert_eq!(serde_json::from_value::<Envelope>(v).unwrap(), e);
    }

    fn host(kind: &str, data: serde_json::Value) -> serde_json::Value {
        json!({"source": "switchboard", "v": 1, "type": kind, "id": "h1", "ts": 1, "data": data})
    }

    #[test]
    fn host_requests_parse() {
        let (_, r) = HostRequest::parse(&host("auth.token", json!({"token": "abc"}))).unwrap();
        assert_eq!(
            r,
            HostRequest::AuthToken {
                token: "abc".into()
            }
        );
        let (_, r) = HostRequest::parse(&json!({"source": "switchboard", "v": 1, "type": "snapshot.request", "id": "x", "ts": 0})).unwrap();
        assert_eq!(r, HostRequest::SnapshotRequest);
        let (_, r) = HostRequest::parse(&host(
            "set_status",
            json!({"status": "not_ready", "reason": "lunch"}),
        ))
        .unwrap();
        assert_eq!(
            r,
            HostRequest::SetStatus {
                status: AgentStatus::NotReady {
                    reason: "lunch".into()
                }
            }
        );
        let (_, r) = HostRequest::parse(&host(
            "click_to_dial",
            json!({"phone": "+1555", "recordId": "C-9"}),
        ))
        .unwrap();
        assert_eq!(
            r,
            HostRequest::ClickToDial {
                phone: "+1555".into(),
                name: None,
                record_id: Some("C-9".into())
            }
        );
        let mut m = host("add_note", json!({"text": "hi"}));
        m["engagementId"] = json!("00000000-0000-0000-0000-000000000005");
        let (_, r) = HostRequest::parse(&m).unwrap();
        assert!(matches!(r, HostRequest::AddNote { text, .. } if text == "hi"));
    }

    #[test]
    fn bad_host_messages_are_typed_errors() {
        assert_eq!(
            HostRequest::parse(&json!({"type": "auth.token"})).unwrap_err(),
            ProtocolError::NotSwitchboard
        );
        assert_eq!(
            HostRequest::parse(&json!("hello")).unwrap_err(),
            ProtocolError::NotSwitchboard
        );
        let mut m = host("auth.token", json!({"token": "a"}));
        m["v"] = json!(2);
        assert_eq!(
            HostRequest::parse(&m).unwrap_err(),
            ProtocolError::UnsupportedVersion(2)
        );
        let e = HostRequest::parse(&host("format_disk", json!({}))).unwrap_err();
        assert_eq!(e.code(), "unknown_type");
        let e = HostRequest::parse(&host("auth.token", json!({}))).unwrap_err();
        assert_eq!(e.code(), "bad_data");
        assert!(e.to_string().contains("token"), "{e}");
        let e = HostRequest::parse(&host("add_note", json!({"text": "x"}))).unwrap_err();
        assert!(e.to_string().contains("engagementId"), "{e}");
    }

    #[test]
    fn zcc_shapes() {
        let cfg: zcc::InitConfig =
            serde_json::from_value(json!({"phone": {"screenPopEvent": "CONNECTED"}})).unwrap();
        assert_eq!(cfg.phone.screen_pop_event, zcc::ScreenPopEvent::Connected);
        let matches: Vec<zcc::Record> = serde_json::from_value(json!([
            {"id": "C-1", "name": "Ada", "phone": "+1", "email": "a@x", "entity": "contact"}
        ]))
        .unwrap();
        assert_eq!(matches[0].entity, "contact");
        let log = zcc::PhoneCallLog {
            engagement_id: "e1".into(),
            object_record: zcc::CallRecord {
                kind: zcc::record_type(crate::Channel::Voice).into(),
                call_type: "outbound".into(),
                from: "+1".into(),
                to: "+2".into(),
                call_duration: zcc::duration_text(61),
                call_start_time: "2026-11-21T10:00:00Z".into(),
                call_end_time: "2026-11-21T10:01:01Z".into(),
                notes: "n".into(),
                disposition_code: "RESOLVED".into(),
            },
            user: Some(zcc::Record {
                id: "C-1".into(),
                entity: "contact".into(),
                ..Default::default()
            }),
        };
        let v = serde_json::to_value(&log).unwrap();
        assert_eq!(v["objectRecord"]["callDuration"], "1:01");
        assert_eq!(v["objectRecord"]["type"], "phone");
        assert_eq!(zcc::duration_text(0), "0:00");
        assert_eq!(zcc::duration_text(3_600), "60:00");
        assert_eq!(zcc::record_type(crate::Channel::Chat), "chat");
        assert_eq!(v["objectRecord"]["dispositionCode"], "RESOLVED");
        assert_eq!(v["engagementId"], "e1");
        let act: zcc::ClickToAct =
            serde_json::from_value(json!({"id": "C-1", "phone": "+1", "userEntity": "contact"}))
                .unwrap();
        assert_eq!(act.user_entity, "contact");
        assert_eq!(act.id.as_deref(), Some("C-1"));
        assert_eq!(serde_json::from_value::<zcc::PhoneCallLog>(v).unwrap(), log);
    }

    #[test]
    fn zcc_readers_agree_with_the_serde_shapes() {
        let record = zcc::Record {
            id: "C-1".into(),
            name: "Ada".into(),
            phone: "+1".into(),
            email: "a@x".into(),
            entity: "contact".into(),
        };
        let list = serde_json::to_value(vec![record.clone()]).unwrap();
        assert_eq!(zcc::Record::read_list(&list), Some(vec![record]));
        assert_eq!(zcc::Record::read_list(&json!([{"name": "no id"}])), None);
        assert_eq!(zcc::Record::read_list(&json!({"id": "C-1"})), None);
        let act = zcc::ClickToAct {
            id: Some("C-1".into()),
            name: "Ada".into(),
            phone: "+1".into(),
            email: String::new(),
            user_entity: "contact".into(),
        };
        let v = serde_json::to_value(&act).unwrap();
        assert_eq!(zcc::ClickToAct::read(&v), Some(act));
        assert_eq!(zcc::ClickToAct::read(&json!({"id": "C-1"})), None);
        // A bare number, as most public hosts dial.
        let bare = zcc::ClickToAct::read(&json!({"phone": "+1 555 0199"})).unwrap();
        assert_eq!((bare.id, bare.phone.as_str()), (None, "+1 555 0199"));
        use crate::config::AgentStatus as S;
        let lunch = S::NotReady {
            reason: "Lunch".into(),
        };
        assert_eq!(zcc::status_code(&lunch, true), "2");
        assert_eq!(zcc::status_code(&S::Offline, false), "30");
        assert_eq!(zcc::status_code(&S::Ready, false), "1");
        assert_eq!(zcc::status_code(&S::Ready, true), "3");
        assert_eq!(zcc::status_name("3"), "Occupied");
        // What a host sets comes back as the code it reads.
        for code in ["1", "2", "30"] {
            let status = zcc::status_for_code(code, None).unwrap();
            assert_eq!(zcc::status_code(&status, false), code);
        }
        assert_eq!(zcc::status_for_code("2", Some("Lunch".into())), Some(lunch));
        assert_eq!(zcc::status_for_code("3", None), None);
        assert_eq!(zcc::status_for_code("ready", None), None);
        // A not-ready reason's code: the server names it.
        assert_eq!(
            zcc::status_for_code("21", None),
            Some(crate::config::AgentStatus::NotReady {
                reason: "21".into()
            })
        );
        assert_eq!(zcc::status_for_code("1234567", None), None);
        assert_eq!(zcc::status_for_code("", None), None);
        // A contact search answers with one record, `{}` or an array.
        let one = json!({"id": "C-1", "name": "Ada", "entity": "Contact"});
        assert_eq!(zcc::Record::read_any(&one).unwrap()[0].id, "C-1");
        assert_eq!(zcc::Record::read_any(&json!({})), Some(vec![]));
        assert_eq!(zcc::Record::read_any(&json!([one])).unwrap().len(), 1);
        assert_eq!(zcc::Record::read_any(&json!("C-1")), None);
        assert_eq!(
            zcc::message(zcc::family(crate::Channel::Chat), "ringing"),
            "zcc-chat-ringing"
        );
        assert_eq!(zcc::family(crate::Channel::WorkItem), "call");
        let cfg = zcc::InitConfig {
            phone: zcc::PhoneConfig {
                screen_pop_event: zcc::ScreenPopEvent::Connected,
            },
        };
        let v = serde_json::to_value(&cfg).unwrap();
        assert_eq!(zcc::InitConfig::read(&v), cfg);
        assert_eq!(
            zcc::InitConfig::read(&json!("junk")),
            zcc::InitConfig::default()
        );
    }

    #[test]
    fn host_request_reader_names_the_field() {
        let e = HostRequest::parse(&host("click_to_dial", json!({"phone": 5}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad data for \"click_to_dial\": data.phone must be a string"
        );
        let e = HostRequest::parse(&host("set_status", json!({"status": "asleep"}))).unwrap_err();
        assert!(e.to_string().contains("data.status must be"), "{e}");
        let e =
            HostRequest::parse(&host("set_status", json!({"status": "not_ready"}))).unwrap_err();
        assert!(e.to_string().contains("data.reason is required"), "{e}");
        let mut m = host("set_variables", json!({"variables": {"a": 1}}));
        m["engagementId"] = json!("00000000-0000-0000-0000-000000000005");
        let e = HostRequest::parse(&m).unwrap_err();
        assert!(e.to_string().contains("data.variables must be"), "{e}");
        m["data"] = json!({"variables": {"a": "1"}});
        let (envelope, r) = HostRequest::parse(&m).unwrap();
        assert_eq!(envelope.id, "h1");
        assert!(matches!(r, HostRequest::SetVariables { variables, .. } if variables["a"] == "1"));
        m["engagementId"] = json!("not-a-uuid");
        let e = HostRequest::parse(&m).unwrap_err();
        assert!(e.to_string().contains("engagementId must be"), "{e}");
        let mut m = host("snapshot.request", json!(null));
        m["requestId"] = json!("r7");
        m["seq"] = json!(3);
        let (envelope, r) = HostRequest::parse(&m).unwrap();
        assert_eq!(r, HostRequest::SnapshotRequest);
        assert_eq!(envelope.request_id.as_deref(), Some("r7"));
        assert_eq!(envelope.seq, Some(3));
        m.as_object_mut().unwrap().remove("ts");
        let e = HostRequest::parse(&m).unwrap_err();
        assert!(e.to_string().contains("ts is required"), "{e}");
    }

    #[test]
    fn dialect_names() {
        assert_eq!(Dialect::parse(""), Some(Dialect::Native));
        assert_eq!(Dialect::parse("zcc"), Some(Dialect::Zcc));
        assert_eq!(Dialect::parse("teams"), None);
    }

    #[test]
    fn the_host_record_survives_as_a_variable_and_states_use_zooms_words() {
        let record = zcc::Record {
            id: "C-1003".into(),
            name: "Margaret \"Maggie\" Hamilton".into(),
            phone: "+44 20 7946 0102".into(),
            email: "margaret@apollo.test".into(),
            entity: "Contact".into(),
        };
        let variables: crate::engagement::Variables = [(
            zcc::RECORD_VARIABLE.to_string(),
            serde_json::to_string(&record).unwrap(),
        )]
        .into();
        assert_eq!(zcc::record_from_variables(&variables), Some(record));
        let unreadable: crate::engagement::Variables = [(
            zcc::RECORD_VARIABLE.to_string(),
            "{\"name\":\"x\"}".to_string(),
        )]
        .into();
        assert_eq!(zcc::record_from_variables(&unreadable), None);
        assert_eq!(
            zcc::record_from_variables(&crate::engagement::Variables::new()),
            None
        );
        use crate::EngagementState as S;
        assert_eq!(zcc::engagement_state(S::Connected), "active");
        assert_eq!(zcc::engagement_state(S::Inactive), "active");
        assert_eq!(zcc::engagement_state(S::WrapUp), "wrapup");
        assert_eq!(zcc::engagement_state(S::Offered), "ringing");
    }
}
