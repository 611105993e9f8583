//! The outbound HTTP client shared by webhooks and flow callouts: address checks on every
//! request (see [`super::address`]), no proxies from the environment, no redirects, a
//! timeout per request, and the start of each answer kept for the delivery log.

use super::address::{self, AddressError, AllowedHosts, GuardedResolver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much of an answer the delivery log keeps.
const BODY_START: usize = 1024;

/// What one request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub body_start: Option<String>,
    pub error: Option<String>,
    pub latency_ms: i64,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// `410 Gone`: the receiver asks never to be called again.
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }

    /// A one-line account for error messages ("answered 500: …", "timed out after 3 s").
    pub fn describe(&self) -> String {
        match (&self.status, &self.error) {
            (Some(s), _) => {
                let body = self.body_start.as_deref().unwrap_or("").trim();
                let body: String = body.chars().take(200).collect();
                if body.is_empty() {
                    format!("answered HTTP {s}")
                } else {
                    format!("answered HTTP {s}: {body}")
                }
            }
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".into(),
        }
    }
}

#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    pub allow_private: bool,
    allowed_hosts: AllowedHosts,
}

impl Sender {
    pub fn new(allow_private: bool, allowed_hosts: AllowedHosts) -> Sender {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook HTTP client builds");
        Sender {
            client,
            allow_private,
            allowed_hosts,
        }
    }

    /// Check a URL's form, its host against the allow-list and a literal address (names are
    /// checked at connect time). No DNS lookup, no connection.
    pub fn check(&self, url: &str) -> Result<url::Url, AddressError> {
        let parsed = address::check_url(url, self.allow_private)?;
        if !self.allowed_hosts.allows(&parsed) {
            return Err(AddressError::HostNotAllowed(
                parsed.host_str().unwrap_or_default().to_string(),
            ));
        }
        Ok(parsed)
    }

    /// The whole subscription-time check: the URL's form, then every address its host
    /// resolves to.
    pub async fn check_public(&self, url: &str) -> Result<url::Url, AddressError> {
        let parsed = self.check(url)?;
        address::check_resolved(&parsed, self.allow_private).await?;
        Ok(parsed)
    }

    /// POST `body` (JSON) with `headers`; never panics, every failure is an [`Outcome`].
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(&'static str, String)],
        timeout: Duration,
    ) -> Outcome {
        let started = Instant::now();
        let failed = |error: String| Outcome {
            status: None,
            body_start: None,
            error: Some(error),
            latency_ms: started.elapsed().as_millis() as i64,
        };
        let url = match self.check(url) {
            Ok(u) => u,
            Err(e) => return failed(format!("refused: {e}")),
        };
        let mut request = self
            .client
            .post(url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = match request.body(body).send().await {
            Ok(r) => r,
            Err(e) => return failed(describe_error(&e, timeout)),
        };
        let status = response.status().as_u16();
        let mut start = Vec::new();
        // Read no more than the log keeps; the rest of the answer is dropped unread.
        let _ = tokio::time::timeout(timeout, async {
            while start.len() < BODY_START {
                match response.chunk().await {
                    Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                    _ => break,
                }
            }
        })
        .await;
        start.truncate(BODY_START);
        Outcome {
            status: Some(status),
            body_start: (!start.is_empty()).then(|| String::from_utf8_lossy(&start).into_owned()),
            error: None,
            latency_ms: started.elapsed().as_millis() as i64,
        }
    }
}

fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", timeout.as_secs_f32());
    }
    // The resolver's refusal is the innermost source.
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(a) = s.downcast_ref::<AddressError>() {
            return format!("refused: {a}");
        }
        source = s.source();
    }
    if e.is_connect() {
        return "could not connect".into();
    }
    "request failed".into()
}
