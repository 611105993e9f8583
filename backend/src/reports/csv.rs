//! The engagement report as CSV: RFC 4180 (comma-separated, CRLF line ends, a header row,
//! fields with a comma, quote or line break quoted and their quotes doubled), UTF-8.
//!
//! **Formula injection.** A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab
//! or a carriage return as a formula. Text that came from outside (a customer's name, a work
//! item's title, a disposition) and starts with one of them gets a `'` in front, which
//! spreadsheets show as text; numbers and times are written by us and never need it.

use shared::reports::EngagementReport;

/// The columns, in order (the JSON row's field names).
pub const COLUMNS: &[&str] = &[
    "engagement_id",
    "channel",
    "channel_source",
    "direction",
    "entry_id",
    "entry_address",
    "first_queue_id",
    "last_queue_id",
    "agent_ids",
    "consumer_name",
    "work_item_name",
    "work_item_id",
    "created_at",
    "offered_at",
    "answered_at",
    "ended_at",
    "closed_at",
    "wait_ms",
    "talk_ms",
    "hold_ms",
    "wrap_up_ms",
    "handle_ms",
    "transfers",
    "outcome",
    "close_reason",
    "disposition_id",
    "disposition_name",
    "disposition_code",
    "first_queue_result",
    "first_queue_wait_ms",
    "service_level_met",
    "satisfaction",
];

/// The header line.
pub fn header() -> String {
    let mut line = COLUMNS.join(",");
    line.push_str("\r\n");
    line
}

/// Append `row` as one CSV line.
pub fn write_row(out: &mut String, r: &EngagementReport) {
    let time = |t: Option<time::OffsetDateTime>| {
        t.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
    };
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let agents = r
        .agent_ids
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let fields: [(String, bool); 32] = [
        (r.engagement_id.to_string(), false),
        (r.channel.as_str().to_string(), false),
        (r.channel_source.clone().unwrap_or_default(), true),
        (enum_text(&r.direction), false),
        (
            r.entry_id.as_ref().map(|e| e.0.clone()).unwrap_or_default(),
            true,
        ),
        (r.entry_address.clone().unwrap_or_default(), true),
        (
            r.first_queue_id.map(|q| q.to_string()).unwrap_or_default(),
            false,
        ),
        (
            r.last_queue_id.map(|q| q.to_string()).unwrap_or_default(),
            false,
        ),
        (agents, false),
        (r.consumer_name.clone().unwrap_or_default(), true),
        (r.work_item_name.clone().unwrap_or_default(), true),
        (r.work_item_id.clone().unwrap_or_default(), true),
        (time(Some(r.created_at)), false),
        (time(r.offered_at), false),
        (time(r.answered_at), false),
        (time(r.ended_at), false),
        (time(r.closed_at), false),
        (num(r.wait_ms), false),
        (r.talk_ms.to_string(), false),
        (r.hold_ms.to_string(), false),
        (r.wrap_up_ms.to_string(), false),
        (r.handle_ms.to_string(), false),
        (r.transfers.to_string(), false),
        (
            r.outcome
                .map(|o| o.as_str().to_string())
                .unwrap_or_default(),
            false,
        ),
        (r.close_reason.clone().unwrap_or_default(), true),
        (
            r.disposition_id.map(|d| d.to_string()).unwrap_or_default(),
            false,
        ),
        (r.disposition_name.clone().unwrap_or_default(), true),
        (r.disposition_code.clone().unwrap_or_default(), true),
        (
            r.first_queue_result
                .map(|v| enum_text(&v))
                .unwrap_or_default(),
            false,
        ),
        (num(r.first_queue_wait_ms), false),
        (
            r.service_level_met
                .map(|b| b.to_string())
                .unwrap_or_default(),
            false,
        ),
        (
            r.satisfaction.map(|s| s.to_string()).unwrap_or_default(),
            false,
        ),
    ];
    for (i, (value, outside)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(out, value, *outside);
    }
    out.push_str("\r\n");
}

/// A field, neutralised (`outside`: text that came from outside) and quoted as needed.
fn write_field(out: &mut String, value: &str, outside: bool) {
    let risky = outside
        && value
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let needs_quotes = risky || value.contains([',', '"', '\r', '\n']);
    if !needs_quotes {
        out.push_str(value);
        return;
    }
    out.push('"');
    if risky {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// A unit enum's serde name (`inbound`, `answered`).
fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Append `row` as one line of newline-delimited JSON.
pub fn write_ndjson(out: &mut String, r: &EngagementReport) {
    if let Ok(line) = serde_json::to_string(r) {
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(value: &str, outside: bool) -> String {
        let mut out = String::new();
        write_field(&mut out, value, outside);
        out
    }

    #[test]
    fn quotes_and_neutralises_as_rfc_4180_and_owasp_say() {
        assert_eq!(field("plain", true), "plain");
        assert_eq!(field("a,b", true), "\"a,b\"");
        assert_eq!(field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines", true), "\"two\nlines\"");
        assert_eq!(
            field("=HYPERLINK(\"x\")", true),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(field("+1 555", true), "\"'+1 555\"");
        assert_eq!(field("@SUM(A1)", true), "\"'@SUM(A1)\"");
        assert_eq!(field("-2", true), "\"'-2\"");
        assert_eq!(field("-2", false), "-2");
    }

    #[test]
    fn the_header_names_every_column_once() {
        let mut names = COLUMNS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        assert!(header().ends_with("\r\n"));
    }
}
