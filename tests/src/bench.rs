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
