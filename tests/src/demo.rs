//! The whole demo system for browser tests: the backend with the demo data, the demo CRM with
//! its own database and API client, and helpers to read what the CRM page received.

use crate::browser::Browser;
use crate::db::TestDb;
use crate::process::{free_port, start_demo, start_switchboard, Running, ServerOptions};
use serde_json::{json, Value};
use std::time::Duration;

/// The demo password of every demo account.
pub const PASSWORD: &str = "switchboard-demo";

pub struct System {
    pub switchboard: Running,
    pub demo: Running,
    pub db: TestDb,
    _crm: tempfile::TempDir,
}

/// Backend (with the demo data) + demo CRM (its own database and API client), with the demo's
/// origin (and only it) allowed to embed the widget.
pub async fn system() -> System {
    let db = TestDb::sqlite();
    let demo_port = free_port();
    let switchboard = start_switchboard(
        &db,
        ServerOptions {
            allowed_origins: vec![format!("http://127.0.0.1:{demo_port}")],
            extra_args: vec![
                // The CRM's webhook receiver is on loopback.
                "--webhook-allow-private".into(),
                "--demo".into(),
                "--demo-crm-url".into(),
                format!("http://127.0.0.1:{demo_port}"),
            ],
            ..ServerOptions::default()
        },
    )
    .await;
    let crm = tempfile::tempdir().expect("temp dir");
    let demo = start_demo(
        &switchboard.base_url,
        demo_port,
        &crm.path().join("crm.db"),
        Some(("admin@demo.test", "switchboard-demo")),
    )
    .await;
    System {
        switchboard,
        demo,
        db,
        _crm: crm,
    }
}

/// Sign in to the CRM as Ada and open the agent desk (with `query`).
pub async fn open_desk(browser: &Browser, sys: &System, query: &str) {
    browser
        .sign_in_crm(&sys.demo.base_url, "ada@demo.test", &format!("/{query}"))
        .await;
}

pub const MESSAGES: &str = "return window.switchboardMessages || null;";

pub async fn messages(browser: &Browser) -> Vec<Value> {
    browser
        .client
        .execute(MESSAGES, vec![])
        .await
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

pub async fn wait_for_message(browser: &Browser, kind: &str) -> Value {
    let script = format!(
        "return (window.switchboardMessages || []).find(m => m.data && m.data.type === {}) || null;",
        json!(kind)
    );
    browser
        .wait_for(
            &format!("a {kind} message at the host page"),
            Duration::from_secs(20),
            &script,
        )
        .await
}

pub async fn wait_for_reply(browser: &Browser, request_id: &str) -> Value {
    let script = format!(
        "return (window.switchboardMessages || []).find(m => m.data && m.data.type === 'reply' && m.data.requestId === {}) || null;",
        json!(request_id)
    );
    browser
        .wait_for(
            &format!("the reply to {request_id}"),
            Duration::from_secs(20),
            &script,
        )
        .await
}

/// Sign in to the standalone widget (the PWA) and go ready.
pub async fn standalone_ready(browser: &Browser, sys: &System) {
    browser
        .ready_in_standalone_widget(&sys.switchboard.url("/widget/"), "ada@demo.test", PASSWORD)
        .await;
}

/// "Route to an agent" on the demo CRM's `ticket`; the CRM answers 201 with the engagement.
pub async fn route_ticket(sys: &System, ticket: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/api/tickets/{ticket}/route", sys.demo.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "route {ticket}");
    r.json().await.unwrap()
}

/// The demo queue called `name` as the API returns it, and its path (to `PUT` it back).
pub async fn queue_named(admin: &crate::api::Api, name: &str) -> (String, Value) {
    let queues = admin.get("/v1/queues").await.expect(200);
    let queue = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("no demo queue {name:?}"))
        .clone();
    let path = format!("/v1/queues/{}", queue["queue_id"].as_str().unwrap());
    (path, queue)
}
