//! Webhook delivery benchmark: a real `switchboard` on a fresh database, a local receiver that
//! verifies every delivery with the `standardwebhooks` crate, and two measurements:
//!
//! 1. **Throughput**: a backlog of `--backlog` events is committed, then queued for one
//!    subscription at once (`POST /v1/webhooks/{id}/recover`); deliveries/s until the last one
//!    arrived, signed and verified.
//! 2. **Latency**: events committed at `--rate` per second for `--seconds` (agent status
//!    changes through the API, spread over `--agents` agents); commit → delivered p50/p99/max,
//!    from the event's own commit time (`event_ts`) to its arrival at the receiver.
//!
//! ```sh
//! cargo build --release --workspace --bins
//! cargo run --release -p tests --bin webhook-bench -- --store sqlite --backlog 20000 --rate 500 --seconds 10
//! cargo run --release -p tests --bin webhook-bench -- --store postgres --backlog 20000 --rate 500 --seconds 10
//! ```

use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::process::start_switchboard;
use tests::receiver::Receiver;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct Args {
    store: String,
    backlog: usize,
    rate: u64,
    seconds: u64,
    agents: usize,
}

fn args() -> Args {
    let mut a = Args {
        store: "sqlite".into(),
        backlog: 20_000,
        rate: 500,
        seconds: 10,
        agents: 50,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => a.store = value,
            "--backlog" => a.backlog = value.parse().expect("--backlog N"),
            "--rate" => a.rate = value.parse().expect("--rate N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--agents" => a.agents = value.parse().expect("--agents N"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// Toggle agents between ready and not ready: call `n` goes to agent `n % agents`, which
/// alternates (all start ready), so every call is a real change and logs one
/// `agent.status_changed` event.
async fn produce(agents: &[Api], total: u64, rate: u64, concurrency: usize) -> Duration {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let next = next.clone();
        let agents = agents.to_vec();
        tasks.push(tokio::spawn(async move {
            let count = agents.len() as u64;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return;
                }
                if rate > 0 {
                    let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let body = if (n / count).is_multiple_of(2) {
                    json!({"status": "not_ready", "reason": "Bench"})
                } else {
                    json!({"status": "ready"})
                };
                let r = agents[(n % count) as usize]
                    .put("/v1/agents/me/status", body)
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// How many status-change events the log holds after `after`.
async fn logged(admin: &Api, mut after: i64) -> u64 {
    let mut n = 0;
    loop {
        let page = admin
            .get(&format!(
                "/v1/events?event=agent.status_changed&after={after}&limit=1000"
            ))
            .await
            .expect(200);
        n += page["events"].as_array().unwrap().len() as u64;
        after = page["next_after"].as_i64().unwrap();
        if page["has_more"] != true {
            return n;
        }
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let db = tests::bench::database(&args.store, "webhook-bench").await;
    let server = start_switchboard(&db, server_options()).await;
    let anon = Api::new(&server.base_url);
    let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    eprintln!("setting up {} agents…", args.agents);
    let mut agents = Vec::new();
    for i in 0..args.agents {
        admin
            .post(
                "/v1/agents",
                json!({"display_name": format!("Bench {i}"), "email": format!("hook{i}@bench.test"),
                       "role": "agent", "password": "bench-password-1"}),
            )
            .await
            .expect(201);
        agents.push(
            anon.login(&format!("hook{i}@bench.test"), "bench-password-1")
                .await,
        );
    }
    // Each agent alternates; make every agent's first change a real change.
    for a in &agents {
        a.put("/v1/agents/me/status", json!({"status": "ready"}))
            .await
            .expect(200);
    }
    let concurrency = args.agents.min(32);

    // ---- 1. throughput: a backlog queued at once -------------------------------------------
    let since = tests::rfc3339(tests::now_ms() - 1000);
    eprintln!("committing a backlog of {} events…", args.backlog);
    let took = produce(&agents, args.backlog as u64, 0, concurrency).await;
    eprintln!(
        "  committed in {:.1} s ({:.0} events/s through the API)",
        took.as_secs_f64(),
        args.backlog as f64 / took.as_secs_f64()
    );
    let receiver = Receiver::start(Some(SECRET)).await;
    let hook = admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "events": ["contact_center.user_status_changed"], "secret": SECRET}),
        )
        .await
        .expect(201);
    let id = hook["webhook_id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let queued = admin
        .post(
            &format!("/v1/webhooks/{id}/recover"),
            json!({"since": since}),
        )
        .await
        .expect(202)["queued"]
        .as_u64()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    while (receiver.deliveries().len() as u64) < queued {
        assert!(
            Instant::now() < deadline,
            "the backlog was not delivered in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = started.elapsed();
    let got = receiver.deliveries();
    let verified = got.iter().filter(|r| r.standard_ok && r.zoom_ok).count();
    assert_eq!(verified, got.len(), "every delivery verifies");
    println!(
        "throughput ({}): {} signed deliveries in {:.2} s = {:.0} deliveries/s (all {} verified by standardwebhooks)",
        args.store,
        queued,
        drain.as_secs_f64(),
        queued as f64 / drain.as_secs_f64(),
        verified
    );

    // ---- 2. latency at a steady rate -------------------------------------------------------
    let live = Receiver::start(Some(SECRET)).await;
    admin
        .delete(&format!("/v1/webhooks/{id}"))
        .await
        .expect(204);
    admin
        .post(
            "/v1/webhooks",
            json!({"url": live.url, "events": ["contact_center.user_status_changed"], "secret": SECRET}),
        )
        .await
        .expect(201);
    let before = admin.latest_seq().await;
    let calls = args.rate * args.seconds;
    eprintln!("committing {calls} events at {}/s…", args.rate);
    let took = produce(&agents, calls, args.rate, concurrency).await;
    let total = logged(&admin, before).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while (live.deliveries().len() as u64) < total {
        assert!(
            Instant::now() < deadline,
            "only {} of {total} delivered",
            live.deliveries().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = live.deliveries();
    // Commit time: the event's `event_ts` (ms, stamped in the committing transaction);
    // arrival: the receiver's clock when the request came in. Same machine, same clock.
    let origin = Instant::now();
    let wall = tests::now_ms();
    let mut latencies: Vec<f64> = got
        .iter()
        .map(|r| {
            let arrived = wall - origin.duration_since(r.at).as_millis() as i64;
            (arrived - r.json["event_ts"].as_i64().unwrap()) as f64
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "latency ({}): {} events at {:.0}/s committed → delivered: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        args.store,
        got.len(),
        calls as f64 / took.as_secs_f64(),
        tests::bench::percentile(&latencies, 0.5),
        tests::bench::percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
}
