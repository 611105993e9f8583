//! The sliding-window rate limits of web chat: a chat's messages, a client address's chat
//! starts.

use shared::ids::EngagementId;

/// A sliding-window rate limit by key: a chat's messages, a client address's chat starts. It
/// is kept in this instance's memory: behind several instances the counts spread over them
/// and each limit is per instance, which still stops a flood.
pub struct RateLimiter<K = EngagementId> {
    max: usize,
    window_ms: i64,
    sent: std::sync::Mutex<std::collections::HashMap<K, Vec<i64>>>,
}

impl<K: std::hash::Hash + Eq + Copy> RateLimiter<K> {
    /// At most `max` in any `window_ms`; `max` 0 is no limit.
    pub fn new(max: usize, window_ms: i64) -> Self {
        RateLimiter {
            max,
            window_ms,
            sent: std::sync::Mutex::default(),
        }
    }

    /// Count one at `now_ms`, or say how many seconds until one is allowed.
    pub(super) fn admit(&self, key: K, now_ms: i64) -> std::result::Result<(), u64> {
        if self.max == 0 {
            return Ok(());
        }
        let window = self.window_ms;
        let mut sent = self.sent.lock().expect("rate limiter lock");
        // Forget keys quiet for a whole window (keeps the map as small as the live ones).
        if sent.len() > 1_000 {
            sent.retain(|_, times| times.last().is_some_and(|t| now_ms - t < window));
        }
        let times = sent.entry(key).or_default();
        times.retain(|t| now_ms - t < window);
        if times.len() >= self.max {
            let wait_ms = window - (now_ms - times[0]);
            return Err((wait_ms.max(0) as u64).div_ceil(1000).max(1));
        }
        times.push(now_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::chat::{RATE_MESSAGES, RATE_WINDOW_MS};

    #[test]
    fn the_rate_limit_counts_per_chat_within_its_window() {
        let limiter = RateLimiter::new(RATE_MESSAGES, RATE_WINDOW_MS);
        let (a, b) = (
            EngagementId(uuid::Uuid::from_u128(1)),
            EngagementId(uuid::Uuid::from_u128(2)),
        );
        for i in 0..RATE_MESSAGES as i64 {
            assert_eq!(limiter.admit(a, 1_000 + i), Ok(()));
        }
        assert_eq!(
            limiter.admit(a, 2_000),
            Err(9),
            "the first one leaves the window at 11 s"
        );
        assert_eq!(limiter.admit(b, 2_000), Ok(()), "another chat has its own");
        assert_eq!(limiter.admit(a, 1_000 + RATE_WINDOW_MS), Ok(()));
        let unlimited = RateLimiter::new(0, 1);
        for _ in 0..100 {
            assert_eq!(unlimited.admit(a, 5), Ok(()));
        }
    }
}
