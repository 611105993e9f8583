//! Every JSON example in `docs/` is a test fixture: each ```` ```json ```` block, and the body of
//! each ```` ```http ```` block, comes right after a `<!-- example: KIND -->` line that says
//! what it is, and must parse into that real type. An example that drifts from the wire (a
//! renamed field, a placeholder where an id goes) fails here, not in an integrator's code.

use crate::events::EventKind;
use crate::payload::Payload;
use serde_json::Value;

const DOCS: &[(&str, &str)] = &[
    ("api.md", include_str!("../../docs/api.md")),
    (
        "architecture.md",
        include_str!("../../docs/architecture.md"),
    ),
    ("chat.md", include_str!("../../docs/chat.md")),
    (
        "configuration.md",
        include_str!("../../docs/configuration.md"),
    ),
    ("embedding.md", include_str!("../../docs/embedding.md")),
    ("operations.md", include_str!("../../docs/operations.md")),
    ("webhooks.md", include_str!("../../docs/webhooks.md")),
];

/// One example: where it is, what it says it is, and its JSON text.
struct Example {
    place: String,
    kind: String,
    json: String,
}

fn examples() -> Vec<Example> {
    let mut out = Vec::new();
    for (file, text) in DOCS {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let fence = lines[i].trim();
            if fence == "```json" || fence == "```http" {
                let place = format!("docs/{file}:{}", i + 1);
                let kind = lines[..i]
                    .iter()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .and_then(|l| l.trim().strip_prefix("<!-- example: "))
                    .and_then(|l| l.strip_suffix(" -->"))
                    .unwrap_or_else(|| {
                        panic!("{place}: put <!-- example: KIND --> before the example")
                    })
                    .to_string();
                let end = lines[i + 1..]
                    .iter()
                    .position(|l| l.trim() == "```")
                    .map(|n| i + 1 + n)
                    .unwrap_or_else(|| panic!("{place}: the block is not closed"));
                let block = &lines[i + 1..end];
                let body = if fence == "```http" {
                    // The request line and headers, a blank line, then the body.
                    let blank = block
                        .iter()
                        .position(|l| l.trim().is_empty())
                        .unwrap_or_else(|| panic!("{place}: no body after the headers"));
                    &block[blank + 1..]
                } else {
                    block
                };
                out.push(Example {
                    place,
                    kind,
                    json: body.join("\n"),
                });
                i = end;
            }
            i += 1;
        }
    }
    out
}

/// The data of an event of `kind`: its payload, and an engagement exactly as the server
/// writes one (read strictly and written back unchanged, so no field is made up or renamed).
fn payload(kind: EventKind, data: &Value) -> Result<(), String> {
    Payload::read(kind, data)
        .ok_or_else(|| format!("not what a {} event carries", kind.as_str()))?;
    if let Some(engagement) = data.get("engagement") {
        let parsed: crate::engagement::Engagement =
            serde_json::from_value(engagement.clone()).map_err(|e| format!("engagement: {e}"))?;
        let written = serde_json::to_value(&parsed).expect("serializes");
        if &written != engagement {
            return Err(format!(
                "engagement is not as the server writes it:\n  example: {engagement}\n  wire:    {written}"
            ));
        }
    }
    Ok(())
}

/// `{event, data}` of the events API: the name is a log event and the data its payload.
fn event(v: &Value) -> Result<(), String> {
    let kind = v["event"]
        .as_str()
        .and_then(EventKind::parse)
        .ok_or("`event` is not a log event name")?;
    payload(kind, &v["data"])
}

/// A webhook delivery: `{event, event_ts, payload: {account_id, object}}`, the name one of
/// [`crate::webhooks::NAMES`], `object` the event's header and its payload.
fn delivery(v: &Value) -> Result<(), String> {
    let name = v["event"].as_str().ok_or("no `event`")?;
    if !crate::webhooks::NAMES.iter().any(|(n, _)| *n == name) {
        return Err(format!("{name} is not a webhook event name"));
    }
    v["event_ts"].as_i64().ok_or("`event_ts` is not a number")?;
    let body = &v["payload"];
    serde_json::from_value::<crate::ids::AccountId>(body["account_id"].clone())
        .map_err(|e| format!("payload.account_id: {e}"))?;
    let object = &body["object"];
    serde_json::from_value::<crate::ids::EventId>(object["event_id"].clone())
        .map_err(|e| format!("object.event_id: {e}"))?;
    object["seq"].as_i64().ok_or("object.seq is not a number")?;
    let kind = object["log_event"]
        .as_str()
        .and_then(EventKind::parse)
        .ok_or("object.log_event is not a log event name")?;
    payload(kind, object)
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check(kind: &str, v: &Value) -> Result<(), String> {
    match kind {
        "event" => event(v),
        "webhook-delivery" => delivery(v),
        "url-validation-challenge" => typed::<crate::webhooks::UrlValidationChallenge>(v),
        "url-validation-answer" => typed::<crate::webhooks::UrlValidationAnswer>(v),
        "callout" => typed::<crate::config::EventCallout>(v),
        "post-message" => {
            typed::<crate::post_message::Envelope>(v)?;
            match v["type"].as_str() {
                Some("widget.ready") => typed::<crate::post_message::ReadyData>(&v["data"]),
                _ => Ok(()),
            }
        }
        other => Err(format!(
            "unknown example kind {other:?}: teach docs_examples.rs"
        )),
    }
}

#[test]
fn every_json_example_in_the_docs_parses_into_its_type() {
    let all = examples();
    assert!(all.len() >= 6, "found only {} examples", all.len());
    let mut failures = Vec::new();
    for e in &all {
        let result = serde_json::from_str::<Value>(&e.json)
            .map_err(|err| format!("not JSON: {err}"))
            .and_then(|v| check(&e.kind, &v));
        if let Err(why) = result {
            failures.push(format!("{} ({}): {why}", e.place, e.kind));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_drifted_example_is_caught() {
    let engagement = serde_json::json!({
        "engagement_id": "0193a5c1-7f2e-7c3a-9b1d-5e8f2a4c6d11", "channel": "work_item",
        "direction": "inbound", "state": "queued", "priority": 0, "agent_ids": [],
        "work_item": {"name": "Refund", "id": "4711"}, "variables": {},
        "created_at": "2026-12-01T09:00:00Z"
    });
    let example = |engagement: Value| serde_json::json!({"event": "engagement.created", "data": {"engagement": engagement}});
    assert_eq!(event(&example(engagement.clone())), Ok(()));
    // The wire's work item is {name, id, …}: `work_item_id` is not it.
    let mut drifted = engagement.clone();
    drifted["work_item"] = serde_json::json!({"name": "Refund", "work_item_id": "4711"});
    assert!(event(&example(drifted)).is_err());
    let mut placeholder = engagement;
    placeholder["engagement_id"] = serde_json::json!("…");
    assert!(event(&example(placeholder)).is_err());
}
