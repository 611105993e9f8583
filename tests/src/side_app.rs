//! A side-panel app (`/v1/apps`) on a loopback port, written the way an app developer writes
//! one against docs/embedding.md: it says `app.ready` to the window that opened it (its parent
//! frame, or its opener when popped out), keeps every message it receives with its origin in
//! `window.seen`, and has buttons that send what tests need.
//!
//! `/app.html?widget=<origin>` is the app; `/away.html` is a page the app's frame can be
//! navigated to, which posts `app.set_variables` with `"*"` as soon as it loads (a frame that
//! has left the app must not be trusted, and must not be told anything).

use axum::response::Html;
use axum::routing::get;
use axum::Router;

const APP: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Case app</title></head>
<body>
<h1>Case app</h1>
<button id="set" onclick="send({type: 'app.set_variables', request_id: 'set-1', variables: {case_id: 'C-42'}})">Set case</button>
<button id="other" onclick="send({type: 'app.set_variables', request_id: 'other-1', engagement_id: '00000000-0000-4000-8000-000000000000', variables: {case_id: 'C-99'}})">Other engagement</button>
<button id="close" onclick="send({type: 'app.close'})">Close</button>
<a id="away" href="AWAY">Leave</a>
<ol id="log"></ol>
<script>
  const widget = new URLSearchParams(location.search).get("widget");
  const home = window.opener || window.parent;
  window.seen = [];
  window.addEventListener("message", (e) => {
    window.seen.push({ origin: e.origin, data: e.data });
    const li = document.createElement("li");
    li.textContent = e.origin + " " + JSON.stringify(e.data);
    document.getElementById("log").appendChild(li);
  });
  function send(m) { home.postMessage(m, widget); }
  send({ type: "app.ready" });
</script>
</body></html>"#;

const AWAY: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Elsewhere</title></head>
<body>
<h1>Elsewhere</h1>
<script>
  window.seen = [];
  window.addEventListener("message", (e) => window.seen.push({ origin: e.origin, data: e.data }));
  (window.opener || window.parent).postMessage({ type: "app.set_variables", variables: { case_id: "EVIL" } }, "*");
  window.posted = true;
</script>
</body></html>"#;

/// The running app server; it stops when dropped.
pub struct SideApp {
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl SideApp {
    /// Serve the pages; `away` is the address `/app.html`'s "Leave" link goes to.
    pub async fn start(away_origin: impl Fn(u16) -> String) -> SideApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the app server");
        let port = listener.local_addr().expect("app address").port();
        let app_page = APP.replace("AWAY", &format!("{}/away.html", away_origin(port)));
        let router = Router::new()
            .route("/app.html", get(move || async move { Html(app_page) }))
            .route("/away.html", get(|| async { Html(AWAY) }));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        SideApp { port, task }
    }
}

impl Drop for SideApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}
