//! Reports benchmark: a month of a busy center in the event log — `--engagements` engagements
//! (default 1,000,000) over the last 30 days, across 4 queues and 50 agents, 10 % abandoned —
//! written straight into the `events` table of a fresh database (as the server would have
//! logged them, with real payload shapes), then the server's report projector folds them (the
//! first report read does), and the reports are read through the HTTP API. Prints:
//!
//! - seeding time (not the server's work) and the projector's rate (events folded per second);
//! - a month by hour, queues and agents (bar ≤ 2 s), today's 15-minute intervals (≤ 200 ms):
//!   the best of 3 reads each;
//! - CSV export of the whole month: rows per second (bar ≥ 50,000/s) and the server's peak RSS
//!   while streaming.
//!
//! ```sh
//! cargo build --release -p backend -p tests --bin switchboard --bin report-bench
//! ./target/release/report-bench --store sqlite
//! ./target/release/report-bench --store postgres
//! ```

use serde_json::json;
use sqlx::{AnyConnection, Connection, Executor};
use std::time::Instant;
use tests::api::{server_options, Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::bench::database;
use tests::process::start_switchboard;

const DAY_MS: i64 = 24 * 3600 * 1000;
const QUEUES: usize = 4;
const AGENTS: usize = 50;
/// Rows per INSERT while seeding.
const ROWS_PER_INSERT: usize = 1000;

#[tokio::main]
async fn main() {
    let mut store = "sqlite".to_string();
    let mut engagements: usize = 1_000_000;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => store = value,
            "--engagements" => engagements = value.parse().expect("--engagements N"),
            other => panic!("unknown flag {other}"),
        }
    }
    let db = database(&store, "report_bench").await;
    let server = start_switchboard(&db, server_options()).await;
    let admin = Api::new(&server.base_url)
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    let mut queues = Vec::new();
    for i in 0..QUEUES {
        let q = admin
            .post(
                "/v1/queues",
                json!({"name": format!("Queue {i}"), "channel": "chat", "distribution": "longest_idle", "ring_timeout_secs": 30}),
            )
            .await
            .expect(201);
        queues.push(q["queue_id"].as_str().unwrap().to_string());
    }
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let a = admin
            .post(
                "/v1/agents",
                json!({"display_name": format!("Agent {i}"), "email": format!("a{i}@bench.test"), "role": "agent",
                       "queues": [{"queue_id": queues[i % QUEUES]}]}),
            )
            .await
            .expect(201);
        agents.push(a["agent_id"].as_str().unwrap().to_string());
    }

    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&db.url).await.expect("database");
    let account: String = sqlx::query_scalar("SELECT account_id FROM agents LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .expect("an account");
    let seeding = Instant::now();
    let now = tests::now_ms();
    let start = now - 30 * DAY_MS;
    let step = 30 * DAY_MS / engagements as i64;
    let mut rows: Vec<String> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut events = 0u64;
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for n in 0..engagements {
        let id = uuid::Uuid::new_v4().to_string();
        let queue = &queues[n % QUEUES];
        let agent = &agents[(next() as usize) % AGENTS];
        let t0 = start + n as i64 * step;
        let wait = (next() % 90_000) as i64;
        let talk = 30_000 + (next() % 600_000) as i64;
        let abandoned = next() % 10 == 0;
        let snap = |state: &str, agents: &[&str]| {
            json!({"engagement": {"engagement_id": id, "channel": "chat", "direction": "inbound",
                   "state": state, "queue_id": queue, "priority": 0, "agent_ids": agents,
                   "consumer": {"display_name": format!("Customer {n}"), "email": format!("c{n}@example.test")},
                   "variables": {}, "created_at": tests::rfc3339(t0)}})
        };
        let mut event = |kind: &str,
                         at: i64,
                         agent: Option<&str>,
                         mut data: serde_json::Value,
                         extra: Option<(&str, &str)>| {
            if let Some((k, v)) = extra {
                data[k] = json!(v);
            }
            rows.push(format!(
                "('{}', '{account}', '{kind}', '{id}', {}, {at}, '{}')",
                uuid::Uuid::new_v4(),
                agent.map_or("NULL".to_string(), |a| format!("'{a}'")),
                data.to_string().replace('\'', "''")
            ));
            events += 1;
        };
        event("engagement.created", t0, None, snap("queued", &[]), None);
        if abandoned {
            event(
                "engagement.closed",
                t0 + wait,
                None,
                snap("closed", &[]),
                Some(("reason", "abandoned")),
            );
        } else {
            event(
                "engagement.offered",
                t0 + wait - 2_000.min(wait),
                Some(agent),
                snap("offered", &[agent]),
                None,
            );
            event(
                "engagement.connected",
                t0 + wait,
                Some(agent),
                snap("connected", &[agent]),
                None,
            );
            event(
                "engagement.wrap_up_started",
                t0 + wait + talk,
                Some(agent),
                snap("wrap_up", &[agent]),
                None,
            );
            event(
                "engagement.closed",
                t0 + wait + talk + 20_000,
                Some(agent),
                snap("closed", &[agent]),
                Some(("reason", "completed")),
            );
        }
        if rows.len() >= ROWS_PER_INSERT || n + 1 == engagements {
            let sql = format!(
                "INSERT INTO events (event_id, account_id, kind, engagement_id, agent_id, occurred_at_ms, data) VALUES {}",
                rows.join(", ")
            );
            conn.execute(sql.as_str()).await.expect("seed insert");
            rows.clear();
        }
    }
    let head: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM events")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    println!(
        "store={store} engagements={engagements} events={events} seeded in {:.1}s",
        seeding.elapsed().as_secs_f64()
    );

    // The first report read folds the whole backlog (the seeded rows bypassed the server, so
    // nothing woke its background projector).
    let folding = Instant::now();
    admin.get("/v1/reports/queues").await.expect(200);
    let secs = folding.elapsed().as_secs_f64();
    let cursor: i64 = sqlx::query_scalar("SELECT seq FROM report_cursors WHERE account_id = $1")
        .bind(&account)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(
        cursor >= head,
        "the projector stopped at {cursor} of {head}"
    );
    println!(
        "projector: {events} events in {secs:.1}s = {:.0} events/s",
        events as f64 / secs
    );

    let date = |ms: i64| tests::rfc3339(ms)[..10].to_string();
    let month = format!("from={}&to={}", date(start), date(now));
    for (name, path) in [
        (
            "queues, a month by hour",
            format!("/v1/reports/queues?{month}&interval=1h&time_zone=Europe/Berlin"),
        ),
        (
            "agents, a month by hour",
            format!("/v1/reports/agents?{month}&interval=1h&time_zone=Europe/Berlin"),
        ),
        (
            "queues, today by 15 minutes",
            "/v1/reports/queues?interval=15m&time_zone=Europe/Berlin".to_string(),
        ),
        (
            "agents, today by 15 minutes",
            "/v1/reports/agents?interval=15m&time_zone=Europe/Berlin".to_string(),
        ),
    ] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let body = admin.get(&path).await.expect(200);
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!body["items"].as_array().unwrap().is_empty());
        }
        println!("{name}: {best:.0} ms (best of 3)");
    }

    // Export the month as CSV, counting rows as they stream.
    let pid = server.child.id().expect("server pid");
    let rss = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let before = rss();
    let t = Instant::now();
    let mut response = reqwest::Client::new()
        .get(format!(
            "{}/v1/reports/engagements?{month}",
            server.base_url
        ))
        .bearer_auth(admin.token.clone().unwrap())
        .header("accept", "text/csv")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    let (mut lines, mut bytes, mut peak) = (0u64, 0u64, before);
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
        peak = peak.max(rss());
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "export: {} rows, {:.0} MB in {secs:.1}s = {:.0} rows/s; server RSS {} MB before, {} MB peak",
        lines - 1,
        bytes as f64 / 1e6,
        (lines - 1) as f64 / secs,
        before / 1024,
        peak / 1024
    );
}
