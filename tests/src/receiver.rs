//! A webhook receiver on a loopback port, written the way an integrator writes one: it
//! answers Zoom's URL validation, verifies every delivery with the independent
//! `standardwebhooks` crate (Standard Webhooks) and with its own HMAC (Zoom-style), and records
//! what arrived. Tests switch how it answers (200, a status, slow, a wrong token).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// 200 to deliveries, the right answer to validations.
    Ok,
    /// This status to everything.
    Status(u16),
    /// Sleep this long, then answer as `Ok`.
    Slow(Duration),
    /// Answer validations with a wrong `encryptedToken` (deliveries: 200).
    WrongToken,
}

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
    /// Verified by the `standardwebhooks` crate with the receiver's secret at arrival.
    pub standard_ok: bool,
    /// `x-zm-signature` matched the receiver's own HMAC.
    pub zoom_ok: bool,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn webhook_id(&self) -> &str {
        self.header("webhook-id")
    }
    pub fn event(&self) -> &str {
        self.json["event"].as_str().unwrap_or("")
    }
}

#[derive(Default)]
struct Inner {
    secret: Option<String>,
    mode: Option<Mode>,
    deliveries: Vec<Received>,
    validations: usize,
    requests: usize,
}

/// A running receiver. Dropping it stops the server.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _task: Arc<AbortOnDrop>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hex(HMAC-SHA256(key, message))`, the receiver's own implementation of the Zoom scheme.
pub fn hmac_hex(key: &str, message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(message);
    hex(&mac.finalize().into_bytes())
}

/// Verify a Standard Webhooks delivery with the independent crate.
pub fn verify_standard(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Ok(wh) = standardwebhooks::Webhook::new(secret) else {
        return false;
    };
    wh.verify(body, headers).is_ok()
}

/// Verify `x-zm-signature` (`v0=hex(HMAC(secret, "v0:ts:body"))`).
pub fn verify_zoom(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let ts = headers
        .get("x-zm-request-timestamp")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let sig = headers
        .get("x-zm-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut message = format!("v0:{ts}:").into_bytes();
    message.extend_from_slice(body);
    sig == format!("v0={}", hmac_hex(secret, &message))
}

impl Receiver {
    /// Start on a free loopback port; deliveries go to `<url>` (path `/hook`).
    pub async fn start(secret: Option<&str>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        Receiver::serve(listener, secret)
    }

    /// Serve on a listener the test made (to restart a receiver on the same port).
    pub fn serve(listener: tokio::net::TcpListener, secret: Option<&str>) -> Receiver {
        let addr = listener.local_addr().expect("receiver address");
        let inner = Arc::new(Mutex::new(Inner {
            secret: secret.map(str::to_string),
            mode: Some(Mode::Ok),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/hook", post(handle))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            inner,
            _task: Arc::new(AbortOnDrop(task)),
        }
    }

    pub fn set_secret(&self, secret: &str) {
        self.inner.lock().unwrap().secret = Some(secret.to_string());
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    pub fn deliveries(&self) -> Vec<Received> {
        self.inner.lock().unwrap().deliveries.clone()
    }

    pub fn validations(&self) -> usize {
        self.inner.lock().unwrap().validations
    }

    /// Every request seen (validations, deliveries, failures answered).
    pub fn requests(&self) -> usize {
        self.inner.lock().unwrap().requests
    }

    /// Wait until `done` holds for the deliveries so far.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.deliveries();
            if done(&seen) {
                return seen;
            }
            if Instant::now() > deadline {
                let names: Vec<&str> = seen.iter().map(|r| r.event()).collect();
                panic!("timed out waiting for {what}; received {names:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait for a delivery named `event`.
    pub async fn wait_for(&self, event: &str, timeout: Duration) -> Received {
        let seen = self
            .wait_until(event, timeout, |d| d.iter().any(|r| r.event() == event))
            .await;
        seen.into_iter().find(|r| r.event() == event).unwrap()
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mode, secret) = {
        let mut i = inner.lock().unwrap();
        i.requests += 1;
        (i.mode.clone().unwrap_or(Mode::Ok), i.secret.clone())
    };
    if let Mode::Slow(d) = &mode {
        tokio::time::sleep(*d).await;
    }
    if let Mode::Status(s) = mode {
        return StatusCode::from_u16(s).unwrap().into_response();
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let secret = secret.unwrap_or_default();
    if json["event"] == "endpoint.url_validation" {
        inner.lock().unwrap().validations += 1;
        let plain = json["payload"]["plainToken"].as_str().unwrap_or("");
        let token = if mode == Mode::WrongToken {
            "0".repeat(64)
        } else {
            hmac_hex(&secret, plain.as_bytes())
        };
        return axum::Json(json!({"plainToken": plain, "encryptedToken": token})).into_response();
    }
    let received = Received {
        standard_ok: verify_standard(&secret, &headers, &body),
        zoom_ok: verify_zoom(&secret, &headers, &body),
        headers,
        body: body.to_vec(),
        json,
        at: Instant::now(),
    };
    inner.lock().unwrap().deliveries.push(received);
    StatusCode::OK.into_response()
}
