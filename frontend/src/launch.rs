//! How the widget was opened: its path (`/widget/` native; `/zcc/`, Zoom's own
//! `/cci/callbar/crm/` and older hosts' `/crm-int/callbar/` the Zoom-compatible dialect) and
//! `?origin=<host page origin>`, with an optional `protocol=<native|zcc>` that overrides the
//! path. Pure logic, tested natively.

use shared::post_message::Dialect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The host page's origin, normalised (`scheme://host[:port]`, lowercase).
    pub origin: Option<String>,
    pub dialect: Dialect,
}

/// Why the widget refuses to talk to its host. The message is shown to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    MissingOrigin,
    MalformedOrigin(String),
    UnknownProtocol(String),
    NotAllowed(String),
    CheckFailed(String),
}

impl LaunchError {
    pub fn message(&self) -> String {
        match self {
            LaunchError::MissingOrigin => "This widget cannot tell which page it is in: the address has no \
                ?origin= and the browser names no embedding page. Add ?origin=<your page's origin> \
                (e.g. https://crm.example.com) to the iframe address."
                .into(),
            LaunchError::MalformedOrigin(o) => format!(
                "\"{o}\" is not a web origin. Use scheme, host and port only, e.g. https://crm.example.com"
            ),
            LaunchError::UnknownProtocol(p) => {
                format!("Unknown protocol \"{p}\". Use protocol=native (the default) or protocol=zcc.")
            }
            LaunchError::NotAllowed(o) => format!(
                "This widget is not allowed to run inside {o}. An administrator must add that origin \
                 to Switchboard's allowed embedding origins."
            ),
            LaunchError::CheckFailed(why) => {
                format!("Could not reach Switchboard to check this page's origin ({why}). Reload to retry.")
            }
        }
    }
}

/// The dialect the widget's path selects: the paths a Smart Embed host is configured with
/// (`/zcc/`, `/cci/callbar/crm/` as Zoom names it, `/crm-int/callbar/` as older hosts and
/// Zoom's `cti_version=1` do) speak zcc, everything else native. A host then needs only a new
/// base address, never a query parameter of ours.
pub fn dialect_for_path(path: &str) -> Dialect {
    if ["/zcc/", "/cci/callbar/crm/", "/crm-int/callbar/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        Dialect::Zcc
    } else {
        Dialect::Native
    }
}

/// The query string with every `?` after the leading one read as `&`. Hosts build the frame's
/// address as `<configured base>?origin=<their origin>`; when the base already has a query
/// (`…/widget/?protocol=zcc`) that gives `…?protocol=zcc?origin=…`, which must still work.
/// (`?` is not valid unencoded inside a parameter value of ours, so nothing is lost.)
pub fn query_string(search: &str) -> String {
    let rest = search.strip_prefix('?').unwrap_or(search);
    rest.replace('?', "&")
}

/// Parse the query pairs of the widget's URL; `path_dialect` applies unless `protocol=` says
/// otherwise.
pub fn parse<'a>(
    path_dialect: Dialect,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Launch, LaunchError> {
    let mut origin = None;
    let mut protocol = String::new();
    for (key, value) in pairs {
        match key {
            "origin" if !value.trim().is_empty() => origin = Some(normalize_origin(value)?),
            "protocol" => protocol = value.to_string(),
            _ => {}
        }
    }
    let dialect = if protocol.is_empty() {
        path_dialect
    } else {
        Dialect::parse(&protocol).ok_or(LaunchError::UnknownProtocol(protocol))?
    };
    Ok(Launch { origin, dialect })
}

/// A light syntactic check; the backend's allow-list check is authoritative. Browsers
/// serialise `event.origin` as `scheme://host[:port]` in lowercase without a default port.
pub fn normalize_origin(raw: &str) -> Result<String, LaunchError> {
    let bad = || LaunchError::MalformedOrigin(raw.to_string());
    let lower = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return Err(bad());
    }
    if rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad());
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let rest = rest.strip_suffix(default_port).unwrap_or(rest);
    Ok(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_protocol_are_read() {
        let l = parse(
            Dialect::Native,
            [("origin", "HTTP://LocalHost:8090/"), ("protocol", "zcc")],
        )
        .unwrap();
        assert_eq!(l.origin.as_deref(), Some("http://localhost:8090"));
        assert_eq!(l.dialect, Dialect::Zcc);
        let l = parse(Dialect::Native, [("origin", "https://crm.example.com:443")]).unwrap();
        assert_eq!(l.origin.as_deref(), Some("https://crm.example.com"));
        assert_eq!(l.dialect, Dialect::Native);
    }

    #[test]
    fn the_path_selects_the_dialect_and_a_second_question_mark_separates() {
        assert_eq!(dialect_for_path("/zcc/"), Dialect::Zcc);
        assert_eq!(dialect_for_path("/cci/callbar/crm/"), Dialect::Zcc);
        assert_eq!(dialect_for_path("/crm-int/callbar/"), Dialect::Zcc);
        assert_eq!(dialect_for_path("/widget/"), Dialect::Native);
        assert_eq!(dialect_for_path("/zccx/"), Dialect::Native);
        // `${BASE}?origin=…` with BASE = …/widget/?protocol=zcc, as a public host builds it.
        assert_eq!(
            query_string("?protocol=zcc?origin=https%3A%2F%2Fcrm.example.com"),
            "protocol=zcc&origin=https%3A%2F%2Fcrm.example.com"
        );
        assert_eq!(query_string("?origin=x&a=b"), "origin=x&a=b");
        assert_eq!(query_string(""), "");
        let l = parse(Dialect::Zcc, [("origin", "https://crm.example.com")]).unwrap();
        assert_eq!(l.dialect, Dialect::Zcc);
        let l = parse(Dialect::Zcc, [("protocol", "native")]).unwrap();
        assert_eq!(
            l.dialect,
            Dialect::Native,
            "an explicit protocol wins over the path"
        );
    }

    #[test]
    fn missing_origin_is_not_an_error_here() {
        // Standalone (PWA) use needs no origin; the embedded case is checked by the caller.
        assert_eq!(
            parse(Dialect::Native, [("origin", "")]).unwrap().origin,
            None
        );
        assert_eq!(parse(Dialect::Native, []).unwrap().origin, None);
    }

    #[test]
    fn bad_input_is_explained() {
        assert_eq!(
            parse(Dialect::Native, [("origin", "javascript:alert(1)")]).unwrap_err(),
            LaunchError::MalformedOrigin("javascript:alert(1)".into())
        );
        assert!(matches!(
            parse(Dialect::Native, [("origin", "https://a.com/path")]),
            Err(LaunchError::MalformedOrigin(_))
        ));
        assert!(matches!(
            parse(Dialect::Native, [("origin", "https://u@a.com")]),
            Err(LaunchError::MalformedOrigin(_))
        ));
        assert!(matches!(
            parse(Dialect::Native, [("protocol", "teams")]),
            Err(LaunchError::UnknownProtocol(_))
        ));
        assert!(LaunchError::NotAllowed("https://evil.test".into())
            .message()
            .contains("https://evil.test"));
    }
}
