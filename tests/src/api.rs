//! A small JSON client for the Switchboard API, and a fixture that configures a working
//! contact center (skills, dispositions, a queue per channel, a flow, an entry point, agents
//! and an API client) on a freshly started server.

use crate::db::TestDb;
use crate::process::{start_switchboard, Running, ServerOptions};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const ADMIN_EMAIL: &str = "admin@switchboard.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const AGENT_PASSWORD: &str = "agent-password-1";

/// An HTTP client with an optional bearer token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

/// A response: status and JSON body (`Value::Null` when empty, a string when not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Reply {
    /// Assert the status, returning the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Assert a JSON error with this status, code and (if given) field.
    #[track_caller]
    pub fn error(self, status: u16, code: &str, field: Option<&str>) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        if let Some(f) = field {
            assert_eq!(self.body["error"]["field"], f, "body: {}", self.body);
        }
        assert!(self.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        self.body
    }
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.try_send(method, path, body, headers)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`Api::send`], but a transport failure (server gone) is an error, not a panic.
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            body,
            headers,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send("PUT", path, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None, &[]).await
    }

    /// Sign in as an agent (or admin) and return a client using that token.
    pub async fn login(&self, email: &str, password: &str) -> Api {
        let body = self
            .post(
                "/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await
            .expect(200);
        self.with_token(body["access_token"].as_str().expect("token"))
    }

    /// Set this agent ready (asserting success).
    pub async fn set_ready(&self) {
        self.put("/v1/agents/me/status", json!({"status": "ready"}))
            .await
            .expect(200);
    }

    /// Set this agent not ready for `reason` (asserting success).
    pub async fn set_not_ready(&self, reason: &str) {
        self.put(
            "/v1/agents/me/status",
            json!({"status": "not_ready", "reason": reason}),
        )
        .await
        .expect(200);
    }

    /// Accept `engagement` as soon as it is offered to this agent (waiting up to `timeout`).
    pub async fn accept_when_offered(&self, engagement: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self
                .post(&format!("/v1/engagements/{engagement}/accept"), json!({}))
                .await;
            if r.status == 200 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{engagement} was never offered: {}",
                r.body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Add a note, set a disposition and close an engagement this agent holds.
    pub async fn note_dispose_close(&self, engagement: &str, note: &str, disposition_id: &str) {
        let path = |cmd: &str| format!("/v1/engagements/{engagement}/{cmd}");
        self.post(&path("notes"), json!({"body": note}))
            .await
            .expect(201);
        self.put(
            &path("disposition"),
            json!({"disposition_id": disposition_id}),
        )
        .await
        .expect(200);
        self.post(&path("close"), json!({})).await.expect(200);
    }

    /// The engagement's row in `GET /v1/reports/engagements` (the default window).
    pub async fn report_row(&self, engagement_id: &str) -> Value {
        let rows = self.get("/v1/reports/engagements").await.expect(200);
        rows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["engagement_id"] == engagement_id)
            .unwrap_or_else(|| panic!("{engagement_id} in {rows:#}"))
            .clone()
    }

    /// The queue's `total` in `GET /v1/reports/queues` (the default window).
    pub async fn queue_report_total(&self, queue_id: &str) -> Value {
        let report = self.get("/v1/reports/queues").await.expect(200);
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["queue_id"] == queue_id)
            .unwrap_or_else(|| panic!("{queue_id} in {report:#}"))["total"]
            .clone()
    }

    /// The highest `seq` in the event log (needs `events:read`, or a supervisor or admin).
    pub async fn latest_seq(&self) -> i64 {
        let mut after = 0;
        loop {
            let page = self
                .get(&format!("/v1/events?after={after}&limit=1000"))
                .await
                .expect(200);
            after = page["next_after"].as_i64().expect("next_after");
            if page["has_more"] != true {
                return after;
            }
        }
    }

    /// Client-credentials token.
    pub async fn client(&self, id: &str, secret: &str) -> Api {
        let body = self
            .post(
                "/v1/oauth/token",
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
            )
            .await
            .expect(200);
        self.with_token(body["access_token"].as_str().expect("token"))
    }
}

/// A configured contact center on a running server.
pub struct Center {
    pub server: Running,
    pub db: TestDb,
    pub admin: Api,
    /// API client with every scope an integrator needs.
    pub integrator: Api,
    pub client_id: String,
    pub client_secret: String,
    pub queue_id: String,
    pub voice_queue_id: String,
    pub flow_id: String,
    pub entry_id: String,
    pub skill_id: String,
    pub resolved_id: String,
    /// (agent id, email) for each agent; all have AGENT_PASSWORD.
    pub agents: Vec<(String, String)>,
}

/// Options for [`Center::start`].
pub struct CenterOptions {
    pub agents: usize,
    pub ring_timeout_secs: u32,
    pub distribution: &'static str,
}

impl Default for CenterOptions {
    fn default() -> Self {
        CenterOptions {
            agents: 3,
            ring_timeout_secs: 30,
            distribution: "longest_idle",
        }
    }
}

/// The options every API test starts the server with: the admin, the demo CRM's origin, and
/// webhooks allowed to call loopback receivers (`--webhook-allow-private`).
pub fn server_options() -> ServerOptions {
    ServerOptions {
        allowed_origins: vec!["http://127.0.0.1:8090".into()],
        admin: Some((ADMIN_EMAIL.into(), ADMIN_PASSWORD.into())),
        extra_args: vec!["--webhook-allow-private".into()],
        ..ServerOptions::default()
    }
}

impl Center {
    pub async fn start(db: TestDb, options: CenterOptions) -> Center {
        let server = start_switchboard(&db, server_options()).await;
        Center::configure(server, db, options).await
    }

    /// Start with the default options and `agents` agents.
    pub async fn with_agents(db: TestDb, agents: usize) -> Center {
        Center::start(
            db,
            CenterOptions {
                agents,
                ..CenterOptions::default()
            },
        )
        .await
    }

    /// Start with other server options (extra flags), and `agents` agents.
    pub async fn start_with(db: TestDb, server: ServerOptions, agents: usize) -> Center {
        let server = start_switchboard(&db, server).await;
        Center::configure(
            server,
            db,
            CenterOptions {
                agents,
                ..CenterOptions::default()
            },
        )
        .await
    }

    pub async fn configure(server: Running, db: TestDb, options: CenterOptions) -> Center {
        let anon = Api::new(&server.base_url);
        let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let skill_id = admin
            .post("/v1/skills", json!({"name": "billing"}))
            .await
            .expect(201)["skill_id"]
            .as_str()
            .unwrap()
            .to_string();
        let resolved_id = admin
            .post(
                "/v1/dispositions",
                json!({"name": "Resolved", "code": "RESOLVED"}),
            )
            .await
            .expect(201)["disposition_id"]
            .as_str()
            .unwrap()
            .to_string();
        let queue_id = admin
            .post(
                "/v1/queues",
                json!({
                    "name": "Billing work", "channel": "work_item", "distribution": options.distribution,
                    "ring_timeout_secs": options.ring_timeout_secs, "wrap_up_secs": 0,
                    "disposition_ids": [resolved_id],
                    "launch_url_template": "https://crm.example/tickets/{work_item_id}?who={consumer_email}"
                }),
            )
            .await
            .expect(201)["queue_id"]
            .as_str()
            .unwrap()
            .to_string();
        let voice_queue_id = admin
            .post(
                "/v1/queues",
                json!({"name": "Support calls", "channel": "voice", "distribution": "longest_idle",
                       "ring_timeout_secs": options.ring_timeout_secs}),
            )
            .await
            .expect(201)["queue_id"]
            .as_str()
            .unwrap()
            .to_string();
        let flow_id = admin
            .post(
                "/v1/flows",
                json!({
                    "name": "Billing", "start": "route",
                    "steps": {
                        "route": {"type": "condition", "when": {"op": "equals", "field": "channel", "value": "voice"},
                                   "then": "voice", "otherwise": "work"},
                        "voice": {"type": "route_to_queue", "queue_id": voice_queue_id},
                        "work": {"type": "route_to_queue", "queue_id": queue_id}
                    }
                }),
            )
            .await
            .expect(201)["flow_id"]
            .as_str()
            .unwrap()
            .to_string();
        let entry_id = "billing".to_string();
        admin
            .post(
                "/v1/entry-points",
                json!({"entry_id": entry_id, "flow_id": flow_id}),
            )
            .await
            .expect(201);
        let mut agents = Vec::new();
        for i in 0..options.agents {
            let email = format!("agent{i}@switchboard.test");
            let body = admin
                .post(
                    "/v1/agents",
                    json!({
                        "display_name": format!("Agent {i}"), "email": email, "role": "agent",
                        "password": AGENT_PASSWORD,
                        "skills": [{"skill_id": skill_id, "proficiency": 3}],
                        "queues": [{"queue_id": queue_id}, {"queue_id": voice_queue_id}]
                    }),
                )
                .await
                .expect(201);
            agents.push((body["agent_id"].as_str().unwrap().to_string(), email));
        }
        let client = admin
            .post(
                "/v1/api-clients",
                json!({"name": "CRM", "scopes": ["engagements:write", "engagements:read", "events:read", "embed_tokens:write"]}),
            )
            .await
            .expect(201);
        let client_id = client["client_id"].as_str().unwrap().to_string();
        let client_secret = client["client_secret"].as_str().unwrap().to_string();
        let integrator = anon.client(&client_id, &client_secret).await;
        Center {
            server,
            db,
            admin,
            integrator,
            client_id,
            client_secret,
            queue_id,
            voice_queue_id,
            flow_id,
            entry_id,
            skill_id,
            resolved_id,
            agents,
        }
    }

    pub fn anon(&self) -> Api {
        Api::new(&self.server.base_url)
    }

    /// Sign in agent `i`.
    pub async fn agent(&self, i: usize) -> Api {
        self.anon().login(&self.agents[i].1, AGENT_PASSWORD).await
    }

    /// Start a work item through the integrator's API client; returns its engagement id.
    pub async fn start_work_item(&self, id: &str, name: &str) -> String {
        let body = self
            .integrator
            .post("/v1/engagements", self.work_item(id, name))
            .await
            .expect(201);
        body["engagement_id"]
            .as_str()
            .expect("engagement_id")
            .to_string()
    }

    /// A Start Engagement body for a work item.
    pub fn work_item(&self, id: &str, name: &str) -> Value {
        json!({
            "channels": [{"channel": "work_item", "channel_source": "crm"}],
            "flow": {"flow_entry_id": self.entry_id},
            "consumers": [{"consumer_display_name": "Ada Lovelace", "consumer_email": "ada@example.com"}],
            "work_item_variables": {"work_item_name": name, "work_item_id": id, "work_item_priority": 1,
                                    "work_item_hyperlink": format!("https://crm.example/tickets/{id}")}
        })
    }
}

/// An agent WebSocket connection.
pub struct Feed {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    pub hello: Value,
    /// Every event received, in order.
    pub events: Vec<Value>,
}

/// The frame supervisors' and admins' sockets get besides events (`shared::live`): the event
/// helpers below pass over it, [`Feed::wait_frame`] returns it.
pub const LIVE_STATS: &str = "live_stats";

impl Feed {
    pub async fn connect(api: &Api, after: Option<i64>) -> Feed {
        Feed::connect_as(api, after, None).await
    }

    /// [`Feed::connect`] for a widget instance (`device`, see `PUT /v1/agents/me/device`).
    pub async fn connect_as(api: &Api, after: Option<i64>, device: Option<&str>) -> Feed {
        let ws_base = api.base.replacen("http://", "ws://", 1);
        let mut url = format!(
            "{ws_base}/v1/agent/ws?access_token={}",
            api.token.as_deref().expect("agent token")
        );
        if let Some(a) = after {
            url.push_str(&format!("&after={a}"));
        }
        if let Some(d) = device {
            url.push_str(&format!("&device={d}"));
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket");
        let hello = loop {
            match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    break serde_json::from_str(&t).unwrap()
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("no hello: {other:?}"),
            }
        };
        Feed {
            socket,
            hello,
            events: Vec::new(),
        }
    }

    /// Wait for the next event whose name is `kind` (recording everything seen on the way).
    pub async fn wait_for(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    let msg: Value = serde_json::from_str(&t).unwrap();
                    if msg["type"] == LIVE_STATS {
                        continue;
                    }
                    let event = msg["event"].clone();
                    self.events.push(event.clone());
                    if event["event"] == kind {
                        return event;
                    }
                }
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(p)))) => {
                    let _ = self
                        .socket
                        .send(tokio_tungstenite::tungstenite::Message::Pong(p))
                        .await;
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("waiting for {kind}: {other:?}; seen {:?}", self.kinds()),
            }
        }
    }

    /// Wait for the next frame whose `type` is `frame_type` (`typing`: frames that are not
    /// events); events on the way are recorded.
    pub async fn wait_frame(&mut self, frame_type: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    let msg: Value = serde_json::from_str(&t).unwrap();
                    if msg["type"] == frame_type {
                        return msg;
                    }
                    if msg["type"] != LIVE_STATS {
                        self.events.push(msg["event"].clone());
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => panic!(
                    "waiting for a {frame_type} frame: {other:?}; seen {:?}",
                    self.kinds()
                ),
            }
        }
    }

    /// Collect whatever arrives within `window`.
    pub async fn drain(&mut self, window: Duration) {
        let deadline = Instant::now() + window;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            self.socket.next(),
        )
        .await
        {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                let msg: Value = serde_json::from_str(&t).unwrap();
                if msg["type"] != LIVE_STATS {
                    self.events.push(msg["event"].clone());
                }
            }
        }
    }

    pub fn kinds(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| e["event"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Wait until the server closes the socket (recording events on the way); returns the
    /// close code, or None if it stayed open for `timeout`.
    pub async fn wait_closed(&mut self, timeout: Duration) -> Option<u16> {
        use tokio_tungstenite::tungstenite::Message;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let msg: Value = serde_json::from_str(&t).unwrap();
                    if msg["type"] != LIVE_STATS {
                        self.events.push(msg["event"].clone());
                    }
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Some(frame.map_or(1005, |f| u16::from(f.code)))
                }
                Ok(Some(Ok(_))) => {}
                Ok(None) | Ok(Some(Err(_))) => return Some(1006),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Sends a request frame (`SocketRequest`) on the socket.
    pub async fn send_json(&mut self, frame: Value) {
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Text(
                frame.to_string().into(),
            ))
            .await
            .expect("the socket takes the frame");
    }

    /// Sends a web call's SDP offer for `engagement` and waits for the answer (`Err`: the
    /// `call_error` message).
    pub async fn call_offer(&mut self, engagement: &str, sdp: &str) -> Result<String, String> {
        self.send_json(json!({"type": "call_offer", "engagement_id": engagement, "sdp": sdp}))
            .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    let msg: Value = serde_json::from_str(&t).unwrap();
                    match msg["type"].as_str() {
                        Some("call_answer") => return Ok(msg["sdp"].as_str().unwrap().to_string()),
                        Some("call_error") => {
                            return Err(msg["message"].as_str().unwrap().to_string())
                        }
                        Some(LIVE_STATS) => {}
                        _ => self.events.push(msg["event"].clone()),
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("waiting for a call answer: {other:?}"),
            }
        }
    }
}
