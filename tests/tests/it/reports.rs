//! Historical reports, black-box on SQLite and PostgreSQL: a scripted stretch of a contact
//! center's day (work items answered, declined, cancelled and transferred; chats answered,
//! abandoned early and late after a decline, two rated in a satisfaction survey — one in
//! wrap-up, one after close; agents changing status), then every report is
//! checked against a separate, plain recomputation from `GET /v1/events`, the CSV export is
//! parsed by Python's `csv` module and must round-trip every field, and a supervisor reads
//! only the queues they supervise.

use jiff::tz::TimeZone;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tests::api::{Api, Center};
use tests::both_stores;
use tests::chat::{chat_center, chat_queue_id, set_survey};
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);
/// A zone 5:45 ahead of UTC: its hours start at a quarter past UTC hours.
const ZONE: &str = "Asia/Kathmandu";
/// A work item title a spreadsheet would run as a formula, with every CSV special character.
const RISKY_TITLE: &str = "=HYPERLINK(\"http://evil.test\"), \"quoted\"\nsecond line";

async fn reports_agree_with_the_event_log_and_export_round_trips(db: TestDb) {
    let c = Center::with_agents(db, 3).await;
    let chat_agent = chat_center(&c).await;
    let chat_queue = chat_queue_id(&c).await;
    let (a0, a1, a2) = (c.agent(0).await, c.agent(1).await, c.agent(2).await);
    a2.set_not_ready("Lunch").await;

    // Work: answered with a note and a disposition.
    a0.set_ready().await;
    let w1 = c.start_work_item("R-1", RISKY_TITLE).await;
    a0.accept_when_offered(&w1, WAIT).await;
    a0.note_dispose_close(&w1, "done", &c.resolved_id).await;
    // Work: declined by the only ready agent, then withdrawn by the CRM.
    let w2 = c.start_work_item("R-2", "Declined then cancelled").await;
    decline_when_offered(&a0, &w2).await;
    c.integrator
        .post(&format!("/v1/engagements/{w2}/cancel"), json!({}))
        .await
        .expect(200);
    // Work: answered, put on hold, transferred back to the queue, answered by another agent.
    let w3 = c.start_work_item("R-3", "Transferred").await;
    a0.accept_when_offered(&w3, WAIT).await;
    a0.post(&format!("/v1/engagements/{w3}/inactive"), json!({}))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    a0.post(&format!("/v1/engagements/{w3}/resume"), json!({}))
        .await
        .expect(200);
    a0.set_not_ready("Break").await;
    a1.set_ready().await;
    a0.post(
        &format!("/v1/engagements/{w3}/transfer"),
        json!({"to": "queue", "queue_id": c.queue_id}),
    )
    .await
    .expect(200);
    a1.accept_when_offered(&w3, WAIT).await;
    a1.post(&format!("/v1/engagements/{w3}/close"), json!({}))
        .await
        .expect(200);
    a2.set_ready().await;

    // Chat: answered; the customer ends it and rates it 2 while the agent wraps up.
    set_survey(
        &c,
        "web-chat",
        json!({"scale": "five_point", "question": "How did we do?"}),
    )
    .await;
    let (c1, customer) = start_chat(&c, "Alan Turing").await;
    chat_agent.accept_when_offered(&c1, WAIT).await;
    customer.post("/v1/chat/session/end", json!({})).await;
    customer
        .post("/v1/chat/session/survey", json!({"rating": 2}))
        .await
        .expect(201);
    close_if_open(&chat_agent, &c1).await;
    // Chat: answered; the agent ends and closes it, then the customer rates it 5.
    let (c4, customer) = start_chat(&c, "Mary Jackson").await;
    chat_agent.accept_when_offered(&c4, WAIT).await;
    chat_agent
        .post(&format!("/v1/engagements/{c4}/end"), json!({}))
        .await
        .expect(200);
    close_if_open(&chat_agent, &c4).await;
    customer
        .post(
            "/v1/chat/session/survey",
            json!({"rating": 5, "comment": "Lovely"}),
        )
        .await
        .expect(201);
    // Chat: nobody ready; the customer leaves at once (a short abandon).
    chat_agent.set_not_ready("Training").await;
    let (_c2, customer) = start_chat(&c, "Grace Hopper").await;
    customer.post("/v1/chat/session/end", json!({})).await;
    // Chat: declined, then the customer gives up after more than the short-abandon threshold.
    chat_agent.set_ready().await;
    let (c3, customer) = start_chat(&c, "Katherine Johnson").await;
    decline_when_offered(&chat_agent, &c3).await;
    chat_agent.set_not_ready("Training").await;
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    customer.post("/v1/chat/session/end", json!({})).await;

    let events = all_events(&c.admin).await;
    let log = Recomputed::from_events(&events);

    // One row per engagement, as the log says.
    let rows = all_rows(&c.admin, "").await;
    assert_eq!(rows.len(), log.engagements.len(), "{rows:#?}");
    for row in &rows {
        let id = row["engagement_id"].as_str().unwrap();
        let want = &log.engagements[id];
        for field in [
            "outcome",
            "wait_ms",
            "talk_ms",
            "hold_ms",
            "wrap_up_ms",
            "handle_ms",
            "transfers",
            "first_queue_id",
            "last_queue_id",
            "agent_ids",
            "first_queue_result",
            "first_queue_wait_ms",
            "satisfaction",
        ] {
            assert_eq!(row[field], want[field], "{field} of {id}: {row:#}");
        }
    }
    let outcome = |id: &str| {
        rows.iter().find(|r| r["engagement_id"] == id).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome(&w1), "answered");
    assert_eq!(outcome(&w2), "cancelled");
    assert_eq!(outcome(&w3), "transferred");
    assert_eq!(outcome(&c1), "answered");
    assert_eq!(outcome(&c4), "answered");
    assert_eq!(outcome(&c3), "missed");
    let row_w1 = rows.iter().find(|r| r["engagement_id"] == w1).unwrap();
    assert_eq!(row_w1["disposition_code"], "RESOLVED");
    assert_eq!(row_w1["work_item_name"], RISKY_TITLE);
    let abandoned = all_rows(&c.admin, "&outcome=abandoned").await;
    assert_eq!(abandoned.len(), 1);
    assert_eq!(
        all_rows(&c.admin, &format!("&queue_id={chat_queue}"))
            .await
            .len(),
        4
    );

    // Queue intervals, hour by hour in Kathmandu.
    let report = c
        .admin
        .get(&format!("/v1/reports/queues?interval=1h&time_zone={ZONE}"))
        .await
        .expect(200);
    let as_of = report["as_of"].as_str().unwrap().to_string();
    let queues = c.admin.get("/v1/queues").await.expect(200);
    for q in report["items"].as_array().unwrap() {
        let queue = q["queue_id"].as_str().unwrap();
        let config = queues
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["queue_id"] == queue)
            .unwrap();
        let threshold = config["service_level"]["threshold_secs"].as_i64().unwrap();
        let short = config["service_level"]["short_abandon_secs"]
            .as_i64()
            .unwrap();
        for interval in q["intervals"].as_array().unwrap() {
            assert!(interval["start"]
                .as_str()
                .unwrap()
                .ends_with(":00:00+05:45"));
            let want =
                log.queue_figures(queue, interval["start"].as_str().unwrap(), threshold, short);
            for (field, value) in want.as_object().unwrap() {
                assert!(
                    same(&interval[field], value),
                    "{field} of queue {queue} at {}: want {value}, got {interval:#}",
                    interval["start"]
                );
            }
        }
    }
    let chat = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue_id"] == chat_queue)
        .unwrap();
    assert_eq!(chat["total"]["offered"], 4, "{chat:#}");
    assert_eq!(chat["total"]["abandoned"], 2);
    assert_eq!(chat["total"]["short_abandoned"], 1);
    assert!(same(
        &chat["total"]["service_level_percent"],
        &json!(200.0 / 3.0)
    ));
    assert_eq!(chat["total"]["satisfaction_responses"], 2);
    assert_eq!(chat["total"]["satisfaction_average"], 3.5);
    assert_eq!(chat["total"]["satisfaction_percent"], 50.0);

    // Agent intervals: offers, answers, misses, handle time and time per status.
    let report = c
        .admin
        .get(&format!("/v1/reports/agents?interval=15m&time_zone={ZONE}"))
        .await
        .expect(200);
    let as_of_ms = ms(report["as_of"].as_str().unwrap());
    assert!(ms(&as_of) <= as_of_ms);
    for a in report["items"].as_array().unwrap() {
        let agent = a["agent_id"].as_str().unwrap();
        for interval in a["intervals"].as_array().unwrap() {
            let (start, end) = (
                ms(interval["start"].as_str().unwrap()),
                ms(interval["end"].as_str().unwrap()),
            );
            let want = log.agent_figures(agent, start, end, as_of_ms);
            for (field, value) in want.as_object().unwrap() {
                assert!(
                    same(&interval[field], value),
                    "{field} of agent {agent} at {}: want {value}, got {interval:#}",
                    interval["start"]
                );
            }
        }
    }
    let a0_id = &c.agents[0].0;
    let a0_report = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| &a["agent_id"] == a0_id)
        .unwrap();
    assert_eq!(a0_report["total"]["answered"], 2, "{a0_report:#}");
    assert_eq!(a0_report["total"]["missed"], 1);

    csv_round_trips(&c, &rows).await;
    supervisors_see_only_their_queues(&c, &chat_queue).await;
}

/// The CSV export parses with Python's `csv` module and every field equals the JSON row's;
/// NDJSON carries the same rows.
async fn csv_round_trips(c: &Center, rows: &[Value]) {
    let export = |accept: &'static str| {
        reqwest::Client::new()
            .get(format!("{}/v1/reports/engagements", c.server.base_url))
            .bearer_auth(c.admin.token.clone().unwrap())
            .header("accept", accept)
            .send()
    };
    let r = export("text/csv").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("export.csv"), &csv).unwrap();
    std::fs::write(
        dir.path().join("rows.json"),
        serde_json::to_string(rows).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("python3")
        .arg(tests::workspace_root().join("tests/scripts/check_report_csv.py"))
        .arg(dir.path().join("export.csv"))
        .arg(dir.path().join("rows.json"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let ndjson = export("application/x-ndjson")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, rows);
}

/// A supervisor of the chat queue reads the chat queue's reports and live figures only; an
/// agent reads none; an API client needs `reports:read`.
async fn supervisors_see_only_their_queues(c: &Center, chat_queue: &str) {
    c.admin
        .post(
            "/v1/agents",
            json!({"display_name": "Sue", "email": "sue@switchboard.test", "role": "supervisor",
                   "password": "supervisor-password", "supervised_queue_ids": [chat_queue]}),
        )
        .await
        .expect(201);
    let sue = c
        .anon()
        .login("sue@switchboard.test", "supervisor-password")
        .await;
    let queues = sue.get("/v1/reports/queues").await.expect(200);
    let ids: Vec<&str> = queues["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["queue_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [chat_queue]);
    sue.get(&format!("/v1/reports/queues?queue_id={}", c.queue_id))
        .await
        .error(403, "forbidden", None);
    sue.get(&format!("/v1/reports/engagements?queue_id={}", c.queue_id))
        .await
        .error(403, "forbidden", None);
    let rows = all_rows(&sue, "").await;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["first_queue_id"] == chat_queue));
    let agents = sue.get("/v1/reports/agents").await.expect(200);
    let names: BTreeSet<&str> = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["Chat Agent"]));
    sue.get(&format!("/v1/reports/agents?agent_id={}", c.agents[0].0))
        .await
        .error(403, "forbidden", None);
    let live = sue.get("/v1/stats/queues").await.expect(200);
    let live: Vec<&str> = live
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["queue_id"].as_str().unwrap())
        .collect();
    assert_eq!(live, [chat_queue]);

    c.agent(0)
        .await
        .get("/v1/reports/queues")
        .await
        .error(403, "forbidden", None);
    c.integrator
        .get("/v1/reports/queues")
        .await
        .error(403, "forbidden", None);
    let made = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "BI", "scopes": ["reports:read"]}),
        )
        .await
        .expect(201);
    let bi = c
        .anon()
        .client(
            made["client_id"].as_str().unwrap(),
            made["client_secret"].as_str().unwrap(),
        )
        .await;
    assert_eq!(
        bi.get("/v1/reports/queues").await.expect(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// Bad parameters are named.
async fn bad_report_parameters_are_named(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    for (query, field) in [
        ("/v1/reports/queues?time_zone=Mars/Olympus", "time_zone"),
        ("/v1/reports/queues?interval=2h", "interval"),
        ("/v1/reports/queues?from=2026-01-01&to=2026-03-01", "to"),
        ("/v1/reports/agents?from=yesterday", "from"),
        ("/v1/reports/engagements?outcome=won", "outcome"),
        ("/v1/reports/engagements?channel=fax", "channel"),
        ("/v1/reports/engagements?queue_id=nope", "queue_id"),
        ("/v1/reports/engagements?page_size=0", "page_size"),
    ] {
        c.admin
            .get(query)
            .await
            .error(422, "invalid_field", Some(field));
    }
    c.admin
        .get(&format!(
            "/v1/reports/queues?queue_id={}",
            uuid::Uuid::new_v4()
        ))
        .await
        .error(404, "not_found", None);
}

both_stores!(
    reports_agree_with_the_event_log_and_export_round_trips,
    bad_report_parameters_are_named
);

// ---- steps ------------------------------------------------------------------------------

async fn start_chat(c: &Center, name: &str) -> (String, Api) {
    let email = format!("{}@example.test", name.to_lowercase().replace(' ', "."));
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": name, "email": email}),
        )
        .await
        .expect(201);
    (
        session["engagement_id"].as_str().unwrap().to_string(),
        c.anon()
            .with_token(session["session_token"].as_str().unwrap()),
    )
}

async fn decline_when_offered(agent: &Api, id: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while agent
        .post(&format!("/v1/engagements/{id}/decline"), json!({}))
        .await
        .status
        != 200
    {
        assert!(std::time::Instant::now() < deadline, "{id} never rang");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn close_if_open(agent: &Api, id: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let e = agent
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        match e["state"].as_str().unwrap() {
            "closed" => return,
            "wrap_up" | "connected" | "inactive" => {
                agent
                    .post(&format!("/v1/engagements/{id}/close"), json!({}))
                    .await;
            }
            _ => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} never closed: {e}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn all_events(api: &Api) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = api
            .get(&format!("/v1/events?after={after}&limit=1000"))
            .await
            .expect(200);
        out.extend(page["events"].as_array().unwrap().iter().cloned());
        after = page["next_after"].as_i64().unwrap();
        if page["has_more"] != true {
            return out;
        }
    }
}

async fn all_rows(api: &Api, filter: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = api
            .get(&format!(
                "/v1/reports/engagements?page_size=2{filter}{token}"
            ))
            .await
            .expect(200);
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_page_token"].as_str() {
            Some(t) => token = format!("&next_page_token={t}"),
            None => return out,
        }
    }
}

/// Equal, floats to the last bit or two: serde_json's default float parsing (the test reads
/// the server's JSON with it) may be one unit in the last place off the correctly rounded value.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) if g.is_f64() || w.is_f64() => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            (g - w).abs() <= 1e-12 * w.abs().max(1.0)
        }
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(g, w)| same(g, w))
        }
        _ => got == want,
    }
}

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

// ---- the recomputation ------------------------------------------------------------------

/// The local hour (in [`ZONE`]) a time falls in, labelled as the report labels it.
fn local_hour(t: i64) -> String {
    let z = jiff::Timestamp::from_millisecond(t)
        .unwrap()
        .to_zoned(TimeZone::get(ZONE).unwrap());
    let offset = z.offset().seconds();
    format!(
        "{}T{:02}:00:00{}{:02}:{:02}",
        z.date(),
        z.hour(),
        if offset < 0 { '-' } else { '+' },
        offset.abs() / 3600,
        offset.abs() % 3600 / 60
    )
}

/// One queue visit, as the log shows it.
struct Visit {
    queue: String,
    start: i64,
    /// `answered`, `abandoned`, `cancelled`, `overflowed`; `None` while it waits.
    result: Option<&'static str>,
    wait: i64,
    /// The answering agent's part, once over.
    handle: Option<i64>,
}

/// An agent's status and its reason code.
type StatusAndReason = (String, Option<String>);

/// What an agent did, by time.
#[derive(Default)]
struct AgentLog {
    offered: Vec<i64>,
    answered: Vec<i64>,
    missed: Vec<i64>,
    /// (answered at, handle time)
    handled: Vec<(i64, i64)>,
    /// (from, status, reason) in order; `None` status: offline.
    statuses: Vec<(i64, Option<StatusAndReason>)>,
    /// (from, holding anything)
    holding: Vec<(i64, bool)>,
}

/// A satisfaction survey answer: when, for which queue and agent, which rating.
struct Answer {
    at: i64,
    queue: Option<String>,
    agent: Option<String>,
    rating: u64,
}

struct Recomputed {
    engagements: BTreeMap<String, Value>,
    visits: Vec<Visit>,
    agents: BTreeMap<String, AgentLog>,
    answers: Vec<Answer>,
}

impl Recomputed {
    fn from_events(events: &[Value]) -> Recomputed {
        let mut by_engagement: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        let mut agents: BTreeMap<String, AgentLog> = BTreeMap::new();
        let mut held: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut hold_change = |agents: &mut BTreeMap<String, AgentLog>,
                               agent: &str,
                               engagement: &str,
                               on: bool,
                               t: i64| {
            let set = held.entry(agent.to_string()).or_default();
            if on {
                set.insert(engagement.to_string());
            } else {
                set.remove(engagement);
            }
            agents
                .entry(agent.to_string())
                .or_default()
                .holding
                .push((t, !set.is_empty()));
        };
        for e in events {
            let t = ms(e["occurred_at"].as_str().unwrap());
            let kind = e["event"].as_str().unwrap();
            let agent = e["agent_id"].as_str();
            match kind {
                "agent.status_changed" => {
                    let s = &e["data"]["status"];
                    let status = match s["status"].as_str().unwrap() {
                        "offline" => None,
                        other => Some((other.to_string(), s["reason"].as_str().map(String::from))),
                    };
                    let who = e["data"]["agent_id"].as_str().unwrap();
                    agents
                        .entry(who.to_string())
                        .or_default()
                        .statuses
                        .push((t, status));
                }
                "agent.logged_out" => {
                    let who = e["data"]["agent_id"].as_str().unwrap();
                    agents
                        .entry(who.to_string())
                        .or_default()
                        .statuses
                        .push((t, None));
                }
                _ if e["engagement_id"].is_string() && e["data"]["engagement"].is_object() => {
                    by_engagement
                        .entry(e["engagement_id"].as_str().unwrap().to_string())
                        .or_default()
                        .push(e);
                    if let Some(agent) = agent {
                        let log = agents.entry(agent.to_string()).or_default();
                        match kind {
                            "engagement.offered" => log.offered.push(t),
                            "engagement.offer_declined" | "engagement.offer_timed_out" => {
                                log.missed.push(t)
                            }
                            "engagement.connected" => log.answered.push(t),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let mut engagements = BTreeMap::new();
        let mut visits = Vec::new();
        let mut answers = Vec::new();
        for (id, list) in by_engagement {
            let created = ms(list[0]["occurred_at"].as_str().unwrap());
            let mut mine: Vec<Visit> = Vec::new();
            let mut waiting: Option<usize> = None;
            let (mut talk, mut hold, mut wrap) = (0i64, 0i64, 0i64);
            let mut state = "queued".to_string();
            let mut since = created;
            let mut answered_at = None;
            let mut closed_at = None;
            let mut transfers = 0;
            let mut agent_ids: Vec<String> = Vec::new();
            let mut part: Option<(String, i64, Option<usize>)> = None;
            let mut outcome = Value::Null;
            let mut missed = false;
            let mut satisfaction = Value::Null;
            for e in &list {
                let t = ms(e["occurred_at"].as_str().unwrap());
                match state.as_str() {
                    "connected" => talk += t - since,
                    "inactive" => hold += t - since,
                    "wrap_up" => wrap += t - since,
                    _ => {}
                }
                let snap = &e["data"]["engagement"];
                state = snap["state"].as_str().unwrap().to_string();
                since = t;
                let kind = e["event"].as_str().unwrap();
                let mut end_part =
                    |part: &mut Option<(String, i64, Option<usize>)>,
                     mine: &mut Vec<Visit>,
                     agents: &mut BTreeMap<String, AgentLog>| {
                        if let Some((agent, from, visit)) = part.take() {
                            if let Some(v) = visit {
                                mine[v].handle = Some(t - from);
                            }
                            agents
                                .entry(agent.clone())
                                .or_default()
                                .handled
                                .push((from, t - from));
                            hold_change(agents, &agent, &id, false, t);
                        }
                    };
                match kind {
                    "engagement.survey_completed" => {
                        let s = &e["data"]["survey"];
                        satisfaction = s["rating"].clone();
                        answers.push(Answer {
                            at: t,
                            queue: s["queue_id"].as_str().map(String::from),
                            agent: s["agent_id"].as_str().map(String::from),
                            rating: s["rating"].as_u64().unwrap(),
                        });
                    }
                    "engagement.offer_declined" | "engagement.offer_timed_out" => missed = true,
                    "engagement.connected" => {
                        let agent = e["agent_id"].as_str().unwrap().to_string();
                        let visit = waiting.take();
                        if let Some(v) = visit {
                            mine[v].result = Some("answered");
                            mine[v].wait = t - mine[v].start;
                        }
                        answered_at.get_or_insert(t);
                        if !agent_ids.contains(&agent) {
                            agent_ids.push(agent.clone());
                        }
                        hold_change(&mut agents, &agent, &id, true, t);
                        part = Some((agent, t, visit));
                    }
                    "engagement.transferred" => {
                        transfers += 1;
                        end_part(&mut part, &mut mine, &mut agents);
                    }
                    "engagement.closed" => {
                        let reason = e["data"]["reason"].as_str().unwrap_or("");
                        if let Some(v) = waiting.take() {
                            mine[v].result = Some(if reason == "abandoned" {
                                "abandoned"
                            } else {
                                "cancelled"
                            });
                            mine[v].wait = t - mine[v].start;
                        }
                        end_part(&mut part, &mut mine, &mut agents);
                        closed_at = Some(t);
                        outcome = json!(
                            match (answered_at.is_some(), transfers > 0, reason, missed) {
                                (true, true, _, _) => "transferred",
                                (true, false, _, _) => "answered",
                                (false, _, "abandoned", true) => "missed",
                                (false, _, "abandoned", false) => "abandoned",
                                _ => "cancelled",
                            }
                        );
                    }
                    _ => {}
                }
                let queue = snap["queue_id"].as_str();
                if kind != "engagement.closed" && matches!(state.as_str(), "queued" | "offered") {
                    if let Some(q) = queue {
                        if waiting.map(|v| mine[v].queue.as_str()) != Some(q) {
                            if let Some(v) = waiting.take() {
                                mine[v].result = Some("overflowed");
                                mine[v].wait = t - mine[v].start;
                            }
                            mine.push(Visit {
                                queue: q.to_string(),
                                start: t,
                                result: None,
                                wait: 0,
                                handle: None,
                            });
                            waiting = Some(mine.len() - 1);
                        }
                    }
                }
            }
            let first = mine.first();
            engagements.insert(
                id.clone(),
                json!({
                    "outcome": outcome,
                    "wait_ms": answered_at.or(closed_at).map(|t| t - created),
                    "talk_ms": talk, "hold_ms": hold, "wrap_up_ms": wrap, "handle_ms": talk + hold + wrap,
                    "transfers": transfers,
                    "first_queue_id": first.map(|v| v.queue.clone()),
                    "last_queue_id": mine.last().map(|v| v.queue.clone()),
                    "agent_ids": agent_ids,
                    "first_queue_result": first.and_then(|v| v.result),
                    "first_queue_wait_ms": first.filter(|v| v.result.is_some()).map(|v| v.wait),
                    "satisfaction": satisfaction,
                }),
            );
            visits.extend(mine);
        }
        Recomputed {
            engagements,
            visits,
            agents,
            answers,
        }
    }

    /// A queue's figures for the visits that started in the local hour labelled `start`.
    fn queue_figures(&self, queue: &str, start: &str, threshold: i64, short: i64) -> Value {
        let mine: Vec<&Visit> = self
            .visits
            .iter()
            .filter(|v| v.queue == queue && local_hour(v.start) == start)
            .collect();
        let secs = |ms: i64| (ms + 999) / 1000;
        let answered: Vec<&&Visit> = mine
            .iter()
            .filter(|v| v.result == Some("answered"))
            .collect();
        let abandoned: Vec<&&Visit> = mine
            .iter()
            .filter(|v| v.result == Some("abandoned"))
            .collect();
        let within = answered
            .iter()
            .filter(|v| secs(v.wait) <= threshold)
            .count() as u64;
        let shorts = abandoned.iter().filter(|v| secs(v.wait) <= short).count() as u64;
        let counted = answered.len() as u64 + abandoned.len() as u64 - shorts;
        let handled: Vec<i64> = mine.iter().filter_map(|v| v.handle).collect();
        let mut waits: Vec<i64> = answered.iter().map(|v| secs(v.wait)).collect();
        waits.sort_unstable();
        let p90 = (!waits.is_empty()).then(|| waits[(waits.len() * 9).div_ceil(10) - 1]);
        let avg = |sum: i64, n: usize| (n > 0).then(|| sum as f64 / n as f64);
        let mut out = json!({
            "offered": mine.len(),
            "answered": answered.len(),
            "answered_within_threshold": within,
            "abandoned": abandoned.len(),
            "short_abandoned": shorts,
            "overflowed": mine.iter().filter(|v| v.result == Some("overflowed")).count(),
            "cancelled": mine.iter().filter(|v| v.result == Some("cancelled")).count(),
            "handled": handled.len(),
        });
        let o = out.as_object_mut().unwrap();
        o.insert(
            "service_level_percent".into(),
            json!((counted > 0).then(|| within as f64 / counted as f64 * 100.0)),
        );
        o.insert(
            "average_wait_ms".into(),
            json!(avg(answered.iter().map(|v| v.wait).sum(), answered.len())),
        );
        o.insert("p90_wait_secs".into(), json!(p90));
        o.insert(
            "average_handle_ms".into(),
            json!(avg(handled.iter().sum(), handled.len())),
        );
        // Time waiting within the hour, of every visit that ended (wherever it started).
        let (from, to) = (ms(start), ms(start) + 3_600_000);
        let waiting: i64 = self
            .visits
            .iter()
            .filter(|v| v.queue == queue && v.result.is_some())
            .map(|v| ((v.start + v.wait).min(to) - v.start.max(from)).max(0))
            .sum();
        o.insert("waiting_ms".into(), json!(waiting));
        let answers: Vec<&Answer> = self
            .answers
            .iter()
            .filter(|a| a.queue.as_deref() == Some(queue) && local_hour(a.at) == start)
            .collect();
        satisfaction(o, &answers);
        out
    }

    /// An agent's figures over `[start, end)`, time still running counted up to `as_of`.
    fn agent_figures(&self, agent: &str, start: i64, end: i64, as_of: i64) -> Value {
        let empty = AgentLog::default();
        let log = self.agents.get(agent).unwrap_or(&empty);
        let within = |t: &i64| (start..end).contains(t);
        let handled: Vec<i64> = log
            .handled
            .iter()
            .filter(|(t, _)| within(t))
            .map(|(_, h)| *h)
            .collect();
        // Time per status and busy/idle: walk every change of status or holdings in order.
        let mut changes: Vec<(i64, u8)> = log
            .statuses
            .iter()
            .map(|(t, _)| (*t, 0))
            .chain(log.holding.iter().map(|(t, _)| (*t, 1)))
            .collect();
        changes.sort();
        let status_at = |t: i64| {
            log.statuses
                .iter()
                .rev()
                .find(|(at, _)| *at <= t)
                .and_then(|(_, s)| s.clone())
        };
        let holding_at = |t: i64| {
            log.holding
                .iter()
                .rev()
                .find(|(at, _)| *at <= t)
                .is_some_and(|(_, h)| *h)
        };
        let mut edges: Vec<i64> = changes.iter().map(|(t, _)| *t).collect();
        edges.push(as_of);
        let mut status_ms: BTreeMap<(String, Option<String>), i64> = BTreeMap::new();
        let (mut busy, mut idle) = (0i64, 0i64);
        for pair in edges.windows(2) {
            let (from, to) = (pair[0].max(start), pair[1].min(end).min(as_of));
            if to <= from {
                continue;
            }
            let Some(status) = status_at(pair[0]) else {
                continue;
            };
            *status_ms.entry(status.clone()).or_default() += to - from;
            if holding_at(pair[0]) {
                busy += to - from;
            } else if status.0 == "ready" {
                idle += to - from;
            }
        }
        let avg = |sum: i64, n: usize| (n > 0).then(|| sum as f64 / n as f64);
        let answers: Vec<&Answer> = self
            .answers
            .iter()
            .filter(|a| a.agent.as_deref() == Some(agent) && within(&a.at))
            .collect();
        let mut out = json!({
            "offered": log.offered.iter().filter(|t| within(t)).count(),
            "answered": log.answered.iter().filter(|t| within(t)).count(),
            "missed": log.missed.iter().filter(|t| within(t)).count(),
            "handled": handled.len(),
            "average_handle_ms": avg(handled.iter().sum(), handled.len()),
            "busy_ms": busy,
            "idle_ms": idle,
            "occupancy_percent": (busy + idle > 0).then(|| busy as f64 / (busy + idle) as f64 * 100.0),
            "status_time": status_ms.iter().map(|((s, r), ms)| {
                let mut o = json!({"status": s, "ms": ms});
                if let Some(r) = r { o["reason"] = json!(r); }
                o
            }).collect::<Vec<_>>(),
        });
        satisfaction(out.as_object_mut().unwrap(), &answers);
        out
    }
}

/// The satisfaction figures of `answers`: how many, the average rating, the share rating 4 or
/// 5 in percent.
fn satisfaction(o: &mut serde_json::Map<String, Value>, answers: &[&Answer]) {
    let n = answers.len();
    let sum: u64 = answers.iter().map(|a| a.rating).sum();
    let satisfied = answers.iter().filter(|a| a.rating >= 4).count();
    o.insert("satisfaction_responses".into(), json!(n));
    o.insert(
        "satisfaction_average".into(),
        json!((n > 0).then(|| sum as f64 / n as f64)),
    );
    o.insert(
        "satisfaction_percent".into(),
        json!((n > 0).then(|| satisfied as f64 / n as f64 * 100.0)),
    );
}
