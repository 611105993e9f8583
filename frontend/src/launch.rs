//! How the widget was opened: `?origin=<host page origin>&protocol=<native|zcc>`.
//! Pure logic, tested natively.

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
            LaunchError::MissingOrigin => "This widget is embedded without saying which page it is in. \
                Add ?origin=<your page's origin> (e.g. https://crm.example.com) to the iframe address."
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

/// Parse the query pairs of the widget's URL.
pub fn parse<'a>(
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
    let dialect = Dialect::parse(&protocol).ok_or(LaunchError::UnknownProtocol(protocol))?;
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
        let l = parse([("origin", "HTTP://LocalHost:8090/"), ("protocol", "zcc")]).unwrap();
        assert_eq!(l.origin.as_deref(), Some("http://localhost:8090"));
        assert_eq!(l.dialect, Dialect::Zcc);
        let l = parse([("origin", "https://crm.example.com:443")]).unwrap();
        assert_eq!(l.origin.as_deref(), Some("https://crm.example.com"));
        assert_eq!(l.dialect, Dialect::Native);
    }

    #[test]
    fn missing_origin_is_not_an_error_here() {
        // Standalone (PWA) use needs no origin; the embedded case is checked by the caller.
        assert_eq!(parse([("origin", "")]).unwrap().origin, None);
        assert_eq!(parse([]).unwrap().origin, None);
    }

    #[test]
    fn bad_input_is_explained() {
        assert_eq!(
            parse([("origin", "javascript:alert(1)")]).unwrap_err(),
            LaunchError::MalformedOrigin("javascript:alert(1)".into())
        );
        assert!(matches!(
            parse([("origin", "https://a.com/path")]),
            Err(LaunchError::MalformedOrigin(_))
        ));
        assert!(matches!(
            parse([("origin", "https://u@a.com")]),
            Err(LaunchError::MalformedOrigin(_))
        ));
        assert!(matches!(
            parse([("protocol", "teams")]),
            Err(LaunchError::UnknownProtocol(_))
        ));
        assert!(LaunchError::NotAllowed("https://evil.test".into())
            .message()
            .contains("https://evil.test"));
    }
}
