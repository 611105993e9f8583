//! What one 15-minute bucket holds per queue and per agent, how buckets add up, and the
//! figures (service level, averages, p90, occupancy) computed from a sum of buckets.
//!
//! Buckets keep counts, sums of milliseconds and wait distributions in whole seconds (rounded
//! up), never ratios, so any union of buckets gives exact figures for any threshold.

use super::projection::{ceil_secs, AgentState, StatusKey};
use serde::{Deserialize, Serialize};
use shared::reports::{AgentFigures, QueueFigures, Satisfaction, StatusTime};
use std::collections::BTreeMap;

/// A queue's 15 minutes (stored as JSON in `report_queue_buckets.doc`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueBucket {
    #[serde(default)]
    pub offered: u64,
    #[serde(default)]
    pub answered: u64,
    #[serde(default)]
    pub answered_wait_ms: i64,
    /// Answered waits: whole seconds (rounded up) → how many.
    #[serde(default)]
    pub answered_waits: BTreeMap<u32, u64>,
    #[serde(default)]
    pub abandoned: u64,
    #[serde(default)]
    pub abandoned_waits: BTreeMap<u32, u64>,
    #[serde(default)]
    pub overflowed: u64,
    #[serde(default)]
    pub cancelled: u64,
    #[serde(default)]
    pub handled: u64,
    #[serde(default)]
    pub handle_ms: i64,
    #[serde(default)]
    pub surveys: u64,
    #[serde(default)]
    pub survey_sum: u64,
    /// Answers rating 4 or 5 (thumbs up).
    #[serde(default)]
    pub satisfied: u64,
    /// Time engagements spent waiting in the queue within these 15 minutes (a visit's wait is
    /// split at bucket edges, counted when the visit ends).
    #[serde(default)]
    pub waiting_ms: i64,
}

impl QueueBucket {
    pub fn add_answered(&mut self, wait_ms: i64) {
        let wait_ms = wait_ms.max(0);
        self.answered += 1;
        self.answered_wait_ms += wait_ms;
        *self.answered_waits.entry(ceil_secs(wait_ms)).or_default() += 1;
    }

    pub fn add_abandoned(&mut self, wait_ms: i64) {
        self.abandoned += 1;
        *self.abandoned_waits.entry(ceil_secs(wait_ms)).or_default() += 1;
    }

    pub fn add_handled(&mut self, handle_ms: i64) {
        self.handled += 1;
        self.handle_ms += handle_ms;
    }

    /// A satisfaction survey answer.
    pub fn add_survey(&mut self, rating: u8) {
        self.surveys += 1;
        self.survey_sum += u64::from(rating);
        self.satisfied += u64::from(shared::survey::is_satisfied(rating));
    }

    pub fn merge(&mut self, o: &QueueBucket) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_wait_ms += o.answered_wait_ms;
        for (s, n) in &o.answered_waits {
            *self.answered_waits.entry(*s).or_default() += n;
        }
        self.abandoned += o.abandoned;
        for (s, n) in &o.abandoned_waits {
            *self.abandoned_waits.entry(*s).or_default() += n;
        }
        self.overflowed += o.overflowed;
        self.cancelled += o.cancelled;
        self.handled += o.handled;
        self.handle_ms += o.handle_ms;
        self.surveys += o.surveys;
        self.survey_sum += o.survey_sum;
        self.satisfied += o.satisfied;
        self.waiting_ms += o.waiting_ms;
    }

    /// The figures, with the queue's thresholds as configured now.
    pub fn figures(&self, threshold_secs: u32, short_abandon_secs: u32) -> QueueFigures {
        let within: u64 = self
            .answered_waits
            .range(..=threshold_secs)
            .map(|(_, n)| n)
            .sum();
        let short: u64 = self
            .abandoned_waits
            .range(..=short_abandon_secs)
            .map(|(_, n)| n)
            .sum();
        let counted = self.answered + self.abandoned - short;
        QueueFigures {
            offered: self.offered,
            answered: self.answered,
            answered_within_threshold: within,
            abandoned: self.abandoned,
            short_abandoned: short,
            overflowed: self.overflowed,
            cancelled: self.cancelled,
            service_level_percent: ratio(within, counted).map(|r| r * 100.0),
            average_wait_ms: ratio_i(self.answered_wait_ms, self.answered),
            p90_wait_secs: p90(&self.answered_waits, self.answered),
            handled: self.handled,
            average_handle_ms: ratio_i(self.handle_ms, self.handled),
            satisfaction: satisfaction(self.surveys, self.survey_sum, self.satisfied),
            waiting_ms: self.waiting_ms,
        }
    }
}

/// An agent's 15 minutes (stored as JSON in `report_agent_buckets.doc`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentBucket {
    #[serde(default)]
    pub offered: u64,
    #[serde(default)]
    pub answered: u64,
    #[serde(default)]
    pub missed: u64,
    #[serde(default)]
    pub handled: u64,
    #[serde(default)]
    pub handle_ms: i64,
    #[serde(default)]
    pub busy_ms: i64,
    #[serde(default)]
    pub idle_ms: i64,
    /// Time per status, `ready` or `not_ready` plus reason (offline is not counted).
    #[serde(default)]
    pub status_ms: Vec<(StatusKey, i64)>,
    #[serde(default)]
    pub surveys: u64,
    #[serde(default)]
    pub survey_sum: u64,
    /// Answers rating 4 or 5 (thumbs up).
    #[serde(default)]
    pub satisfied: u64,
}

impl AgentBucket {
    pub fn add_handled(&mut self, handle_ms: i64) {
        self.handled += 1;
        self.handle_ms += handle_ms;
    }

    /// A satisfaction survey answer.
    pub fn add_survey(&mut self, rating: u8) {
        self.surveys += 1;
        self.survey_sum += u64::from(rating);
        self.satisfied += u64::from(shared::survey::is_satisfied(rating));
    }

    /// `ms` of the agent in `state` (their status and holdings over that time).
    pub fn add_time(&mut self, state: &AgentState, ms: i64) {
        let Some(status) = &state.status else {
            return;
        };
        if ms <= 0 {
            return;
        }
        self.add_status(status, ms);
        if !state.holding.is_empty() {
            self.busy_ms += ms;
        } else if status.is_ready() {
            self.idle_ms += ms;
        }
    }

    fn add_status(&mut self, status: &StatusKey, ms: i64) {
        match self.status_ms.iter_mut().find(|(k, _)| k == status) {
            Some((_, total)) => *total += ms,
            None => {
                self.status_ms.push((status.clone(), ms));
                self.status_ms.sort();
            }
        }
    }

    pub fn merge(&mut self, o: &AgentBucket) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.missed += o.missed;
        self.handled += o.handled;
        self.handle_ms += o.handle_ms;
        self.busy_ms += o.busy_ms;
        self.idle_ms += o.idle_ms;
        for (k, ms) in &o.status_ms {
            self.add_status(k, *ms);
        }
        self.surveys += o.surveys;
        self.survey_sum += o.survey_sum;
        self.satisfied += o.satisfied;
    }

    pub fn figures(&self) -> AgentFigures {
        AgentFigures {
            offered: self.offered,
            answered: self.answered,
            missed: self.missed,
            handled: self.handled,
            average_handle_ms: ratio_i(self.handle_ms, self.handled),
            busy_ms: self.busy_ms,
            idle_ms: self.idle_ms,
            occupancy_percent: ratio_i(self.busy_ms, (self.busy_ms + self.idle_ms) as u64)
                .map(|r| r * 100.0),
            status_time: self
                .status_ms
                .iter()
                .map(|(k, ms)| StatusTime {
                    status: k.status.clone(),
                    reason: k.reason.clone(),
                    ms: *ms,
                })
                .collect(),
            satisfaction: satisfaction(self.surveys, self.survey_sum, self.satisfied),
        }
    }
}

/// The satisfaction figures of `surveys` answers whose ratings add up to `sum`, `satisfied` of
/// them rating 4 or 5.
fn satisfaction(surveys: u64, sum: u64, satisfied: u64) -> Satisfaction {
    Satisfaction {
        satisfaction_responses: surveys,
        satisfaction_average: ratio(sum, surveys),
        satisfaction_percent: ratio(satisfied, surveys).map(|r| r * 100.0),
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn ratio_i(num: i64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Nearest rank: the smallest `s` with at least 90 % of the `n` waits ≤ `s` seconds.
fn p90(waits: &BTreeMap<u32, u64>, n: u64) -> Option<u32> {
    if n == 0 {
        return None;
    }
    let rank = (9 * n).div_ceil(10);
    let mut seen = 0;
    for (secs, count) in waits {
        seen += count;
        if seen >= rank {
            return Some(*secs);
        }
    }
    waits.keys().next_back().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_level_leaves_out_short_abandons_and_counts_waits_rounded_up() {
        let mut b = QueueBucket::default();
        for wait in [0, 20_000, 20_001, 45_000] {
            b.add_answered(wait);
        }
        b.add_abandoned(3_000); // short with a 5 s threshold
        b.add_abandoned(5_000); // short: ≤ 5 s
        b.add_abandoned(5_001); // counted
        let f = b.figures(20, 5);
        assert_eq!(f.answered_within_threshold, 2);
        assert_eq!(f.short_abandoned, 2);
        assert_eq!(f.service_level_percent, Some(100.0 * 2.0 / 5.0));
        assert_eq!(f.average_wait_ms, Some(85_001.0 / 4.0));
        assert_eq!(f.p90_wait_secs, Some(45));
        let f = b.figures(21, 0);
        assert_eq!(f.answered_within_threshold, 3);
        assert_eq!(f.short_abandoned, 0);
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        let mut waits = BTreeMap::new();
        for s in 1..=10 {
            waits.insert(s, 1);
        }
        assert_eq!(p90(&waits, 10), Some(9));
        waits.insert(11, 1);
        assert_eq!(p90(&waits, 11), Some(10));
        assert_eq!(p90(&BTreeMap::new(), 0), None);
    }

    #[test]
    fn merging_adds_everything() {
        let mut a = QueueBucket {
            offered: 2,
            ..Default::default()
        };
        a.add_answered(1_500);
        let mut b = QueueBucket {
            offered: 1,
            ..Default::default()
        };
        b.add_answered(1_200);
        b.add_abandoned(9_000);
        a.merge(&b);
        assert_eq!(a.offered, 3);
        assert_eq!(a.answered_waits.get(&2), Some(&2));
        assert_eq!(a.abandoned, 1);
    }
}
