//! The whole demo system for browser tests: the backend with the demo data, and the demo CRM
//! with its own database and API client (its pages: `pages::Crm`).

use crate::db::TestDb;
use crate::process::{free_port, start_demo, start_switchboard, Running, ServerOptions};
use serde_json::Value;

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
