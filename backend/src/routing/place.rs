//! A waiting engagement's place in its queue — what a web chat customer sees while waiting.
//!
//! The position follows the routing order ([`super::plan::order_key`]: priority, then age), so
//! a customer is never told "2nd" while a higher-priority engagement is answered before them
//! without their number moving. The estimate is position ÷ throughput: how many of the
//! queue's engagements agents answered in the last [`WINDOW_MS`]. With none answered there is
//! no honest estimate and none is given.

use super::plan::order_key;
use super::priority;
use shared::ids::EngagementId;

/// The window the answer rate is measured over.
pub const WINDOW_MS: i64 = 30 * 60 * 1000;

/// One engagement waiting in the queue (queued or ringing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub id: EngagementId,
    pub ringing: bool,
    pub base_priority: i32,
    pub due_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

/// `me`'s position among `waiting` (1 = answered next; 0 while it rings an agent), or `None`
/// when `me` is not waiting. Ringing engagements are not ahead of anyone: they have an agent.
pub fn position(me: EngagementId, waiting: &[Waiting], now_ms: i64) -> Option<u32> {
    let mine = waiting.iter().find(|w| w.id == me)?;
    if mine.ringing {
        return Some(0);
    }
    let key = |w: &Waiting| {
        order_key(
            priority::effective(w.base_priority, w.due_at_ms, now_ms),
            w.created_at_ms,
            w.id,
        )
    };
    let my_key = key(mine);
    let ahead = waiting
        .iter()
        .filter(|w| !w.ringing && key(w) < my_key)
        .count();
    Some(u32::try_from(ahead + 1).unwrap_or(u32::MAX))
}

/// The expected wait at `position` given `answered` engagements in the last [`WINDOW_MS`]:
/// `None` without any (the queue's pace is unknown).
pub fn estimate_secs(position: u32, answered: u64) -> Option<u64> {
    if answered == 0 {
        return None;
    }
    let per_answer_ms = WINDOW_MS as u64 / answered;
    Some((u64::from(position) * per_answer_ms).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn w(n: u128, priority: i32, created: i64) -> Waiting {
        Waiting {
            id: EngagementId(uuid::Uuid::from_u128(n)),
            ringing: false,
            base_priority: priority,
            due_at_ms: None,
            created_at_ms: created,
        }
    }

    #[test]
    fn position_follows_priority_then_age_and_skips_ringing() {
        let mut list = vec![w(1, 0, 10), w(2, 0, 20), w(3, 5, 30), w(4, 0, 5)];
        list[3].ringing = true;
        let at = |n: u128| position(EngagementId(uuid::Uuid::from_u128(n)), &list, 100);
        assert_eq!(
            at(3),
            Some(1),
            "higher priority goes first though it came last"
        );
        assert_eq!(at(1), Some(2));
        assert_eq!(at(2), Some(3));
        assert_eq!(at(4), Some(0), "ringing: it has an agent");
        assert_eq!(at(9), None);
    }

    #[test]
    fn the_estimate_is_position_over_the_answer_rate() {
        assert_eq!(estimate_secs(3, 0), None);
        // 30 answered in 30 minutes: one a minute.
        assert_eq!(estimate_secs(3, 30), Some(180));
        assert_eq!(estimate_secs(1, 7), Some(258)); // 1800 s / 7, rounded up
    }

    proptest! {
        /// Positions of the non-ringing waiting engagements are exactly 1..=n, each once.
        #[test]
        fn positions_are_a_permutation(items in proptest::collection::vec((any::<i8>(), 0i64..1000, any::<bool>()), 1..40)) {
            let list: Vec<Waiting> = items.iter().enumerate().map(|(i, (p, c, r))| {
                let mut x = w(i as u128 + 1, i32::from(*p), *c);
                x.ringing = *r;
                x
            }).collect();
            let mut seen: Vec<u32> = list.iter().filter(|x| !x.ringing)
                .map(|x| position(x.id, &list, 0).unwrap()).collect();
            seen.sort_unstable();
            let expected: Vec<u32> = (1..=seen.len() as u32).collect();
            prop_assert_eq!(seen, expected);
        }
    }
}
