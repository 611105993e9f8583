//! Input limits shared by every operation, with errors that name the field.

use super::{invalid, unknown, Result};
use regex::Regex;
use shared::limits;
use std::sync::LazyLock;

/// [`limits::HTTP_URL`], the pattern the API document publishes, compiled once.
static HTTP_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(limits::HTTP_URL).expect("limits::HTTP_URL is a valid pattern"));

/// Does `s` match the published URL pattern?
fn is_http_url(s: &str) -> bool {
    HTTP_URL.is_match(s)
}

/// A required string ([`shared::limits::VISIBLE_TEXT`]): 1..=max characters, at least one of
/// them visible.
pub fn required(field: &str, value: &str, max: usize) -> Result<()> {
    if !value.chars().any(limits::is_visible_char) {
        return Err(invalid(field, format!("{field} must not be empty")));
    }
    optional(field, Some(value), max)
}

/// An optional string ([`shared::limits::TEXT`]) of at most `max` characters.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid(
            field,
            format!("{field} is longer than {max} characters"),
        )),
        Some(v) if !v.chars().all(limits::is_text_char) => Err(invalid(
            field,
            format!("{field} contains control characters"),
        )),
        _ => Ok(()),
    }
}

/// An identifier-like name ([`shared::limits::NAME`]): 1..=max of letters, digits, `_`, `-`,
/// `.`.
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() || value.len() > max || !value.chars().all(limits::is_name_char) {
        return Err(invalid(
            field,
            format!("{field} must be 1 to {max} letters, digits, '_', '-' or '.'"),
        ));
    }
    Ok(())
}

/// An absolute http(s) URL as the document describes it (`limits::HTTP_URL`), in the form
/// to store: as given when it already has that form, otherwise as the URL parser writes it
/// (`https://crm.example/tickets/T 9/α` → `…/T%209/%CE%B1`) if that has it. So what is stored
/// and echoed back always matches the published pattern.
pub fn http_url(field: &str, value: &str, max: usize) -> Result<String> {
    optional(field, Some(value), max)?;
    let refused = || invalid(field, format!("{field} must be an absolute http(s) URL"));
    let parsed = url::Url::parse(value).map_err(|_| refused())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(refused());
    }
    if is_http_url(value) {
        return Ok(value.to_string());
    }
    let written = parsed.to_string();
    if is_http_url(&written) && written.chars().count() <= max {
        Ok(written)
    } else {
        Err(refused())
    }
}

/// An email address, loosely: something@something.
pub fn email(field: &str, value: &str) -> Result<()> {
    optional(field, Some(value), 320)?;
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && !value.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{field} must be an email address")))
    }
}

/// A count limit on a list.
pub fn at_most<T>(field: &str, items: &[T], max: usize) -> Result<()> {
    if items.len() > max {
        return Err(invalid(
            field,
            format!("{field} may have at most {max} entries"),
        ));
    }
    Ok(())
}

/// Each id of the list `field` must name something that exists (`exists`): the first that
/// does not is a `404` naming `field[i]` ("{what} {id} does not exist").
pub fn all_exist<T: std::fmt::Display>(
    field: &str,
    what: &str,
    ids: &[T],
    exists: impl Fn(&T) -> bool,
) -> Result<()> {
    match ids.iter().enumerate().find(|(_, id)| !exists(id)) {
        Some((i, id)) => Err(unknown(
            format!("{field}[{i}]"),
            format!("{what} {id} does not exist"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(required("a", "  ", 5).is_err());
        assert!(required("a", "abcdef", 5).is_err());
        assert!(required("a", "abc", 5).is_ok());
        assert!(optional("a", Some("a\u{0}b"), 5).is_err());
        assert!(name("a", "tier_1.x", 10).is_ok());
        assert!(name("a", "no spaces", 10).is_err());
        assert!(http_url("u", "javascript:alert(1)", 100).is_err());
        assert_eq!(
            http_url("u", "https://crm.example/t/1", 100)
                .ok()
                .as_deref(),
            Some("https://crm.example/t/1"),
            "kept as given"
        );
        assert_eq!(
            http_url("u", "https://crm.example/tickets/T 9/α", 100)
                .ok()
                .as_deref(),
            Some("https://crm.example/tickets/T%209/%CE%B1"),
            "written the way the pattern describes"
        );
        assert!(http_url("u", "https://crm.example*/", 100).is_err());
        assert!(http_url("u", "https://[::1]:8080/", 100).is_err());
        assert!(email("e", "ada@example.com").is_ok());
        assert!(email("e", "ada@example").is_err());
        assert!(email("e", "@example.com").is_err());
        assert!(required("a", "\u{3000}\u{FEFF}", 5).is_err());
    }

    #[test]
    fn http_urls_are_what_the_pattern_says() {
        for ok in [
            "https://crm.example.com",
            "http://crm.example.com:8090/tickets/T-1?x=a%20b#top",
            "http://localhost:8090/apps/customer",
            "http://127.0.0.1:8090/hook",
            "http://127.0.0.1:65535/hook",
            "https://0.0.0.0/",
            "https://a-b.c-d.example/",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "https://crm.example.com*",
            "https://a.b1/",
            "https://256.0.0.1/",
            "https://01.2.3.4/",
            "https://[::1]:8080/",
            "https://-a.com/",
            "https://a--b.com/",
            "https://example/",
            "ftp://crm.example.com/",
            "https://crm.example.com:/",
            "https://crm.example.com:123456/",
            "https://crm.example.com:65536/",
            "https://crm.example.com/a b",
            "https://crm.example.com?x",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    fn matches(pattern: &str, value: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(value)
    }

    /// A generator for `pattern`: anchors dropped, repetitions bounded (a few each) so the
    /// strings stay within the length limits.
    fn strings_like(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
        let (mut out, mut in_class, mut escaped) = (String::new(), false, false);
        for c in pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .chars()
        {
            match c {
                _ if escaped => {
                    escaped = false;
                    out.push(c);
                }
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '[' => {
                    in_class = true;
                    out.push(c);
                }
                ']' => {
                    in_class = false;
                    out.push(c);
                }
                '*' if !in_class => out.push_str("{0,5}"),
                '+' if !in_class => out.push_str("{1,5}"),
                _ => out.push(c),
            }
        }
        proptest::string::string_regex(&out).unwrap()
    }

    proptest::proptest! {
        /// Every URL and email the document describes is one the server takes.
        #[test]
        fn documented_urls_and_emails_are_accepted(
            url in strings_like(limits::HTTP_URL),
            template in strings_like(limits::URL_TEMPLATE),
            address in strings_like(limits::EMAIL),
        ) {
            proptest::prop_assert!(http_url("u", &url, 2000).is_ok(), "{}", url);
            let rendered = crate::routing::template::render_url(&template, &Default::default());
            proptest::prop_assert!(http_url("u", &rendered, 2000).is_ok(), "{}", template);
            proptest::prop_assert!(email("e", &address).is_ok(), "{}", address);
        }
    }

    proptest::proptest! {
        /// The published patterns and the server's checks agree on every string (the
        /// strategy favours the edges: controls, Unicode spaces, the byte-order mark).
        #[test]
        fn published_patterns_match_the_checks(
            value in "[\\x00-\\x21\\x7E-\\xA1\\u{1680}\\u{2000}-\\u{200B}\\u{2028}\\u{3000}\\u{FEFF}a-c_.-]{0,6}"
        ) {
            proptest::prop_assert_eq!(
                matches(limits::VISIBLE_TEXT, &value),
                required("f", &value, 100).is_ok(),
                "VISIBLE_TEXT on {:?}", value
            );
            proptest::prop_assert_eq!(
                matches(limits::TEXT, &value),
                optional("f", Some(&value), 100).is_ok(),
                "TEXT on {:?}", value
            );
            proptest::prop_assert_eq!(
                matches(limits::NAME, &value),
                name("f", &value, 100).is_ok(),
                "NAME on {:?}", value
            );
        }
    }
}
