//! Two `switchboard` instances on one PostgreSQL database, and timers across a restart.

use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use tests::api::{server_options, Api, Center, CenterOptions, Feed};
use tests::db::TestDb;
use tests::process::start_switchboard;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_on_one_instance_is_offered_work_started_through_the_other() {
    let Some(db) = TestDb::postgres("scale_out::an_agent_on_one_instance").await else {
        return;
    };
    let a = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    let b_server = start_switchboard(&a.db, server_options()).await;
    let b = Api::new(&b_server.base_url);

    // The agent talks only to instance B; the CRM only to instance A.
    let agent = b.login(&a.agents[0].1, tests::api::AGENT_PASSWORD).await;
    let mut feed = Feed::connect(&agent, None).await;
    agent.set_ready().await;
    let started = std::time::Instant::now();
    let id = a
        .integrator
        .post("/v1/engagements", a.work_item("MULTI-1", "Across"))
        .await
        .expect(201)["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let offer = feed.wait_for("engagement.offered", WAIT).await;
    assert_eq!(offer["engagement_id"], id.as_str());
    eprintln!(
        "start on A → offer on B's WebSocket in {:?}",
        started.elapsed()
    );
    agent
        .post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    let via_a = a
        .admin
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(via_a["state"], "connected");
    feed.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_load_on_two_instances_double_assigns_nothing() {
    let Some(db) = TestDb::postgres("scale_out::concurrent_load").await else {
        return;
    };
    let a = Center::start(
        db,
        CenterOptions {
            agents: 4,
            ring_timeout_secs: 30,
            ..CenterOptions::default()
        },
    )
    .await;
    let b_server = start_switchboard(&a.db, server_options()).await;
    let b_integrator = Api::new(&b_server.base_url)
        .client(&a.client_id, &a.client_secret)
        .await;
    let mut agents = Vec::new();
    for i in 0..4 {
        let base = if i % 2 == 0 {
            &a.server.base_url
        } else {
            &b_server.base_url
        };
        let api = Api::new(base)
            .login(&a.agents[i].1, tests::api::AGENT_PASSWORD)
            .await;
        api.set_ready().await;
        agents.push(api);
    }
    // 40 work items through both instances at once; 4 agents × 5 work items = room for 20.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let api = if i % 2 == 0 {
            a.integrator.clone()
        } else {
            b_integrator.clone()
        };
        let body = a.work_item(&format!("LOAD-{i}"), "Load");
        tasks.push(tokio::spawn(async move {
            api.post("/v1/engagements", body).await.expect(201)
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut offered_total = 0;
    let mut seen = BTreeSet::new();
    for agent in &agents {
        let mine = agent.get("/v1/agents/me/engagements").await.expect(200);
        let list = mine.as_array().unwrap();
        assert!(
            list.len() <= 5,
            "an agent holds {} work items (limit 5)",
            list.len()
        );
        for e in list {
            assert_eq!(
                e["agent_ids"].as_array().unwrap().len(),
                1,
                "offered to two agents: {e}"
            );
            assert!(
                seen.insert(e["engagement_id"].as_str().unwrap().to_string()),
                "the same engagement on two agents"
            );
            offered_total += 1;
        }
    }
    assert_eq!(offered_total, 20, "work-conserving: every agent is full");
    let queued = a
        .admin
        .get("/v1/engagements?state=queued&limit=100")
        .await
        .expect(200);
    assert_eq!(queued.as_array().unwrap().len(), 20);
}

async fn timers_survive_a_restart(db: TestDb) {
    let mut c = Center::start(
        db,
        CenterOptions {
            agents: 1,
            ring_timeout_secs: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    let agent = c.agent(0).await;
    let mut feed = Feed::connect(&agent, None).await;
    agent.set_ready().await;
    let id = c.start_work_item("TIMER-1", "Restart").await;
    feed.wait_for("engagement.offered", WAIT).await;
    feed.close().await;
    // Stop the server while the offer rings; start a new one on the same database.
    assert!(c.server.terminate().await.success());
    c.server = start_switchboard(&c.db, server_options()).await;
    let admin = c
        .anon()
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let e = admin
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        if e["state"] == "queued" {
            break;
        }
        assert_eq!(e["state"], "offered");
        assert!(
            std::time::Instant::now() < deadline,
            "the ring timeout never fired after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = admin.get("/v1/events?after=0&limit=1000").await.expect(200);
    assert!(events["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "engagement.offer_timed_out"));
}

tests::both_stores!(timers_survive_a_restart);

/// A web call on two instances: the visitor's page is on instance A (which then holds the call),
/// Ada's widget on instance B. B hands her offer to A through the database and gives her A's
/// answer, so her audio goes to A's media address and the two hear each other. The visitor's
/// page then reloads onto B: same call, and their new leg is answered by A too. Then A dies:
/// the visitor's next offer through B finds no one holding the call, B takes it over, and once
/// Ada offers again the call goes on through B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_calls_legs_meet_on_the_instance_that_holds_it() {
    use tests::voice::{agent_joins, call_center, connect_all, hear_each_other, Visitor};
    let Some(db) = TestDb::postgres("scale_out::a_web_calls_legs_meet").await else {
        return;
    };
    let mut a = Center::start_with(db, server_options(), 0).await;
    call_center(&a).await;
    let b_server = start_switchboard(&a.db, server_options()).await;
    let b = Api::new(&b_server.base_url);
    let ada = b.login("ada@switchboard.test", "ada-agent-password").await;

    let mut visitor = Visitor::call(&a.anon(), "web-call", "Grace Hopper").await;
    let mut caller = visitor.join("A answers the visitor").await;
    let id = visitor.engagement.clone();
    let mut feed = Feed::connect(&ada, None).await;
    ada.accept_when_offered(&id, WAIT).await;
    let mut agent = agent_joins(
        &mut feed,
        &id,
        "B hands Ada's offer to A and returns A's answer",
    )
    .await;
    connect_all(&mut [&mut caller, &mut agent]);
    hear_each_other(
        &mut caller,
        &mut agent,
        Duration::from_secs(2),
        80,
        "A relays Ada on B and the visitor on A",
    );

    // The visitor's page reloads and its socket lands on B.
    let token = visitor.token.clone();
    visitor.close().await;
    let mut visitor = Visitor::connect(&b, id.clone(), token.clone()).await;
    let mut caller = visitor.join("B hands the reloaded page's offer to A").await;
    connect_all(&mut [&mut caller]);
    hear_each_other(
        &mut caller,
        &mut agent,
        Duration::from_secs(2),
        80,
        "after the visitor's reload onto B",
    );

    // A dies: B takes the call over at the visitor's next offer; Ada offers again.
    a.server.child.start_kill().unwrap();
    let _ = a.server.child.wait().await;
    visitor.close().await;
    let mut visitor = Visitor::connect(&b, id.clone(), token).await;
    let mut caller = visitor
        .join("B takes over the call whose holder is gone")
        .await;
    let mut agent = agent_joins(&mut feed, &id, "B answers Ada now that it holds the call").await;
    connect_all(&mut [&mut caller, &mut agent]);
    hear_each_other(
        &mut caller,
        &mut agent,
        Duration::from_secs(2),
        80,
        "the call goes on through B",
    );
}
