//! Routing benchmark: work items started through the HTTP API at a target rate, offered to
//! simulated agents over WebSockets who accept and close them. Prints throughput,
//! start→ringing latency (p50/p99/max), whether anything was offered or assigned twice, what
//! a work item cost (CPU of the server, of PostgreSQL's processes and of this program, from
//! `/proc`; the server's write statements, from `/metrics`), and the server's memory (RSS)
//! before and after opening idle agent sockets.
//!
//! ```sh
//! cargo build --release -p backend -p tests --bin switchboard --bin bench
//! ./target/release/bench --store sqlite   --agents 200 --rate 0 --seconds 10
//! ./target/release/bench --store postgres --agents 200 --rate 0 --seconds 10 --instances 2
//! ./target/release/bench --store sqlite   --agents 200 --idle-sockets 10000 --seconds 0
//! ```
//! `--rate 0` starts as fast as `--concurrency` connections allow (throughput mode).
//! `--instances 2` (PostgreSQL only) runs two servers on one database; agents and starts are
//! spread over both. `--idle-sockets N` signs in N more agents (in no queue) and holds one
//! WebSocket open for each.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::bench::{
    cpu_seconds, database, integrator, percentile, postgres_cpu_seconds, queue_behind_entry,
    sign_in_agent, write_statements,
};
use tests::process::{start_switchboard, Running};
use tokio_tungstenite::tungstenite::Message;

struct Args {
    store: String,
    agents: usize,
    rate: u64,
    seconds: u64,
    concurrency: usize,
    instances: usize,
    idle_sockets: usize,
}

fn args() -> Args {
    let mut a = Args {
        store: "sqlite".into(),
        agents: 100,
        rate: 1000,
        seconds: 10,
        concurrency: 64,
        instances: 1,
        idle_sockets: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => a.store = value,
            "--agents" => a.agents = value.parse().expect("--agents N"),
            "--rate" => a.rate = value.parse().expect("--rate N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency N"),
            "--instances" => a.instances = value.parse().expect("--instances N"),
            "--idle-sockets" => a.idle_sockets = value.parse().expect("--idle-sockets N"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(a.instances >= 1, "--instances must be at least 1");
    assert!(
        a.instances == 1 || a.store == "postgres",
        "--instances > 1 needs --store postgres (SQLite is one process's file)"
    );
    a
}

/// Resident memory of a process, from `/proc/<pid>/status`, in KiB.
fn rss_kib(server: &Running) -> u64 {
    let Some(pid) = server.child.id() else {
        return 0;
    };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn ws_url(server: &Running, token: &str) -> String {
    format!(
        "{}/v1/agent/ws?access_token={token}",
        server.base_url.replacen("http", "ws", 1)
    )
}

/// What the simulated agents saw, per engagement.
#[derive(Default)]
struct Seen {
    offered_at: Mutex<HashMap<String, Instant>>,
    /// Offers per engagement (more than one means it rang for two agents at once or again).
    offers: Mutex<HashMap<String, u32>>,
    /// Successful accepts per engagement (more than one would be a double assignment).
    accepts: Mutex<HashMap<String, u32>>,
    offer_count: AtomicU64,
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let db = database(&args.store, "bench").await;
    let mut servers = Vec::new();
    for _ in 0..args.instances {
        servers.push(start_switchboard(&db, server_options()).await);
    }
    let anon = Api::new(&servers[0].base_url);
    let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue = queue_behind_entry(
        &admin,
        json!({"name": "Bench", "channel": "work_item", "distribution": "longest_idle", "ring_timeout_secs": 60}),
        json!({"entry_id": "bench"}),
    )
    .await;
    let integrator = integrator(
        &admin,
        &anon,
        "bench",
        &["engagements:write", "embed_tokens:write"],
    )
    .await;
    // The same client's token works on every instance (one database, one signing key).
    let integrators: Vec<Api> = servers
        .iter()
        .map(|s| {
            let mut api = integrator.clone();
            api.base = s.base_url.clone();
            api
        })
        .collect();

    let seen: Arc<Seen> = Arc::default();
    eprintln!(
        "setting up {} agents on {} instance(s)…",
        args.agents, args.instances
    );
    let mut agent_tasks = Vec::new();
    for i in 0..args.agents {
        let server = &servers[i % servers.len()];
        let token = sign_in_agent(
            &admin,
            &integrator,
            &anon,
            json!({"display_name": format!("Bench {i}"), "email": format!("bench{i}@bench.test"),
                   "role": "agent", "queues": [{"queue_id": queue["queue_id"]}]}),
        )
        .await;
        let api = Api::new(&server.base_url).with_token(&token);
        let (socket, _) = tokio_tungstenite::connect_async(ws_url(server, &token))
            .await
            .expect("websocket");
        api.put("/v1/agents/me/status", json!({"status": "ready"}))
            .await
            .expect(200);
        let seen = seen.clone();
        agent_tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = socket.split();
            while let Some(Ok(msg)) = rx.next().await {
                let Message::Text(text) = msg else {
                    if let Message::Ping(p) = msg {
                        let _ = tx.send(Message::Pong(p)).await;
                    }
                    continue;
                };
                let now = Instant::now();
                let v: Value = serde_json::from_str(&text).unwrap_or_default();
                if v["event"]["event"] != "engagement.offered" {
                    continue;
                }
                let id = v["event"]["engagement_id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                seen.offered_at
                    .lock()
                    .unwrap()
                    .entry(id.clone())
                    .or_insert(now);
                *seen.offers.lock().unwrap().entry(id.clone()).or_default() += 1;
                seen.offer_count.fetch_add(1, Ordering::Relaxed);
                let (api, seen) = (api.clone(), seen.clone());
                tokio::spawn(async move {
                    let accepted = api
                        .try_send(
                            "POST",
                            &format!("/v1/engagements/{id}/accept"),
                            Some(json!({})),
                            &[],
                        )
                        .await
                        .is_ok_and(|r| r.status == 200);
                    if accepted {
                        *seen.accepts.lock().unwrap().entry(id.clone()).or_default() += 1;
                        let _ = api
                            .try_send(
                                "POST",
                                &format!("/v1/engagements/{id}/close"),
                                Some(json!({})),
                                &[],
                            )
                            .await;
                    }
                });
            }
        }));
    }

    let rss_before: Vec<u64> = servers.iter().map(rss_kib).collect();
    let mut idle = Vec::new();
    if args.idle_sockets > 0 {
        eprintln!("opening {} idle agent sockets…", args.idle_sockets);
        let gate = Arc::new(tokio::sync::Semaphore::new(32));
        let (opened, mut opened_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        for i in 0..args.idle_sockets {
            let permit = gate.clone().acquire_owned().await.unwrap();
            let (admin, integrator, anon) = (admin.clone(), integrator.clone(), anon.clone());
            let url_base = servers[i % servers.len()]
                .base_url
                .replacen("http", "ws", 1);
            let opened = opened.clone();
            idle.push(tokio::spawn(async move {
                let token = sign_in_agent(
                    &admin,
                    &integrator,
                    &anon,
                    json!({"display_name": format!("Idle {i}"), "email": format!("idle{i}@bench.test"), "role": "agent"}),
                )
                .await;
                let (socket, _) = tokio_tungstenite::connect_async(format!(
                    "{url_base}/v1/agent/ws?access_token={token}"
                ))
                .await
                .expect("websocket");
                drop(permit);
                let _ = opened.send(());
                // Read (answering pings) like a real client; nothing else arrives.
                let (mut tx, mut rx) = socket.split();
                while let Some(Ok(msg)) = rx.next().await {
                    if let Message::Ping(p) = msg {
                        let _ = tx.send(Message::Pong(p)).await;
                    }
                }
            }));
        }
        drop(opened);
        for _ in 0..args.idle_sockets {
            opened_rx.recv().await.expect("an idle socket opened");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let rss_after: Vec<u64> = servers.iter().map(rss_kib).collect();

    let mut summary = None;
    if args.seconds > 0 {
        let pids: Vec<u32> = servers.iter().filter_map(|s| s.child.id()).collect();
        let cost = |statements: Option<f64>| Cost {
            server: pids.iter().copied().map(cpu_seconds).sum(),
            database: if args.store == "postgres" {
                postgres_cpu_seconds()
            } else {
                0.0
            },
            generator: cpu_seconds(std::process::id()),
            statements,
        };
        let statements = || async {
            let mut total = Some(0.0);
            for s in &servers {
                total = total
                    .zip(write_statements(&admin, &s.base_url).await)
                    .map(|(a, b)| a + b);
            }
            total
        };
        let before = cost(statements().await);
        let (mut lines, work_items) = run_load(&args, &integrators, &seen).await;
        let after = cost(statements().await);
        lines.push(after.per_item(&before, work_items, &args.store));
        summary = Some(lines);
    }

    println!(
        "store={} instances={} agents={} target_rate={}/s seconds={} concurrency={}",
        args.store, args.instances, args.agents, args.rate, args.seconds, args.concurrency
    );
    if let Some(lines) = summary {
        for line in lines {
            println!("{line}");
        }
    }
    let total = |v: &[u64]| v.iter().sum::<u64>();
    println!(
        "server RSS: {:.1} MB with {} agent sockets{}",
        total(&rss_before) as f64 / 1024.0,
        args.agents,
        if args.idle_sockets > 0 {
            format!(
                "; {:.1} MB with {} more idle ones ({:.1} KB per idle socket)",
                total(&rss_after) as f64 / 1024.0,
                args.idle_sockets,
                (total(&rss_after) as f64 - total(&rss_before) as f64) / args.idle_sockets as f64
            )
        } else {
            String::new()
        }
    );
    for t in agent_tasks.into_iter().chain(idle) {
        t.abort();
    }
    drop(servers);
}

/// What a run cost: CPU seconds so far of the servers, the database's processes and this
/// program, and the servers' write statements.
struct Cost {
    server: f64,
    database: f64,
    generator: f64,
    statements: Option<f64>,
}

impl Cost {
    /// The difference from `before`, per work item started (each was also offered, accepted
    /// and closed inside the window).
    fn per_item(&self, before: &Cost, items: usize, store: &str) -> String {
        let n = items.max(1) as f64;
        let us = |a: f64, b: f64| (a - b) * 1e6 / n;
        let database = if store == "postgres" {
            format!("{:.0} µs", us(self.database, before.database))
        } else {
            "in the server (SQLite)".to_string()
        };
        let statements = match (self.statements, before.statements) {
            (Some(a), Some(b)) => format!("{:.2}", (a - b) / n),
            _ => "not counted by this server build".to_string(),
        };
        format!(
            "per work item (start + offer + accept + close): server CPU {:.0} µs, database CPU {database}, load generator CPU {:.0} µs; write statements {statements}",
            us(self.server, before.server),
            us(self.generator, before.generator),
        )
    }
}

/// Start work items for `args.seconds`, wait for their offers, and summarise; also returns
/// how many started.
async fn run_load(args: &Args, integrators: &[Api], seen: &Arc<Seen>) -> (Vec<String>, usize) {
    eprintln!(
        "starting work items: rate {}/s for {} s",
        args.rate, args.seconds
    );
    let started_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let errors = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let deadline = begin + Duration::from_secs(args.seconds);
    let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let mut n: u64 = 0;
    let mut tasks = Vec::new();
    while Instant::now() < deadline {
        if args.rate > 0 {
            let due = begin + Duration::from_secs_f64(n as f64 / args.rate as f64);
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
        }
        let permit = gate.clone().acquire_owned().await.unwrap();
        n += 1;
        let api = integrators[n as usize % integrators.len()].clone();
        let (started_at, errors) = (started_at.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"channels": [{"channel": "work_item"}], "flow": {"flow_entry_id": "bench"},
                              "work_item_variables": {"work_item_name": "Bench", "work_item_id": format!("B-{n}")}});
            let t0 = Instant::now();
            let r = api.try_send("POST", "/v1/engagements", Some(body), &[]).await;
            drop(permit);
            match r.as_ref().ok().and_then(|r| (r.status == 201).then(|| r.body["engagement_id"].as_str()).flatten()) {
                Some(id) => {
                    started_at.lock().unwrap().insert(id.to_string(), t0);
                }
                _ => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let start_elapsed = begin.elapsed();
    // Let the last offers arrive.
    let settle = Instant::now() + Duration::from_secs(30);
    while (seen.offered_at.lock().unwrap().len() as u64) < started_at.lock().unwrap().len() as u64
        && Instant::now() < settle
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total_elapsed = begin.elapsed();
    // Let the last accepts land before counting them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = started_at.lock().unwrap().clone();
    let offered = seen.offered_at.lock().unwrap().clone();
    let mut latencies: Vec<f64> = started
        .iter()
        .filter_map(|(id, t0)| {
            offered
                .get(id)
                .map(|t1| t1.saturating_duration_since(*t0).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let offered_twice = seen
        .offers
        .lock()
        .unwrap()
        .values()
        .filter(|n| **n > 1)
        .count();
    let accepted_twice = seen
        .accepts
        .lock()
        .unwrap()
        .values()
        .filter(|n| **n > 1)
        .count();
    let lines = vec![
        format!(
            "started {} ({:.0}/s over {:.2} s), errors {}, offered {} ({:.0}/s over {:.2} s)",
            started.len(),
            started.len() as f64 / start_elapsed.as_secs_f64(),
            start_elapsed.as_secs_f64(),
            errors.load(Ordering::Relaxed),
            latencies.len(),
            latencies.len() as f64 / total_elapsed.as_secs_f64(),
            total_elapsed.as_secs_f64()
        ),
        format!(
            "start→ringing ms: p50 {:.1}  p99 {:.1}  max {:.1}",
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(f64::NAN)
        ),
        format!(
            "offers {} (engagements offered more than once: {offered_twice}); engagements accepted twice: {accepted_twice}",
            seen.offer_count.load(Ordering::Relaxed)
        ),
    ];
    (lines, started.len())
}
