//! Webhooks, black-box on SQLite and PostgreSQL: subscribing (URL validation, refusals),
//! signed at-least-once delivery of a work item's whole life to a local receiver that
//! verifies with the independent `standardwebhooks` crate, retries, `410 Gone`, secret
//! rotation, redelivery and recovery, `kill -9` with deliveries pending, SIGTERM with one in
//! flight, two instances.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tests::api::{server_options, Api, Center};
use tests::both_stores;
use tests::db::TestDb;
use tests::process::{start_switchboard, ServerOptions};
use tests::receiver::{Mode, Receiver};

const WAIT: Duration = Duration::from_secs(20);
/// How long a claimed delivery stays leased (backend's `LEASE_MS`).
const LEASE: Duration = Duration::from_secs(30);
/// A receiver secret (`whsec_` + base64 of 24 bytes).
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Server options with a compressed retry schedule.
fn fast_retries(schedule: &str) -> ServerOptions {
    let mut o = server_options();
    o.extra_args
        .extend(["--webhook-retry-schedule".into(), schedule.into()]);
    o
}

async fn center(db: TestDb, options: ServerOptions) -> Center {
    Center::start_with(db, options, 1).await
}

/// Subscribe `receiver` (holding SECRET) to `events`; returns the webhook id.
async fn subscribe(c: &Center, receiver: &Receiver, events: Value) -> String {
    let body = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "events": events, "secret": SECRET, "description": "CRM"}),
        )
        .await
        .expect(201);
    assert_eq!(body["enabled"], true);
    assert_eq!(body["validation"], "passed");
    assert_eq!(body["secret"], SECRET);
    body["webhook_id"].as_str().unwrap().to_string()
}

/// Accept, note, disposition and close a new work item; returns its engagement id.
async fn work_item_life(c: &Center, agent: &Api, id: &str) -> String {
    let engagement = c.start_work_item(id, "Invoice dispute").await;
    agent.accept_when_offered(&engagement, WAIT).await;
    agent
        .note_dispose_close(&engagement, "Customer wants a refund", &c.resolved_id)
        .await;
    engagement
}

/// Every event of the log after `after`, by id.
async fn log_events(api: &Api, after: i64) -> BTreeMap<String, Value> {
    let page = api
        .get(&format!("/v1/events?after={after}&limit=1000"))
        .await
        .expect(200);
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

async fn subscribing_validates_the_url_and_refuses_what_it_must(db: TestDb) {
    let c = center(db, server_options()).await;
    let good = Receiver::start(Some(SECRET)).await;

    a_receiver_with_its_secret_is_validated_first(&c, &good).await;

    let wrong = failed_validations_are_refused_with_what_the_endpoint_did(&c).await;

    bad_subscriptions_name_their_field(&c, &good).await;

    let pid = a_generated_secret_waits_for_validate(&c, &wrong).await;

    only_admins_and_webhook_writers_manage_subscriptions(&c, &pid).await;
}

/// A receiver that already holds its secret: validated before anything is saved; the secret
/// is never shown again.
async fn a_receiver_with_its_secret_is_validated_first(c: &Center, good: &Receiver) {
    let created = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": good.url, "events": ["contact_center.engagement_note_added"], "secret": SECRET}),
        )
        .await
        .expect(201);
    assert_eq!(good.validations(), 1);
    let id = created["webhook_id"].as_str().unwrap();
    let read = c.admin.get(&format!("/v1/webhooks/{id}")).await.expect(200);
    assert!(
        read.get("secret").is_none(),
        "the secret is never shown again: {read}"
    );
    assert_eq!(
        read["events"],
        json!(["contact_center.engagement_note_added"])
    );
}

/// A wrong answer, a slow endpoint and a 500 are refused with what the endpoint did, and
/// nothing is saved. The receiver that answers wrong.
async fn failed_validations_are_refused_with_what_the_endpoint_did(c: &Center) -> Receiver {
    let wrong = Receiver::start(Some(SECRET)).await;
    wrong.set_mode(Mode::WrongToken);
    let r = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": wrong.url, "events": ["*"], "secret": SECRET}),
        )
        .await
        .error(422, "invalid_field", Some("url"));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("encryptedToken"),
        "{r}"
    );
    let slow = Receiver::start(Some(SECRET)).await;
    slow.set_mode(Mode::Slow(Duration::from_secs(5)));
    let started = std::time::Instant::now();
    let r = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": slow.url, "events": ["*"], "secret": SECRET}),
        )
        .await
        .error(422, "invalid_field", Some("url"));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{r}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the challenge waits 3 s at most"
    );
    let failing = Receiver::start(Some(SECRET)).await;
    failing.set_mode(Mode::Status(500));
    let r = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": failing.url, "events": ["*"], "secret": SECRET}),
        )
        .await
        .error(422, "invalid_field", Some("url"));
    assert!(
        r["error"]["message"].as_str().unwrap().contains("500"),
        "{r}"
    );
    assert_eq!(
        c.admin
            .get("/v1/webhooks")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    wrong
}

/// Bad input names its field.
async fn bad_subscriptions_name_their_field(c: &Center, good: &Receiver) {
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": good.url, "events": ["*"], "secret": "not-a-whsec"}),
        )
        .await
        .error(422, "invalid_field", Some("secret"));
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": good.url, "events": ["*"], "secret": "whsec_c2hvcnQ="}),
        )
        .await
        .error(422, "invalid_field", Some("secret"));
    c.admin
        .post("/v1/webhooks", json!({"url": good.url, "events": ["contact_center.engagement_note_added", "engagement.nope"]}))
        .await
        .error(422, "invalid_field", Some("events[1]"));
    c.admin
        .post("/v1/webhooks", json!({"url": good.url, "events": []}))
        .await
        .error(422, "invalid_field", Some("events"));
    c.admin
        .post("/v1/webhooks", json!({"url": "ftp://x", "events": ["*"]}))
        .await
        .error(422, "invalid_field", Some("url"));
    c.admin
        .post("/v1/webhooks", json!({"events": ["*"]}))
        .await
        .error(422, "invalid_field", Some("url"));
}

/// Without a secret: generated, shown once, and the subscription waits for /validate; a new
/// URL is validated again and a failure keeps the old one. The subscription's id.
async fn a_generated_secret_waits_for_validate(c: &Center, wrong: &Receiver) -> String {
    let later = Receiver::start(None).await;
    let pending = c
        .admin
        .post("/v1/webhooks", json!({"url": later.url, "events": ["*"]}))
        .await
        .expect(201);
    assert_eq!(pending["enabled"], false);
    assert_eq!(pending["validation"], "pending");
    let generated = pending["secret"].as_str().unwrap();
    assert!(generated.starts_with("whsec_"));
    assert_eq!(later.validations(), 0);
    let pid = pending["webhook_id"].as_str().unwrap();
    c.admin
        .patch(&format!("/v1/webhooks/{pid}"), json!({"enabled": true}))
        .await
        .error(409, "conflict", None);
    later.set_secret(generated);
    let validated = c
        .admin
        .post(&format!("/v1/webhooks/{pid}/validate"), json!({}))
        .await
        .expect(200);
    assert_eq!(validated["enabled"], true);
    assert_eq!(validated["validation"], "passed");

    // A new URL is validated again; a failure keeps the old one.
    let r = c
        .admin
        .patch(&format!("/v1/webhooks/{pid}"), json!({"url": wrong.url}))
        .await
        .error(422, "invalid_field", Some("url"));
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("validation"));
    assert_eq!(
        c.admin
            .get(&format!("/v1/webhooks/{pid}"))
            .await
            .expect(200)["url"],
        later.url.as_str()
    );
    pid.to_string()
}

/// Agents may not manage webhooks; API clients need webhooks:write.
async fn only_admins_and_webhook_writers_manage_subscriptions(c: &Center, pid: &str) {
    let agent = c.agent(0).await;
    agent
        .get("/v1/webhooks")
        .await
        .error(403, "forbidden", None);
    c.integrator
        .get("/v1/webhooks")
        .await
        .error(403, "forbidden", None);
    let hooks_client = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "Hooks", "scopes": ["webhooks:write"]}),
        )
        .await
        .expect(201);
    let hooks = c
        .anon()
        .client(
            hooks_client["client_id"].as_str().unwrap(),
            hooks_client["client_secret"].as_str().unwrap(),
        )
        .await;
    assert_eq!(
        hooks
            .get("/v1/webhooks")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    hooks
        .delete(&format!("/v1/webhooks/{pid}"))
        .await
        .expect(204);
    hooks
        .get(&format!("/v1/webhooks/{pid}"))
        .await
        .error(404, "not_found", None);
}

/// Without `--webhook-allow-private`, loopback URLs are refused before any connection.
async fn non_public_addresses_are_refused_without_a_connection(db: TestDb) {
    let mut options = server_options();
    options.extra_args.clear();
    let c = center(db, options).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        format!("https://127.0.0.1:{port}/hook"),
        format!("https://localhost:{port}/hook"),
        format!("https://[::1]:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        // Loopback wrapped in other IPv6 forms: IPv4-compatible, SIIT, 6to4, Teredo, NAT64.
        format!("https://[::127.0.0.1]:{port}/hook"),
        format!("https://[::7f00:1]:{port}/hook"),
        format!("https://[::ffff:0:7f00:1]:{port}/hook"),
        format!("https://[2002:7f00:1::1]:{port}/hook"),
        format!("https://[2001:0:7f00:1::80ff:fffe]:{port}/hook"),
        format!("https://[64:ff9b::7f00:1]:{port}/hook"),
    ] {
        let r = c
            .admin
            .post(
                "/v1/webhooks",
                json!({"url": url, "events": ["*"], "secret": SECRET}),
            )
            .await
            .error(403, "refused", Some("url"));
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("non-public"),
            "{url}: {r}"
        );
    }
    let r = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"], "secret": SECRET}),
        )
        .await
        .error(403, "refused", Some("url"));
    assert!(
        r["error"]["message"].as_str().unwrap().contains("https"),
        "{r}"
    );
    // Flow callouts follow the same rules.
    let r = c
        .admin
        .post(
            "/v1/flows",
            json!({"name": "Private", "start": "q", "steps": {"q": {"type": "route_to_queue", "queue_id": c.queue_id}},
                   "callouts": [{"on": "engagement_closed", "url": format!("https://localhost:{port}/x"), "body_template": "{}"}]}),
        )
        .await
        .error(403, "refused", Some("callouts[0].url"));
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("non-public"),
        "{r}"
    );
    let accepted = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
    assert!(
        accepted.is_err(),
        "the server connected to a refused address"
    );
}

/// `--webhook-allowed-hosts`: a host off the list is refused (`403`) before any lookup or
/// connection, even where private addresses are allowed; a listed one is called.
async fn only_allowed_hosts_are_called(db: TestDb) {
    let mut options = server_options();
    options
        .extra_args
        .extend(["--webhook-allowed-hosts".into(), "127.0.0.1".into()]);
    let c = center(db, options).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = c
        .admin
        .post(
            "/v1/webhooks",
            json!({"url": format!("http://localhost:{port}/hook"), "events": ["*"], "secret": SECRET}),
        )
        .await
        .error(403, "refused", Some("url"));
    assert!(
        r["error"]["message"].as_str().unwrap().contains("list"),
        "{r}"
    );
    let accepted = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
    assert!(
        accepted.is_err(),
        "the server connected to a host off the list"
    );
    drop(listener);
    let receiver = Receiver::start(Some(SECRET)).await;
    subscribe(&c, &receiver, json!(["*"])).await;
    assert_eq!(receiver.validations(), 1, "a listed host is called");
}

async fn a_work_items_life_arrives_signed_and_once_each(db: TestDb) {
    let c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let after = c.admin.latest_seq().await;
    subscribe(&c, &receiver, json!(["*"])).await;
    let agent = c.agent(0).await;
    agent.set_ready().await;
    let engagement = work_item_life(&c, &agent, "INV-1").await;

    let expected = log_events(&c.admin, after).await;
    receiver
        .wait_until("every event", WAIT, |d| {
            let ids: BTreeSet<&str> = d.iter().map(|r| r.webhook_id()).collect();
            expected.keys().all(|k| ids.contains(k.as_str()))
        })
        .await;
    // Give stragglers a moment, then count: each event exactly once (no failure happened).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.deliveries();
    assert!(received.len() >= expected.len());
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &received {
        *counts.entry(r.webhook_id()).or_default() += 1;
        assert!(r.standard_ok, "standardwebhooks rejected {}", r.event());
        assert!(r.zoom_ok, "x-zm-signature did not verify for {}", r.event());
        let event = &expected[r.webhook_id()];
        assert_eq!(r.json["payload"]["object"]["seq"], event["seq"]);
        assert_eq!(r.json["payload"]["account_id"], event["account_id"]);
        assert!(r.json["event"]
            .as_str()
            .unwrap()
            .starts_with("contact_center."));
        assert!(r.json["event_ts"].as_i64().unwrap() > 1_700_000_000_000);
    }
    assert!(counts.values().all(|n| *n == 1), "duplicates: {counts:?}");
    assert_eq!(counts.len(), expected.len());

    let by_name = |name: &str| {
        received
            .iter()
            .find(|r| r.event() == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .json["payload"]["object"]
            .clone()
    };
    for name in [
        "contact_center.engagement_started",
        "contact_center.engagement_user_ringing",
        "contact_center.engagement_user_answered",
        "contact_center.engagement_ended",
    ] {
        assert_eq!(
            by_name(name)["engagement_id"],
            engagement.as_str(),
            "{name}"
        );
    }
    let note = by_name("contact_center.engagement_note_added");
    assert_eq!(note["note"]["body"], "Customer wants a refund");
    assert_eq!(note["author"]["display_name"], "Agent 0");
    assert_eq!(note["author"]["email"], c.agents[0].1.as_str());
    assert_eq!(note["note"]["agent_id"], c.agents[0].0.as_str());
    let disposition = by_name("contact_center.engagement_disposition_added");
    assert_eq!(disposition["disposition"]["name"], "Resolved");
    assert_eq!(disposition["disposition"]["code"], "RESOLVED");
    assert_eq!(
        by_name("contact_center.engagement_ended")["engagement"]["work_item"]["id"],
        "INV-1"
    );
}

async fn task_names_select_work_items_only(db: TestDb) {
    let c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    subscribe(
        &c,
        &receiver,
        json!([
            "contact_center.task_created",
            "contact_center.task_completed"
        ]),
    )
    .await;
    let agent = c.agent(0).await;
    agent.set_ready().await;
    let engagement = work_item_life(&c, &agent, "TASK-1").await;
    let got = receiver
        .wait_until("task_completed", WAIT, |d| {
            d.iter()
                .any(|r| r.event() == "contact_center.task_completed")
        })
        .await;
    let names: Vec<&str> = got.iter().map(|r| r.event()).collect();
    assert_eq!(
        names,
        vec![
            "contact_center.task_created",
            "contact_center.task_completed"
        ]
    );
    assert_eq!(
        got[0].json["payload"]["object"]["engagement_id"],
        engagement.as_str()
    );
}

async fn a_failing_receiver_gets_everything_once_it_recovers(db: TestDb) {
    let c = center(
        db,
        fast_retries("0s,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,1s,1s,1s"),
    )
    .await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let after = c.admin.latest_seq().await;
    let id = subscribe(&c, &receiver, json!(["*"])).await;
    receiver.set_mode(Mode::Status(500));
    let agent = c.agent(0).await;
    agent.set_ready().await;
    work_item_life(&c, &agent, "RETRY-1").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        receiver.requests() > 0,
        "nothing was attempted while failing"
    );
    assert!(receiver.deliveries().is_empty());
    let failing = c
        .admin
        .get(&format!("/v1/webhooks/{id}/deliveries?status=pending"))
        .await
        .expect(200);
    let first = &failing["deliveries"][0];
    assert_eq!(first["attempts"][0]["response_status"], 500);
    assert!(first["next_attempt_at"].is_string());

    receiver.set_mode(Mode::Ok);
    let expected = log_events(&c.admin, after).await;
    receiver
        .wait_until("everything after recovery", WAIT, |d| {
            let ids: BTreeSet<&str> = d.iter().map(|r| r.webhook_id()).collect();
            expected.keys().all(|k| ids.contains(k.as_str()))
        })
        .await;
    // The receiver answers before the worker records the outcome: read the log once it has
    // caught up (or the deadline passes, and the assertions say what it shows).
    let deadline = tokio::time::Instant::now() + WAIT;
    let log = loop {
        let log = c
            .admin
            .get(&format!("/v1/webhooks/{id}/deliveries?limit=1000"))
            .await
            .expect(200);
        let settled = log["deliveries"]
            .as_array()
            .is_some_and(|ds| ds.iter().all(|d| d["status"] != "pending"));
        if settled || tokio::time::Instant::now() >= deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), expected.len());
    assert!(
        deliveries.iter().all(|d| d["status"] == "succeeded"),
        "{log}"
    );
    let first = &deliveries[0]["attempts"];
    let statuses: Vec<&Value> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["response_status"])
        .collect();
    assert!(
        statuses.len() >= 2 && statuses[0] == 500 && *statuses.last().unwrap() == 200,
        "{statuses:?}"
    );
    assert!(deliveries[0]["attempts"][0]["latency_ms"].is_i64());

    a_delivery_fails_for_good_when_the_schedule_runs_out().await;
}

/// The schedule runs out: the delivery is failed for good after its three attempts.
async fn a_delivery_fails_for_good_when_the_schedule_runs_out() {
    let dead = Receiver::start(Some(SECRET)).await;
    let c2 = center(TestDb::sqlite(), fast_retries("0s,100ms,100ms")).await;
    let id2 = subscribe(&c2, &dead, json!(["contact_center.engagement_started"])).await;
    dead.set_mode(Mode::Status(503));
    c2.start_work_item("DEAD-1", "Never").await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let failed = c2
            .admin
            .get(&format!("/v1/webhooks/{id2}/deliveries?status=failed"))
            .await
            .expect(200);
        if let Some(d) = failed["deliveries"].as_array().unwrap().first() {
            assert_eq!(d["attempts"].as_array().unwrap().len(), 3);
            assert!(d.get("next_attempt_at").is_none());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never failed for good"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn gone_disables_the_subscription(db: TestDb) {
    let c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let id = subscribe(&c, &receiver, json!(["*"])).await;
    receiver.set_mode(Mode::Status(410));
    c.start_work_item("GONE-1", "Gone").await;
    let deadline = std::time::Instant::now() + WAIT;
    let hook = loop {
        let hook = c.admin.get(&format!("/v1/webhooks/{id}")).await.expect(200);
        if hook["enabled"] == false {
            break hook;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "410 did not disable it"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(hook["disabled_reason"].as_str().unwrap().contains("410"));
    let events = c
        .admin
        .get("/v1/events?event=webhook.endpoint_disabled")
        .await
        .expect(200);
    let list = events["events"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{events}");
    assert_eq!(list[0]["data"]["webhook_id"], id.as_str());
    // Re-enabling is the admin's call.
    receiver.set_mode(Mode::Ok);
    let again = c
        .admin
        .patch(&format!("/v1/webhooks/{id}"), json!({"enabled": true}))
        .await
        .expect(200);
    assert_eq!(again["enabled"], true);
    assert!(again.get("disabled_reason").is_none());
}

async fn rotation_signs_with_both_secrets_for_the_overlap(db: TestDb) {
    let c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let id = subscribe(&c, &receiver, json!(["contact_center.engagement_started"])).await;
    let rotated = c
        .admin
        .post(&format!("/v1/webhooks/{id}/rotate-secret"), json!({}))
        .await
        .expect(200);
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, SECRET);
    assert!(rotated["previous_secret_expires_at"].is_string());
    c.start_work_item("ROT-1", "Rotate").await;
    let r = receiver
        .wait_for("contact_center.engagement_started", WAIT)
        .await;
    let signatures: Vec<&str> = r.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    // Receivers holding either secret verify it, with the independent library.
    assert!(r.standard_ok, "the old secret still verifies");
    assert!(tests::receiver::verify_standard(
        &new_secret,
        &r.headers,
        &r.body
    ));
    assert!(tests::receiver::verify_zoom(
        &new_secret,
        &r.headers,
        &r.body
    ));
    assert!(!tests::receiver::verify_standard(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        &r.headers,
        &r.body
    ));
}

async fn redeliver_and_recover_send_again(db: TestDb) {
    let c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let since = tests::rfc3339(tests::now_ms() - 1000);
    let id = subscribe(&c, &receiver, json!(["contact_center.engagement_started"])).await;
    c.start_work_item("RE-1", "One").await;
    c.start_work_item("RE-2", "Two").await;
    receiver
        .wait_until("two starts", WAIT, |d| d.len() == 2)
        .await;
    let log = c
        .admin
        .get(&format!("/v1/webhooks/{id}/deliveries?status=succeeded"))
        .await
        .expect(200);
    let first = &log["deliveries"][0];
    let delivery_id = first["delivery_id"].as_str().unwrap();
    c.admin
        .post(
            &format!("/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            json!({}),
        )
        .await
        .expect(202);
    let got = receiver
        .wait_until("the redelivery", WAIT, |d| d.len() == 3)
        .await;
    assert_eq!(got[2].webhook_id(), first["event_id"].as_str().unwrap());
    c.admin
        .post(
            &format!("/v1/webhooks/{id}/deliveries/{}/redeliver", uuid_like()),
            json!({}),
        )
        .await
        .error(404, "not_found", None);

    let queued = c
        .admin
        .post(
            &format!("/v1/webhooks/{id}/recover"),
            json!({"since": since}),
        )
        .await
        .expect(202);
    assert_eq!(queued["queued"], 2);
    let got = receiver
        .wait_until("the recovery", WAIT, |d| d.len() == 5)
        .await;
    let ids: BTreeSet<&str> = got.iter().map(|r| r.webhook_id()).collect();
    assert_eq!(ids.len(), 2, "the same two events, again");
    c.admin
        .post(
            &format!("/v1/webhooks/{id}/recover"),
            json!({"since": "yesterday"}),
        )
        .await
        .error(422, "invalid_field", Some("since"));
}

fn uuid_like() -> &'static str {
    "01900000-0000-7000-8000-000000000000"
}

/// `kill -9` while deliveries are pending: after a restart, everything arrives.
async fn pending_deliveries_survive_kill_9(db: TestDb) {
    let mut c = center(db, fast_retries("0s,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms")).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let after = c.admin.latest_seq().await;
    subscribe(&c, &receiver, json!(["*"])).await;
    receiver.set_mode(Mode::Status(503));
    for i in 0..5 {
        c.start_work_item(&format!("KILL-{i}"), "Killed").await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.server.child.start_kill().unwrap();
    c.server.child.wait().await.unwrap();
    receiver.set_mode(Mode::Ok);
    c.server = start_switchboard(&c.db, fast_retries("0s,200ms,200ms")).await;
    let admin = c
        .anon()
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let expected = log_events(&admin, after).await;
    assert!(expected.len() >= 5);
    // On PostgreSQL a delivery that was in flight at the kill stays leased for 30 s
    // (DELIVERY_TIMEOUT + 15 s): another instance could still be sending it, so nothing may
    // take it over sooner. SQLite (one process) releases such leases at start-up.
    receiver
        .wait_until("everything after the restart", WAIT + LEASE, |d| {
            let ids: BTreeSet<&str> = d.iter().map(|r| r.webhook_id()).collect();
            expected.keys().all(|k| ids.contains(k.as_str()))
        })
        .await;
}

/// SIGTERM while a delivery is in flight: the server finishes sending it and records the
/// outcome before it exits (its workers stop through one token, not `abort()`), so a restart
/// on the same database sends nothing again.
async fn sigterm_finishes_the_delivery_in_hand(db: TestDb) {
    let mut c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let id = subscribe(&c, &receiver, json!(["contact_center.engagement_started"])).await;
    receiver.set_mode(Mode::Slow(Duration::from_millis(1500)));
    let before = receiver.requests();
    c.start_work_item("TERM-1", "In flight").await;
    let deadline = std::time::Instant::now() + WAIT;
    while receiver.requests() == before {
        assert!(std::time::Instant::now() < deadline, "nothing was sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(c.server.terminate().await.success());
    let log = c.server.log();
    assert!(
        log.contains("workers stopped") && !log.contains("workers still busy"),
        "{log}"
    );
    assert_eq!(
        receiver.deliveries().len(),
        1,
        "the delivery in hand arrived"
    );
    c.server = start_switchboard(&c.db, server_options()).await;
    let admin = c
        .anon()
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let recorded = admin
        .get(&format!("/v1/webhooks/{id}/deliveries?status=succeeded"))
        .await
        .expect(200);
    assert_eq!(
        recorded["deliveries"].as_array().unwrap().len(),
        1,
        "the outcome was recorded before the exit: {recorded}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.requests(), before + 1, "nothing was sent twice");
}

/// The address check runs again at each delivery: a subscription made while private
/// addresses were allowed gets nothing once they are not, and no connection is made.
async fn deliveries_recheck_the_address(db: TestDb) {
    let mut c = center(db, server_options()).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let id = subscribe(&c, &receiver, json!(["contact_center.engagement_started"])).await;
    let before = receiver.requests();
    assert!(c.server.terminate().await.success());
    let mut strict = server_options();
    strict.extra_args = vec!["--webhook-retry-schedule".into(), "0s".into()];
    c.server = start_switchboard(&c.db, strict).await;
    let admin = c
        .anon()
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let integrator = c.anon().client(&c.client_id, &c.client_secret).await;
    integrator
        .post("/v1/engagements", c.work_item("ADDR-1", "Refused"))
        .await
        .expect(201);
    let deadline = std::time::Instant::now() + WAIT;
    let failed = loop {
        let log = admin
            .get(&format!("/v1/webhooks/{id}/deliveries?status=failed"))
            .await
            .expect(200);
        if let Some(d) = log["deliveries"].as_array().unwrap().first() {
            break d.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the delivery never failed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = failed["attempts"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("https"),
        "{error}"
    );
    assert_eq!(
        receiver.requests(),
        before,
        "no request reached the receiver"
    );
}

/// A slow endpoint delays only itself: another subscription gets its deliveries at once.
async fn a_slow_endpoint_delays_only_itself(db: TestDb) {
    let c = center(db, server_options()).await;
    let slow = Receiver::start(Some(SECRET)).await;
    let fast = Receiver::start(Some(SECRET)).await;
    subscribe(&c, &slow, json!(["contact_center.engagement_started"])).await;
    subscribe(&c, &fast, json!(["contact_center.engagement_started"])).await;
    slow.set_mode(Mode::Slow(Duration::from_secs(6)));
    let started = std::time::Instant::now();
    for i in 0..3 {
        c.start_work_item(&format!("SLOW-{i}"), "Slow").await;
    }
    fast.wait_until(
        "the fast endpoint's deliveries",
        Duration::from_secs(3),
        |d| d.len() == 3,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the fast endpoint waited for the slow one"
    );
    assert!(
        slow.deliveries().is_empty(),
        "the slow one has not answered yet"
    );
    slow.wait_until("the slow endpoint's deliveries", WAIT, |d| d.len() == 3)
        .await;
}

/// Two instances on one PostgreSQL: every event reaches the receiver, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_everything_once() {
    let Some(db) = TestDb::postgres("webhooks::two_instances").await else {
        return;
    };
    let c = center(db, server_options()).await;
    let b_server = start_switchboard(&c.db, server_options()).await;
    let b = Api::new(&b_server.base_url)
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let receiver = Receiver::start(Some(SECRET)).await;
    let after = c.admin.latest_seq().await;
    subscribe(&c, &receiver, json!(["*"])).await;
    let b_client = Api::new(&b_server.base_url)
        .client(&c.client_id, &c.client_secret)
        .await;
    for i in 0..20 {
        let via = if i % 2 == 0 { &c.integrator } else { &b_client };
        via.post("/v1/engagements", c.work_item(&format!("TWO-{i}"), "Both"))
            .await
            .expect(201);
    }
    let expected = log_events(&b, after).await;
    assert!(expected.len() >= 20);
    receiver
        .wait_until("every event from both instances", WAIT, |d| {
            let ids: BTreeSet<&str> = d.iter().map(|r| r.webhook_id()).collect();
            expected.keys().all(|k| ids.contains(k.as_str()))
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in receiver.deliveries() {
        assert!(r.standard_ok);
        *counts.entry(r.webhook_id().to_string()).or_default() += 1;
    }
    assert!(
        counts.values().all(|n| *n == 1),
        "a delivery was sent twice: {counts:?}"
    );
}

async fn the_events_api_filters_by_name_and_engagement(db: TestDb) {
    let c = center(db, server_options()).await;
    let agent = c.agent(0).await;
    agent.set_ready().await;
    let one = work_item_life(&c, &agent, "F-1").await;
    let two = c.start_work_item("F-2", "Other").await;
    let notes = c
        .integrator
        .get("/v1/events?event=engagement.note_added&event=engagement.closed")
        .await
        .expect(200);
    let kinds: Vec<&str> = notes["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["engagement.note_added", "engagement.closed"]);
    let only_two = c
        .integrator
        .get(&format!("/v1/events?engagement_id={two}"))
        .await
        .expect(200);
    assert!(only_two["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["engagement_id"] == two.as_str()));
    assert_ne!(one, two);
    c.integrator
        .get("/v1/events?event=engagement.nope")
        .await
        .error(422, "invalid_field", Some("event"));
    c.integrator
        .get("/v1/events?engagement_id=nope")
        .await
        .error(422, "invalid_field", Some("engagement_id"));
}

/// A flow's callouts reach their URL with the template filled, signed with the account's
/// callout secret; a failing endpoint ends up in the flow's callout log as failed.
async fn flow_callouts_reach_their_url_filled_and_signed(db: TestDb) {
    let mut options = server_options();
    options
        .extra_args
        .extend(["--callout-retry-schedule".into(), "0s,200ms,200ms".into()]);
    let c = center(db, options).await;
    let secret = c.admin.get("/v1/flows/callout-secret").await.expect(200)["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("whsec_"));
    c.integrator
        .get("/v1/flows/callout-secret")
        .await
        .error(403, "forbidden", None);
    let crm = Receiver::start(Some(&secret)).await;
    let dead = Receiver::start(Some(&secret)).await;
    dead.set_mode(Mode::Status(500));
    let body = r#"{"id": {{engagement.engagement_id}}, "queue": {{engagement.queue_name}}, "agent": {{agent.email}},
        "phone": {{consumer.phone}}, "disposition": {{disposition.name}}, "code": {{disposition.code}}, "tier": {{variables.tier}},
        "missing": {{variables.nope}}, "text": "Closed by {{agent.display_name}} for {{consumer.phone}}", "ticket": "{ticket}"}"#;
    let flow = c
        .admin
        .post(
            "/v1/flows",
            json!({"name": "With callouts", "start": "q",
                   "steps": {"q": {"type": "route_to_queue", "queue_id": c.queue_id}},
                   "callouts": [
                       {"on": "engagement_closed", "url": crm.url, "body_template": body},
                       {"on": "engagement.note_added", "url": crm.url, "body_template": r#"{"note": {{note.body}}, "by": {{agent.email}}}"#},
                       {"on": "engagement_accepted", "url": dead.url, "body_template": r#"{"id": {{engagement.engagement_id}}}"#}
                   ]}),
        )
        .await
        .expect(201);
    let flow_id = flow["flow_id"].as_str().unwrap();
    c.admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "callouts", "flow_id": flow_id}),
        )
        .await
        .expect(201);
    c.admin
        .post(
            "/v1/flows",
            json!({"name": "Bad", "start": "q", "steps": {"q": {"type": "route_to_queue", "queue_id": c.queue_id}},
                   "callouts": [{"on": "engagement_closed", "url": crm.url, "body_template": "{\"a\": {{x}} {{y}}}"}]}),
        )
        .await
        .error(422, "invalid_field", Some("callouts[0].body_template"));
    c.admin
        .post(
            "/v1/flows",
            json!({"name": "Bad trigger", "start": "q", "steps": {"q": {"type": "route_to_queue", "queue_id": c.queue_id}},
                   "callouts": [{"on": "whenever", "url": crm.url, "body_template": "{}"}]}),
        )
        .await
        .error(422, "invalid_field", None);

    let engagement = c
        .integrator
        .post(
            "/v1/engagements",
            json!({"channels": [{"channel": "work_item"}], "flow": {"flow_entry_id": "callouts"},
                   "consumers": [{"consumer_display_name": "Ada", "consumer_phone": "+1 555 0100"}],
                   "work_item_variables": {"work_item_name": "Callout", "work_item_id": "CO-1"},
                   "variables": [{"name": "tier", "value": "gold"}, {"name": "ticket", "value": "T-\"9\""}]}),
        )
        .await
        .expect(201)["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent = c.agent(0).await;
    agent.set_ready().await;
    agent.accept_when_offered(&engagement, WAIT).await;
    agent
        .note_dispose_close(&engagement, "Called back", &c.resolved_id)
        .await;

    let got = crm.wait_until("two callouts", WAIT, |d| d.len() == 2).await;
    for r in &got {
        assert!(r.standard_ok, "standardwebhooks rejected a callout");
        assert!(r.zoom_ok);
    }
    let note = got.iter().find(|r| r.json.get("note").is_some()).unwrap();
    assert_eq!(
        note.json,
        json!({"note": "Called back", "by": c.agents[0].1})
    );
    let closed = got.iter().find(|r| r.json.get("id").is_some()).unwrap();
    assert_eq!(
        closed.json,
        json!({"id": engagement, "queue": "Billing work", "agent": c.agents[0].1, "phone": "+1 555 0100",
               "disposition": "Resolved", "code": "RESOLVED", "tier": "gold", "missing": null,
               "text": "Closed by Agent 0 for +1 555 0100", "ticket": "T-\"9\""})
    );
    let events = log_events(&c.admin, 0).await;
    assert!(
        events.contains_key(closed.webhook_id()),
        "webhook-id is the event's id"
    );

    // The failing callout: three attempts, then failed, in the flow's log.
    let deadline = std::time::Instant::now() + WAIT;
    let failed = loop {
        let log = c
            .admin
            .get(&format!(
                "/v1/flows/{flow_id}/callouts/deliveries?status=failed"
            ))
            .await
            .expect(200);
        if let Some(d) = log["deliveries"].as_array().unwrap().first() {
            break d.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the failing callout never failed for good"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed["on"], "engagement_accepted");
    assert_eq!(failed["callout_index"], 2);
    let attempts = failed["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|a| a["response_status"] == 500));
    assert_eq!(dead.requests(), 3);
    let all = c
        .admin
        .get(&format!("/v1/flows/{flow_id}/callouts/deliveries"))
        .await
        .expect(200);
    assert_eq!(all["deliveries"].as_array().unwrap().len(), 3);
}

both_stores!(
    flow_callouts_reach_their_url_filled_and_signed,
    subscribing_validates_the_url_and_refuses_what_it_must,
    non_public_addresses_are_refused_without_a_connection,
    only_allowed_hosts_are_called,
    a_work_items_life_arrives_signed_and_once_each,
    task_names_select_work_items_only,
    a_failing_receiver_gets_everything_once_it_recovers,
    gone_disables_the_subscription,
    rotation_signs_with_both_secrets_for_the_overlap,
    redeliver_and_recover_send_again,
    pending_deliveries_survive_kill_9,
    sigterm_finishes_the_delivery_in_hand,
    the_events_api_filters_by_name_and_engagement,
    deliveries_recheck_the_address,
    a_slow_endpoint_delays_only_itself,
);
