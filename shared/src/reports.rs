//! Historical reports, as the API returns them: one row per engagement
//! (`GET /v1/reports/engagements`) and per-interval figures per queue and per agent
//! (`GET /v1/reports/queues`, `/v1/reports/agents`).
//!
//! Every number is a projection of the event log, so it can be recomputed from
//! `GET /v1/events`; `docs/reports.md` defines each one with its formula. Durations are whole
//! milliseconds, so a recomputation agrees exactly.

use crate::channel::{Channel, Direction};
use crate::ids::{AgentId, DispositionId, EngagementId, EntryId, QueueId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How an engagement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An agent answered it and it was never transferred.
    Answered,
    /// The customer left before any agent answered, and no agent had let it ring out.
    Abandoned,
    /// The customer left before any agent answered, after at least one agent declined it or
    /// let it ring out.
    Missed,
    /// An agent answered it and it was transferred at least once.
    Transferred,
    /// The customer left a message instead of chatting (`POST /v1/chat/{entry}/left-messages`):
    /// the work item that message became, once closed.
    LeftMessage,
    /// Withdrawn before anyone answered, by the API client, a supervisor or the system.
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Answered,
        Outcome::Abandoned,
        Outcome::Missed,
        Outcome::Transferred,
        Outcome::LeftMessage,
        Outcome::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::Missed => "missed",
            Outcome::Transferred => "transferred",
            Outcome::LeftMessage => "left_message",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// How the first queue an engagement entered saw it end, which decides its service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitResult {
    Answered,
    Abandoned,
    /// Overflow or a flow moved it to another queue while it waited.
    Overflowed,
    Cancelled,
}

/// One engagement, as a report row. Times are absent until the step happened; the durations
/// are sums over the whole engagement (after a transfer, both agents' time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngagementReport {
    pub engagement_id: EngagementId,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_source: Option<String>,
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<EntryId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_address: Option<String>,
    /// The first queue it entered and the last one it was in (they differ after overflow or
    /// a transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_queue_id: Option<QueueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_queue_id: Option<QueueId>,
    /// Every agent who answered it, in order.
    #[serde(default)]
    pub agent_ids: Vec<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_item_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_item_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// First rang at an agent.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub offered_at: Option<OffsetDateTime>,
    /// First answered.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub answered_at: Option<OffsetDateTime>,
    /// The conversation ended (wrap-up began, or it closed without one).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<OffsetDateTime>,
    /// From creation to first answer (or to close, unanswered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<i64>,
    /// Time connected with an agent.
    pub talk_ms: i64,
    /// Time on hold (inactive).
    pub hold_ms: i64,
    pub wrap_up_ms: i64,
    /// talk + hold + wrap-up.
    pub handle_ms: i64,
    pub transfers: u32,
    /// Absent until it closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it closed: `completed`, `wrap_up_timeout`, `abandoned`, `cancelled`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_id: Option<DispositionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_code: Option<String>,
    /// How its first queue saw it end, and after how long (from entering that queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_queue_result: Option<VisitResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_queue_wait_ms: Option<i64>,
    /// Answered within its first queue's service-level threshold (`false`: answered later
    /// or abandoned after the short-abandon threshold). Absent when it does not count:
    /// cancelled, overflowed, a short abandon, or not over yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_met: Option<bool>,
    /// The customer's satisfaction survey rating (1–5; thumbs down 1, up 5), when they gave
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
}

/// Per-interval report resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Interval {
    #[serde(rename = "15m")]
    Quarter,
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "1d")]
    Day,
}

impl Interval {
    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "15m" => Some(Interval::Quarter),
            "1h" => Some(Interval::Hour),
            "1d" => Some(Interval::Day),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Interval::Quarter => "15m",
            Interval::Hour => "1h",
            Interval::Day => "1d",
        }
    }
}

/// A queue's figures over one interval (or over the whole window, as `total`). Each queue
/// visit counts in the interval in which it entered the queue.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueFigures {
    /// Entered the queue (created there, transferred or overflowed in).
    pub offered: u64,
    pub answered: u64,
    /// Answered within the service-level threshold (wait ≤ threshold).
    pub answered_within_threshold: u64,
    /// The customer left while it waited (short abandons included).
    pub abandoned: u64,
    /// Abandoned within the short-abandon threshold (wait ≤ it).
    pub short_abandoned: u64,
    /// Moved on to another queue while it waited.
    pub overflowed: u64,
    pub cancelled: u64,
    /// answered_within_threshold ÷ (answered + abandoned − short_abandoned) × 100; absent
    /// when the divisor is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_percent: Option<f64>,
    /// Average speed of answer: the answered waits' sum ÷ answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_wait_ms: Option<f64>,
    /// The smallest whole number of seconds within which 90 % of the answered were answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_wait_secs: Option<u32>,
    /// Answered visits whose agent's part (talk, hold, wrap-up) is over.
    pub handled: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_handle_ms: Option<f64>,
    #[serde(flatten)]
    pub satisfaction: Satisfaction,
    /// Time engagements spent waiting in this queue within the interval, each wait split at
    /// the interval's edges (unlike the counts above, which go by when a visit entered), of the
    /// visits that have ended. ÷ the interval's length = the average number waiting.
    #[serde(default)]
    pub waiting_ms: i64,
}

/// Satisfaction survey answers (`shared::survey`) over an interval: each counted in the
/// interval it was given, for the queue the engagement was last in and the agent who last had
/// it. Flattened into the figures that carry it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    #[serde(default)]
    pub satisfaction_responses: u64,
    /// The answers' ratings (1–5; thumbs down 1, up 5) summed ÷ responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction_average: Option<f64>,
    /// CSAT: answers rating 4 or 5 (thumbs up) ÷ responses × 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction_percent: Option<f64>,
}

/// An agent's time in one status over an interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusTime {
    /// `ready` or `not_ready`.
    pub status: String,
    /// The not-ready reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub ms: i64,
}

/// An agent's figures over one interval (or the whole window). Offers, answers and misses
/// count in the interval they happened; handle time in the interval the agent answered.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentFigures {
    /// Rang for this agent.
    pub offered: u64,
    pub answered: u64,
    /// Declined or let ring out.
    pub missed: u64,
    pub handled: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_handle_ms: Option<f64>,
    /// Signed in (not offline) and holding at least one engagement.
    pub busy_ms: i64,
    /// Ready and holding nothing.
    pub idle_ms: i64,
    /// busy ÷ (busy + idle) × 100; absent when both are 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy_percent: Option<f64>,
    /// Time per status (offline is not listed), ordered by status then reason.
    #[serde(default)]
    pub status_time: Vec<StatusTime>,
    #[serde(flatten)]
    pub satisfaction: Satisfaction,
}

/// One interval: local start and end (with their UTC offsets, so a repeated hour at a
/// daylight-saving change shows twice) and the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalFigures<F> {
    pub start: String,
    pub end: String,
    #[serde(flatten)]
    pub figures: F,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueReport {
    pub queue_id: QueueId,
    pub name: String,
    pub service_level_threshold_secs: u32,
    pub short_abandon_secs: u32,
    pub intervals: Vec<IntervalFigures<QueueFigures>>,
    pub total: QueueFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentReport {
    pub agent_id: AgentId,
    pub display_name: String,
    pub intervals: Vec<IntervalFigures<AgentFigures>>,
    pub total: AgentFigures,
}

/// The answer of an interval report: the window as resolved (interval boundaries in
/// `time_zone`), and when the figures were read (time still running, an agent's current
/// status, counts up to `as_of`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntervalReport<R> {
    pub from: String,
    pub to: String,
    pub interval: Interval,
    pub time_zone: String,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub items: Vec<R>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_intervals_parse_back() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(
                serde_json::to_value(o).unwrap(),
                serde_json::json!(o.as_str())
            );
        }
        for i in [Interval::Quarter, Interval::Hour, Interval::Day] {
            assert_eq!(Interval::parse(i.as_str()), Some(i));
            assert_eq!(
                serde_json::to_value(i).unwrap(),
                serde_json::json!(i.as_str())
            );
        }
    }
}
