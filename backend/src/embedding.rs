//! Which web origins may embed the widget.

use std::fmt;

/// A syntactically valid web origin, serialised the way browsers do (`scheme://host[:port]`,
/// lowercase, default port omitted), so it can be compared with `event.origin` byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a web origin ({reason}); expected e.g. https://crm.example.com or http://localhost:8090")]
pub struct InvalidOrigin {
    pub input: String,
    pub reason: &'static str,
}

impl Origin {
    pub fn parse(input: &str) -> Result<Origin, InvalidOrigin> {
        let bad = |reason| InvalidOrigin {
            input: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let url = url::Url::parse(trimmed).map_err(|_| bad("not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain credentials"));
        }
        // `https://crm.example.com/` is fine (browsers add the slash); a real path is not.
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a path, query or fragment"));
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The allow-list of embedding origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<Origin>,
}

impl AllowedOrigins {
    /// Parse a configured list; blank entries are ignored, a malformed one is an error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedOrigins, InvalidOrigin> {
        let mut origins = Vec::new();
        for entry in entries
            .iter()
            .map(AsRef::as_ref)
            .filter(|e| !e.trim().is_empty())
        {
            let origin = Origin::parse(entry)?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(AllowedOrigins { origins })
    }

    pub fn allows(&self, origin: &Origin) -> bool {
        self.origins.contains(origin)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Origin> {
        self.origins.iter()
    }

    /// The `Content-Security-Policy` value: only this server itself and the allowed origins
    /// may frame any response.
    /// The whole policy of every response: only this server's own scripts (and WASM),
    /// styles, images and connections; no plugins, no `<base>`; framed only by the allowed
    /// origins; violations reported to [`CSP_REPORT_PATH`].
    pub fn content_security_policy(&self) -> String {
        self.content_security_policy_for_apps(&Default::default())
    }

    /// [`Self::content_security_policy`] for a page that may frame the registered side-panel
    /// apps' pages and show their icons, besides its own.
    pub fn content_security_policy_for_apps(
        &self,
        apps: &crate::service::apps::AppOrigins,
    ) -> String {
        let frame_src = if apps.frames.is_empty() {
            String::new()
        } else {
            format!("frame-src 'self' {}; ", apps.frames.join(" "))
        };
        // blob: the chat's images, fetched with credentials and shown from memory.
        let mut img_src = String::from("'self' data: blob:");
        for origin in &apps.images {
            img_src.push(' ');
            img_src.push_str(origin);
        }
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
             img-src {img_src}; style-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; {frame_src}{}; report-uri {CSP_REPORT_PATH}",
            self.frame_ancestors()
        )
    }

    /// `frame-ancestors 'self' <allowed origins>`.
    pub fn frame_ancestors(&self) -> String {
        let mut csp = String::from("frame-ancestors 'self'");
        for origin in &self.origins {
            csp.push(' ');
            csp.push_str(origin.as_str());
        }
        csp
    }
}

/// Where browsers send Content-Security-Policy violation reports.
pub const CSP_REPORT_PATH: &str = "/v1/csp-reports";

/// What the server allows its pages to use: autoplay (the ring, a call's audio), the
/// microphone (web calls, docs/voice.md) and fullscreen in their own frame; nothing else. A
/// framing host must still delegate the microphone (`allow="microphone; autoplay"`).
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(self), bluetooth=(), camera=(), \
    display-capture=(), fullscreen=(self), geolocation=(), gyroscope=(), hid=(), magnetometer=(), \
    microphone=(self), midi=(), payment=(), serial=(), usb=(), xr-spatial-tracking=()";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_like_browsers_do() {
        assert_eq!(
            Origin::parse("HTTPS://CRM.Example.com").unwrap().as_str(),
            "https://crm.example.com"
        );
        assert_eq!(
            Origin::parse("https://crm.example.com:443/")
                .unwrap()
                .as_str(),
            "https://crm.example.com"
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:8090").unwrap().as_str(),
            "http://127.0.0.1:8090"
        );
        assert_eq!(
            Origin::parse(" http://localhost:8090 ").unwrap().as_str(),
            "http://localhost:8090"
        );
    }

    #[test]
    fn non_origins_are_refused_with_a_reason() {
        for (input, reason) in [
            ("crm.example.com", "not a URL"),
            ("ftp://crm.example.com", "scheme must be http or https"),
            (
                "https://crm.example.com/app",
                "must not have a path, query or fragment",
            ),
            (
                "https://crm.example.com?x=1",
                "must not have a path, query or fragment",
            ),
            (
                "https://user:pw@crm.example.com",
                "must not contain credentials",
            ),
            ("*", "not a URL"),
            ("null", "not a URL"),
        ] {
            let err = Origin::parse(input).unwrap_err();
            assert_eq!(err.reason, reason, "{input}");
            assert!(err.to_string().contains(input));
        }
    }

    #[test]
    fn csp_lists_self_and_each_allowed_origin_once() {
        let allowed =
            AllowedOrigins::parse(&["http://a.test:1", "", "http://a.test:1", "https://b.test"])
                .unwrap();
        assert_eq!(
            allowed.frame_ancestors(),
            "frame-ancestors 'self' http://a.test:1 https://b.test"
        );
        assert!(allowed.allows(&Origin::parse("https://b.test").unwrap()));
        assert!(!allowed.allows(&Origin::parse("https://c.test").unwrap()));
        assert_eq!(
            AllowedOrigins::default().frame_ancestors(),
            "frame-ancestors 'self'"
        );
        let csp = allowed.content_security_policy();
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "img-src 'self' data: blob:",
            "frame-ancestors 'self' http://a.test:1 https://b.test",
        ] {
            assert!(csp.contains(part), "{csp} lacks {part}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
}
