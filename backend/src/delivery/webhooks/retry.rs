//! The retry schedule: when each attempt of a delivery is made.
//!
//! Entry `i` is the delay before attempt `i + 1`, counted from the previous failure; the first
//! entry (normally `0s`) is the first attempt. The default is Standard Webhooks'
//! recommendation: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (≈ 3 days),
//! each delay but the first with ±20 % jitter so a recovering receiver is not hit by every
//! retry at once.

use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    fn default() -> Self {
        "0s,5s,5m,30m,2h,5h,10h,14h,20h,24h"
            .parse()
            .expect("the default schedule parses")
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Comma-separated durations, each a whole number with a unit: `ms`, `s`, `m`, `h`, `d`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let delays = s
            .split(',')
            .map(|part| parse_duration(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if delays.is_empty() || delays.len() > 50 {
            return Err("give 1 to 50 durations".into());
        }
        Ok(RetrySchedule(delays))
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{s:?} has no unit (ms, s, m, h or d)"))?;
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} does not start with a whole number"))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h or d)")),
    };
    Ok(Duration::from_millis(ms))
}

/// What to do after a failed attempt made at schedule position `pos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at schedule position `pos` after `delay`.
    Retry { pos: usize, delay: Duration },
    /// The schedule is used up.
    GiveUp,
}

impl RetrySchedule {
    /// The delay before the first attempt.
    pub fn first(&self) -> Duration {
        self.0[0]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// After a failure at `pos`: the next position and its delay (with jitter from `unit`, a
    /// number in `[0, 1)`), or give up.
    pub fn after_failure(&self, pos: usize, unit: f64) -> AfterFailure {
        match self.0.get(pos + 1) {
            None => AfterFailure::GiveUp,
            Some(delay) => AfterFailure::Retry {
                pos: pos + 1,
                delay: jitter(*delay, unit),
            },
        }
    }
}

/// A delivery's state after an attempt made at schedule position `pos`: `(status,
/// next attempt time, next position)`. `gone` (`410`) fails it at once.
pub fn after_attempt(
    schedule: &RetrySchedule,
    succeeded: bool,
    gone: bool,
    pos: i64,
    now_ms: i64,
) -> (shared::webhooks::DeliveryStatus, Option<i64>, i64) {
    use shared::webhooks::DeliveryStatus as S;
    if succeeded {
        return (S::Succeeded, None, pos);
    }
    if gone {
        return (S::Failed, None, pos);
    }
    match schedule.after_failure(pos.max(0) as usize, rand::random::<f64>()) {
        AfterFailure::GiveUp => (S::Failed, None, pos),
        AfterFailure::Retry { pos, delay } => (
            S::Pending,
            Some(now_ms + delay.as_millis() as i64),
            pos as i64,
        ),
    }
}

/// ±20 % of `delay`; a zero delay stays zero.
fn jitter(delay: Duration, unit: f64) -> Duration {
    let factor = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
    Duration::from_secs_f64(delay.as_secs_f64() * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_standard_webhooks_schedule() {
        let s = RetrySchedule::default();
        assert_eq!(s.len(), 10);
        assert_eq!(s.first(), Duration::ZERO);
        let total: Duration = s.0.iter().sum();
        assert_eq!(
            total,
            Duration::from_secs(5 + 300 + 1800 + 3600 * (2 + 5 + 10 + 14 + 20 + 24))
        );
        assert_eq!(
            s.after_failure(0, 0.5),
            AfterFailure::Retry {
                pos: 1,
                delay: Duration::from_secs(5)
            }
        );
        assert_eq!(s.after_failure(9, 0.5), AfterFailure::GiveUp);
    }

    #[test]
    fn attempts_succeed_retry_or_fail() {
        use shared::webhooks::DeliveryStatus as S;
        let s: RetrySchedule = "0s,1s".parse().unwrap();
        assert_eq!(
            after_attempt(&s, true, false, 0, 100),
            (S::Succeeded, None, 0)
        );
        assert_eq!(after_attempt(&s, false, true, 0, 100), (S::Failed, None, 0));
        let (status, next, pos) = after_attempt(&s, false, false, 0, 100);
        assert_eq!((status, pos), (S::Pending, 1));
        assert!((900..=1300).contains(&next.unwrap()));
        assert_eq!(
            after_attempt(&s, false, false, 1, 100),
            (S::Failed, None, 1)
        );
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let s: RetrySchedule = "0s,10s".parse().unwrap();
        for unit in [0.0, 0.25, 0.999, 1.0] {
            let AfterFailure::Retry { delay, .. } = s.after_failure(0, unit) else {
                panic!("retry expected")
            };
            assert!(delay >= Duration::from_secs(8) && delay <= Duration::from_secs(12));
        }
    }

    #[test]
    fn schedules_parse_with_units() {
        let s: RetrySchedule = "0s, 250ms,1m,2h,1d".parse().unwrap();
        assert_eq!(
            s.0,
            vec![
                Duration::ZERO,
                Duration::from_millis(250),
                Duration::from_secs(60),
                Duration::from_secs(7200),
                Duration::from_secs(86400)
            ]
        );
        for bad in ["", "5", "5x", "s", "1s,,2s", "-1s"] {
            assert!(bad.parse::<RetrySchedule>().is_err(), "{bad:?}");
        }
    }
}
