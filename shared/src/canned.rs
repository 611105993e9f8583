//! Canned responses: short replies an agent inserts in a chat (or a work item's note) by
//! typing `/` and a shortcut, or from a picker. Admins keep the team's (`shared`); every agent
//! keeps their own (`personal`). A response may be limited to some queues.
//!
//! A body may hold placeholders, filled for the engagement at hand when it is inserted:
//! `{{consumer.name}}`, `{{consumer.email}}`, `{{consumer.phone}}`, `{{agent.display_name}}`,
//! `{{work_item.name}}`, `{{work_item.id}}` and `{{variables.<name>}}`. One without a value
//! stays in the text, visible, for the agent to fix — and the server refuses to send a message
//! or save a note that still holds one ([`unfilled`]), so a customer never sees it raw.

use crate::ids::{AgentId, CannedResponseId, QueueId};
use serde::{Deserialize, Serialize};

/// The placeholders a body may use, besides `variables.<name>`.
pub const KNOWN: &[&str] = &[
    "consumer.name",
    "consumer.email",
    "consumer.phone",
    "agent.display_name",
    "work_item.name",
    "work_item.id",
];

/// Whose a canned response is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    /// Everyone's: admins (and clients with `config:write`) keep these.
    Shared,
    /// One agent's own.
    Personal,
}

/// A canned response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub canned_response_id: CannedResponseId,
    pub ownership: Ownership,
    /// The agent whose own it is (`personal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<AgentId>,
    pub title: String,
    /// Typed after `/`: 1–32 of `a-z`, `0-9`, `-`, `_`; unique among the shared ones and
    /// among each agent's own (an agent's own wins over a shared one with the same shortcut).
    pub shortcut: String,
    pub body: String,
    /// The queues whose engagements offer it; empty: every queue.
    pub queue_ids: Vec<QueueId>,
}

/// `POST /v1/canned-responses`, `PUT /v1/canned-responses/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CannedResponseInput {
    /// 1–100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub title: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")
    )]
    pub shortcut: String,
    /// 1–4,000 characters; placeholders as the module says (an unknown one is refused).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_4000)
    )]
    pub body: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub queue_ids: Vec<QueueId>,
    /// `shared` (admins' default) or `personal` (everyone else's default, and all they may
    /// make). On `PUT`, a change moves it: to the team's (admins), or to the caller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<Ownership>,
}

/// A canned response filled for one engagement (`GET /v1/engagements/{id}/canned-responses`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilledResponse {
    pub canned_response_id: CannedResponseId,
    pub ownership: Ownership,
    pub title: String,
    pub shortcut: String,
    /// The body with every placeholder that has a value filled in.
    pub text: String,
    /// The placeholders left in `text` (no value for this engagement), as written there.
    pub missing: Vec<String>,
}

/// One `{{ key }}` in a text: where it is and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    pub start: usize,
    pub end: usize,
    pub key: &'a str,
}

fn is_key(key: &str) -> bool {
    let mut parts = key.split('.');
    let head = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !head.is_empty()
        && head.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !rest.is_empty()
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

/// Every `{{ key }}` in `text` whose key looks like a placeholder (`word.word…`), in order.
pub fn placeholders(text: &str) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let key = text[open + 2..close].trim();
        if is_key(key) {
            found.push(Placeholder {
                start: open,
                end: close + 2,
                key,
            });
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    found
}

/// Whether a body may use `key`.
pub fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
        || key
            .strip_prefix("variables.")
            .is_some_and(|name| !name.is_empty() && !name.contains('.'))
}

/// `body` with each placeholder `value` knows filled in, and the placeholders left (as
/// written).
pub fn fill(body: &str, value: impl Fn(&str) -> Option<String>) -> (String, Vec<String>) {
    let mut text = String::with_capacity(body.len());
    let mut missing = Vec::new();
    let mut at = 0;
    for p in placeholders(body) {
        text.push_str(&body[at..p.start]);
        match value(p.key).filter(|v| !v.is_empty()) {
            Some(v) => text.push_str(&v),
            None => {
                let raw = &body[p.start..p.end];
                text.push_str(raw);
                missing.push(raw.to_string());
            }
        }
        at = p.end;
    }
    text.push_str(&body[at..]);
    (text, missing)
}

/// The first placeholder a message or note still holds (one a canned response would have
/// filled), if any: such a text is not sent.
pub fn unfilled(text: &str) -> Option<&str> {
    placeholders(text)
        .into_iter()
        .find(|p| is_known(p.key))
        .map(|p| &text[p.start..p.end])
}

/// Whether `s` is a valid shortcut.
pub fn is_shortcut(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(key: &str) -> Option<String> {
        match key {
            "consumer.name" => Some("Margaret".into()),
            "agent.display_name" => Some("Ada".into()),
            "variables.order" => Some("A-17".into()),
            "variables.empty" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn known_placeholders_are_filled_and_the_rest_left_visible() {
        let (text, missing) = fill(
            "Hi {{consumer.name}}, {{ agent.display_name }} here. Order {{variables.order}} ships \
             {{variables.date}}; {{variables.empty}} {{ not a key }} {{x}}",
            values,
        );
        assert_eq!(
            text,
            "Hi Margaret, Ada here. Order A-17 ships {{variables.date}}; {{variables.empty}} \
             {{ not a key }} {{x}}"
        );
        assert_eq!(missing, ["{{variables.date}}", "{{variables.empty}}"]);
    }

    #[test]
    fn a_text_still_holding_a_placeholder_is_caught() {
        assert_eq!(
            unfilled("Order {{variables.order}} is late"),
            Some("{{variables.order}}")
        );
        assert_eq!(
            unfilled("Dear {{ consumer.name }}"),
            Some("{{ consumer.name }}")
        );
        assert_eq!(unfilled("json {{\"a\": 1}} and {{ handlebars }}"), None);
        assert_eq!(unfilled("{{unknown.thing}}"), None);
        assert_eq!(unfilled("plain"), None);
    }

    #[test]
    fn keys_and_shortcuts() {
        assert!(is_known("variables.order_id"));
        assert!(!is_known("variables."));
        assert!(!is_known("consumer.address"));
        assert!(is_shortcut("thanks-2"));
        assert!(!is_shortcut("Thanks"));
        assert!(!is_shortcut(""));
        assert!(!is_shortcut(&"a".repeat(33)));
    }

    proptest! {
        /// Filling never panics (any text, any UTF-8), keeps text without placeholders as it
        /// is, and with every value known leaves nothing to fix.
        #[test]
        fn filling_is_total(body in ".{0,200}") {
            let (text, missing) = fill(&body, |_| None);
            prop_assert_eq!(&text, &body);
            prop_assert_eq!(missing.len(), placeholders(&body).len());
            let (filled, left) = fill(&body, |k| Some(format!("<{k}>")));
            prop_assert!(left.is_empty());
            prop_assert_eq!(filled.is_empty(), body.is_empty());
        }
    }
}
