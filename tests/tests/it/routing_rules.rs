//! Overflow, skill relaxation, consumer routing profiles, priority and supervisor statistics,
//! through the real server on both stores.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center, CenterOptions, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(15);

async fn overflow_moves_to_another_queue_and_relaxes_skills(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let expert = c
        .admin
        .post("/v1/skills", json!({"name": "german"}))
        .await
        .expect(201);
    // Queue A needs a skill nobody has and overflows after 1 s into queue B, which needs it too
    // but relaxes it after 1 s more.
    let b = c
        .admin
        .post("/v1/queues", json!({"name": "B", "channel": "work_item", "distribution": "longest_idle", "ring_timeout_secs": 30,
            "required_skills": [{"skill_id": expert["skill_id"], "min_proficiency": 1}],
            "overflow": {"after_secs": 1, "action": "relax_skills"}}))
        .await
        .expect(201);
    let a = c
        .admin
        .post("/v1/queues", json!({"name": "A", "channel": "work_item", "distribution": "longest_idle", "ring_timeout_secs": 30,
            "required_skills": [{"skill_id": expert["skill_id"], "min_proficiency": 5}],
            "overflow": {"after_secs": 1, "action": "to_queue", "queue_id": b["queue_id"]}}))
        .await
        .expect(201);
    let flow = c
        .admin
        .post("/v1/flows", json!({"name": "Spill", "start": "a", "steps": {"a": {"type": "route_to_queue", "queue_id": a["queue_id"]}}}))
        .await
        .expect(201);
    c.admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "spill", "flow_id": flow["flow_id"]}),
        )
        .await
        .expect(201);
    let (agent_id, email) = c.agents[0].clone();
    c.admin
        .put(
            &format!("/v1/agents/{agent_id}"),
            json!({"display_name": "Agent 0", "email": email, "role": "agent",
            "queues": [{"queue_id": a["queue_id"]}, {"queue_id": b["queue_id"]}]}),
        )
        .await
        .expect(200);
    let agent = c.agent(0).await;
    let mut feed = Feed::connect(&agent, None).await;
    agent.set_ready().await;
    let mut body = c.work_item("OV-1", "Spill over");
    body["flow"]["flow_entry_id"] = json!("spill");
    let id = c.integrator.post("/v1/engagements", body).await.expect(201)["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let offer = feed.wait_for("engagement.offered", WAIT).await;
    assert_eq!(offer["engagement_id"], id.as_str());
    assert_eq!(
        offer["data"]["engagement"]["queue_id"], b["queue_id"],
        "overflowed into B"
    );
    let events = c
        .integrator
        .get("/v1/events?after=0&limit=1000")
        .await
        .expect(200);
    let overflows: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "engagement.overflowed")
        .map(|e| e["data"]["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(overflows, vec!["to_queue", "relax_skills"]);
    feed.close().await;
}

async fn priority_and_the_last_agent_preference_decide_who_gets_what(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    a_loyalty_profile_for_the_entry_point(&c).await;

    let with_email = |id: &str, email: &str| ticket_from(&c, id, email);
    // Two waiting work items, the VIP one started later: the VIP one is offered first.
    let normal = c
        .integrator
        .post("/v1/engagements", with_email("P-1", "joe@example.com"))
        .await
        .expect(201);
    let vip = c
        .integrator
        .post("/v1/engagements", with_email("P-2", "ceo@vip.example.com"))
        .await
        .expect(201);
    assert_eq!(
        vip["priority"].as_i64().unwrap(),
        normal["priority"].as_i64().unwrap() + 50
    );
    let a1 = c.agent(1).await;
    // Limit agent 1 to one work item so only the first in order reaches them.
    let (id1, email1) = c.agents[1].clone();
    c.admin
        .put(
            &format!("/v1/agents/{id1}"),
            json!({"display_name": "Agent 1", "email": email1, "role": "agent",
            "queues": [{"queue_id": c.queue_id}], "busy_rules": {"limits": {"work_item": 1}}}),
        )
        .await
        .expect(200);
    let mut f1 = Feed::connect(&a1, None).await;
    a1.set_ready().await;
    let offer = f1.wait_for("engagement.offered", WAIT).await;
    assert_eq!(
        offer["engagement_id"], vip["engagement_id"],
        "higher priority first"
    );
    let vip_id = vip["engagement_id"].as_str().unwrap();
    a1.post(&format!("/v1/engagements/{vip_id}/accept"), json!({}))
        .await
        .expect(200);
    a1.post(&format!("/v1/engagements/{vip_id}/close"), json!({}))
        .await
        .expect(200);
    let next = f1.wait_for("engagement.offered", WAIT).await;
    let normal_id = next["engagement_id"].as_str().unwrap().to_string();
    assert_eq!(next["engagement_id"], normal["engagement_id"]);
    a1.post(&format!("/v1/engagements/{normal_id}/accept"), json!({}))
        .await
        .expect(200);
    a1.post(&format!("/v1/engagements/{normal_id}/close"), json!({}))
        .await
        .expect(200);

    a_returning_vip_waits_for_their_last_agent(&c, &a1, &mut f1).await;

    the_statistics_reflect_it(&c, &a1, &id1).await;
    f1.close().await;
}

/// A profile for the entry point: VIP consumers jump the queue; returning consumers go to
/// their last agent. A rule naming a queue that does not exist is refused.
async fn a_loyalty_profile_for_the_entry_point(c: &Center) {
    let profile = c
        .admin
        .post("/v1/routing-profiles", json!({"name": "Loyalty", "rules": [
            {"when": {"op": "contains", "field": "consumer.email", "value": "@vip."}, "effect": {"type": "raise_priority", "by": 50}},
            {"when": {"op": "exists", "field": "consumer.email"}, "effect": {"type": "prefer_last_agent", "wait_secs": 60}}
        ]}))
        .await
        .expect(201);
    c.admin
        .put(
            &format!("/v1/entry-points/{}", c.entry_id),
            json!({"flow_id": c.flow_id, "profile_id": profile["profile_id"]}),
        )
        .await
        .expect(200);
    c.admin
        .post(
            "/v1/routing-profiles",
            json!({"name": "Broken", "rules": [{"when": {"op": "exists", "field": "x"},
            "effect": {"type": "use_queue", "queue_id": "00000000-0000-0000-0000-000000000001"}}]}),
        )
        .await
        .error(404, "not_found", Some("rules[0].effect.queue_id"));
}

/// The VIP comes back while agent 0 is free and agent 1 is busy: it waits for agent 1 (their
/// last agent) instead of going to agent 0.
async fn a_returning_vip_waits_for_their_last_agent(c: &Center, a1: &Api, f1: &mut Feed) {
    let a0 = c.agent(0).await;
    let mut f0 = Feed::connect(&a0, None).await;
    a1.put(
        "/v1/agents/me/status",
        json!({"status": "not_ready", "reason": "break"}),
    )
    .await
    .expect(200);
    a0.set_ready().await;
    let back = c
        .integrator
        .post(
            "/v1/engagements",
            ticket_from(c, "P-3", "ceo@vip.example.com"),
        )
        .await
        .expect(201);
    f0.drain(Duration::from_millis(1500)).await;
    assert!(
        !f0.kinds().contains(&"engagement.offered".to_string()),
        "not offered to another agent while waiting: {:?}",
        f0.kinds()
    );
    a1.set_ready().await;
    let offer = f1.wait_for("engagement.offered", WAIT).await;
    assert_eq!(
        offer["engagement_id"], back["engagement_id"],
        "offered to the last agent"
    );
    f0.close().await;
}

/// Supervisor statistics reflect it; agents may not read them.
async fn the_statistics_reflect_it(c: &Center, a1: &Api, agent_id: &str) {
    let stats = c.admin.get("/v1/stats/queues").await.expect(200);
    let work = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue_id"] == c.queue_id.as_str())
        .unwrap();
    assert_eq!(work["offered"], 1);
    assert_eq!(work["answered_24h"], 2);
    assert_eq!(work["service_level_percent"], 100.0);
    let agents = c.admin.get("/v1/stats/agents").await.expect(200);
    let one = agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == agent_id)
        .unwrap();
    assert_eq!(one["ringing"], 1);
    a1.get("/v1/stats/queues")
        .await
        .error(403, "forbidden", None);
}

/// A work item `id` from the consumer with `email`.
fn ticket_from(c: &Center, id: &str, email: &str) -> Value {
    let mut b = c.work_item(id, "Ticket");
    b["consumers"][0]["consumer_email"] = json!(email);
    b
}

/// Routing reads an in-memory view caught up from the event log: a change made outside the
/// batch writer (an agent opting out of a queue, then back in) must reach it before the next
/// match, or the opted-out agent would still be offered the work.
async fn routing_follows_an_opt_out_and_back_in(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let agent = c.agent(0).await;
    let mut feed = Feed::connect(&agent, None).await;
    agent.set_ready().await;
    // A first work item is offered and handled: the view now holds the agent as opted in.
    let first = c.start_work_item("VIEW-1", "Before opting out").await;
    agent.accept_when_offered(&first, WAIT).await;
    agent
        .note_dispose_close(&first, "done", &c.resolved_id)
        .await;
    let opt_in = |opted_in: bool| {
        let path = format!("/v1/agents/me/queues/{}", c.queue_id);
        let agent = &agent;
        async move {
            agent
                .put(&path, json!({ "opted_in": opted_in }))
                .await
                .expect(200);
        }
    };
    opt_in(false).await;
    feed.drain(Duration::from_millis(300)).await;
    let seen = feed.events.len();
    let second = c.start_work_item("VIEW-2", "While opted out").await;
    feed.drain(Duration::from_millis(1500)).await;
    assert!(
        !feed.events[seen..]
            .iter()
            .any(|e| e["event"] == "engagement.offered" && e["engagement_id"] == second.as_str()),
        "offered to an agent who opted out: {:?}",
        feed.kinds()
    );
    opt_in(true).await;
    agent.accept_when_offered(&second, WAIT).await;
    feed.close().await;
}

both_stores!(
    overflow_moves_to_another_queue_and_relaxes_skills,
    priority_and_the_last_agent_preference_decide_who_gets_what,
    routing_follows_an_opt_out_and_back_in,
);
