//! Report intervals in a time zone: 15 minutes, an hour or a day of local clock time, built
//! from the 15-minute UTC buckets the projection stores.
//!
//! Every bucket is placed in the interval its local start falls in; consecutive buckets
//! with the same local interval (and, below a day, the same UTC offset) form one interval.
//! So a day is 23 or 25 hours when the clocks change, the hour the clocks skip has no interval,
//! and the hour they repeat appears twice, each with its offset. Every IANA zone's offset is a
//! multiple of 15 minutes since 1979, so no bucket straddles two local intervals.

use super::projection::{bucket_of, BUCKET_MS};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use shared::reports::Interval;

/// One interval: its UTC bounds (start inclusive, end exclusive) and local labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
    /// RFC 3339 with the local offset, e.g. `2026-11-01T01:00:00-05:00`.
    pub start: String,
    pub end: String,
}

/// The local interval (and offset, below a day) a bucket starting at `bucket_ms` belongs to.
fn key(tz: &TimeZone, interval: Interval, bucket_ms: i64) -> (jiff::civil::DateTime, i32) {
    let zoned = Timestamp::from_millisecond(bucket_ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone());
    let dt = zoned.datetime();
    let offset = zoned.offset().seconds();
    let date = dt.date();
    match interval {
        Interval::Day => (date.to_datetime(jiff::civil::Time::midnight()), 0),
        Interval::Hour => (date.at(dt.hour(), 0, 0, 0), offset),
        Interval::Quarter => (
            date.at(dt.hour(), dt.minute() - dt.minute() % 15, 0, 0),
            offset,
        ),
    }
}

/// The intervals covering `[from_ms, to_ms)`: the first starts at or before `from_ms`, the last
/// ends at or after `to_ms`.
pub fn spans(tz: &TimeZone, interval: Interval, from_ms: i64, to_ms: i64) -> Vec<Span> {
    let mut start = bucket_of(from_ms);
    let first = key(tz, interval, start);
    while key(tz, interval, start - BUCKET_MS) == first {
        start -= BUCKET_MS;
    }
    let mut out = Vec::new();
    let mut bucket = start;
    let mut current = (first, start);
    loop {
        bucket += BUCKET_MS;
        let k = key(tz, interval, bucket);
        if k != current.0 {
            out.push(Span {
                start_ms: current.1,
                end_ms: bucket,
                start: label(tz, current.1),
                end: label(tz, bucket),
            });
            if bucket >= to_ms {
                break;
            }
            current = (k, bucket);
        }
    }
    out
}

/// `ms` as local RFC 3339 with its offset (seconds only when not whole minutes).
pub fn label(tz: &TimeZone, ms: i64) -> String {
    let zoned = Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone());
    let dt = zoned.datetime();
    let offset = zoned.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        abs / 3600,
        abs % 3600 / 60
    )
}

/// Local midnight starting `date` (`YYYY-MM-DD`) in `tz`, in milliseconds; `None` if it is not
/// a date.
pub fn local_midnight(tz: &TimeZone, date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let zoned = date.to_zoned(tz.clone()).ok()?;
    Some(zoned.timestamp().as_millisecond())
}

/// The local midnight after `date`'s.
pub fn next_local_midnight(tz: &TimeZone, date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let zoned = date.tomorrow().ok()?.to_zoned(tz.clone()).ok()?;
    Some(zoned.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<Timestamp>()
            .expect("a timestamp")
            .as_millisecond()
    }

    #[test]
    fn the_repeated_hour_shows_twice_and_the_day_has_25_hours() {
        let ny = TimeZone::get("America/New_York").unwrap();
        // 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST.
        let from = local_midnight(&ny, "2026-11-01").unwrap();
        let to = next_local_midnight(&ny, "2026-11-01").unwrap();
        assert_eq!(to - from, 25 * 3600 * 1000);
        let hours = spans(&ny, Interval::Hour, from, to);
        assert_eq!(hours.len(), 25);
        assert_eq!(hours[0].start, "2026-11-01T00:00:00-04:00");
        assert_eq!(hours[1].start, "2026-11-01T01:00:00-04:00");
        assert_eq!(hours[2].start, "2026-11-01T01:00:00-05:00");
        assert_eq!(hours[3].start, "2026-11-01T02:00:00-05:00");
        assert_eq!(hours[24].end, "2026-11-02T00:00:00-05:00");
        let days = spans(&ny, Interval::Day, from, to);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].end_ms - days[0].start_ms, 25 * 3600 * 1000);
        assert_eq!(spans(&ny, Interval::Quarter, from, to).len(), 100);
    }

    #[test]
    fn the_skipped_hour_has_no_interval_and_the_day_has_23_hours() {
        let ny = TimeZone::get("America/New_York").unwrap();
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
        let from = local_midnight(&ny, "2026-03-08").unwrap();
        let to = next_local_midnight(&ny, "2026-03-08").unwrap();
        let hours = spans(&ny, Interval::Hour, from, to);
        assert_eq!(hours.len(), 23);
        assert_eq!(hours[2].start, "2026-03-08T03:00:00-04:00");
        assert!(hours.iter().all(|h| h.end_ms - h.start_ms == 3600 * 1000));
        let days = spans(&ny, Interval::Day, from, to);
        assert_eq!(days[0].end_ms - days[0].start_ms, 23 * 3600 * 1000);
    }

    #[test]
    fn hours_follow_the_local_clock_in_half_and_quarter_hour_zones() {
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let hours = spans(
            &kolkata,
            Interval::Hour,
            ms("2026-12-07T04:40:00Z"),
            ms("2026-12-07T06:00:00Z"),
        );
        assert_eq!(hours[0].start, "2026-12-07T10:00:00+05:30");
        assert_eq!(hours[0].start_ms, ms("2026-12-07T04:30:00Z"));
        assert_eq!(hours.last().unwrap().end_ms, ms("2026-12-07T06:30:00Z"));
        let kathmandu = TimeZone::get("Asia/Kathmandu").unwrap();
        let days = spans(
            &kathmandu,
            Interval::Day,
            ms("2026-12-07T12:00:00Z"),
            ms("2026-12-07T12:15:00Z"),
        );
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].start, "2026-12-07T00:00:00+05:45");
        assert_eq!(days[0].start_ms, ms("2026-12-06T18:15:00Z"));
    }

    #[test]
    fn intervals_tile_the_window_without_gaps() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        for interval in [Interval::Quarter, Interval::Hour, Interval::Day] {
            let from = ms("2026-10-20T07:10:00Z");
            let to = ms("2026-11-02T03:00:00Z");
            let s = spans(&berlin, interval, from, to);
            assert!(s[0].start_ms <= from && s.last().unwrap().end_ms >= to);
            for pair in s.windows(2) {
                assert_eq!(pair[0].end_ms, pair[1].start_ms);
                assert_eq!(pair[0].end, pair[1].start);
            }
        }
    }
}
