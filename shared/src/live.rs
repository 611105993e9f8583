//! The live picture supervisors watch: each queue now, each agent now, the longest-waiting
//! engagements and each queue's last hours in 15-minute points. `GET /v1/stats/queues` and
//! `/v1/stats/agents` answer parts of it; a supervisor's or admin's socket receives all of it
//! (cut to the queues they may see) as `{"type":"live_stats","live_stats":{…}}` whenever the
//! event log moves (at most once a second) and at least every few seconds; a wallboard reads a
//! reduced copy ([`crate::wallboard::WallboardView`]).

use crate::channel::Channel;
use crate::config::AgentStatus;
use crate::ids::{AgentId, EngagementId, QueueId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How far back [`LiveStats::trend`] reaches.
pub const TREND_HOURS: i64 = 4;

/// How many of each queue's longest-waiting engagements [`LiveStats::waiting`] lists.
pub const WAITING_PER_QUEUE: usize = 10;

/// How many of the latest satisfaction survey answers [`LiveStats::surveys`] lists.
pub const RECENT_SURVEYS: usize = 10;

/// How far back [`LiveStats::surveys`] reaches, in hours.
pub const RECENT_SURVEY_HOURS: i64 = 24;

/// One queue now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStats {
    pub queue_id: QueueId,
    pub name: String,
    pub channel: Channel,
    /// Waiting for an agent.
    pub waiting: u64,
    /// Ringing.
    pub offered: u64,
    /// Connected, inactive or in wrap-up.
    pub active: u64,
    /// How long the oldest waiting engagement has waited, in seconds.
    pub longest_wait_secs: u64,
    /// Of the engagements that entered this queue in the last 24 hours and were answered or
    /// abandoned/cancelled, the percentage answered within the threshold; `null` with none.
    pub service_level_percent: Option<f64>,
    pub service_level_target_percent: u8,
    pub service_level_threshold_secs: u32,
    pub answered_24h: u64,
    pub abandoned_24h: u64,
}

/// One agent now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStats {
    pub agent_id: AgentId,
    pub display_name: String,
    pub status: AgentStatus,
    /// Engagements held per channel (connected, inactive, wrap-up).
    pub holding: BTreeMap<Channel, u64>,
    pub ringing: u64,
    /// The queues the agent is a member of.
    #[serde(default)]
    pub queue_ids: Vec<QueueId>,
}

/// An engagement waiting in a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitingEngagement {
    pub engagement_id: EngagementId,
    pub queue_id: QueueId,
    pub channel: Channel,
    /// The work item's name or the customer's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Queued (or created) at.
    #[serde(with = "time::serde::rfc3339")]
    pub waiting_since: OffsetDateTime,
    /// Its age at [`LiveStats::as_of`].
    pub waited_secs: u64,
}

/// A queue's 15 minutes in the trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendPoint {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// As in the reports (docs/reports.md): answered within the threshold ÷ (answered +
    /// abandoned after the short-abandon threshold) × 100, of the visits that entered the
    /// queue in these 15 minutes; absent with none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_percent: Option<f64>,
    /// The average number waiting over these 15 minutes (so far, for the current one):
    /// waiting time ÷ elapsed time, engagements still waiting included.
    pub average_waiting: f64,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
}

/// A queue's last [`TREND_HOURS`] hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueTrend {
    pub queue_id: QueueId,
    /// Oldest first; the last is the 15 minutes under way.
    pub points: Vec<TrendPoint>,
    /// Satisfaction survey answers given over these hours for this queue (as in the reports).
    #[serde(flatten)]
    pub satisfaction: crate::reports::Satisfaction,
}

/// Everything a supervisor's live view shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveStats {
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub queues: Vec<QueueStats>,
    pub agents: Vec<AgentStats>,
    /// Each queue's longest-waiting engagements (at most [`WAITING_PER_QUEUE`]), oldest first.
    pub waiting: Vec<WaitingEngagement>,
    pub trend: Vec<QueueTrend>,
    /// The latest satisfaction survey answers of the last [`RECENT_SURVEY_HOURS`] hours, newest
    /// first, at most [`RECENT_SURVEYS`] (comments included).
    #[serde(default)]
    pub surveys: Vec<crate::survey::SurveyResponse>,
}

impl LiveStats {
    /// The part about the queues `allowed` keeps: those queues, their waiting engagements and
    /// trends, and the agents who are members of one of them.
    pub fn only(&self, allowed: impl Fn(QueueId) -> bool) -> LiveStats {
        LiveStats {
            as_of: self.as_of,
            queues: self
                .queues
                .iter()
                .filter(|q| allowed(q.queue_id))
                .cloned()
                .collect(),
            agents: self
                .agents
                .iter()
                .filter(|a| a.queue_ids.iter().any(|q| allowed(*q)))
                .cloned()
                .collect(),
            waiting: self
                .waiting
                .iter()
                .filter(|w| allowed(w.queue_id))
                .cloned()
                .collect(),
            trend: self
                .trend
                .iter()
                .filter(|t| allowed(t.queue_id))
                .cloned()
                .collect(),
            surveys: self
                .surveys
                .iter()
                .filter(|s| s.queue_id.is_some_and(&allowed))
                .take(RECENT_SURVEYS)
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn queue(n: u128) -> QueueStats {
        QueueStats {
            queue_id: QueueId(Uuid::from_u128(n)),
            name: format!("Q{n}"),
            channel: Channel::Chat,
            waiting: 0,
            offered: 0,
            active: 0,
            longest_wait_secs: 0,
            service_level_percent: None,
            service_level_target_percent: 80,
            service_level_threshold_secs: 20,
            answered_24h: 0,
            abandoned_24h: 0,
        }
    }

    #[test]
    fn a_cut_keeps_the_allowed_queues_and_their_members_only() {
        let (a, b) = (QueueId(Uuid::from_u128(1)), QueueId(Uuid::from_u128(2)));
        let agent = |n: u128, queues: Vec<QueueId>| AgentStats {
            agent_id: AgentId(Uuid::from_u128(n)),
            display_name: format!("A{n}"),
            status: AgentStatus::Ready,
            holding: BTreeMap::new(),
            ringing: 0,
            queue_ids: queues,
        };
        let waiting = |q: QueueId| WaitingEngagement {
            engagement_id: EngagementId(Uuid::from_u128(100 + q.0.as_u128())),
            queue_id: q,
            channel: Channel::Chat,
            title: None,
            waiting_since: OffsetDateTime::UNIX_EPOCH,
            waited_secs: 1,
        };
        let all = LiveStats {
            as_of: OffsetDateTime::UNIX_EPOCH,
            queues: vec![queue(1), queue(2)],
            agents: vec![
                agent(10, vec![a]),
                agent(11, vec![b]),
                agent(12, vec![a, b]),
            ],
            waiting: vec![waiting(a), waiting(b)],
            trend: vec![
                QueueTrend {
                    queue_id: a,
                    points: vec![],
                    satisfaction: Default::default(),
                },
                QueueTrend {
                    queue_id: b,
                    points: vec![],
                    satisfaction: Default::default(),
                },
            ],
            surveys: [a, b, a]
                .into_iter()
                .enumerate()
                .map(|(i, q)| crate::survey::SurveyResponse {
                    engagement_id: EngagementId(Uuid::from_u128(200 + i as u128)),
                    entry_id: crate::ids::EntryId("web".into()),
                    channel: Channel::Chat,
                    queue_id: Some(q),
                    agent_id: None,
                    scale: crate::survey::SurveyScale::FivePoint,
                    question: "How did we do?".into(),
                    rating: 5,
                    comment: None,
                    answered_at: OffsetDateTime::UNIX_EPOCH,
                })
                .collect(),
        };
        let cut = all.only(|q| q == b);
        assert_eq!(cut.queues.len(), 1);
        assert_eq!(cut.queues[0].queue_id, b);
        let names: Vec<&str> = cut.agents.iter().map(|a| a.display_name.as_str()).collect();
        assert_eq!(names, ["A11", "A12"]);
        assert!(cut.waiting.iter().all(|w| w.queue_id == b) && cut.waiting.len() == 1);
        assert_eq!(cut.trend.len(), 1);
        assert_eq!(cut.surveys.len(), 1);
        assert_eq!(cut.surveys[0].queue_id, Some(b));
        assert!(all.only(|_| false).agents.is_empty());
    }
}
