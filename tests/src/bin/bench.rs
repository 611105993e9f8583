//! Routing benchmark: work items started through the HTTP API at a target rate, offered to
//! simulated agents over WebSockets who accept and close them. Prints throughput and
//! start→ringing latency (p50/p99/max).
//!
//! ```sh
//! cargo build --release --workspace --bins
//! cargo run --release -p tests --bin bench -- --store sqlite --agents 200 --rate 1000 --seconds 10
//! cargo run --release -p tests --bin bench -- --store postgres --agents 200 --rate 1000 --seconds 10
//! ```
//! `--rate 0` starts as fast as `--concurrency` connections allow (throughput mode).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::db::TestDb;
use tests::process::start_switchboard;

struct Args {
    store: String,
    agents: usize,
    rate: u64,
    seconds: u64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        store: "sqlite".into(),
        agents: 100,
        rate: 1000,
        seconds: 10,
        concurrency: 64,
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
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let db = match args.store.as_str() {
        "sqlite" => TestDb::sqlite(),
        "postgres" => TestDb::postgres("bench")
            .await
            .expect("PostgreSQL reachable"),
        other => panic!("--store sqlite|postgres, not {other}"),
    };
    let server = start_switchboard(&db, server_options()).await;
    let anon = Api::new(&server.base_url);
    let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue = admin
        .post("/v1/queues", json!({"name": "Bench", "channel": "work_item", "distribution": "longest_idle", "ring_timeout_secs": 60}))
        .await
        .expect(201);
    let flow = admin
        .post("/v1/flows", json!({"name": "Bench", "start": "q", "steps": {"q": {"type": "route_to_queue", "queue_id": queue["queue_id"]}}}))
        .await
        .expect(201);
    admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "bench", "flow_id": flow["flow_id"]}),
        )
        .await
        .expect(201);
    let client = admin
        .post(
            "/v1/api-clients",
            json!({"name": "bench", "scopes": ["engagements:write", "embed_tokens:write"]}),
        )
        .await
        .expect(201);
    let integrator = anon
        .client(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str().unwrap(),
        )
        .await;

    // Agents sign in with embed tokens (no password hashing), connect and go ready.
    let offered_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let offers = Arc::new(AtomicU64::new(0));
    eprintln!("setting up {} agents…", args.agents);
    let mut agent_tasks = Vec::new();
    for i in 0..args.agents {
        let agent = admin
            .post("/v1/agents", json!({"display_name": format!("Bench {i}"), "email": format!("bench{i}@bench.test"),
                                       "role": "agent", "queues": [{"queue_id": queue["queue_id"]}]}))
            .await
            .expect(201);
        let embed = integrator
            .post("/v1/embed-tokens", json!({"agent_id": agent["agent_id"]}))
            .await
            .expect(201);
        let session = anon
            .post(
                "/v1/auth/embed",
                json!({"embed_token": embed["access_token"]}),
            )
            .await
            .expect(200);
        let api = anon.with_token(session["access_token"].as_str().unwrap());
        let url = format!(
            "{}/v1/agent/ws?access_token={}",
            server.base_url.replacen("http", "ws", 1),
            session["access_token"].as_str().unwrap()
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket");
        api.put("/v1/agents/me/status", json!({"status": "ready"}))
            .await
            .expect(200);
        let (offered_at, offers) = (offered_at.clone(), offers.clone());
        agent_tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = socket.split();
            while let Some(Ok(msg)) = rx.next().await {
                let tokio_tungstenite::tungstenite::Message::Text(text) = msg else {
                    if let tokio_tungstenite::tungstenite::Message::Ping(p) = msg {
                        let _ = tx
                            .send(tokio_tungstenite::tungstenite::Message::Pong(p))
                            .await;
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
                offered_at.lock().unwrap().insert(id.clone(), now);
                offers.fetch_add(1, Ordering::Relaxed);
                let api = api.clone();
                tokio::spawn(async move {
                    api.post(&format!("/v1/engagements/{id}/accept"), json!({}))
                        .await;
                    api.post(&format!("/v1/engagements/{id}/close"), json!({}))
                        .await;
                });
            }
        }));
    }

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
        let (api, started_at, errors) = (integrator.clone(), started_at.clone(), errors.clone());
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
    while offers.load(Ordering::Relaxed) < started_at.lock().unwrap().len() as u64
        && Instant::now() < settle
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total_elapsed = begin.elapsed();
    let started = started_at.lock().unwrap().clone();
    let offered = offered_at.lock().unwrap().clone();
    let mut latencies: Vec<f64> = started
        .iter()
        .filter_map(|(id, t0)| {
            offered
                .get(id)
                .map(|t1| t1.saturating_duration_since(*t0).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "store={} agents={} target_rate={}/s seconds={} concurrency={}",
        args.store, args.agents, args.rate, args.seconds, args.concurrency
    );
    println!(
        "started {} ({:.0}/s over {:.2} s), errors {}, offered {} ({:.0}/s over {:.2} s)",
        started.len(),
        started.len() as f64 / start_elapsed.as_secs_f64(),
        start_elapsed.as_secs_f64(),
        errors.load(Ordering::Relaxed),
        latencies.len(),
        latencies.len() as f64 / total_elapsed.as_secs_f64(),
        total_elapsed.as_secs_f64()
    );
    println!(
        "start→ringing ms: p50 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    for t in agent_tasks {
        t.abort();
    }
    drop(server);
}
