//! What the benchmark programs (`src/bin/bench.rs`, `src/bin/chat-bench.rs`) share: signing
//! agents in without password hashing, and percentiles.

use crate::api::Api;
use serde_json::{json, Value};

/// The `p` quantile (0–1) of sorted values, nearest rank; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Create an agent and sign it in with an embed token (no password hashing); returns its
/// session token. `integrator` needs the `embed_tokens:write` scope.
pub async fn sign_in_agent(admin: &Api, integrator: &Api, anon: &Api, body: Value) -> String {
    let agent = admin.post("/v1/agents", body).await.expect(201);
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
    session["access_token"].as_str().unwrap().to_string()
}

/// A fresh database of the store `--store` names (`sqlite` or `postgres`); `name` names the
/// PostgreSQL database.
pub async fn database(store: &str, name: &str) -> crate::db::TestDb {
    match store {
        "sqlite" => crate::db::TestDb::sqlite(),
        "postgres" => crate::db::TestDb::postgres(name)
            .await
            .expect("PostgreSQL reachable"),
        other => panic!("--store sqlite|postgres, not {other}"),
    }
}

/// A queue (`queue`: its body) and a flow routing to it: (the queue, the flow's id).
pub async fn queue_and_flow(admin: &Api, queue: Value) -> (Value, Value) {
    let queue = admin.post("/v1/queues", queue).await.expect(201);
    let flow = admin
        .post(
            "/v1/flows",
            json!({"name": queue["name"], "start": "q",
                   "steps": {"q": {"type": "route_to_queue", "queue_id": queue["queue_id"]}}}),
        )
        .await
        .expect(201);
    (queue, flow["flow_id"].clone())
}

/// A queue (`queue`: its body), a flow routing to it and an entry point through that flow
/// (`entry`: its body without `flow_id`); returns the queue.
pub async fn queue_behind_entry(admin: &Api, queue: Value, mut entry: Value) -> Value {
    let (queue, flow) = queue_and_flow(admin, queue).await;
    entry["flow_id"] = flow;
    admin.post("/v1/entry-points", entry).await.expect(201);
    queue
}

/// An API client with `scopes`, signed in.
pub async fn integrator(admin: &Api, anon: &Api, name: &str, scopes: &[&str]) -> Api {
    let client = admin
        .post("/v1/api-clients", json!({"name": name, "scopes": scopes}))
        .await
        .expect(201);
    anon.client(
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    )
    .await
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`
/// (fields 14 and 15, in the kernel's USER_HZ ticks: 100 a second on Linux).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(14) + ticks(15)) as f64 / 100.0
}

/// CPU seconds of every PostgreSQL server process on the machine (the postmaster, its
/// backends and background workers), from `/proc`: the database's share of a benchmark.
/// Backends that exit during a run take their time with them, so measure with the pool open.
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_seconds)
        .sum()
}

/// `switchboard_db_write_statements_total` from a server's `/metrics` (read as `admin`);
/// `None` for a server that does not count them (an older build).
pub async fn write_statements(admin: &Api, base_url: &str) -> Option<f64> {
    let mut request = reqwest::Client::new().get(format!("{base_url}/metrics"));
    if let Some(token) = &admin.token {
        request = request.bearer_auth(token);
    }
    let text = request.send().await.ok()?.text().await.ok()?;
    text.lines()
        .find(|l| l.starts_with("switchboard_db_write_statements_total "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
