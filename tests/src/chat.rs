//! Web chat for tests: a chat center (queue, flow, entry point, agent) and a website that
//! carries the `/chat.js` bubble, served on a loopback origin of its own.

use crate::api::{Api, Center};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// A chat queue, a flow and an entry point to it that takes web chats (email required), and a
/// ready agent who takes chats.
pub async fn chat_center(c: &Center) -> Api {
    let queue = chat_queue_and_entry(
        c,
        "Web chat",
        json!({"entry_id": "web-chat", "chat": {"require_email": true}}),
    )
    .await;
    c.admin
        .post(
            "/v1/agents",
            json!({"display_name": "Chat Agent", "email": "chat@switchboard.test", "role": "agent",
                   "password": "chat-agent-password", "queues": [{"queue_id": queue}]}),
        )
        .await
        .expect(201);
    let agent = c
        .anon()
        .login("chat@switchboard.test", "chat-agent-password")
        .await;
    agent.set_ready().await;
    agent
}

/// A chat queue named `name`, a flow to it, and the entry point `entry` (its `entry_id` and
/// settings; the flow is filled in). The queue's id.
pub async fn chat_queue_and_entry(c: &Center, name: &str, mut entry: Value) -> Value {
    let queue = c
        .admin
        .post(
            "/v1/queues",
            json!({"name": name, "channel": "chat", "distribution": "longest_idle", "ring_timeout_secs": 30}),
        )
        .await
        .expect(201)["queue_id"]
        .clone();
    let flow = c
        .admin
        .post(
            "/v1/flows",
            json!({"name": "Chat", "start": "q", "steps": {"q": {"type": "route_to_queue", "queue_id": queue}}}),
        )
        .await
        .expect(201)["flow_id"]
        .clone();
    entry["flow_id"] = flow;
    c.admin.post("/v1/entry-points", entry).await.expect(201);
    queue
}

/// Set the satisfaction survey of the entry point `entry_id` (`null`: none), keeping the rest
/// of it as it is; the entry point as saved.
pub async fn set_survey(c: &Center, entry_id: &str, survey: Value) -> Value {
    let entries = c.admin.get("/v1/entry-points").await.expect(200);
    let mut entry = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry_id"] == entry_id)
        .unwrap_or_else(|| panic!("entry point {entry_id} exists: {entries}"))
        .clone();
    entry["survey"] = survey;
    c.admin
        .put(&format!("/v1/entry-points/{entry_id}"), entry)
        .await
        .expect(200)
}

/// The id of [`chat_center`]'s chat queue ("Web chat").
pub async fn chat_queue_id(c: &Center) -> String {
    let queues = c.admin.get("/v1/queues").await.expect(200);
    queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "Web chat")
        .expect("the chat center's queue")["queue_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Another agent in [`chat_center`]'s chat queue, signed in (not ready): (agent id, their API).
/// `who` names them ("Grace" → grace@switchboard.test, password `grace-agent-password`).
pub async fn chat_colleague(c: &Center, who: &str) -> (String, Api) {
    let queue_id = chat_queue_id(c).await;
    let login = who.to_lowercase().replace(' ', "-");
    let (email, password) = (
        format!("{login}@switchboard.test"),
        format!("{login}-agent-password"),
    );
    let id = c
        .admin
        .post(
            "/v1/agents",
            json!({"display_name": who, "email": email, "role": "agent",
                   "password": password, "queues": [{"queue_id": queue_id}]}),
        )
        .await
        .expect(201)["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, c.anon().login(&email, &password).await)
}

/// Today's weekday in UTC, as the API names it (opening hours).
pub fn today_utc() -> &'static str {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        / 86_400;
    // 1970-01-01 was a Thursday.
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][((days + 3) % 7) as usize]
}

/// The six weekdays other than [`today_utc`].
pub fn other_days_utc() -> Vec<&'static str> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .into_iter()
        .filter(|d| *d != today_utc())
        .collect()
}

/// A website with the chat bubble of `switchboard`'s entry point `web-chat`, on
/// `http://127.0.0.1:<port>`; it stops when dropped. The page keeps what it logs with
/// `console.error` in `window.consoleErrors`. `/strict` is the same page under the strict
/// Content-Security-Policy `docs/chat.md` shows website owners.
pub struct Website {
    pub origin: String,
    task: tokio::task::JoinHandle<()>,
}

impl Website {
    /// Listen now (so the origin can go on the server's allow-list before the server starts);
    /// pages are served once [`Website::serve`] names the server.
    pub async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the website");
        let port = listener.local_addr().expect("website address").port();
        (listener, format!("http://127.0.0.1:{port}"))
    }

    pub fn serve(listener: tokio::net::TcpListener, origin: String, switchboard: &str) -> Website {
        let page = format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>Acme Widgets</title></head>
<body><h1>Acme Widgets</h1><p>Questions? Chat with us.</p>
<script nonce="site">window.consoleErrors = []; const logError = console.error;
console.error = (...args) => {{ window.consoleErrors.push(args.join(" ")); logError(...args); }};</script>
<script src="{switchboard}/chat.js" data-entry="web-chat" async></script>
</body></html>"#
        );
        // docs/chat.md's example, with this page's own script allowed by its nonce.
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-site' {switchboard}; connect-src 'self' {switchboard}; frame-src {switchboard}; style-src 'self'"
        );
        let strict = page.clone();
        let router = Router::new()
            .route("/", get(move || async move { Html(page) }))
            .route(
                "/strict",
                get(move || async move {
                    (
                        [(axum::http::header::CONTENT_SECURITY_POLICY, policy)],
                        Html(strict),
                    )
                }),
            );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Website { origin, task }
    }
}

impl Drop for Website {
    fn drop(&mut self) {
        self.task.abort();
    }
}
