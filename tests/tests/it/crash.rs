//! `kill -9` under full load, on both stores: acknowledged means durable. Starts and commands
//! are group-committed (one transaction per batch), so this is what proves a batch answers
//! its requests only after it committed and that a restart on the same database resumes
//! routing by itself without double-assigning anything.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, Center, CenterOptions};
use tests::both_stores;
use tests::db::TestDb;
use tests::process::start_switchboard;

const AGENTS: usize = 4;
/// Work items one agent may hold at once (the default busy rules).
const WORK_ITEM_LIMIT: usize = 5;
const STARTERS: usize = 16;

/// Every engagement not yet closed, by id.
async fn open_engagements(admin: &Api) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for state in ["queued", "offered", "connected", "wrap_up"] {
        let list = admin
            .get(&format!("/v1/engagements?state={state}&limit=500"))
            .await
            .expect(200);
        for e in list.as_array().expect("a list") {
            out.insert(e["engagement_id"].as_str().unwrap().to_string(), e.clone());
        }
    }
    out
}

/// No agent is offered or holds more work items than its limit, and nothing rings for two
/// agents at once (longest-idle distribution offers to one).
fn assert_within_capacity(all: &BTreeMap<String, Value>) {
    let mut per_agent: BTreeMap<String, usize> = BTreeMap::new();
    for e in all.values() {
        let state = e["state"].as_str().unwrap();
        if !matches!(state, "offered" | "connected" | "wrap_up") {
            continue;
        }
        let agents = e["agent_ids"].as_array().unwrap();
        assert_eq!(agents.len(), 1, "offered to or held by one agent: {e}");
        *per_agent
            .entry(agents[0].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for (agent, n) in per_agent {
        assert!(
            n <= WORK_ITEM_LIMIT,
            "agent {agent} holds {n} work items, over its limit of {WORK_ITEM_LIMIT}"
        );
    }
}

/// Agents accept whatever rings for them and close what they hold, recording every accept
/// the server acknowledged.
fn spawn_agents(
    agents: &[Api],
    stop: &Arc<AtomicBool>,
    accepted: &Arc<Mutex<Vec<(String, String)>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    agents
        .iter()
        .map(|api| {
            let (api, stop, accepted) = (api.clone(), stop.clone(), accepted.clone());
            tokio::spawn(async move {
                let me = api.get("/v1/agents/me").await.expect(200)["agent_id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mine) = api
                        .try_send("GET", "/v1/agents/me/engagements", None, &[])
                        .await
                    else {
                        return; // the server is gone
                    };
                    for e in mine.body.as_array().cloned().unwrap_or_default() {
                        let id = e["engagement_id"].as_str().unwrap_or_default().to_string();
                        let command = match e["state"].as_str() {
                            Some("offered") => "accept",
                            Some("connected") => "close",
                            _ => continue,
                        };
                        let r = api
                            .try_send(
                                "POST",
                                &format!("/v1/engagements/{id}/{command}"),
                                Some(json!({})),
                                &[],
                            )
                            .await;
                        match r {
                            Ok(r) if r.status == 200 && command == "accept" => {
                                accepted.lock().unwrap().push((id, me.clone()))
                            }
                            Ok(_) => {}
                            Err(_) => return,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect()
}

async fn acknowledged_work_survives_kill_9_under_load(db: TestDb) {
    let mut c = Center::start(
        db,
        CenterOptions {
            agents: AGENTS,
            ring_timeout_secs: 300,
            ..CenterOptions::default()
        },
    )
    .await;
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let agent = c.agent(i).await;
        agent.set_ready().await;
        agents.push(agent);
    }

    // Full load: starters as fast as they go, agents accepting and closing.
    let stop = Arc::new(AtomicBool::new(false));
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let accepted: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut tasks = spawn_agents(&agents, &stop, &accepted);
    for s in 0..STARTERS {
        let (api, stop, started) = (c.integrator.clone(), stop.clone(), started.clone());
        let body = c.work_item("X", "Crash");
        tasks.push(tokio::spawn(start_until_stopped(
            s, api, body, stop, started,
        )));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.server.child.start_kill().unwrap();
    c.server.child.wait().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let started = started.lock().unwrap().clone();
    let accepted_before = accepted.lock().unwrap().clone();
    assert!(
        started.len() >= 20,
        "the load started only {} work items before the kill",
        started.len()
    );

    // Restart on the same database.
    c.server = start_switchboard(&c.db, server_options()).await;
    let admin = c
        .anon()
        .login(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let agents: Vec<Api> = agents
        .iter()
        .map(|a| Api::new(&c.server.base_url).with_token(a.token.as_deref().unwrap()))
        .collect();

    let all =
        every_acknowledged_start_and_accept_is_there(&admin, &started, &accepted_before).await;

    routing_resumes_by_itself(&admin, all.len()).await;

    everything_is_served_once(&agents, &admin, &started, &accepted_before).await;
}

/// Every acknowledged start and accept is there after the restart, each accepted by one
/// agent, within capacity. The open engagements.
async fn every_acknowledged_start_and_accept_is_there(
    admin: &Api,
    started: &[String],
    accepted_before: &[(String, String)],
) -> BTreeMap<String, Value> {
    let accepted_ids: BTreeSet<&str> = accepted_before.iter().map(|(id, _)| id.as_str()).collect();
    for id in started {
        let e = admin.get(&format!("/v1/engagements/{id}")).await;
        assert_eq!(e.status, 200, "acknowledged start {id} was lost");
        if accepted_ids.contains(id.as_str()) {
            assert!(
                !matches!(e.body["state"].as_str(), Some("queued" | "offered")),
                "acknowledged accept of {id} was lost: {}",
                e.body
            );
        }
    }
    let all = open_engagements(admin).await;
    let mut by_engagement: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, agent) in accepted_before {
        by_engagement.entry(id).or_default().insert(agent);
    }
    for (id, who) in &by_engagement {
        assert_eq!(who.len(), 1, "{id} was accepted by {who:?}");
    }
    assert_within_capacity(&all);
    all
}

/// Routing resumes by itself: with nobody acting, every free place fills up from the queue.
async fn routing_resumes_by_itself(admin: &Api, open: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = open_engagements(admin).await;
        assert_within_capacity(&now);
        let busy = now
            .values()
            .filter(|e| {
                matches!(
                    e["state"].as_str(),
                    Some("offered" | "connected" | "wrap_up")
                )
            })
            .count();
        if busy >= open.min(AGENTS * WORK_ITEM_LIMIT) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "routing did not resume after the restart: {busy} of {} places used",
            open.min(AGENTS * WORK_ITEM_LIMIT)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The agents work through everything; each engagement is accepted exactly once overall.
async fn everything_is_served_once(
    agents: &[Api],
    admin: &Api,
    started: &[String],
    accepted_before: &[(String, String)],
) {
    let stop = Arc::new(AtomicBool::new(false));
    let accepted_after: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let workers = spawn_agents(agents, &stop, &accepted_after);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = open_engagements(admin).await;
        assert_within_capacity(&now);
        if now.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every acknowledged work item was served after the restart"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let mut accepts: BTreeMap<String, usize> = BTreeMap::new();
    for (id, _) in accepted_before
        .iter()
        .chain(accepted_after.lock().unwrap().iter())
    {
        *accepts.entry(id.clone()).or_default() += 1;
    }
    for id in started {
        assert!(
            accepts.get(id).copied().unwrap_or(0) <= 1,
            "{id} was accepted more than once"
        );
    }
}

/// Starter `s`: start work items (`body`, each its own id) as fast as they go until `stop`
/// or the server is gone, recording each acknowledged start in `started`.
async fn start_until_stopped(
    s: usize,
    api: Api,
    body: Value,
    stop: Arc<AtomicBool>,
    started: Arc<Mutex<Vec<String>>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let mut body = body.clone();
        body["work_item_variables"]["work_item_id"] = json!(format!("K-{s}-{n}"));
        match api
            .try_send("POST", "/v1/engagements", Some(body), &[])
            .await
        {
            Ok(r) if r.status == 201 => started
                .lock()
                .unwrap()
                .push(r.body["engagement_id"].as_str().unwrap().to_string()),
            Ok(r) => panic!("a start under load was refused: {} {}", r.status, r.body),
            Err(_) => return, // the server is gone
        }
    }
}

both_stores!(acknowledged_work_survives_kill_9_under_load);
