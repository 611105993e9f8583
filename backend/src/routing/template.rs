//! `{variable}` templates for screen-pop launch URLs and callout bodies.

use shared::engagement::Variables;

/// Replace each `{name}` (letters, digits, `_`, `.`, `-`) with `encode(value)`; unknown names
/// become empty. Any other brace is literal text, so JSON templates need no escaping.
fn render(template: &str, variables: &Variables, encode: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(pos) = rest.find('{') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        match tail[1..].find(['{', '}']).map(|i| i + 1) {
            Some(end) if tail.as_bytes()[end] == b'}' && is_name(&tail[1..end]) => {
                let value = variables
                    .get(&tail[1..end])
                    .map(String::as_str)
                    .unwrap_or("");
                out.push_str(&encode(value));
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// The names a template refers to (for validation).
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(pos) = rest.find('{') {
        let tail = &rest[pos..];
        match tail[1..].find(['{', '}']).map(|i| i + 1) {
            Some(end) if tail.as_bytes()[end] == b'}' && is_name(&tail[1..end]) => {
                names.push(tail[1..end].to_string());
                rest = &tail[end + 1..];
            }
            _ => rest = &tail[1..],
        }
    }
    names
}

/// Plain text (flow `set_variable` values): values inserted as they are.
pub fn render_plain(template: &str, variables: &Variables) -> String {
    render(template, variables, str::to_string)
}

/// A launch URL: values are percent-encoded so a variable can never change the URL's shape.
pub fn render_url(template: &str, variables: &Variables) -> String {
    render(template, variables, |v| {
        url::form_urlencoded::byte_serialize(v.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    })
}

/// A JSON body: values are JSON-string-escaped (without the surrounding quotes), so the
/// template decides the shape and a variable can never inject structure.
pub fn render_json(template: &str, variables: &Variables) -> String {
    render(template, variables, |v| {
        let quoted = serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into());
        quoted[1..quoted.len() - 1].to_string()
    })
}

/// A callout body. `{{path}}` (`engagement.engagement_id`, `agent.email`,
/// `variables.<name>`, …) is replaced by `lookup(path)` as a JSON value (`null` when missing);
/// inside a JSON string it is replaced by the value's escaped text instead (empty when
/// missing), so both `"id": {{engagement.engagement_id}}` and `"text": "Call {{consumer.phone}}"`
/// stay valid JSON. The older `{name}` form inside strings reads `variables.<name>`. Values can
/// never add structure: they are always escaped.
pub fn render_callout(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<serde_json::Value>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < template.len() {
        let rest = &template[i..];
        if let Some(inner) = rest.strip_prefix("{{") {
            if let Some(end) = inner.find("}}") {
                let path = inner[..end].trim();
                if is_path(path) {
                    let value = lookup(path);
                    if in_string {
                        out.push_str(&string_content(value.as_ref()));
                    } else {
                        out.push_str(&value.map_or_else(|| "null".into(), |v| v.to_string()));
                    }
                    i += 2 + end + 2;
                    continue;
                }
            }
        }
        if in_string && rest.starts_with('{') {
            if let Some(end) = rest[1..].find(['{', '}']).map(|e| e + 1) {
                let name = &rest[1..end];
                if rest.as_bytes()[end] == b'}' && is_name(name) {
                    let value = lookup(&format!("variables.{name}"));
                    out.push_str(&string_content(value.as_ref()));
                    i += end + 1;
                    continue;
                }
            }
        }
        let c = rest.chars().next().expect("not at the end");
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A value as text inside a JSON string: strings escaped without their quotes, other values
/// as their JSON, missing and `null` as nothing.
fn string_content(value: Option<&serde_json::Value>) -> String {
    let text = match value {
        None | Some(serde_json::Value::Null) => return String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let quoted = serde_json::to_string(&text).unwrap_or_else(|_| "\"\"".into());
    quoted[1..quoted.len() - 1].to_string()
}

fn is_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('.')
        && !path.ends_with('.')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// The `{{path}}`s a callout template refers to.
pub fn callout_paths(template: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = template;
    while let Some(pos) = rest.find("{{") {
        let inner = &rest[pos + 2..];
        match inner.find("}}") {
            Some(end) if is_path(inner[..end].trim()) => {
                paths.push(inner[..end].trim().to_string());
                rest = &inner[end + 2..];
            }
            _ => rest = inner,
        }
    }
    paths
}

/// Look `path` up in a context object: `variables.<name>` takes the rest as one name (names
/// may hold dots); other paths descend object by object.
pub fn lookup_path(context: &serde_json::Value, path: &str) -> Option<serde_json::Value> {
    if let Some(name) = path.strip_prefix("variables.") {
        return context.get("variables")?.get(name).cloned();
    }
    let mut at = context;
    for part in path.split('.') {
        at = at.get(part)?;
    }
    Some(at.clone()).filter(|v| !v.is_null())
}

#[cfg(test)]
mod callout_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_become_json_values_or_escaped_text() {
        let context = json!({
            "engagement": {"engagement_id": "e-1", "queue_name": "Billing \"VIP\""},
            "agent": {"email": "ada@example.com"},
            "consumer": {"phone": "+1 555"},
            "variables": {"order.id": "42", "note": "a \"quoted\" {x}"}
        });
        let lookup = |p: &str| lookup_path(&context, p);
        let body = render_callout(
            r#"{"id": {{engagement.engagement_id}}, "queue": {{ engagement.queue_name }}, "who": "{{agent.email}} / {{consumer.phone}}",
                "order": {{variables.order.id}}, "disposition": {{disposition.name}}, "old": "{note}", "missing": "{nope}", "brace": "{not a name}"}"#,
            &lookup,
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).expect(&body);
        assert_eq!(parsed["id"], "e-1");
        assert_eq!(parsed["queue"], "Billing \"VIP\"");
        assert_eq!(parsed["who"], "ada@example.com / +1 555");
        assert_eq!(parsed["order"], "42");
        assert_eq!(parsed["disposition"], serde_json::Value::Null);
        assert_eq!(parsed["old"], "a \"quoted\" {x}");
        assert_eq!(parsed["missing"], "");
        assert_eq!(parsed["brace"], "{not a name}");
        assert_eq!(
            callout_paths(r#"{"a": {{agent.email}}, "b": "{{x}}", "c": "{{ }}"}"#),
            vec!["agent.email", "x"]
        );
    }

    #[test]
    fn values_cannot_inject_structure() {
        let context = json!({"variables": {"evil": "\", \"admin\": true, \"x\": \""}});
        let lookup = |p: &str| lookup_path(&context, p);
        for template in [
            r#"{"v": {{variables.evil}}}"#,
            r#"{"v": "{{variables.evil}}"}"#,
            r#"{"v": "{evil}"}"#,
        ] {
            let parsed: serde_json::Value =
                serde_json::from_str(&render_callout(template, &lookup)).unwrap();
            assert_eq!(parsed.as_object().unwrap().len(), 1, "{template}");
            assert_eq!(parsed["v"], "\", \"admin\": true, \"x\": \"");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn url_values_are_encoded() {
        let v = vars(&[("work_item_id", "INV 42/a?b=c&d"), ("email", "ada@x.com")]);
        assert_eq!(
            render_url(
                "https://crm.example/t/{work_item_id}?e={email}&missing={nope}",
                &v
            ),
            "https://crm.example/t/INV%2042%2Fa%3Fb%3Dc%26d?e=ada%40x.com&missing="
        );
    }

    #[test]
    fn json_values_cannot_inject_structure() {
        let v = vars(&[("name", "a\",\"admin\":true,\"x\":\"")]);
        let body = render_json(r#"{"name":"{name}"}"#, &v);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed.as_object().unwrap().len(), 1);
        assert_eq!(parsed["name"], "a\",\"admin\":true,\"x\":\"");
    }

    #[test]
    fn braces_and_odd_input() {
        let v = vars(&[("a", "1")]);
        assert_eq!(
            render_url("{{a}} {a} { not a name } {a", &v),
            "{1} 1 { not a name } {a"
        );
        assert_eq!(placeholders("x/{a}/{b_c}?{ no }"), vec!["a", "b_c"]);
        assert_eq!(
            render_json(r#"{"o":{"v":"{a}"}}"#, &v),
            r#"{"o":{"v":"1"}}"#
        );
    }
}
