//! The report projection: a pure fold of the event log into one row per engagement and
//! per-15-minute figures per queue and per agent. No I/O: the projector (`service::reports`)
//! loads the state an event batch touches, folds the batch through [`Projection::apply`], and
//! writes back what changed.
//!
//! Rules (the same as `docs/reports.md`, which an outsider's recomputation follows):
//! - A **queue visit** starts when an engagement is waiting (queued or ringing) in a queue it
//!   was not waiting in: created there, transferred, overflowed or routed by a flow. It ends
//!   answered (an agent connected), abandoned (the customer left), cancelled (closed another
//!   way) or overflowed (moved to another queue while waiting). Everything about a visit
//!   counts in the bucket in which it started; its wait runs from its start to its end. Only
//!   `waiting_ms` (time spent waiting) is split at bucket edges, like agent time.
//! - An **agent's part** runs from connect until the engagement is transferred away or closes;
//!   its handle time counts for the visit's queue (in the visit's bucket) and for the agent (in
//!   the bucket the agent answered in).
//! - **Agent time**: between two of an agent's events, the agent's status (offline is not
//!   counted) and whether they hold anything (connected, on hold or in wrap-up) decide where
//!   the time goes: `status_ms`, `busy_ms` (holding), `idle_ms` (ready, holding nothing). Time
//!   is split at bucket edges.

use super::figures::{AgentBucket, QueueBucket};
use serde::{Deserialize, Serialize};
use shared::channel::{Channel, Direction};
use shared::config::{AgentStatus, Disposition};
use shared::engagement::{Consumer, WorkItem};
use shared::ids::{AccountId, AgentId, EngagementId, EntryId, QueueId};
use shared::reports::{EngagementReport, Outcome, VisitResult};
use shared::{EngagementState, EventKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Bucket length: 15 minutes.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// The start of the 15-minute UTC bucket holding `ms`.
pub fn bucket_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(BUCKET_MS)
}

/// Whole seconds, rounded up: the unit of the wait distributions (a wait of 20.001 s is not
/// within a 20-second threshold).
pub fn ceil_secs(ms: i64) -> u32 {
    (ms.max(0) as u64).div_ceil(1000) as u32
}

/// The event kinds the projection reads (the rest of the log changes no figure).
pub const KINDS: &[EventKind] = &[
    EventKind::EngagementCreated,
    EventKind::EngagementOffered,
    EventKind::EngagementOfferDeclined,
    EventKind::EngagementOfferTimedOut,
    EventKind::EngagementConnected,
    EventKind::EngagementInactive,
    EventKind::EngagementResumed,
    EventKind::EngagementTransferred,
    EventKind::EngagementOverflowed,
    EventKind::EngagementDispositionAdded,
    EventKind::EngagementVariablesUpdated,
    EventKind::EngagementWrapUpStarted,
    EventKind::EngagementClosed,
    EventKind::EngagementSurveyCompleted,
    EventKind::AgentStatusChanged,
    EventKind::AgentLoggedOut,
];

/// What the projection needs of one event, read from the log without the rest of its payload.
#[derive(Debug, Clone)]
pub struct Fact {
    pub kind: EventKind,
    pub at_ms: i64,
    pub agent: Option<AgentId>,
    pub data: FactData,
}

/// The part of an event's `data` the projection reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FactData {
    #[serde(default)]
    pub engagement: Option<Snapshot>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub disposition: Option<Disposition>,
    #[serde(default)]
    pub status: Option<AgentStatus>,
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    #[serde(default)]
    pub survey: Option<SurveyFact>,
}

/// What reports read of a satisfaction survey answer (`engagement.survey_completed`).
#[derive(Debug, Clone, Deserialize)]
pub struct SurveyFact {
    pub rating: u8,
    #[serde(default)]
    pub queue_id: Option<QueueId>,
    #[serde(default)]
    pub agent_id: Option<AgentId>,
}

/// The engagement as an event carries it, reduced to what reports use.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    pub engagement_id: EngagementId,
    pub channel: Channel,
    #[serde(default)]
    pub channel_source: Option<String>,
    pub direction: Direction,
    pub state: EngagementState,
    #[serde(default)]
    pub flow_entry_id: Option<EntryId>,
    #[serde(default)]
    pub entry_address: Option<String>,
    #[serde(default)]
    pub queue_id: Option<QueueId>,
    #[serde(default)]
    pub consumer: Option<Consumer>,
    #[serde(default)]
    pub work_item: Option<WorkItem>,
}

/// The projector's state for an open engagement (stored beside its row until it closes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub state: EngagementState,
    pub since_ms: i64,
    /// The queue visit under way (waiting in `queue_id` since `start_ms`).
    pub visit: Option<Visit>,
    /// The agent's part under way.
    pub part: Option<Part>,
    /// Some agent declined it or let it ring out.
    pub missed: bool,
    /// The first visit has ended (its result is on the row).
    pub first_visit_done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub queue_id: QueueId,
    pub start_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub agent_id: AgentId,
    pub connected_ms: i64,
    /// The visit it answered (its queue and start), which its handle time counts for.
    pub visit: Option<Visit>,
}

/// An engagement's row and, while it is open, its progress.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementEntry {
    pub account: AccountId,
    pub row: EngagementReport,
    pub progress: Option<Progress>,
}

/// An agent's status and holdings as of the last event the projection read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AgentState {
    /// `None`: offline.
    pub status: Option<StatusKey>,
    pub holding: BTreeSet<EngagementId>,
    pub since_ms: i64,
}

/// A status as reports group time: `ready`, or `not_ready` with its reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StatusKey {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl StatusKey {
    pub fn of(status: &AgentStatus) -> Option<StatusKey> {
        match status {
            AgentStatus::Offline => None,
            AgentStatus::Ready => Some(StatusKey {
                status: "ready".into(),
                reason: None,
            }),
            AgentStatus::NotReady { reason } => Some(StatusKey {
                status: "not_ready".into(),
                reason: Some(reason.clone()),
            }),
        }
    }

    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

/// One account's projection state for a batch: the entries and agents it touches (loaded
/// before, written after) and the bucket deltas it produced.
#[derive(Debug, Default)]
pub struct Projection {
    pub engagements: HashMap<EngagementId, EngagementEntry>,
    pub agents: HashMap<AgentId, AgentState>,
    pub queue_buckets: BTreeMap<(QueueId, i64), QueueBucket>,
    pub agent_buckets: BTreeMap<(AgentId, i64), AgentBucket>,
    /// Engagements and agents this batch changed (to write back).
    pub changed_engagements: BTreeSet<EngagementId>,
    pub changed_agents: BTreeSet<AgentId>,
}

impl Projection {
    /// Fold one event in. The caller has loaded the entry of the event's engagement and the
    /// state of every agent it names, when they exist.
    pub fn apply(&mut self, account: AccountId, fact: &Fact) {
        match fact.kind {
            EventKind::AgentStatusChanged => {
                let agent = fact.data.agent_id.or(fact.agent);
                if let (Some(agent), Some(status)) = (agent, fact.data.status.as_ref()) {
                    self.advance_agent(agent, fact.at_ms);
                    self.agent(agent).status = StatusKey::of(status);
                }
            }
            EventKind::AgentLoggedOut => {
                if let Some(agent) = fact.data.agent_id.or(fact.agent) {
                    self.advance_agent(agent, fact.at_ms);
                    self.agent(agent).status = None;
                }
            }
            _ => {
                if let Some(snapshot) = &fact.data.engagement {
                    self.apply_engagement(account, fact, snapshot);
                }
            }
        }
    }

    fn agent(&mut self, agent: AgentId) -> &mut AgentState {
        self.changed_agents.insert(agent);
        self.agents.entry(agent).or_default()
    }

    /// Count the agent's time since their last event up to `now`.
    fn advance_agent(&mut self, agent: AgentId, now: i64) {
        let state = self.agent(agent).clone();
        // Offline time is not counted (and an agent first seen has no time behind them).
        if state.status.is_some() {
            let mut spans = Vec::new();
            split_span(state.since_ms, now, |bucket, ms| spans.push((bucket, ms)));
            for (bucket, ms) in spans {
                let b = self.agent_buckets.entry((agent, bucket)).or_default();
                b.add_time(&state, ms);
            }
        }
        self.agent(agent).since_ms = now.max(state.since_ms);
    }

    fn apply_engagement(&mut self, account: AccountId, fact: &Fact, s: &Snapshot) {
        let id = s.engagement_id;
        self.changed_engagements.insert(id);
        let at = fact.at_ms;
        let entry = self
            .engagements
            .entry(id)
            .or_insert_with(|| new_entry(account, s, at));
        if let (EventKind::EngagementSurveyCompleted, Some(survey)) = (fact.kind, &fact.data.survey)
        {
            // Whether the engagement is in wrap-up or closed: its row takes the rating, and the
            // answer counts when it was given, for the queue and agent it names.
            entry.row.satisfaction = Some(survey.rating);
            if let Some(queue) = survey.queue_id {
                self.queue_bucket(queue, at).add_survey(survey.rating);
            }
            if let Some(agent) = survey.agent_id {
                self.agent_bucket(agent, at).add_survey(survey.rating);
            }
            return;
        }
        let Some(mut p) = entry.progress.take() else {
            // Closed already: only a late disposition still changes the row.
            if let (EventKind::EngagementDispositionAdded, Some(d)) =
                (fact.kind, &fact.data.disposition)
            {
                set_disposition(&mut entry.row, d);
            }
            return;
        };
        let mut row = entry.row.clone();
        // Time in the state it leaves.
        let spent = (at - p.since_ms).max(0);
        match p.state {
            EngagementState::Connected => row.talk_ms += spent,
            EngagementState::Inactive => row.hold_ms += spent,
            EngagementState::WrapUp => row.wrap_up_ms += spent,
            _ => {}
        }
        row.handle_ms = row.talk_ms + row.hold_ms + row.wrap_up_ms;
        p.state = s.state;
        p.since_ms = at;
        row.work_item_name = s.work_item.as_ref().map(|w| w.name.clone());
        row.work_item_id = s.work_item.as_ref().and_then(|w| w.id.clone());
        row.consumer_name = s.consumer.as_ref().and_then(|c| c.display_name.clone());

        match fact.kind {
            EventKind::EngagementOffered => {
                row.offered_at.get_or_insert(ms_time(at));
                if let Some(agent) = fact.agent {
                    self.agent_bucket(agent, at).offered += 1;
                }
            }
            EventKind::EngagementOfferDeclined | EventKind::EngagementOfferTimedOut => {
                p.missed = true;
                if let Some(agent) = fact.agent {
                    self.agent_bucket(agent, at).missed += 1;
                }
            }
            EventKind::EngagementConnected => {
                let visit = p.visit.take();
                if let Some(v) = &visit {
                    let wait = at - v.start_ms;
                    self.queue_bucket(v.queue_id, v.start_ms).add_answered(wait);
                    self.count_waiting(v, at);
                    end_first_visit(&mut row, &mut p, VisitResult::Answered, wait);
                }
                row.answered_at.get_or_insert(ms_time(at));
                if let Some(agent) = fact.agent {
                    if !row.agent_ids.contains(&agent) {
                        row.agent_ids.push(agent);
                    }
                    self.agent_bucket(agent, at).answered += 1;
                    self.advance_agent(agent, at);
                    self.agent(agent).holding.insert(id);
                    p.part = Some(Part {
                        agent_id: agent,
                        connected_ms: at,
                        visit,
                    });
                }
            }
            EventKind::EngagementTransferred => {
                row.transfers += 1;
                self.end_part(&mut p, id, at);
            }
            EventKind::EngagementWrapUpStarted => {
                row.ended_at.get_or_insert(ms_time(at));
            }
            EventKind::EngagementDispositionAdded => {
                if let Some(d) = &fact.data.disposition {
                    set_disposition(&mut row, d);
                }
            }
            EventKind::EngagementClosed => {
                let reason = fact.data.reason.clone().unwrap_or_default();
                if let Some(v) = p.visit.take() {
                    let wait = at - v.start_ms;
                    self.count_waiting(&v, at);
                    let result = if reason == "abandoned" {
                        self.queue_bucket(v.queue_id, v.start_ms)
                            .add_abandoned(wait);
                        VisitResult::Abandoned
                    } else {
                        self.queue_bucket(v.queue_id, v.start_ms).cancelled += 1;
                        VisitResult::Cancelled
                    };
                    end_first_visit(&mut row, &mut p, result, wait);
                }
                self.end_part(&mut p, id, at);
                row.ended_at.get_or_insert(ms_time(at));
                row.closed_at = Some(ms_time(at));
                row.outcome = Some(outcome(&row, &p, &reason));
                row.close_reason = Some(reason);
                row.wait_ms = Some(wait_ms(&row));
                let entry = self.engagements.get_mut(&id).expect("inserted above");
                entry.row = row;
                entry.progress = None;
                return;
            }
            _ => {}
        }

        // A waiting engagement in a queue it was not waiting in starts a visit there (created,
        // transferred, overflowed, routed by a flow); the visit it leaves was an overflow.
        let waiting = matches!(s.state, EngagementState::Queued | EngagementState::Offered);
        if let (true, Some(queue)) = (waiting, s.queue_id) {
            if p.visit.as_ref().map(|v| v.queue_id) != Some(queue) {
                if let Some(old) = p.visit.take() {
                    self.queue_bucket(old.queue_id, old.start_ms).overflowed += 1;
                    self.count_waiting(&old, at);
                    end_first_visit(&mut row, &mut p, VisitResult::Overflowed, at - old.start_ms);
                }
                self.queue_bucket(queue, at).offered += 1;
                row.first_queue_id.get_or_insert(queue);
                row.last_queue_id = Some(queue);
                p.visit = Some(Visit {
                    queue_id: queue,
                    start_ms: at,
                });
            }
        }
        if row.wait_ms.is_none() && row.answered_at.is_some() {
            row.wait_ms = Some(wait_ms(&row));
        }
        let entry = self.engagements.get_mut(&id).expect("inserted above");
        entry.row = row;
        entry.progress = Some(p);
    }

    /// The agent's part ends at `at`: its handle time is counted, the agent holds it no more.
    fn end_part(&mut self, p: &mut Progress, id: EngagementId, at: i64) {
        let Some(part) = p.part.take() else { return };
        let handle = (at - part.connected_ms).max(0);
        if let Some(v) = &part.visit {
            self.queue_bucket(v.queue_id, v.start_ms)
                .add_handled(handle);
        }
        self.agent_bucket(part.agent_id, part.connected_ms)
            .add_handled(handle);
        self.advance_agent(part.agent_id, at);
        self.agent(part.agent_id).holding.remove(&id);
    }

    /// A visit that ended at `end` waited from its start: that time goes to the buckets it
    /// spans.
    fn count_waiting(&mut self, v: &Visit, end: i64) {
        split_span(v.start_ms, end, |bucket, ms| {
            self.queue_bucket(v.queue_id, bucket).waiting_ms += ms;
        });
    }

    fn queue_bucket(&mut self, queue: QueueId, at: i64) -> &mut QueueBucket {
        self.queue_buckets
            .entry((queue, bucket_of(at)))
            .or_default()
    }

    fn agent_bucket(&mut self, agent: AgentId, at: i64) -> &mut AgentBucket {
        self.agent_buckets
            .entry((agent, bucket_of(at)))
            .or_default()
    }
}

/// Split `[from, to)` at bucket edges.
pub fn split_span(from: i64, to: i64, mut each: impl FnMut(i64, i64)) {
    let mut t = from;
    while t < to {
        let bucket = bucket_of(t);
        let end = (bucket + BUCKET_MS).min(to);
        each(bucket, end - t);
        t = end;
    }
}

fn new_entry(account: AccountId, s: &Snapshot, at: i64) -> EngagementEntry {
    EngagementEntry {
        account,
        row: EngagementReport {
            engagement_id: s.engagement_id,
            channel: s.channel,
            channel_source: s.channel_source.clone(),
            direction: s.direction,
            entry_id: s.flow_entry_id.clone(),
            entry_address: s.entry_address.clone(),
            first_queue_id: None,
            last_queue_id: None,
            agent_ids: Vec::new(),
            consumer_name: None,
            work_item_name: None,
            work_item_id: None,
            // Every time in a report is an event's `occurred_at`, so the log alone recomputes it.
            created_at: ms_time(at),
            offered_at: None,
            answered_at: None,
            ended_at: None,
            closed_at: None,
            wait_ms: None,
            talk_ms: 0,
            hold_ms: 0,
            wrap_up_ms: 0,
            handle_ms: 0,
            transfers: 0,
            outcome: None,
            close_reason: None,
            disposition_id: None,
            disposition_name: None,
            disposition_code: None,
            first_queue_result: None,
            first_queue_wait_ms: None,
            service_level_met: None,
            satisfaction: None,
        },
        progress: Some(Progress {
            state: EngagementState::Queued,
            since_ms: at,
            visit: None,
            part: None,
            missed: false,
            first_visit_done: false,
        }),
    }
}

fn end_first_visit(row: &mut EngagementReport, p: &mut Progress, result: VisitResult, wait: i64) {
    if !p.first_visit_done {
        p.first_visit_done = true;
        row.first_queue_result = Some(result);
        row.first_queue_wait_ms = Some(wait.max(0));
    }
}

fn set_disposition(row: &mut EngagementReport, d: &Disposition) {
    row.disposition_id = Some(d.disposition_id);
    row.disposition_name = Some(d.name.clone());
    row.disposition_code = d.code.clone();
}

/// The channel source of a work item a customer's left message became.
const LEFT_MESSAGE_SOURCE: &str = "web_chat_message";

fn outcome(row: &EngagementReport, p: &Progress, reason: &str) -> Outcome {
    if row.channel_source.as_deref() == Some(LEFT_MESSAGE_SOURCE) {
        return Outcome::LeftMessage;
    }
    match (row.answered_at.is_some(), reason) {
        (true, _) if row.transfers > 0 => Outcome::Transferred,
        (true, _) => Outcome::Answered,
        (false, "abandoned") if p.missed => Outcome::Missed,
        (false, "abandoned") => Outcome::Abandoned,
        (false, _) => Outcome::Cancelled,
    }
}

fn wait_ms(row: &EngagementReport) -> i64 {
    let end = row.answered_at.or(row.closed_at).unwrap_or(row.created_at);
    millis(end) - millis(row.created_at)
}

pub fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn ms_time(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const T0: i64 = 1_796_000_000_000 - 1_796_000_000_000 % BUCKET_MS;

    fn snapshot(state: EngagementState, queue: Option<QueueId>) -> Snapshot {
        Snapshot {
            engagement_id: EngagementId(Uuid::from_u128(1)),
            channel: Channel::Chat,
            channel_source: None,
            direction: Direction::Inbound,
            state,
            flow_entry_id: None,
            entry_address: None,
            queue_id: queue,
            consumer: None,
            work_item: None,
        }
    }

    fn fact(kind: EventKind, at: i64, agent: Option<AgentId>, s: Snapshot) -> Fact {
        Fact {
            kind,
            at_ms: at,
            agent,
            data: FactData {
                engagement: Some(s),
                ..FactData::default()
            },
        }
    }

    fn status(agent: AgentId, at: i64, status: AgentStatus) -> Fact {
        Fact {
            kind: EventKind::AgentStatusChanged,
            at_ms: at,
            agent: Some(agent),
            data: FactData {
                status: Some(status),
                agent_id: Some(agent),
                ..FactData::default()
            },
        }
    }

    #[test]
    fn a_survey_answer_rates_the_row_and_counts_when_given_even_after_close() {
        let account = AccountId(Uuid::from_u128(9));
        let q = QueueId(Uuid::from_u128(2));
        let ada = AgentId(Uuid::from_u128(4));
        let mut p = Projection::default();
        let flow = [
            (
                EventKind::EngagementCreated,
                T0,
                None,
                EngagementState::Queued,
            ),
            (
                EventKind::EngagementConnected,
                T0 + 1_000,
                Some(ada),
                EngagementState::Connected,
            ),
            (
                EventKind::EngagementClosed,
                T0 + 9_000,
                Some(ada),
                EngagementState::Closed,
            ),
        ];
        for (kind, at, agent, state) in flow {
            p.apply(account, &fact(kind, at, agent, snapshot(state, Some(q))));
        }
        let progress_before = p.engagements.values().next().unwrap().progress.clone();
        let mut answer = fact(
            EventKind::EngagementSurveyCompleted,
            T0 + BUCKET_MS + 5,
            None,
            snapshot(EngagementState::Closed, Some(q)),
        );
        answer.data.survey = Some(SurveyFact {
            rating: 4,
            queue_id: Some(q),
            agent_id: Some(ada),
        });
        p.apply(account, &answer);
        let entry = p.engagements.values().next().unwrap();
        assert_eq!(entry.row.satisfaction, Some(4));
        assert_eq!(entry.progress, progress_before, "no time or state moves");
        // In the bucket it was given in, not the one the engagement was answered in.
        let later = &p.queue_buckets[&(q, T0 + BUCKET_MS)];
        assert_eq!(
            (later.surveys, later.survey_sum, later.satisfied),
            (1, 4, 1)
        );
        assert_eq!(p.queue_buckets[&(q, T0)].surveys, 0);
        let agent = &p.agent_buckets[&(ada, T0 + BUCKET_MS)];
        assert_eq!((agent.surveys, agent.survey_sum), (1, 4));
        let f = later.figures(20, 5);
        assert_eq!(f.satisfaction.satisfaction_average, Some(4.0));
        assert_eq!(f.satisfaction.satisfaction_percent, Some(100.0));
    }

    #[test]
    fn waiting_time_is_split_at_bucket_edges_and_counted_when_the_visit_ends() {
        let account = AccountId(Uuid::from_u128(9));
        let q = QueueId(Uuid::from_u128(2));
        let ada = AgentId(Uuid::from_u128(4));
        let mut p = Projection::default();
        let start = T0 + BUCKET_MS - 3_000;
        p.apply(
            account,
            &fact(
                EventKind::EngagementCreated,
                start,
                None,
                snapshot(EngagementState::Queued, Some(q)),
            ),
        );
        assert_eq!(
            p.queue_buckets[&(q, T0)].waiting_ms,
            0,
            "not before it ends"
        );
        p.apply(
            account,
            &fact(
                EventKind::EngagementConnected,
                T0 + BUCKET_MS + 2_000,
                Some(ada),
                snapshot(EngagementState::Connected, Some(q)),
            ),
        );
        assert_eq!(p.queue_buckets[&(q, T0)].waiting_ms, 3_000);
        assert_eq!(p.queue_buckets[&(q, T0 + BUCKET_MS)].waiting_ms, 2_000);
        // Everything else about the visit stays in the bucket it started in.
        assert_eq!(p.queue_buckets[&(q, T0)].answered, 1);
        assert_eq!(p.queue_buckets[&(q, T0 + BUCKET_MS)].answered, 0);
    }

    #[test]
    fn an_agent_first_seen_has_no_time_behind_them() {
        let account = AccountId(Uuid::from_u128(9));
        let ada = AgentId(Uuid::from_u128(4));
        let mut p = Projection::default();
        p.apply(account, &status(ada, T0 + 5, AgentStatus::Ready));
        assert!(p.agent_buckets.is_empty());
        p.apply(account, &status(ada, T0 + 10, AgentStatus::Offline));
        assert_eq!(p.agent_buckets[&(ada, T0)].idle_ms, 5);
        p.apply(
            account,
            &status(ada, T0 + BUCKET_MS * 40, AgentStatus::Ready),
        );
        assert_eq!(p.agent_buckets.len(), 1);
    }

    #[test]
    fn a_transferred_engagement_counts_a_visit_per_queue_and_a_part_per_agent() {
        use EngagementState as S;
        use EventKind as K;
        let account = AccountId(Uuid::from_u128(9));
        let (qa, qb) = (QueueId(Uuid::from_u128(2)), QueueId(Uuid::from_u128(3)));
        let (ada, bob) = (AgentId(Uuid::from_u128(4)), AgentId(Uuid::from_u128(5)));
        let mut p = Projection::default();
        p.apply(account, &status(ada, T0, AgentStatus::Ready));
        p.apply(account, &status(bob, T0, AgentStatus::Ready));
        let steps = [
            (K::EngagementCreated, 1_000, None, S::Queued, Some(qa)),
            (K::EngagementOffered, 1_000, Some(ada), S::Offered, Some(qa)),
            (
                K::EngagementOfferTimedOut,
                31_000,
                Some(ada),
                S::Queued,
                Some(qa),
            ),
            (
                K::EngagementOffered,
                32_000,
                Some(ada),
                S::Offered,
                Some(qa),
            ),
            (
                K::EngagementConnected,
                34_000,
                Some(ada),
                S::Connected,
                Some(qa),
            ),
            (
                K::EngagementInactive,
                40_000,
                Some(ada),
                S::Inactive,
                Some(qa),
            ),
            (
                K::EngagementResumed,
                45_000,
                Some(ada),
                S::Connected,
                Some(qa),
            ),
            (
                K::EngagementTransferred,
                50_000,
                Some(ada),
                S::Queued,
                Some(qb),
            ),
            (
                K::EngagementOffered,
                50_000,
                Some(bob),
                S::Offered,
                Some(qb),
            ),
            (
                K::EngagementConnected,
                52_000,
                Some(bob),
                S::Connected,
                Some(qb),
            ),
            (
                K::EngagementWrapUpStarted,
                60_000,
                Some(bob),
                S::WrapUp,
                Some(qb),
            ),
            (K::EngagementClosed, 65_000, Some(bob), S::Closed, Some(qb)),
        ];
        for (kind, at, agent, state, queue) in steps {
            p.apply(account, &fact(kind, T0 + at, agent, snapshot(state, queue)));
        }
        let e = &p.engagements[&EngagementId(Uuid::from_u128(1))];
        assert!(e.progress.is_none());
        let r = &e.row;
        assert_eq!(r.outcome, Some(Outcome::Transferred));
        assert_eq!(r.wait_ms, Some(33_000));
        assert_eq!(
            (r.talk_ms, r.hold_ms, r.wrap_up_ms),
            (6_000 + 5_000 + 8_000, 5_000, 5_000)
        );
        assert_eq!(r.handle_ms, 29_000);
        assert_eq!(r.agent_ids, vec![ada, bob]);
        assert_eq!((r.first_queue_id, r.last_queue_id), (Some(qa), Some(qb)));
        assert_eq!(r.first_queue_result, Some(VisitResult::Answered));
        assert_eq!(r.first_queue_wait_ms, Some(33_000));

        let a = &p.queue_buckets[&(qa, T0)];
        assert_eq!(
            (a.offered, a.answered, a.handled, a.handle_ms),
            (1, 1, 1, 16_000)
        );
        assert_eq!(a.answered_waits.get(&33), Some(&1));
        let b = &p.queue_buckets[&(qb, T0)];
        assert_eq!((b.offered, b.answered, b.handle_ms), (1, 1, 13_000));
        let ada_bucket = &p.agent_buckets[&(ada, T0)];
        assert_eq!(
            (ada_bucket.offered, ada_bucket.missed, ada_bucket.answered),
            (2, 1, 1)
        );
        // Ada held it from 34 s to 50 s: busy; ready and free before and after.
        assert_eq!(ada_bucket.busy_ms, 16_000);
        assert_eq!(ada_bucket.idle_ms, 34_000);
        assert!(p.agents[&ada].holding.is_empty() && p.agents[&bob].holding.is_empty());
    }

    #[test]
    fn overflow_ends_a_visit_and_an_early_hang_up_is_an_abandon_in_the_visit_s_bucket() {
        use EngagementState as S;
        use EventKind as K;
        use S::*;
        let account = AccountId(Uuid::from_u128(9));
        let (qa, qb) = (QueueId(Uuid::from_u128(2)), QueueId(Uuid::from_u128(3)));
        let mut p = Projection::default();
        p.apply(
            account,
            &fact(
                K::EngagementCreated,
                T0 + BUCKET_MS - 1_000,
                None,
                snapshot(Queued, Some(qa)),
            ),
        );
        p.apply(
            account,
            &fact(
                K::EngagementOverflowed,
                T0 + BUCKET_MS + 60_000,
                None,
                snapshot(Queued, Some(qb)),
            ),
        );
        let mut closed = fact(
            K::EngagementClosed,
            T0 + BUCKET_MS + 63_000,
            None,
            snapshot(Closed, Some(qb)),
        );
        closed.data.reason = Some("abandoned".into());
        p.apply(account, &closed);
        let a = &p.queue_buckets[&(qa, T0)];
        assert_eq!((a.offered, a.overflowed, a.abandoned), (1, 1, 0));
        let b = &p.queue_buckets[&(qb, T0 + BUCKET_MS)];
        assert_eq!((b.offered, b.abandoned), (1, 1));
        assert_eq!(b.abandoned_waits.get(&3), Some(&1));
        let r = &p.engagements[&EngagementId(Uuid::from_u128(1))].row;
        assert_eq!(r.outcome, Some(Outcome::Abandoned));
        assert_eq!(r.first_queue_result, Some(VisitResult::Overflowed));
    }

    #[test]
    fn agent_time_is_split_at_bucket_edges() {
        let mut seen = Vec::new();
        split_span(T0 + BUCKET_MS - 5, T0 + 2 * BUCKET_MS + 7, |b, ms| {
            seen.push((b - T0, ms))
        });
        assert_eq!(
            seen,
            vec![(0, 5), (BUCKET_MS, BUCKET_MS), (2 * BUCKET_MS, 7)]
        );
    }
}
