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
