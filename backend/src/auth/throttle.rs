//! Sign-in throttling policy: how many failures a key may collect in a window before sign-in
//! under it is refused, and for how long. Pure; the counts live in `store::auth`.
//!
//! The window starts at a key's first failure. Once `limit` failures fall within it, every
//! attempt under that key (right or wrong) is refused until the window ends, so guessing gets
//! `limit` tries per window, and a correct password in between resets the account's count.

/// Limits for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed within one window; the next attempt is refused.
    pub max_failures: i64,
    pub window_ms: i64,
}

/// What to do with an attempt under a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; the window ends in this many seconds (at least 1).
    Refused {
        retry_after_secs: u64,
    },
}

/// The verdict for a key with `failures` counted since `window_start_ms` (None: none).
pub fn verdict(limit: Limit, failures: Option<(i64, i64)>, now_ms: i64) -> Verdict {
    let Some((count, window_start_ms)) = failures else {
        return Verdict::Allowed;
    };
    let window_end = window_start_ms.saturating_add(limit.window_ms);
    if count < limit.max_failures || window_end <= now_ms {
        return Verdict::Allowed;
    }
    let left_ms = window_end - now_ms;
    Verdict::Refused {
        retry_after_secs: u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1),
    }
}

/// The sentence shown to the person signing in.
pub fn refusal_message(retry_after_secs: u64) -> String {
    let wait = if retry_after_secs < 60 {
        let s = retry_after_secs.max(1);
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    } else {
        let m = retry_after_secs.div_ceil(60);
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    };
    format!("Too many failed sign-in attempts. For your security, sign-in is paused: try again in {wait}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        max_failures: 10,
        window_ms: 300_000,
    };

    #[test]
    fn ten_failures_in_the_window_refuse_the_eleventh_attempt() {
        assert_eq!(verdict(LIMIT, None, 0), Verdict::Allowed);
        assert_eq!(verdict(LIMIT, Some((9, 1_000)), 5_000), Verdict::Allowed);
        assert_eq!(
            verdict(LIMIT, Some((10, 1_000)), 5_000),
            Verdict::Refused {
                retry_after_secs: 296
            }
        );
        // Rounded up, never zero.
        assert_eq!(
            verdict(LIMIT, Some((10, 0)), 299_999),
            Verdict::Refused {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn the_window_ends() {
        assert_eq!(verdict(LIMIT, Some((50, 0)), 300_000), Verdict::Allowed);
        assert_eq!(verdict(LIMIT, Some((50, 0)), 900_000), Verdict::Allowed);
    }

    #[test]
    fn messages_say_the_wait_in_words() {
        assert!(refusal_message(1).ends_with("try again in 1 second."));
        assert!(refusal_message(42).ends_with("try again in 42 seconds."));
        assert!(refusal_message(60).ends_with("try again in 1 minute."));
        assert!(refusal_message(296).ends_with("try again in 5 minutes."));
    }
}
