//! Routing configuration: queues, flows, entry points, agents, skills, busy-agent rules,
//! consumer routing profiles and dispositions. Admins manage these through the API; the
//! routing engine reads them.

use crate::channel::Channel;
use crate::ids::{AgentId, DispositionId, EntryId, FlowId, QueueId, RoutingProfileId, SkillId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// Skills and agents
// ---------------------------------------------------------------------------------------------

/// A skill proficiency, 1 (basic) to 5 (expert). Deserializing anything else fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "u8", into = "u8")]
pub struct Proficiency(u8);

impl Proficiency {
    pub const MIN: Proficiency = Proficiency(1);
    pub const MAX: Proficiency = Proficiency(5);

    pub fn new(level: u8) -> Result<Self, ProficiencyOutOfRange> {
        if (1..=5).contains(&level) {
            Ok(Proficiency(level))
        } else {
            Err(ProficiencyOutOfRange(level))
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("proficiency must be between 1 and 5, got {0}")]
pub struct ProficiencyOutOfRange(pub u8);

impl TryFrom<u8> for Proficiency {
    type Error = ProficiencyOutOfRange;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Proficiency::new(v)
    }
}

impl From<Proficiency> for u8 {
    fn from(p: Proficiency) -> u8 {
        p.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Skill {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub skill_id: SkillId,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
}

/// A skill an agent holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSkill {
    pub skill_id: SkillId,
    #[cfg_attr(feature = "openapi", schema(value_type = u8, minimum = 1, maximum = 5))]
    pub proficiency: Proficiency,
}

/// A skill a queue or flow step requires, at or above a minimum proficiency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillRequirement {
    pub skill_id: SkillId,
    #[serde(default = "min_proficiency")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8, minimum = 1, maximum = 5))]
    pub min_proficiency: Proficiency,
}

fn min_proficiency() -> Proficiency {
    Proficiency::MIN
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

/// An agent's availability. `NotReady` carries the reason the agent picked (break, lunch...).
/// On the wire `{"status": "ready"}` or `{"status": "not_ready", "reason": "Lunch"}`.
///
/// Read through [`AgentStatusWire`]: an internally tagged enum is read by buffering the whole
/// object first, which costs the widget's WASM several kilobytes per place it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "status",
    rename_all = "snake_case",
    try_from = "AgentStatusWire"
)]
pub enum AgentStatus {
    Offline,
    Ready,
    NotReady {
        #[cfg_attr(
            feature = "openapi",
            schema(schema_with = crate::limits::schemas::visible_100)
        )]
        reason: String,
    },
}

#[derive(Deserialize)]
struct AgentStatusWire {
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

impl TryFrom<AgentStatusWire> for AgentStatus {
    type Error = String;
    fn try_from(w: AgentStatusWire) -> Result<AgentStatus, String> {
        AgentStatus::from_parts(&w.status, w.reason).map_err(|e| match e {
            StatusPartsError::MissingReason => {
                "missing field `reason` (required for not_ready)".into()
            }
            StatusPartsError::Unknown => format!(
                "unknown status `{}`, expected one of `offline`, `ready`, `not_ready`",
                w.status
            ),
        })
    }
}

/// A reason an agent gives for not being ready (`GET /v1/not-ready-reasons`): its name, and
/// the id Smart Embed hosts use for it (`zcc-agent-status-set-request {id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotReadyReason {
    pub name: String,
    /// Digits, never one of the status ids (`1`, `2`, `3`, `30`).
    pub code: String,
}

impl NotReadyReason {
    /// The reasons a server offers unless `--not-ready-reasons` says otherwise, with the ids
    /// 20–24 that payloads captured from Zoom Contact Center show for not-ready reasons.
    pub const DEFAULTS: &'static str = "Break=20,Lunch=21,Meeting=22,Training=23,Personal=24";

    /// Whether `code` has the form of a reason's code: 1–6 digits. (A status id has it too;
    /// [`NotReadyReason::parse_list`] keeps those out of the list.)
    pub fn is_code(code: &str) -> bool {
        (1..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
    }

    /// Read the list (`GET /v1/not-ready-reasons`, the agent socket's `hello`) by hand: see
    /// [`crate::feed`].
    pub fn read_list(v: &serde_json::Value) -> Option<Vec<NotReadyReason>> {
        crate::feed::list(v, |r| {
            Some(NotReadyReason {
                name: crate::feed::text(r, "name")?,
                code: crate::feed::text(r, "code")?,
            })
        })
    }

    /// `Name=code,Name=code`: names are visible text of at most 100 characters, codes 1–6
    /// digits other than the status ids; both unique.
    pub fn parse_list(list: &str) -> Result<Vec<NotReadyReason>, String> {
        let mut out: Vec<NotReadyReason> = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, code) = item
                .split_once('=')
                .map(|(n, c)| (n.trim(), c.trim()))
                .ok_or_else(|| {
                    format!("{item:?}: write each reason as Name=code, e.g. Lunch=21")
                })?;
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(format!(
                    "{item:?}: a reason's name is 1–100 visible characters"
                ));
            }
            if !NotReadyReason::is_code(code) {
                return Err(format!("{item:?}: a reason's code is 1–6 digits"));
            }
            use crate::post_message::zcc::{NOT_READY, OCCUPIED, OFFLINE, READY};
            if [READY, NOT_READY, OCCUPIED, OFFLINE].contains(&code) {
                return Err(format!(
                    "{item:?}: {code} is a status id (1 ready, 2 not ready, 3 occupied, 30 offline)"
                ));
            }
            if out
                .iter()
                .any(|r| r.name.eq_ignore_ascii_case(name) || r.code == code)
            {
                return Err(format!("{item:?}: names and codes must be unique"));
            }
            out.push(NotReadyReason {
                name: name.to_string(),
                code: code.to_string(),
            });
        }
        if out.is_empty() {
            return Err("give at least one reason, e.g. Break=20".into());
        }
        Ok(out)
    }
}

/// Why [`AgentStatus::from_parts`] refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPartsError {
    /// Not `offline`, `ready` or `not_ready`.
    Unknown,
    /// `not_ready` without a reason.
    MissingReason,
}

impl AgentStatus {
    /// The status named `status` on the wire, with the `reason` a `not_ready` needs. The one
    /// mapping of wire names, used by serde and by the host protocol's reader.
    pub fn from_parts(
        status: &str,
        reason: Option<String>,
    ) -> Result<AgentStatus, StatusPartsError> {
        match (status, reason) {
            ("offline", _) => Ok(AgentStatus::Offline),
            ("ready", _) => Ok(AgentStatus::Ready),
            ("not_ready", Some(reason)) => Ok(AgentStatus::NotReady { reason }),
            ("not_ready", None) => Err(StatusPartsError::MissingReason),
            _ => Err(StatusPartsError::Unknown),
        }
    }

    pub const fn is_ready(&self) -> bool {
        matches!(self, AgentStatus::Ready)
    }
}

/// An agent's membership in a queue; opted-out members get no offers from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueMembership {
    pub queue_id: QueueId,
    #[serde(default = "yes")]
    pub opted_in: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub agent_id: AgentId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub status: AgentStatus,
    #[serde(default)]
    pub skills: Vec<AgentSkill>,
    #[serde(default)]
    pub queues: Vec<QueueMembership>,
    /// The queues a supervisor supervises: their reports and live figures are the only ones
    /// the supervisor may read (admins read all; ignored for other roles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub supervised_queue_ids: Vec<QueueId>,
    /// Busy-agent rules for this agent; `None` uses the account default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_rules: Option<BusyAgentRules>,
}

// ---------------------------------------------------------------------------------------------
// Busy-agent rules
// ---------------------------------------------------------------------------------------------

/// How much an agent may hold at once: a limit per channel, and which channels may be offered
/// while the agent already holds another (may a work item ring during a voice call?).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusyAgentRules {
    /// Maximum concurrent engagements per channel (0–100). A channel not listed allows none.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::limits::schemas::channel_limits))]
    pub limits: BTreeMap<Channel, u32>,
    /// Cross-channel exceptions to "anything goes while under the limits". A pair listed here
    /// with `allowed: false` means: while holding `holding`, never offer `offer`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub combinations: Vec<ChannelCombination>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelCombination {
    pub holding: Channel,
    pub offer: Channel,
    pub allowed: bool,
}

impl Default for BusyAgentRules {
    /// Voice 1, video 1, chat 3, SMS 3, email 3, work items 5; nothing is offered during a
    /// voice or video call except work items, and no call rings during another call or video.
    fn default() -> Self {
        let limits = BTreeMap::from([
            (Channel::Voice, 1),
            (Channel::Video, 1),
            (Channel::Chat, 3),
            (Channel::Sms, 3),
            (Channel::Email, 3),
            (Channel::WorkItem, 5),
        ]);
        let mut combinations = Vec::new();
        for holding in [Channel::Voice, Channel::Video] {
            for offer in Channel::ALL {
                if offer != Channel::WorkItem && offer != holding {
                    combinations.push(ChannelCombination {
                        holding,
                        offer,
                        allowed: false,
                    });
                }
            }
        }
        BusyAgentRules {
            limits,
            combinations,
        }
    }
}

impl BusyAgentRules {
    /// May an agent who already holds `held` (one entry per engagement) be offered `offer`?
    pub fn can_offer(&self, held: &[Channel], offer: Channel) -> bool {
        let limit = self.limits.get(&offer).copied().unwrap_or(0);
        let same = held.iter().filter(|c| **c == offer).count() as u64;
        if same >= u64::from(limit) {
            return false;
        }
        !self
            .combinations
            .iter()
            .any(|rule| !rule.allowed && rule.offer == offer && held.contains(&rule.holding))
    }
}

// ---------------------------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------------------------

/// How a queue picks among eligible agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// The agent idle the longest.
    LongestIdle,
    /// The agent with the highest proficiency in the required skills (ties: longest idle).
    MostSkilled,
    /// Agents in turn.
    RoundRobin,
    /// Every eligible agent rings; the first accept wins and the other offers are rescinded.
    RingAll,
}

/// What happens when an engagement has waited `after_secs` in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overflow {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 86400))]
    pub after_secs: u32,
    #[serde(flatten)]
    pub action: OverflowAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OverflowAction {
    /// Move it to another queue (keeping its age).
    ToQueue { queue_id: QueueId },
    /// Drop the required skills (all of them, or only those listed).
    RelaxSkills {
        #[serde(default)]
        skill_ids: Vec<SkillId>,
    },
}

/// When the standalone widget opens an offer's launch URL ([`Queue::launch_open`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LaunchOpen {
    #[default]
    Never,
    /// When the offer starts ringing.
    OnRing,
    /// When the agent connects (accepts, or a call is connected to them).
    OnConnect,
}

impl LaunchOpen {
    pub fn parse(s: &str) -> Option<LaunchOpen> {
        match s {
            "never" => Some(LaunchOpen::Never),
            "on_ring" => Some(LaunchOpen::OnRing),
            "on_connect" => Some(LaunchOpen::OnConnect),
            _ => None,
        }
    }
}

/// "`target_percent` % of engagements answered within `threshold_secs`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceLevel {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3600))]
    pub threshold_secs: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub target_percent: u8,
    /// An engagement abandoned within this many seconds of entering the queue is a short
    /// abandon: counted apart and left out of the service level (0–600, default 5).
    #[serde(default = "ServiceLevel::default_short_abandon_secs")]
    #[cfg_attr(feature = "openapi", schema(maximum = 600))]
    pub short_abandon_secs: u32,
}

impl ServiceLevel {
    const fn default_short_abandon_secs() -> u32 {
        5
    }
}

impl Default for ServiceLevel {
    fn default() -> Self {
        ServiceLevel {
            threshold_secs: 20,
            target_percent: 80,
            short_abandon_secs: ServiceLevel::default_short_abandon_secs(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Queue {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub queue_id: QueueId,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    pub channel: Channel,
    pub distribution: Distribution,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 600))]
    pub ring_timeout_secs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<Overflow>,
    #[serde(default)]
    pub service_level: ServiceLevel,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 3600))]
    pub wrap_up_secs: u32,
    /// The dispositions an agent may pick for engagements from this queue.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub disposition_ids: Vec<DispositionId>,
    /// Screen-pop URL with `{variable}` placeholders, rendered URL-encoded on every offer,
    /// e.g. `https://crm.example/tickets/{work_item_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::url_template_2000)
    )]
    pub launch_url_template: Option<String>,
    /// When the standalone widget (the installed PWA) opens the rendered launch URL in a new
    /// browser tab: on ring, on connect, or never (the default). Inside a host page the host
    /// decides (it gets `screen_pop` / the zcc screen-pop messages). Without a
    /// `launch_url_template` there is nothing to open, and it has no effect.
    #[serde(default)]
    pub launch_open: LaunchOpen,
    /// Skills every engagement in this queue requires (flows can add more).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub required_skills: Vec<SkillRequirement>,
    /// The side-panel apps the widget shows, in this order, beside this queue's engagements
    /// (an app listed twice is kept once).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub app_ids: Vec<crate::ids::AppId>,
    /// Whether web calls answered from this queue are recorded on the server (two-channel
    /// Ogg/Opus, docs/voice.md); the caller's page says so. On unless turned off.
    #[serde(default = "recorded_by_default")]
    pub record_calls: bool,
}

fn recorded_by_default() -> bool {
    true
}

/// A side-panel app: a web page the widget shows as a tab beside the engagements of the queues
/// that list it (`Queue::app_ids`), told the engagement's context by `postMessage` to its exact
/// origin (docs/embedding.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub app_id: crate::ids::AppId,
    /// The tab's label.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    /// The page to load: an absolute `http(s)` URL (`https` in production: a widget served over
    /// `https` cannot frame an `http` page). Its origin is the app's: the only one the widget
    /// posts the context to and accepts messages from.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::http_url_2000)
    )]
    pub url: String,
    /// An icon for the tab: an absolute `http(s)` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::http_url_2000)
    )]
    pub icon_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disposition {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub disposition_id: DispositionId,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    /// Short code for CRMs and reports, e.g. `RESOLVED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_50)
    )]
    pub code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

/// A flow is data, not code: named steps starting at `start`. Evaluated once when an
/// engagement enters (or is transferred to) the flow, until a step routes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flow {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub flow_id: FlowId,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    /// The name of the first step (one of `steps`).
    pub start: String,
    /// Steps by name. A step's `next`, `then` and `otherwise` name other steps of this flow;
    /// the steps form no loop (checked on save).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::limits::schemas::flow_steps))]
    pub steps: BTreeMap<String, FlowStep>,
    /// HTTP callouts on engagement lifecycle points ("event scripts").
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub callouts: Vec<EventCallout>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlowStep {
    /// Branch on a condition.
    Condition {
        when: Condition,
        then: String,
        otherwise: String,
    },
    /// Set a variable (the value may use `{variable}` placeholders) and continue.
    SetVariable {
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
        name: String,
        value: String,
        next: String,
    },
    /// Route to a queue, adding required skills and a priority.
    RouteToQueue {
        queue_id: QueueId,
        #[serde(default)]
        skills: Vec<SkillRequirement>,
        #[serde(default)]
        priority: i32,
    },
    /// Continue in another flow.
    RouteToFlow { flow_id: FlowId },
}

/// A test on an engagement field. Fields are named `variables.<name>`, `work_item.<field>`
/// (`name`, `id`, `priority`, `origin`, `type_id`, ...) or `consumer.<field>`
/// (`display_name`, `email`, `phone`, `external_id`), and `channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(no_recursion))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Condition {
    Equals {
        field: String,
        value: String,
    },
    NotEquals {
        field: String,
        value: String,
    },
    Contains {
        field: String,
        value: String,
    },
    Exists {
        field: String,
    },
    /// Numeric comparison; a missing or non-numeric field is false.
    GreaterThan {
        field: String,
        value: f64,
    },
    LessThan {
        field: String,
        value: f64,
    },
    All {
        conditions: Vec<Condition>,
    },
    Any {
        conditions: Vec<Condition>,
    },
    Not {
        condition: Box<Condition>,
    },
}

// `f64` fields rule out a derived `Eq`; JSON cannot carry NaN, so equality is total here.
impl Eq for Condition {}

/// When a callout fires: `engagement_accepted`, `disposition_saved`, `engagement_closed`, or
/// any event-log name (`engagement.note_added`, `engagement.transferred`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CalloutTrigger {
    EngagementAccepted,
    DispositionSaved,
    EngagementClosed,
    /// Any other event of the log.
    Event(crate::events::EventKind),
}

impl CalloutTrigger {
    /// The log event this trigger fires on.
    pub const fn event(self) -> crate::events::EventKind {
        use crate::events::EventKind as K;
        match self {
            CalloutTrigger::EngagementAccepted => K::EngagementConnected,
            CalloutTrigger::DispositionSaved => K::EngagementDispositionAdded,
            CalloutTrigger::EngagementClosed => K::EngagementClosed,
            CalloutTrigger::Event(kind) => kind,
        }
    }
}

impl TryFrom<String> for CalloutTrigger {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "engagement_accepted" => Ok(CalloutTrigger::EngagementAccepted),
            "disposition_saved" => Ok(CalloutTrigger::DispositionSaved),
            "engagement_closed" => Ok(CalloutTrigger::EngagementClosed),
            other => crate::events::EventKind::parse(other)
                .map(CalloutTrigger::Event)
                .ok_or_else(|| {
                    format!("{other:?} is not a trigger: use engagement_accepted, disposition_saved, engagement_closed or an event name such as engagement.note_added")
                }),
        }
    }
}

impl From<CalloutTrigger> for String {
    fn from(t: CalloutTrigger) -> String {
        match t {
            CalloutTrigger::EngagementAccepted => "engagement_accepted".into(),
            CalloutTrigger::DispositionSaved => "disposition_saved".into(),
            CalloutTrigger::EngagementClosed => "engagement_closed".into(),
            CalloutTrigger::Event(kind) => kind.as_str().into(),
        }
    }
}

/// An HTTP POST to an external URL when `on` happens, with a JSON body template. Its
/// `{{engagement.engagement_id}}`, `{{engagement.queue_name}}`, `{{agent.email}}`,
/// `{{consumer.phone}}`, `{{disposition.name}}`, `{{variables.<name>}}` placeholders become
/// JSON values (a missing one is `null`; inside a JSON string, the escaped text). The older
/// `{variable}` form inside strings is filled from the engagement's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventCallout {
    /// `engagement_accepted`, `disposition_saved`, `engagement_closed`, or an event name
    /// (`engagement.note_added`, …).
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::limits::schemas::callout_trigger, example = "engagement_closed"))]
    pub on: CalloutTrigger,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::http_url_2000)
    )]
    pub url: String,
    /// JSON with `{{placeholders}}` as values or inside strings (checked on save).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_10000)
    )]
    pub body_template: String,
}

/// The public address external systems start engagements at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryPoint {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::limits::schemas::name_100))]
    pub entry_id: EntryId,
    pub flow_id: FlowId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_500)
    )]
    pub description: Option<String>,
    /// The number or address customers reach this entry point at (`+1 555 0000`,
    /// `support@acme.example`): engagements started through it carry it as `entry_address`,
    /// and Smart Embed hosts get it as `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub address: Option<String>,
    /// Web chat through this entry point (`POST /v1/chat/{entry_id}/sessions`, docs/chat.md).
    /// Without it the entry point takes no chats from websites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<WebChat>,
    /// The satisfaction survey the chat page asks when a chat or web call an agent answered
    /// ends (`shared::survey`). Absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<crate::survey::Survey>,
}

/// How an entry point takes web chats: which pre-chat answers are required besides the
/// customer's name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebChat {
    #[serde(default)]
    pub require_email: bool,
    #[serde(default)]
    pub require_question: bool,
    /// When live chats are taken; absent: always. Outside them starting a chat is refused
    /// (`409`) and the chat page offers "leave a message" instead (when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<OpeningHours>,
    /// The entry point whose flow a message left while the chat cannot be answered (closed, or
    /// nobody ready) goes to, as a work item. Absent: no "leave a message".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$")
    )]
    pub leave_message_entry_id: Option<String>,
    /// Web calls too: the chat page and bubble offer **Call** (the visitor talks to an agent
    /// in their browser; docs/voice.md). Needs the server's media socket.
    #[serde(default)]
    pub calls: bool,
}

/// Weekly opening hours in a time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningHours {
    /// An IANA time zone, e.g. `Europe/Berlin` (daylight saving time included).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub time_zone: String,
    /// When it is open; a moment is open when any period covers it.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub weekly: Vec<OpenPeriod>,
}

/// Open on `days` from `open` until `close` (local `HH:MM`, `close` after `open`; `24:00` is
/// the end of the day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenPeriod {
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 7))]
    pub days: Vec<Weekday>,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub open: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
    )]
    pub close: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl OpeningHours {
    /// `HH:MM` (00:00–24:00) as minutes since midnight.
    pub fn minutes(hhmm: &str) -> Option<u16> {
        let (h, m) = hhmm.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    }

    /// Is it open on `day` at `minute` (local minutes since midnight)? Periods that do not
    /// read (checked when configured) are closed.
    pub fn is_open(&self, day: Weekday, minute: u16) -> bool {
        self.weekly.iter().any(|p| {
            p.days.contains(&day)
                && matches!(
                    (Self::minutes(&p.open), Self::minutes(&p.close)),
                    (Some(open), Some(close)) if open <= minute && minute < close
                )
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Consumer routing profiles
// ---------------------------------------------------------------------------------------------

/// Rules on consumer and work-item attributes, applied when an engagement is routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumerRoutingProfile {
    /// Assigned by the server on create; on replace, the path names the object.
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub profile_id: RoutingProfileId,
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub rules: Vec<ProfileRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileRule {
    pub when: Condition,
    pub effect: ProfileEffect,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProfileEffect {
    RaisePriority {
        #[cfg_attr(feature = "openapi", schema(minimum = -1000, maximum = 1000))]
        by: i32,
    },
    UseQueue {
        queue_id: QueueId,
    },
    /// Prefer the agent who last served this consumer, if eligible within `wait_secs`.
    PreferLastAgent {
        #[cfg_attr(feature = "openapi", schema(maximum = 3600))]
        wait_secs: u32,
    },
    PreferAgent {
        agent_id: AgentId,
        #[cfg_attr(feature = "openapi", schema(maximum = 3600))]
        wait_secs: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agent_status_wire_shape_round_trips() {
        for status in [
            AgentStatus::Offline,
            AgentStatus::Ready,
            AgentStatus::NotReady {
                reason: "Lunch".into(),
            },
        ] {
            let v = serde_json::to_value(&status).unwrap();
            assert_eq!(serde_json::from_value::<AgentStatus>(v).unwrap(), status);
        }
        assert_eq!(
            serde_json::to_value(AgentStatus::NotReady {
                reason: "Lunch".into()
            })
            .unwrap(),
            json!({"status": "not_ready", "reason": "Lunch"})
        );
        let e = serde_json::from_value::<AgentStatus>(json!({"status": "asleep"})).unwrap_err();
        assert!(e.to_string().contains("unknown status `asleep`"), "{e}");
        let e = serde_json::from_value::<AgentStatus>(json!({"status": "not_ready"})).unwrap_err();
        assert!(e.to_string().contains("reason"), "{e}");
    }

    #[test]
    fn proficiency_is_1_to_5() {
        assert!(serde_json::from_value::<Proficiency>(json!(0)).is_err());
        assert!(serde_json::from_value::<Proficiency>(json!(6)).is_err());
        assert_eq!(
            serde_json::from_value::<Proficiency>(json!(5))
                .unwrap()
                .get(),
            5
        );
    }

    #[test]
    fn not_ready_reasons_are_name_and_code() {
        let defaults = NotReadyReason::parse_list(NotReadyReason::DEFAULTS).unwrap();
        assert_eq!(defaults.len(), 5);
        assert_eq!(
            defaults[1],
            NotReadyReason {
                name: "Lunch".into(),
                code: "21".into()
            }
        );
        assert_eq!(
            NotReadyReason::parse_list(" Coaching = 40 , Admin=41 ,").unwrap()[0].name,
            "Coaching"
        );
        for bad in [
            "",
            "Lunch",
            "Lunch=",
            "=21",
            "Lunch=2a",
            "Lunch=2",
            "Lunch=30",
            "Lunch=21,lunch=22",
            "Lunch=21,Break=21",
            "Lunch=1234567",
        ] {
            assert!(NotReadyReason::parse_list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn opening_hours_cover_their_periods_only() {
        let hours: OpeningHours = serde_json::from_value(serde_json::json!({
            "time_zone": "Europe/Berlin",
            "weekly": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:30"},
                {"days": ["sat"], "open": "10:00", "close": "24:00"}
            ]
        }))
        .unwrap();
        assert!(hours.is_open(Weekday::Mon, 9 * 60));
        assert!(hours.is_open(Weekday::Fri, 17 * 60 + 29));
        assert!(
            !hours.is_open(Weekday::Fri, 17 * 60 + 30),
            "close is exclusive"
        );
        assert!(!hours.is_open(Weekday::Tue, 8 * 60 + 59));
        assert!(hours.is_open(Weekday::Sat, 23 * 60 + 59));
        assert!(!hours.is_open(Weekday::Sun, 12 * 60));
        assert_eq!(OpeningHours::minutes("24:00"), Some(1440));
        for bad in ["24:01", "9:00", "09:60", "0900", "", "aa:bb"] {
            assert_eq!(OpeningHours::minutes(bad), None, "{bad}");
        }
    }

    #[test]
    fn default_busy_rules() {
        let rules = BusyAgentRules::default();
        use Channel::*;
        assert!(rules.can_offer(&[], Voice));
        assert!(!rules.can_offer(&[Voice], Voice));
        assert!(rules.can_offer(&[Chat, Chat], Chat));
        assert!(!rules.can_offer(&[Chat, Chat, Chat], Chat));
        assert!(
            rules.can_offer(&[Voice], WorkItem),
            "work items may ring during a call"
        );
        assert!(!rules.can_offer(&[Voice], Chat), "no chat during a call");
        assert!(!rules.can_offer(&[Video], Voice));
        assert!(rules.can_offer(&[WorkItem; 4], WorkItem));
        assert!(!rules.can_offer(&[WorkItem; 5], WorkItem));
        let json = serde_json::to_value(&rules).unwrap();
        assert_eq!(json["limits"]["work_item"], 5);
        assert_eq!(
            serde_json::from_value::<BusyAgentRules>(json).unwrap(),
            rules
        );
    }

    #[test]
    fn queue_and_flow_round_trip() {
        let queue: Queue = serde_json::from_value(json!({
            "queue_id": "00000000-0000-0000-0000-000000000001",
            "name": "Billing",
            "channel": "work_item",
            "distribution": "most_skilled",
            "ring_timeout_secs": 30,
            "overflow": {"after_secs": 120, "action": "relax_skills"},
            "launch_url_template": "https://crm.example/t/{work_item_id}"
        }))
        .unwrap();
        assert_eq!(queue.service_level, ServiceLevel::default());
        assert_eq!(
            queue.overflow.as_ref().unwrap().action,
            OverflowAction::RelaxSkills { skill_ids: vec![] }
        );
        let back: Queue = serde_json::from_value(serde_json::to_value(&queue).unwrap()).unwrap();
        assert_eq!(back, queue);

        let flow: Flow = serde_json::from_value(json!({
            "flow_id": "00000000-0000-0000-0000-000000000002",
            "name": "Tickets",
            "start": "vip?",
            "steps": {
                "vip?": {"type": "condition",
                         "when": {"op": "equals", "field": "consumer.email", "value": "ceo@x"},
                         "then": "fast", "otherwise": "normal"},
                "fast": {"type": "route_to_queue", "queue_id": "00000000-0000-0000-0000-000000000001", "priority": 10},
                "normal": {"type": "route_to_queue", "queue_id": "00000000-0000-0000-0000-000000000001"}
            },
            "callouts": [{"on": "engagement_closed", "url": "https://x/hook", "body_template": "{\"id\":\"{work_item_id}\"}"}]
        }))
        .unwrap();
        let back: Flow = serde_json::from_value(serde_json::to_value(&flow).unwrap()).unwrap();
        assert_eq!(back, flow);
    }

    #[test]
    fn agent_status_round_trips() {
        let s = AgentStatus::NotReady {
            reason: "lunch".into(),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json, json!({"status": "not_ready", "reason": "lunch"}));
        assert_eq!(serde_json::from_value::<AgentStatus>(json).unwrap(), s);
        assert_eq!(
            serde_json::from_value::<AgentStatus>(json!({"status": "ready"})).unwrap(),
            AgentStatus::Ready
        );
    }
}
