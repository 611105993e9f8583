//! Effective priority: what the engine sorts by (higher first).
//!
//! `base` comes from the flow's route step plus the work item's own priority; consumer routing
//! profiles add boosts; a due date raises priority in steps as it approaches, so an item that
//! is about to be late overtakes newer, equally important work:
//!
//! | time to due date | boost |
//! |---|---|
//! | overdue | +40 |
//! | ≤ 1 hour | +30 |
//! | ≤ 4 hours | +20 |
//! | ≤ 24 hours | +10 |
//! | later / none | 0 |

const HOUR_MS: i64 = 3_600_000;
const STEPS: [(i64, i32); 4] = [
    (0, 40),
    (HOUR_MS, 30),
    (4 * HOUR_MS, 20),
    (24 * HOUR_MS, 10),
];

/// The due-date boost at `now_ms`.
pub fn due_boost(due_at_ms: Option<i64>, now_ms: i64) -> i32 {
    let Some(due) = due_at_ms else { return 0 };
    let left = due - now_ms;
    STEPS
        .iter()
        .find(|(threshold, _)| left <= *threshold)
        .map(|(_, boost)| *boost)
        .unwrap_or(0)
}

/// When the boost next changes (the dispatcher's timer re-evaluates then), if ever.
pub fn next_boost_change(due_at_ms: Option<i64>, now_ms: i64) -> Option<i64> {
    let due = due_at_ms?;
    STEPS
        .iter()
        .map(|(threshold, _)| due - threshold)
        .filter(|at| *at > now_ms)
        .min()
}

pub fn effective(base: i32, due_at_ms: Option<i64>, now_ms: i64) -> i32 {
    base.saturating_add(due_boost(due_at_ms, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boost_steps_up_as_the_due_date_nears() {
        let due = 100 * HOUR_MS;
        assert_eq!(due_boost(None, 0), 0);
        assert_eq!(due_boost(Some(due), due - 48 * HOUR_MS), 0);
        assert_eq!(due_boost(Some(due), due - 24 * HOUR_MS), 10);
        assert_eq!(due_boost(Some(due), due - 2 * HOUR_MS), 20);
        assert_eq!(due_boost(Some(due), due - HOUR_MS / 2), 30);
        assert_eq!(due_boost(Some(due), due + 1), 40);
        assert_eq!(effective(5, Some(due), due + 1), 45);
        assert_eq!(effective(i32::MAX, Some(due), due), i32::MAX);
    }

    #[test]
    fn the_timer_wakes_at_each_step() {
        let due = 100 * HOUR_MS;
        assert_eq!(next_boost_change(Some(due), 0), Some(due - 24 * HOUR_MS));
        assert_eq!(
            next_boost_change(Some(due), due - 24 * HOUR_MS),
            Some(due - 4 * HOUR_MS)
        );
        assert_eq!(next_boost_change(Some(due), due - 10), Some(due));
        assert_eq!(next_boost_change(Some(due), due), None);
        assert_eq!(next_boost_change(None, 0), None);
    }
}
