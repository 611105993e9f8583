//! Black-box tests of the engagement API on SQLite and PostgreSQL: auth, configuration
//! validation, Start Engagement, routing to agents over WebSockets, commands and the events
//! API.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center, CenterOptions, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);

async fn auth_is_required_and_roles_are_enforced(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let anon = c.anon();
    let r = anon
        .get("/v1/queues")
        .await
        .error(401, "unauthorized", None);
    assert!(r["error"]["message"].as_str().unwrap().contains("Bearer"));
    anon.with_token("sb1.garbage.sig")
        .get("/v1/queues")
        .await
        .error(401, "unauthorized", None);
    anon.post(
        "/v1/auth/login",
        json!({"email": c.agents[0].1, "password": "wrong-password"}),
    )
    .await
    .error(401, "unauthorized", None);
    anon.post("/v1/auth/login", json!({"email": c.agents[0].1}))
        .await
        .error(422, "invalid_field", Some("password"));
    anon.post(
        "/v1/oauth/token",
        json!({"client_id": c.client_id, "client_secret": "nope"}),
    )
    .await
    .error(401, "unauthorized", None);
    anon.post("/v1/oauth/token", json!({"grant_type": "password", "client_id": c.client_id, "client_secret": c.client_secret}))
        .await
        .error(422, "invalid_field", Some("grant_type"));

    // Form-encoded + HTTP Basic, as OAuth libraries send it.
    let form = reqwest::Client::new()
        .post(format!("{}/v1/oauth/token", c.server.base_url))
        .basic_auth(&c.client_id, Some(&c.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let token: serde_json::Value = form.json().await.unwrap();
    assert_eq!(token["token_type"], "bearer");
    assert!(token["scope"]
        .as_str()
        .unwrap()
        .contains("engagements:write"));

    let agent = c.agent(0).await;
    agent.post("/v1/queues", json!({"name": "x", "channel": "chat", "distribution": "round_robin", "ring_timeout_secs": 5}))
        .await
        .error(403, "forbidden", None);
    agent
        .post("/v1/engagements", c.work_item("T-1", "x"))
        .await
        .error(403, "forbidden", None);
    c.integrator
        .get("/v1/agents")
        .await
        .error(403, "forbidden", None);
    // Agents read what they need to work (queues, dispositions), not other agents.
    agent.get("/v1/queues").await.expect(200);
    assert_eq!(
        agent.get("/v1/dispositions").await.expect(200)[0]["code"],
        "RESOLVED"
    );
    agent.get("/v1/agents").await.error(403, "forbidden", None);
    c.integrator
        .post(
            "/v1/engagements/00000000-0000-0000-0000-000000000000/accept",
            json!({}),
        )
        .await
        .error(404, "not_found", None);
}

async fn configuration_is_validated_with_named_fields(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let a = &c.admin;
    a.post("/v1/queues", json!({"name": "Neg", "channel": "chat", "distribution": "round_robin", "ring_timeout_secs": -5}))
        .await
        .error(422, "invalid_field", Some("ring_timeout_secs"));
    a.post("/v1/queues", json!({"name": "Zero", "channel": "chat", "distribution": "round_robin", "ring_timeout_secs": 0}))
        .await
        .error(422, "invalid_field", Some("ring_timeout_secs"));
    a.post("/v1/queues", json!({"name": "Bad", "channel": "fax", "distribution": "round_robin", "ring_timeout_secs": 5}))
        .await
        .error(422, "invalid_field", Some("channel"));
    a.post("/v1/queues", json!({"name": "Billing work", "channel": "work_item", "distribution": "ring_all", "ring_timeout_secs": 5}))
        .await
        .error(409, "conflict", None);
    a.post("/v1/queues", json!({"name": "Spill", "channel": "chat", "distribution": "ring_all", "ring_timeout_secs": 5,
                                "overflow": {"after_secs": 10, "action": "to_queue", "queue_id": c.queue_id}}))
        .await
        .error(422, "invalid_field", Some("overflow.queue_id"));
    let missing = "00000000-0000-0000-0000-00000000dead";
    a.post("/v1/flows", json!({"name": "Broken", "start": "a", "steps": {"a": {"type": "route_to_queue", "queue_id": missing}}}))
        .await
        .error(404, "not_found", Some("steps.a.queue_id"));
    an_admin_cannot_lock_themselves_out_and_ids_come_from_the_path(a).await;
    // JSON has one number type: 30.0 is the integer 30.
    a.post("/v1/queues", json!({"name": "Whole", "channel": "chat", "distribution": "round_robin", "ring_timeout_secs": 30.0}))
        .await
        .expect(201);
    flow_loops_and_bad_entry_points_are_refused(&c, a, missing).await;
    a.delete(&format!("/v1/queues/{}", c.queue_id))
        .await
        .error(409, "conflict", None);
    a.post(
        "/v1/agents",
        json!({"display_name": "Dup", "email": c.agents[0].1, "role": "agent"}),
    )
    .await
    .error(409, "conflict", None);
    a.post("/v1/agents", json!({"display_name": "X", "email": "x@y.test", "role": "agent", "skills": [{"skill_id": c.skill_id, "proficiency": 9}]}))
        .await
        .error(422, "invalid_field", Some("skills[0].proficiency"));
    a.get(&format!("/v1/queues/{missing}"))
        .await
        .error(404, "not_found", None);
    a.get("/v1/queues/not-a-uuid")
        .await
        .error(422, "invalid_field", Some("path"));
    let q = a
        .get(&format!("/v1/queues/{}", c.queue_id))
        .await
        .expect(200);
    assert_eq!(q["name"], "Billing work");
}

/// An admin cannot lock themselves out (no demotion, no deleting their own account); a
/// replace takes the id from the path, an id in the body is ignored.
async fn an_admin_cannot_lock_themselves_out_and_ids_come_from_the_path(a: &Api) {
    let me = a.get("/v1/agents/me").await.expect(200);
    let my_id = me["agent_id"].as_str().unwrap();
    a.put(
        &format!("/v1/agents/{my_id}"),
        json!({"display_name": "Admin", "email": me["email"], "role": "supervisor"}),
    )
    .await
    .error(409, "conflict", None);
    a.delete(&format!("/v1/agents/{my_id}"))
        .await
        .error(409, "conflict", None);
    assert_eq!(a.get("/v1/agents/me").await.expect(200)["role"], "admin");
    // A replace takes the id from the path; an id in the body is ignored.
    let skill = a
        .post("/v1/skills", json!({"name": "Billing"}))
        .await
        .expect(201);
    let skill_id = skill["skill_id"].as_str().unwrap();
    let renamed = a
        .put(
            &format!("/v1/skills/{skill_id}"),
            json!({"skill_id": "00000000-0000-0000-0000-000000000abc", "name": "Invoices"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["skill_id"], skill_id);
    assert_eq!(renamed["name"], "Invoices");
}

/// A loop of flows (A → B → A) is refused, and entry points need a flow that exists and an
/// id without spaces.
async fn flow_loops_and_bad_entry_points_are_refused(c: &Center, a: &Api, missing: &str) {
    let fa = a.post("/v1/flows", json!({"name": "A", "start": "go", "steps": {"go": {"type": "route_to_flow", "flow_id": c.flow_id}}}))
        .await
        .expect(201);
    let loop_back = json!({"name": "Billing", "start": "go", "steps": {"go": {"type": "route_to_flow", "flow_id": fa["flow_id"]}}});
    let body = a
        .put(&format!("/v1/flows/{}", c.flow_id), loop_back)
        .await
        .error(422, "invalid_field", None);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("loop"),
        "{body}"
    );
    a.post(
        "/v1/entry-points",
        json!({"entry_id": "x", "flow_id": missing}),
    )
    .await
    .error(404, "not_found", Some("flow_id"));
    a.post(
        "/v1/entry-points",
        json!({"entry_id": "has space", "flow_id": c.flow_id}),
    )
    .await
    .error(422, "invalid_field", Some("entry_id"));
}

async fn start_engagement_validates_and_dedupes(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let api = &c.integrator;
    bad_starts_name_their_field(&c, api).await;

    let created = api
        .post("/v1/engagements", c.work_item("T-1", "Refund"))
        .await
        .expect(201);
    assert_eq!(created["state"], "queued");
    assert_eq!(created["channel"], "work_item");
    assert_eq!(created["queue_id"], c.queue_id.as_str());
    assert_eq!(created["variables"]["work_item_id"], "T-1");
    assert_eq!(created["variables"]["consumer_email"], "ada@example.com");
    let id = created["engagement_id"].as_str().unwrap().to_string();

    // Same work item while active: 409 naming it. Same id, other name: fine.
    let dup = api
        .post("/v1/engagements", c.work_item("T-1", "Refund"))
        .await
        .error(409, "conflict", None);
    assert_eq!(dup["error"]["engagement_id"], id.as_str());
    assert!(dup["error"]["message"].as_str().unwrap().contains(&id));
    api.post("/v1/engagements", c.work_item("T-1", "Other name"))
        .await
        .expect(201);

    // Cancelled (closed) frees the pair.
    let cancelled = api
        .post(&format!("/v1/engagements/{id}/cancel"), json!({}))
        .await
        .expect(200);
    assert_eq!(cancelled["state"], "closed");
    api.post(&format!("/v1/engagements/{id}/cancel"), json!({}))
        .await
        .error(409, "invalid_state", None);
    api.post("/v1/engagements", c.work_item("T-1", "Refund"))
        .await
        .expect(201);

    a_retry_with_its_idempotency_key_gets_the_first_answer(&c, api).await;
}

/// Each bad start is refused naming its field (or its media type).
async fn bad_starts_name_their_field(c: &Center, api: &Api) {
    let mut body = c.work_item("T-1", "Refund");
    body["work_item_variables"]
        .as_object_mut()
        .unwrap()
        .remove("work_item_name");
    api.post("/v1/engagements", body).await.error(
        422,
        "invalid_field",
        Some("work_item_variables.work_item_name"),
    );
    let mut body = c.work_item("T-1", &"x".repeat(201));
    api.post("/v1/engagements", body.clone()).await.error(
        422,
        "invalid_field",
        Some("work_item_variables.work_item_name"),
    );
    body = c.work_item("T-1", "Refund");
    body["work_item_variables"]["work_item_priority"] = json!("high");
    api.post("/v1/engagements", body).await.error(
        422,
        "invalid_field",
        Some("work_item_variables.work_item_priority"),
    );
    body = c.work_item("T-1", "Refund");
    body["flow"]["flow_entry_id"] = json!("nowhere");
    api.post("/v1/engagements", body)
        .await
        .error(404, "not_found", Some("flow.flow_entry_id"));
    body = c.work_item("T-1", "Refund");
    body["work_item_variables"]["work_item_due_date"] = json!("tomorrow");
    api.post("/v1/engagements", body).await.error(
        422,
        "invalid_field",
        Some("work_item_variables.work_item_due_date"),
    );
    body = c.work_item("T-1", "Refund");
    body["work_item_variables"]["work_item_hyperlink"] = json!("javascript:alert(1)");
    api.post("/v1/engagements", body).await.error(
        422,
        "invalid_field",
        Some("work_item_variables.work_item_hyperlink"),
    );
    body = c.work_item("T-1", "Refund");
    body["variables"] = json!((0..51)
        .map(|i| json!({"name": format!("v{i}"), "value": "x"}))
        .collect::<Vec<_>>());
    api.post("/v1/engagements", body)
        .await
        .error(422, "invalid_field", Some("variables"));
    body = json!({"channels": [{"channel": "work_item"}], "flow": {"flow_entry_id": c.entry_id}});
    api.post("/v1/engagements", body).await.error(
        422,
        "invalid_field",
        Some("work_item_variables"),
    );
    api.send(
        "POST",
        "/v1/engagements",
        None,
        &[("content-type", "text/plain")],
    )
    .await
    .error(415, "unsupported_media_type", None);
}

/// Idempotency-Key: the retry gets the first response (and says it is a replay); a different
/// body with it is refused.
async fn a_retry_with_its_idempotency_key_gets_the_first_answer(c: &Center, api: &Api) {
    let key = [("idempotency-key", "retry-123")];
    let first = api
        .send(
            "POST",
            "/v1/engagements",
            Some(c.work_item("T-2", "Invoice")),
            &key,
        )
        .await;
    assert_eq!(first.header("idempotent-replayed"), "false");
    let again = api
        .send(
            "POST",
            "/v1/engagements",
            Some(c.work_item("T-2", "Invoice")),
            &key,
        )
        .await;
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(first.expect(201), again.expect(201));
    api.send(
        "POST",
        "/v1/engagements",
        Some(c.work_item("T-3", "Invoice")),
        &key,
    )
    .await
    .error(422, "invalid_field", Some("Idempotency-Key"));
}

async fn concurrent_duplicates_have_exactly_one_winner(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let api = c.integrator.clone();
        let body = c.work_item("RACE-1", "Same ticket");
        tasks.push(tokio::spawn(async move {
            api.post("/v1/engagements", body).await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().status);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

async fn a_work_item_rings_an_agent_and_is_worked_to_closed(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    let agent = c.agent(0).await;
    let other = c.agent(1).await;
    let mut feed = Feed::connect(&agent, None).await;
    assert_eq!(feed.hello["agent"]["email"], c.agents[0].1.as_str());
    agent.set_ready().await;
    agent
        .put("/v1/agents/me/status", json!({"status": "not_ready"}))
        .await
        .error(422, "invalid_field", None);
    agent.set_ready().await;

    let created = c
        .integrator
        .post("/v1/engagements", c.work_item("T 9/α", "Refund"))
        .await
        .expect(201);
    let id = created["engagement_id"].as_str().unwrap().to_string();
    let offer = feed.wait_for("engagement.offered", WAIT).await;
    assert_eq!(offer["engagement_id"], id.as_str());
    assert_eq!(offer["data"]["engagement"]["state"], "offered");
    assert_eq!(
        offer["data"]["launch_url"],
        "https://crm.example/tickets/T%209%2F%CE%B1?who=ada%40example.com",
        "screen pop rendered with URL-encoded variables"
    );

    // Someone else's engagement.
    other
        .post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .error(403, "forbidden", None);
    other
        .get(&format!("/v1/engagements/{id}"))
        .await
        .error(403, "forbidden", None);

    the_agent_works_it_to_closed(&c, &agent, &id).await;

    feed.wait_for("engagement.closed", WAIT).await;
    let kinds = feed.kinds();
    for k in [
        "engagement.offered",
        "engagement.connected",
        "engagement.note_added",
        "engagement.inactive",
        "engagement.resumed",
        "engagement.disposition_added",
        "engagement.variables_updated",
        "engagement.wrap_up_started",
        "engagement.closed",
    ] {
        assert!(kinds.contains(&k.to_string()), "{k} missing from {kinds:?}");
    }

    the_events_api_matches_the_socket(&c, &agent, &feed).await;
    feed.close().await;
}

/// The agent accepts (once), notes, parks and resumes, disposes (a disposition that exists),
/// sets a variable and closes.
async fn the_agent_works_it_to_closed(c: &Center, agent: &Api, id: &str) {
    let connected = agent
        .post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    assert_eq!(connected["state"], "connected");
    agent
        .post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .error(403, "forbidden", None);
    agent
        .post(
            &format!("/v1/engagements/{id}/notes"),
            json!({"body": "Refund issued"}),
        )
        .await
        .expect(201);
    agent
        .post(&format!("/v1/engagements/{id}/notes"), json!({"body": ""}))
        .await
        .error(422, "invalid_field", Some("body"));
    agent
        .post(&format!("/v1/engagements/{id}/inactive"), json!({}))
        .await
        .expect(200);
    agent
        .post(&format!("/v1/engagements/{id}/resume"), json!({}))
        .await
        .expect(200);
    agent
        .put(
            &format!("/v1/engagements/{id}/disposition"),
            json!({"disposition_id": "00000000-0000-0000-0000-000000000001"}),
        )
        .await
        .error(404, "not_found", Some("disposition_id"));
    agent
        .put(
            &format!("/v1/engagements/{id}/disposition"),
            json!({"disposition_id": c.resolved_id}),
        )
        .await
        .expect(200);
    agent
        .patch(
            &format!("/v1/engagements/{id}/variables"),
            json!({"variables": {"refund": "42.00"}}),
        )
        .await
        .expect(200);
    let closed = agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());
    let notes = agent
        .get(&format!("/v1/engagements/{id}/notes"))
        .await
        .expect(200);
    assert_eq!(notes[0]["body"], "Refund issued");
}

/// The polling API has the same events, ids and seqs as the agent's socket, ordered; it
/// checks its limit and is not for agents.
async fn the_events_api_matches_the_socket(c: &Center, agent: &Api, feed: &Feed) {
    let page = c
        .integrator
        .get("/v1/events?after=0&limit=1000")
        .await
        .expect(200);
    let events = page["events"].as_array().unwrap();
    for e in &feed.events {
        assert!(
            events
                .iter()
                .any(|p| p["id"] == e["id"] && p["seq"] == e["seq"]),
            "{e} not in the events API"
        );
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "ordered by seq");
    c.integrator
        .get("/v1/events?limit=0")
        .await
        .error(422, "invalid_field", Some("limit"));
    agent.get("/v1/events").await.error(403, "forbidden", None);
}

async fn decline_and_ring_timeout_reoffer_to_another_agent(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ring_timeout_secs: 1,
            ..CenterOptions::default()
        },
    )
    .await;
    let a0 = c.agent(0).await;
    let a1 = c.agent(1).await;
    let mut f0 = Feed::connect(&a0, None).await;
    let mut f1 = Feed::connect(&a1, None).await;
    a0.set_ready().await;
    let id = c.start_work_item("D-1", "Decline me").await;
    f0.wait_for("engagement.offered", WAIT).await;
    a1.set_ready().await;
    let declined = a0
        .post(&format!("/v1/engagements/{id}/decline"), json!({}))
        .await
        .expect(200);
    assert_eq!(declined["state"], "queued");
    let offer = f1.wait_for("engagement.offered", WAIT).await;
    assert_eq!(
        offer["engagement_id"],
        id.as_str(),
        "re-offered to the other agent"
    );
    // Agent 1 lets it ring out. Both members have now passed on it: rather than let it wait
    // forever, it rings again (for one of them), keeping its age.
    let timed_out = f1.wait_for("engagement.offer_timed_out", WAIT).await;
    assert_eq!(timed_out["data"]["engagement"]["state"], "queued");
    let deadline = std::time::Instant::now() + WAIT;
    let e = loop {
        let e = c
            .admin
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        if e["state"] == "offered" || std::time::Instant::now() > deadline {
            break e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        e["state"], "offered",
        "offered again once everyone passed: {e}"
    );
    assert_eq!(e["created_at"], declined["created_at"], "keeps its age");
    f0.close().await;
    f1.close().await;
}

async fn missed_offers_set_the_agent_not_ready(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 1,
            ring_timeout_secs: 30,
            ..CenterOptions::default()
        },
    )
    .await;
    let a = c.agent(0).await;
    let mut feed = Feed::connect(&a, None).await;
    a.set_ready().await;
    for i in 0..3 {
        c.integrator
            .post("/v1/engagements", c.work_item(&format!("M-{i}"), "Miss"))
            .await
            .expect(201);
        let offer = feed.wait_for("engagement.offered", WAIT).await;
        let id = offer["engagement_id"].as_str().unwrap().to_string();
        a.post(&format!("/v1/engagements/{id}/decline"), json!({}))
            .await
            .expect(200);
    }
    let changed = feed.wait_for("agent.status_changed", WAIT).await;
    assert_eq!(changed["data"]["status"]["status"], "not_ready");
    let me = a.get("/v1/agents/me").await.expect(200);
    assert_eq!(me["status"]["status"], "not_ready");
    assert!(me["status"]["reason"]
        .as_str()
        .unwrap()
        .contains("Missed 3"));
    feed.close().await;
}

async fn transfers_and_supervision(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    let a0 = c.agent(0).await;
    let a1 = c.agent(1).await;
    let mut f0 = Feed::connect(&a0, None).await;
    let mut f1 = Feed::connect(&a1, None).await;
    a0.set_ready().await;
    let id = c.start_work_item("X-1", "Transfer me").await;
    f0.wait_for("engagement.offered", WAIT).await;
    a0.post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    a1.set_ready().await;

    the_directory_lists_colleagues_not_the_caller(&c, &a0).await;
    not_ready_reasons_by_name_or_code(&c, &a0).await;

    a0.post(
        &format!("/v1/engagements/{id}/transfer"),
        json!({"to": "agent", "agent_id": c.agents[0].0}),
    )
    .await
    .error(422, "invalid_field", Some("agent_id"));
    a0.post(
        &format!("/v1/engagements/{id}/transfer"),
        json!({"to": "moon"}),
    )
    .await
    .error(422, "invalid_field", None);
    let moved = a0
        .post(
            &format!("/v1/engagements/{id}/transfer"),
            json!({"to": "agent", "agent_id": c.agents[1].0}),
        )
        .await
        .expect(200);
    assert_eq!(moved["state"], "queued");
    f0.wait_for("engagement.transferred", WAIT).await;
    let offer = f1.wait_for("engagement.offered", WAIT).await;
    assert_eq!(offer["engagement_id"], id.as_str());
    a1.post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    a0.post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .error(403, "forbidden", None);
    a0.post(
        &format!("/v1/engagements/{id}/monitor"),
        json!({"mode": "barge"}),
    )
    .await
    .error(403, "forbidden", None);
    c.admin
        .post(
            &format!("/v1/engagements/{id}/monitor"),
            json!({"mode": "barge"}),
        )
        .await
        .expect(200);
    let m = f1.wait_for("engagement.monitor_started", WAIT).await;
    assert_eq!(m["data"]["mode"], "barge");
    f0.close().await;
    f1.close().await;
}

/// The directory the widget offers as transfer targets: every other agent, by name, with
/// their status; no email. Integrators need config:read for it.
async fn the_directory_lists_colleagues_not_the_caller(c: &Center, a0: &Api) {
    let directory = a0.get("/v1/agents/directory").await.expect(200);
    let directory = directory.as_array().unwrap();
    assert!(
        directory
            .iter()
            .all(|e| e["agent_id"] != c.agents[0].0.as_str()),
        "the caller is not a transfer target: {directory:?}"
    );
    let names: Vec<&str> = directory
        .iter()
        .map(|e| e["display_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
    let colleague = directory
        .iter()
        .find(|e| e["agent_id"] == c.agents[1].0.as_str())
        .expect("agent 1 is listed");
    assert_eq!(colleague["display_name"], "Agent 1");
    assert_eq!(colleague["status"], json!({"status": "ready"}));
    assert!(colleague.get("email").is_none(), "{colleague}");
    c.integrator
        .get("/v1/agents/directory")
        .await
        .error(403, "forbidden", None);
}

/// The not-ready reasons the widget offers, with the ids Smart Embed hosts set them by; a
/// reason given by its code is stored under its name, other text is kept as given.
async fn not_ready_reasons_by_name_or_code(c: &Center, a0: &Api) {
    assert_eq!(
        a0.get("/v1/not-ready-reasons").await.expect(200),
        json!([{"name": "Break", "code": "20"}, {"name": "Lunch", "code": "21"},
               {"name": "Meeting", "code": "22"}, {"name": "Training", "code": "23"},
               {"name": "Personal", "code": "24"}])
    );
    c.integrator
        .get("/v1/not-ready-reasons")
        .await
        .error(403, "forbidden", None);
    // A reason given by its code is stored under its name; other text is kept as given.
    let lunch = a0
        .put(
            "/v1/agents/me/status",
            json!({"status": "not_ready", "reason": "21"}),
        )
        .await
        .expect(200);
    assert_eq!(
        lunch["status"],
        json!({"status": "not_ready", "reason": "Lunch"})
    );
    let other = a0
        .put(
            "/v1/agents/me/status",
            json!({"status": "not_ready", "reason": "99"}),
        )
        .await
        .expect(200);
    assert_eq!(other["status"]["reason"], "99");
}

async fn embed_tokens_sign_an_agent_in_without_a_password(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let minted = c
        .integrator
        .post("/v1/embed-tokens", json!({"agent_id": c.agents[0].0}))
        .await
        .expect(201);
    let embed = minted["access_token"].as_str().unwrap();
    assert!(minted["expires_in"].as_i64().unwrap() <= 300);
    // An embed token is not a session by itself.
    c.anon()
        .with_token(embed)
        .get("/v1/agents/me")
        .await
        .error(401, "unauthorized", None);
    let session = c
        .anon()
        .post("/v1/auth/embed", json!({"embed_token": embed}))
        .await
        .expect(200);
    let agent = c
        .anon()
        .with_token(session["access_token"].as_str().unwrap());
    assert_eq!(
        agent.get("/v1/agents/me").await.expect(200)["email"],
        c.agents[0].1.as_str()
    );
    c.anon()
        .post(
            "/v1/auth/embed",
            json!({"embed_token": session["access_token"]}),
        )
        .await
        .error(401, "unauthorized", None);
    // Only clients with the scope mint them.
    c.admin
        .post("/v1/embed-tokens", json!({"agent_id": c.agents[0].0}))
        .await
        .error(403, "forbidden", None);
    c.integrator
        .post(
            "/v1/embed-tokens",
            json!({"agent_id": "00000000-0000-0000-0000-000000000009"}),
        )
        .await
        .error(422, "invalid_field", Some("agent_id"));
}

/// `embed_tokens:write` signs agents and supervisors in, never an admin: an admin's embed token
/// needs `embed_tokens:admin` too, and one minted before a promotion to admin is refused.
async fn embed_tokens_do_not_make_an_admin_without_the_admin_scope(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let admin_id = c.admin.get("/v1/agents/me").await.expect(200)["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = c
        .integrator
        .post("/v1/embed-tokens", json!({"agent_id": admin_id}))
        .await
        .error(403, "refused", Some("agent_id"));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("embed_tokens:admin"),
        "{refused}"
    );
    // A supervisor is fine.
    let supervisor = c
        .admin
        .post(
            "/v1/agents",
            json!({"display_name": "Sue", "email": "sue@switchboard.test", "role": "supervisor"}),
        )
        .await
        .expect(201);
    c.integrator
        .post(
            "/v1/embed-tokens",
            json!({"agent_id": supervisor["agent_id"]}),
        )
        .await
        .expect(201);
    // Minted for an agent who is then made an admin: the exchange is refused.
    let (agent_id, email) = c.agents[0].clone();
    let minted = c
        .integrator
        .post("/v1/embed-tokens", json!({"agent_id": agent_id}))
        .await
        .expect(201);
    c.admin
        .put(
            &format!("/v1/agents/{agent_id}"),
            json!({"display_name": "Agent 0", "email": email, "role": "admin"}),
        )
        .await
        .expect(200);
    c.anon()
        .post(
            "/v1/auth/embed",
            json!({"embed_token": minted["access_token"]}),
        )
        .await
        .error(401, "unauthorized", None);
    a_client_allowed_admins_mints_for_one(&c, &admin_id).await;
}

/// A client the admin explicitly allowed (`embed_tokens:admin`) may sign an admin in.
async fn a_client_allowed_admins_mints_for_one(c: &Center, admin_id: &str) {
    let trusted = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "Trusted", "scopes": ["embed_tokens:write", "embed_tokens:admin"]}),
        )
        .await
        .expect(201);
    let trusted = c
        .anon()
        .client(
            trusted["client_id"].as_str().unwrap(),
            trusted["client_secret"].as_str().unwrap(),
        )
        .await;
    let minted = trusted
        .post("/v1/embed-tokens", json!({"agent_id": admin_id}))
        .await
        .expect(201);
    let session = c
        .anon()
        .post(
            "/v1/auth/embed",
            json!({"embed_token": minted["access_token"]}),
        )
        .await
        .expect(200);
    assert_eq!(session["agent"]["role"], "admin");
}

async fn the_websocket_resumes_from_a_seq_without_loss_or_duplicates(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let a = c.agent(0).await;
    let mut feed = Feed::connect(&a, None).await;
    let start_seq = feed.hello["latest_seq"].as_i64().unwrap();
    a.set_ready().await;
    c.integrator
        .post("/v1/engagements", c.work_item("W-1", "First"))
        .await
        .expect(201);
    let offer = feed.wait_for("engagement.offered", WAIT).await;
    let last_seen = offer["seq"].as_i64().unwrap();
    feed.close().await;

    // While disconnected: accept, add a note.
    let id = offer["engagement_id"].as_str().unwrap();
    a.post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    a.post(
        &format!("/v1/engagements/{id}/notes"),
        json!({"body": "while away"}),
    )
    .await
    .expect(201);

    let mut again = Feed::connect(&a, Some(last_seen)).await;
    again.wait_for("engagement.note_added", WAIT).await;
    again.drain(Duration::from_millis(300)).await;
    let seqs: Vec<i64> = again
        .events
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.iter().all(|s| *s > last_seen),
        "nothing replayed twice: {seqs:?}"
    );
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        again.kinds(),
        vec!["engagement.connected", "engagement.note_added"]
    );

    let mut full = Feed::connect(&a, Some(start_seq)).await;
    full.wait_for("engagement.note_added", WAIT).await;
    assert_eq!(
        full.kinds(),
        vec![
            "agent.status_changed",
            "engagement.offered",
            "engagement.connected",
            "engagement.note_added"
        ]
    );
    again.close().await;
    full.close().await;
}

/// Click-to-dial: an outbound voice engagement connected to the agent, logged like any call.
async fn an_agent_dials_out(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let agent = c.agent(0).await;
    agent
        .put("/v1/agents/me/status", json!({"status": "offline"}))
        .await
        .expect(200);
    let body = json!({"phone": "+1 555 0100", "display_name": "Margaret", "external_id": "C-1"});
    let refused = agent
        .post("/v1/agents/me/calls", body.clone())
        .await
        .error(409, "conflict", None);
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("offline"));
    agent
        .put(
            "/v1/agents/me/status",
            json!({"status": "not_ready", "reason": "Calls"}),
        )
        .await
        .expect(200);
    for bad in [
        json!({"phone": "call me"}),
        json!({"phone": "12"}),
        json!({"phone": "+1 555 0100 ".repeat(5)}),
    ] {
        agent
            .post("/v1/agents/me/calls", bad)
            .await
            .error(422, "invalid_field", Some("phone"));
    }
    let mut feed = Feed::connect(&agent, None).await;
    let call = agent
        .post("/v1/agents/me/calls", body.clone())
        .await
        .expect(201);
    assert_eq!(call["state"], "connected");
    assert_eq!(call["direction"], "outbound");
    assert_eq!(call["channel"], "voice");
    assert_eq!(call["consumer"]["external_id"], "C-1");
    assert_eq!(call["agent_ids"], json!([c.agents[0].0]));
    for kind in [
        "engagement.created",
        "engagement.offered",
        "engagement.connected",
    ] {
        let e = feed.wait_for(kind, Duration::from_secs(5)).await;
        assert_eq!(e["engagement_id"], call["engagement_id"], "{kind}");
    }
    // One call at a time.
    agent
        .post("/v1/agents/me/calls", body)
        .await
        .error(409, "conflict", None);
    // Clients cannot dial for an agent.
    c.integrator
        .post("/v1/agents/me/calls", json!({"phone": "+1 555 0100"}))
        .await
        .error(403, "forbidden", None);
    let id = call["engagement_id"].as_str().unwrap();
    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);
}

both_stores!(
    an_agent_dials_out,
    auth_is_required_and_roles_are_enforced,
    configuration_is_validated_with_named_fields,
    start_engagement_validates_and_dedupes,
    concurrent_duplicates_have_exactly_one_winner,
    a_work_item_rings_an_agent_and_is_worked_to_closed,
    decline_and_ring_timeout_reoffer_to_another_agent,
    missed_offers_set_the_agent_not_ready,
    transfers_and_supervision,
    embed_tokens_sign_an_agent_in_without_a_password,
    embed_tokens_do_not_make_an_admin_without_the_admin_scope,
    the_websocket_resumes_from_a_seq_without_loss_or_duplicates,
);

/// Every route the server has, as (method, path): the OpenAPI document must describe each,
/// with its error responses.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/embedding/check"),
    ("post", "/v1/csp-reports"),
    ("post", "/v1/oauth/token"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/embed"),
    ("post", "/v1/auth/logout"),
    ("post", "/v1/embed-tokens"),
    ("get", "/v1/api-clients"),
    ("post", "/v1/api-clients"),
    ("delete", "/v1/api-clients/{client_id}"),
    ("post", "/v1/api-clients/{client_id}/rotate-secret"),
    ("get", "/v1/skills"),
    ("post", "/v1/skills"),
    ("put", "/v1/skills/{id}"),
    ("delete", "/v1/skills/{id}"),
    ("get", "/v1/dispositions"),
    ("post", "/v1/dispositions"),
    ("put", "/v1/dispositions/{id}"),
    ("delete", "/v1/dispositions/{id}"),
    ("get", "/v1/queues"),
    ("post", "/v1/queues"),
    ("get", "/v1/queues/{id}"),
    ("put", "/v1/queues/{id}"),
    ("delete", "/v1/queues/{id}"),
    ("get", "/v1/flows"),
    ("post", "/v1/flows"),
    ("get", "/v1/flows/{id}"),
    ("put", "/v1/flows/{id}"),
    ("delete", "/v1/flows/{id}"),
    ("get", "/v1/entry-points"),
    ("post", "/v1/entry-points"),
    ("put", "/v1/entry-points/{entry_id}"),
    ("delete", "/v1/entry-points/{entry_id}"),
    ("get", "/v1/routing-profiles"),
    ("post", "/v1/routing-profiles"),
    ("put", "/v1/routing-profiles/{id}"),
    ("delete", "/v1/routing-profiles/{id}"),
    ("get", "/v1/busy-agent-rules"),
    ("put", "/v1/busy-agent-rules"),
    ("get", "/v1/agents"),
    ("post", "/v1/agents"),
    ("get", "/v1/agents/{id}"),
    ("put", "/v1/agents/{id}"),
    ("delete", "/v1/agents/{id}"),
    ("post", "/v1/agents/{id}/sessions/revoke"),
    ("get", "/v1/agents/me"),
    ("get", "/v1/agents/directory"),
    ("get", "/v1/not-ready-reasons"),
    ("put", "/v1/agents/me/status"),
    ("put", "/v1/agents/me/queues/{queue_id}"),
    ("put", "/v1/agents/me/device"),
    ("get", "/v1/apps"),
    ("post", "/v1/apps"),
    ("get", "/v1/apps/{id}"),
    ("put", "/v1/apps/{id}"),
    ("delete", "/v1/apps/{id}"),
    ("get", "/v1/agents/me/engagements"),
    ("post", "/v1/agents/me/calls"),
    ("get", "/v1/agent/ws"),
    ("get", "/v1/events"),
    ("get", "/v1/stats/queues"),
    ("get", "/v1/stats/agents"),
    ("post", "/v1/engagements"),
    ("get", "/v1/engagements"),
    ("get", "/v1/engagements/{id}"),
    ("get", "/v1/engagements/{id}/notes"),
    ("post", "/v1/engagements/{id}/notes"),
    ("get", "/v1/engagements/{id}/messages"),
    ("post", "/v1/engagements/{id}/messages"),
    ("post", "/v1/engagements/{id}/typing"),
    ("get", "/v1/engagements/{id}/receipts"),
    ("post", "/v1/engagements/{id}/receipts"),
    ("get", "/v1/chat/{entry_id}"),
    ("post", "/v1/chat/{entry_id}/sessions"),
    ("post", "/v1/chat/{entry_id}/calls"),
    ("post", "/v1/chat/{entry_id}/left-messages"),
    ("get", "/v1/chat/session"),
    ("post", "/v1/chat/session/messages"),
    ("post", "/v1/chat/session/typing"),
    ("post", "/v1/chat/session/receipts"),
    ("post", "/v1/chat/session/end"),
    ("post", "/v1/chat/session/survey"),
    ("get", "/v1/chat/session/socket"),
    ("post", "/v1/chat/session/attachments"),
    ("get", "/v1/chat/session/attachments/{message_id}"),
    ("post", "/v1/engagements/{id}/attachments"),
    ("get", "/v1/engagements/{id}/attachments/{message_id}"),
    ("post", "/v1/engagements/{id}/accept"),
    ("post", "/v1/engagements/{id}/decline"),
    ("post", "/v1/engagements/{id}/inactive"),
    ("post", "/v1/engagements/{id}/resume"),
    ("post", "/v1/engagements/{id}/end"),
    ("post", "/v1/engagements/{id}/close"),
    ("post", "/v1/engagements/{id}/cancel"),
    ("post", "/v1/engagements/{id}/transfer"),
    ("put", "/v1/engagements/{id}/disposition"),
    ("patch", "/v1/engagements/{id}/variables"),
    ("post", "/v1/engagements/{id}/monitor"),
    ("post", "/v1/webhooks"),
    ("get", "/v1/webhooks"),
    ("get", "/v1/webhooks/{id}"),
    ("patch", "/v1/webhooks/{id}"),
    ("delete", "/v1/webhooks/{id}"),
    ("post", "/v1/webhooks/{id}/validate"),
    ("post", "/v1/webhooks/{id}/rotate-secret"),
    ("get", "/v1/webhooks/{id}/deliveries"),
    (
        "post",
        "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    ),
    ("post", "/v1/webhooks/{id}/recover"),
    ("post", "/v1/engagements/{id}/recordings"),
    ("put", "/v1/engagements/{id}/transcript"),
    ("get", "/v1/engagements/{id}/transcript"),
    ("get", "/v1/recordings"),
    ("get", "/v1/recordings/{id}/download"),
    ("put", "/v1/recordings/{id}/transcript"),
    ("get", "/v1/recordings/{id}/transcript"),
    ("get", "/v1/transcripts"),
    ("get", "/v1/notes"),
    ("get", "/v1/surveys"),
    ("get", "/v1/engagements/{id}/survey"),
    ("get", "/v1/dispositions/assigned"),
    ("get", "/v1/reports/engagements"),
    ("get", "/v1/reports/queues"),
    ("get", "/v1/reports/agents"),
    ("get", "/v1/canned-responses"),
    ("post", "/v1/canned-responses"),
    ("put", "/v1/canned-responses/{id}"),
    ("delete", "/v1/canned-responses/{id}"),
    ("get", "/v1/engagements/{id}/canned-responses"),
    ("get", "/v1/wallboards"),
    ("post", "/v1/wallboards"),
    ("delete", "/v1/wallboards/{id}"),
    ("get", "/v1/wallboards/{id}/view"),
    ("get", "/v1/flows/callout-secret"),
    ("get", "/v1/flows/{id}/callouts/deliveries"),
];

#[tokio::test]
async fn openapi_describes_every_route_with_its_errors() {
    let db = TestDb::sqlite();
    let server = tests::process::start_switchboard(&db, tests::api::server_options()).await;
    let spec = tests::api::Api::new(&server.base_url)
        .get("/openapi.json")
        .await
        .expect(200);
    let mut described = 0;
    for (method, path) in ROUTES {
        let op = &spec["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in /openapi.json");
        described += 1;
        if *path != "/healthz" {
            let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                codes
                    .iter()
                    .any(|c| c.starts_with('4') || c.starts_with('5')),
                "{method} {path} lists no errors: {codes:?}"
            );
        }
    }
    let total: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        total, described,
        "the document describes routes this test does not know"
    );
    every_described_route_is_served(&server.base_url).await;
    assert_eq!(
        spec["paths"]["/v1/engagements"]["post"]["tags"][0],
        "engagements"
    );
    // Event names in the schema are the names on the wire.
    let kinds = spec["components"]["schemas"]["EventKind"]["enum"]
        .as_array()
        .expect("EventKind is an enum of names");
    assert!(kinds.contains(&json!("engagement.created")), "{kinds:?}");
    assert!(kinds.contains(&json!("config.changed")), "{kinds:?}");
    assert!(!kinds.contains(&json!("EngagementCreated")), "{kinds:?}");
    // A subscription's `events` is an enum of the webhook names (and `*`), so schema-based
    // clients and fuzzers send only names the server takes.
    let expected: Vec<Value> = shared::webhooks::NAMES
        .iter()
        .map(|(name, _)| json!(name))
        .chain([json!("*")])
        .collect();
    for schema in ["CreateWebhook", "UpdateWebhook"] {
        let names = &spec["components"]["schemas"][schema]["properties"]["events"]["items"]["enum"];
        assert_eq!(
            names.as_array(),
            Some(&expected),
            "{schema}.events: {}",
            spec["components"]["schemas"][schema]
        );
    }
}

/// Every route answers (no route in the document is missing from the server).
async fn every_described_route_is_served(base_url: &str) {
    let anon = Api::new(base_url);
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{id}", "00000000-0000-0000-0000-000000000001")
            .replace("{client_id}", "x")
            .replace("{entry_id}", "x")
            .replace("{queue_id}", "00000000-0000-0000-0000-000000000001")
            .replace("{delivery_id}", "00000000-0000-0000-0000-000000000001")
            .replace("{message_id}", "00000000-0000-0000-0000-000000000001");
        let r = anon
            .send(&method.to_uppercase(), &concrete, None, &[])
            .await;
        // Anonymous calls stop at authentication everywhere except the public lookup of a
        // chat entry point, which answers 404 for the made-up id (the router's own 404 says
        // "no such route").
        let routers_404 = r.status == 404 && r.body["error"]["message"] == "no such route";
        let lookup_404 = r.status == 404 && *path == "/v1/chat/{entry_id}";
        assert!(
            !routers_404 && (r.status != 404 || lookup_404),
            "{method} {path} is described but not served: {}",
            r.body
        );
        assert_ne!(r.status, 405, "{method} {path} is described but not served");
        assert!(r.status < 500, "{method} {path} → {}", r.status);
    }
}
