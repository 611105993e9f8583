//! Live statistics and wallboards, black-box on SQLite and PostgreSQL: a supervisor's socket
//! receives the live picture of the queues they supervise (and nothing of the others), it
//! moves when a work item waits and when it is answered, an agent's socket receives none; a
//! wallboard token reads its wallboard's view — its queues only, agents by display name and
//! presence only — and nothing else, and stops working when the wallboard is deleted.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tests::api::{Center, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);
/// A work item title that must never reach a wallboard.
const TITLE: &str = "Invoice dispute of Margaret Hamilton";

async fn supervisors_watch_their_queues_live(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let a0 = c.agent(0).await;
    c.admin
        .post(
            "/v1/agents",
            json!({"display_name": "Sue", "email": "sue@switchboard.test", "role": "supervisor",
                   "password": "supervisor-password", "supervised_queue_ids": [c.queue_id]}),
        )
        .await
        .expect(201);
    let sue = c
        .anon()
        .login("sue@switchboard.test", "supervisor-password")
        .await;
    let mut sue_feed = Feed::connect(&sue, None).await;
    let mut admin_feed = Feed::connect(&c.admin, None).await;
    let mut agent_feed = Feed::connect(&a0, None).await;

    // At once, without waiting for an event: the queues each may see.
    let first = stats(&mut sue_feed).await;
    assert_eq!(queue_ids(&first), [c.queue_id.as_str()]);
    let trend = &first["trend"][0];
    assert_eq!(trend["queue_id"], c.queue_id);
    assert_eq!(trend["points"].as_array().unwrap().len(), 16, "4 hours");
    assert!(first["agents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["queue_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(c.queue_id))));
    let all = stats(&mut admin_feed).await;
    assert_eq!(
        queue_ids(&all).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([c.queue_id.clone(), c.voice_queue_id.clone()])
    );

    // A work item waits: the next pictures show it, oldest first, with its age.
    let w = c.start_work_item("L-1", TITLE).await;
    let waiting = stats_until(&mut sue_feed, |s| queue(s, &c.queue_id)["waiting"] == 1).await;
    let listed = &waiting["waiting"].as_array().unwrap()[0];
    assert_eq!(listed["engagement_id"], w);
    assert_eq!(listed["title"], TITLE);
    let now = last_point(&waiting, &c.queue_id);
    assert_eq!(now["offered"], 1);
    assert!(now["average_waiting"].as_f64().unwrap() > 0.0);

    // Answered within the threshold: nobody waits and this quarter hour's service level is
    // 100 %.
    a0.set_ready().await;
    a0.accept_when_offered(&w, WAIT).await;
    let answered = stats_until(&mut sue_feed, |s| {
        queue(s, &c.queue_id)["active"] == 1 && last_point(s, &c.queue_id)["answered"] == 1
    })
    .await;
    assert_eq!(queue(&answered, &c.queue_id)["waiting"], 0);
    assert!(answered["waiting"].as_array().unwrap().is_empty());
    assert_eq!(
        last_point(&answered, &c.queue_id)["service_level_percent"],
        100.0
    );
    let a0_now = answered["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == c.agents[0].0)
        .unwrap()
        .clone();
    assert_eq!(a0_now["holding"]["work_item"], 1);

    // Out of Sue's set: the voice queue's engagements never reach her pictures.
    let call = c
        .integrator
        .post(
            "/v1/engagements",
            json!({"channels": [{"channel": "voice", "channel_source": "telephony"}],
                   "flow": {"flow_entry_id": c.entry_id},
                   "consumers": [{"consumer_display_name": "Caller", "consumer_phone": "+15550100"}]}),
        )
        .await
        .expect(201);
    let call = call["engagement_id"].as_str().unwrap();
    stats_until(&mut admin_feed, |s| {
        let q = queue(s, &c.voice_queue_id);
        q["waiting"] == 1 || q["offered"] == 1
    })
    .await;
    let later = stats(&mut sue_feed).await;
    assert_eq!(queue_ids(&later), [c.queue_id.as_str()]);
    assert!(!later.to_string().contains(call));

    // An agent's socket gets none (watchers get a picture at least every 5 s).
    let none = tokio::time::timeout(
        Duration::from_secs(7),
        agent_feed.wait_frame("live_stats", Duration::from_secs(60)),
    )
    .await;
    assert!(none.is_err(), "an agent got live statistics: {none:?}");
}

async fn wallboard_tokens_read_their_wallboard_only(db: TestDb) {
    let c = Center::with_agents(db, 2).await;
    let (a0, a1) = (c.agent(0).await, c.agent(1).await);
    a1.set_not_ready("Lunch").await;

    // Bad requests are named; only admins create.
    for (body, status, code, field) in [
        (
            json!({"name": "", "queue_ids": [c.queue_id]}),
            422,
            "invalid_field",
            Some("name"),
        ),
        (
            json!({"name": "Floor", "queue_ids": []}),
            422,
            "invalid_field",
            Some("queue_ids"),
        ),
        (
            json!({"name": "Floor", "queue_ids": [uuid::Uuid::new_v4()]}),
            404,
            "not_found",
            Some("queue_ids[0]"),
        ),
        (json!({"name": "Floor"}), 422, "invalid_field", None),
    ] {
        c.admin
            .post("/v1/wallboards", body)
            .await
            .error(status, code, field);
    }
    a0.post(
        "/v1/wallboards",
        json!({"name": "Floor", "queue_ids": [c.queue_id]}),
    )
    .await
    .error(403, "forbidden", None);

    let made = c
        .admin
        .post(
            "/v1/wallboards",
            json!({"name": "Back office", "queue_ids": [c.queue_id, c.queue_id]}),
        )
        .await
        .expect(201);
    assert_eq!(
        made["wallboard"]["queue_ids"],
        json!([c.queue_id]),
        "listed twice, shown once"
    );
    let id = made["wallboard"]["wallboard_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = made["token"].as_str().unwrap().to_string();
    assert_eq!(made["url"], format!("/wallboard/{id}#token={token}"));
    c.admin
        .post(
            "/v1/wallboards",
            json!({"name": "Back office", "queue_ids": [c.voice_queue_id]}),
        )
        .await
        .error(409, "conflict", None);
    let other = c
        .admin
        .post(
            "/v1/wallboards",
            json!({"name": "Phones", "queue_ids": [c.voice_queue_id]}),
        )
        .await
        .expect(201);
    let listed = c.admin.get("/v1/wallboards").await.expect(200);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(
        !listed.to_string().contains(&token),
        "the token is shown once, never listed"
    );

    // The view: its queues, agents by name and presence, nothing about customers.
    let board = c.anon().with_token(&token);
    c.start_work_item("W-1", TITLE).await;
    let view = board
        .get(&format!("/v1/wallboards/{id}/view"))
        .await
        .expect(200);
    assert_eq!(view["name"], "Back office");
    let queues = view["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!(queues[0]["queue_id"], c.queue_id);
    assert_eq!(queues[0]["waiting"], 1);
    assert_eq!(queues[0]["trend"]["points"].as_array().unwrap().len(), 16);
    assert!(
        !view.to_string().contains(TITLE),
        "a customer's work reached a wallboard"
    );
    let agents = view["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1, "the signed-in member only: {agents:?}");
    assert_eq!(
        agents[0],
        json!({"display_name": "Agent 1", "presence": "not_ready"})
    );

    // The token reads nothing else, and no other token reads the view.
    for path in [
        "/v1/stats/queues".to_string(),
        "/v1/reports/queues".to_string(),
        "/v1/engagements".to_string(),
        "/v1/agents/me".to_string(),
        "/v1/wallboards".to_string(),
        "/v1/events".to_string(),
        format!(
            "/v1/wallboards/{}/view",
            other["wallboard"]["wallboard_id"].as_str().unwrap()
        ),
    ] {
        board.get(&path).await.error(401, "unauthorized", None);
    }
    board
        .delete(&format!("/v1/wallboards/{id}"))
        .await
        .error(401, "unauthorized", None);
    for api in [&c.admin, &a0, &c.integrator] {
        api.get(&format!("/v1/wallboards/{id}/view"))
            .await
            .error(401, "unauthorized", None);
    }
    c.anon()
        .get(&format!("/v1/wallboards/{id}/view"))
        .await
        .error(401, "unauthorized", None);

    // Deleted: the token stops at once; the other wallboard's token still works.
    c.admin
        .delete(&format!("/v1/wallboards/{id}"))
        .await
        .expect(204);
    let revoked =
        board
            .get(&format!("/v1/wallboards/{id}/view"))
            .await
            .error(401, "unauthorized", None);
    assert!(revoked["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deleted"));
    let other_id = other["wallboard"]["wallboard_id"].as_str().unwrap();
    c.anon()
        .with_token(other["token"].as_str().unwrap())
        .get(&format!("/v1/wallboards/{other_id}/view"))
        .await
        .expect(200);
    c.admin
        .delete(&format!("/v1/wallboards/{id}"))
        .await
        .error(404, "not_found", None);

    // The page itself is served with the site's policy; the token stays in its fragment.
    let page = reqwest::get(format!("{}/wallboard/{other_id}", c.server.base_url))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("content-security-policy")
        .is_some_and(|v| v.to_str().unwrap().contains("script-src 'self'")));
    assert!(page.text().await.unwrap().contains("/wallboard.js"));
}

both_stores!(
    supervisors_watch_their_queues_live,
    wallboard_tokens_read_their_wallboard_only
);

// ---- steps ------------------------------------------------------------------------------

async fn stats(feed: &mut Feed) -> Value {
    feed.wait_frame("live_stats", WAIT).await["live_stats"].clone()
}

/// The next pictures until one satisfies `ok`.
async fn stats_until(feed: &mut Feed, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = stats(feed).await;
        if ok(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the live picture never got there; last: {s:#}"
        );
    }
}

fn queue_ids(stats: &Value) -> Vec<String> {
    stats["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["queue_id"].as_str().unwrap().to_string())
        .collect()
}

fn queue<'a>(stats: &'a Value, id: &str) -> &'a Value {
    stats["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue_id"] == id)
        .unwrap()
}

fn last_point<'a>(stats: &'a Value, id: &str) -> &'a Value {
    let trend = stats["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["queue_id"] == id)
        .unwrap();
    trend["points"].as_array().unwrap().last().unwrap()
}
