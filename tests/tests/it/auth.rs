//! Sign-in throttling, sessions that end, and revocation, on SQLite and PostgreSQL (issue 10,
//! items 1 and 2). Limits and the session-check period are the documented defaults unless a
//! test says otherwise.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, Center, CenterOptions, Feed, AGENT_PASSWORD};
use tests::both_stores;
use tests::db::TestDb;
use tests::process::{start_switchboard, ServerOptions};

const WAIT: Duration = Duration::from_secs(10);

/// A sign-in request with its `Retry-After` header.
async fn sign_in(
    base: &str,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> (u16, Option<u64>, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

fn options_with(extra: &[&str]) -> ServerOptions {
    let mut o = server_options();
    o.extra_args.extend(extra.iter().map(|s| s.to_string()));
    o
}

async fn password_guessing_is_refused_on_the_eleventh_try(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let base = c.server.base_url.clone();
    let email = c.agents[0].1.clone();
    let wrong = json!({"email": email, "password": "not-the-password"});
    let mut refused_at = None;
    for attempt in 1..=11 {
        let (status, retry, body) = sign_in(&base, "/v1/auth/login", wrong.clone(), &[]).await;
        if status == 429 {
            refused_at = Some(attempt);
            let retry = retry.expect("429 carries Retry-After");
            assert!((1..=300).contains(&retry), "Retry-After {retry}");
            assert_eq!(body["error"]["code"], "too_many_attempts");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("try again in 5 minutes"), "{message}");
            break;
        }
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    assert_eq!(
        refused_at,
        Some(11),
        "ten failures are allowed, the eleventh is refused"
    );
    // The right password is refused too while the pause lasts (or guessing would go on).
    let (status, _, _) = sign_in(
        &base,
        "/v1/auth/login",
        json!({"email": email, "password": AGENT_PASSWORD}),
        &[],
    )
    .await;
    assert_eq!(status, 429);
    // The pause is per account: a colleague on the same address signs in.
    let (status, _, _) = sign_in(
        &base,
        "/v1/auth/login",
        json!({"email": c.agents[1].1, "password": AGENT_PASSWORD}),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    // Email case does not give an attacker a fresh count.
    let (status, _, _) = sign_in(
        &base,
        "/v1/auth/login",
        json!({"email": email.to_uppercase(), "password": "nope-nope"}),
        &[],
    )
    .await;
    assert_eq!(status, 429);

    // A success resets the count: nine failures, a success, nine failures: never refused.
    let other = json!({"email": c.agents[2].1, "password": "wrong-again"});
    for round in 0..2 {
        for _ in 0..9 {
            let (status, _, _) = sign_in(&base, "/v1/auth/login", other.clone(), &[]).await;
            assert_eq!(status, 401, "round {round}");
        }
        let (status, _, _) = sign_in(
            &base,
            "/v1/auth/login",
            json!({"email": c.agents[2].1, "password": AGENT_PASSWORD}),
            &[],
        )
        .await;
        assert_eq!(status, 200, "round {round}");
    }

    // Client credentials are throttled per client id the same way.
    let bad_secret = json!({"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": "guess"});
    for _ in 0..10 {
        let (status, _, _) = sign_in(&base, "/v1/oauth/token", bad_secret.clone(), &[]).await;
        assert_eq!(status, 401);
    }
    let (status, retry, _) = sign_in(&base, "/v1/oauth/token", bad_secret, &[]).await;
    assert_eq!(status, 429);
    assert!(retry.is_some());
}

async fn the_address_limit_counts_every_identifier_and_trusts_a_proxy_only_when_told(db: TestDb) {
    // Without --trusted-proxy-header, X-Forwarded-For is ignored: every request is 127.0.0.1.
    let c = Center::start_with(
        db,
        options_with(&["--signin-max-failures-per-address", "3"]),
        1,
    )
    .await;
    let base = c.server.base_url.clone();
    for (i, xff) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .iter()
        .enumerate()
    {
        let (status, _, _) = sign_in(
            &base,
            "/v1/auth/login",
            json!({"email": format!("nobody{i}@example.com"), "password": "x-x-x-x-x"}),
            &[("x-forwarded-for", xff)],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = sign_in(
        &base,
        "/v1/auth/embed",
        json!({"embed_token": "sb1.forged.token"}),
        &[("x-forwarded-for", "198.51.100.77")],
    )
    .await;
    assert_eq!(
        status, 429,
        "a spoofed header does not escape the address limit: {body}"
    );
}

async fn behind_a_trusted_proxy_each_client_address_counts_apart(db: TestDb) {
    let c = Center::start_with(
        db,
        options_with(&[
            "--signin-max-failures-per-address",
            "3",
            "--trusted-proxy-header",
            "X-Forwarded-For",
        ]),
        1,
    )
    .await;
    let base = c.server.base_url.clone();
    // The proxy appends the address it saw: the last entry counts, not what the client wrote.
    let from = |addr: &str| format!("10.9.9.9, {addr}");
    for i in 0..3 {
        let (status, _, _) = sign_in(
            &base,
            "/v1/auth/login",
            json!({"email": format!("spray{i}@example.com"), "password": "x-x-x-x-x"}),
            &[("x-forwarded-for", &from("203.0.113.50"))],
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, _, _) = sign_in(
        &base,
        "/v1/auth/login",
        json!({"email": "spray9@example.com", "password": "x-x-x-x-x"}),
        &[("x-forwarded-for", &from("203.0.113.50"))],
    )
    .await;
    assert_eq!(status, 429);
    let (status, _, _) = sign_in(
        &base,
        "/v1/auth/login",
        json!({"email": c.agents[0].1, "password": AGENT_PASSWORD}),
        &[("x-forwarded-for", &from("203.0.113.51"))],
    )
    .await;
    assert_eq!(status, 200, "another address is not paused");
}

async fn signing_out_and_revoking_end_tokens_and_sockets(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let agent_id = c.agents[0].0.clone();
    let desk = c.agent(0).await; // e.g. the CRM's embedded widget
    let phone = c.agent(0).await; // e.g. the PWA
    desk.get("/v1/agents/me").await.expect(200);

    // Signing out ends that session only.
    let mut desk_feed = Feed::connect(&desk, None).await;
    desk.post("/v1/auth/logout", json!({})).await.expect(204);
    let r = desk
        .get("/v1/agents/me")
        .await
        .error(401, "unauthorized", None);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in again"),
        "{r}"
    );
    assert_eq!(
        desk_feed.wait_closed(WAIT).await,
        Some(4001),
        "the socket closes"
    );
    phone.get("/v1/agents/me").await.expect(200);
    let ws = format!(
        "{}/v1/agent/ws?access_token={}",
        c.server.base_url.replacen("http://", "ws://", 1),
        desk.token.as_deref().unwrap()
    );
    assert!(
        tokio_tungstenite::connect_async(ws).await.is_err(),
        "a signed-out token opens no socket"
    );

    an_admin_revokes_every_session(&c, &phone, &agent_id).await;

    // Deleting an agent ends its sessions at once.
    let doomed = c.agent(2).await;
    c.admin
        .delete(&format!("/v1/agents/{}", c.agents[2].0))
        .await
        .expect(204);
    doomed
        .get("/v1/agents/me")
        .await
        .error(401, "unauthorized", None);

    // The log and the webhooks say so.
    let events = c
        .integrator
        .get("/v1/events?event=agent.logged_out&limit=100")
        .await
        .expect(200);
    let reasons: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons, ["signed_out", "sessions_revoked", "agent_deleted"]);
}

/// An admin ends every session of the agent (an agent may not): the phone's token stops
/// working and its socket closes; the agent can sign in again afterwards.
async fn an_admin_revokes_every_session(c: &Center, phone: &Api, agent_id: &str) {
    let mut phone_feed = Feed::connect(phone, None).await;
    phone
        .post(&format!("/v1/agents/{agent_id}/sessions/revoke"), json!({}))
        .await
        .error(403, "forbidden", None);
    let revoked = c
        .admin
        .post(&format!("/v1/agents/{agent_id}/sessions/revoke"), json!({}))
        .await
        .expect(200);
    assert_eq!(revoked["revoked_sessions"], 1);
    phone
        .get("/v1/agents/me")
        .await
        .error(401, "unauthorized", None);
    assert_eq!(phone_feed.wait_closed(WAIT).await, Some(4001));
    c.admin
        .post(
            "/v1/agents/00000000-0000-0000-0000-000000000009/sessions/revoke",
            json!({}),
        )
        .await
        .error(404, "not_found", None);
    // The agent can sign in again afterwards.
    c.agent(0).await.get("/v1/agents/me").await.expect(200);
}

async fn api_client_tokens_end_with_rotation_and_deletion(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let created = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "Nightly export", "scopes": ["events:read"]}),
        )
        .await
        .expect(201);
    let id = created["client_id"].as_str().unwrap().to_string();
    let old_secret = created["client_secret"].as_str().unwrap().to_string();
    let old = c.anon().client(&id, &old_secret).await;
    old.get("/v1/events").await.expect(200);

    let rotated = c
        .admin
        .post(&format!("/v1/api-clients/{id}/rotate-secret"), json!({}))
        .await
        .expect(200);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    assert_eq!(rotated["client_id"], id.as_str());
    old.get("/v1/events").await.error(401, "unauthorized", None);
    c.anon()
        .post(
            "/v1/oauth/token",
            json!({"client_id": id, "client_secret": old_secret}),
        )
        .await
        .error(401, "unauthorized", None);
    let fresh = c.anon().client(&id, &new_secret).await;
    fresh.get("/v1/events").await.expect(200);

    // The client signs itself out (ends its token) too.
    let second = c.anon().client(&id, &new_secret).await;
    second.post("/v1/auth/logout", json!({})).await.expect(204);
    second
        .get("/v1/events")
        .await
        .error(401, "unauthorized", None);
    fresh.get("/v1/events").await.expect(200);

    c.admin
        .delete(&format!("/v1/api-clients/{id}"))
        .await
        .expect(204);
    fresh
        .get("/v1/events")
        .await
        .error(401, "unauthorized", None);
    c.admin
        .post(&format!("/v1/api-clients/{id}/rotate-secret"), json!({}))
        .await
        .error(404, "not_found", None);
    c.integrator
        .post(
            &format!("/v1/api-clients/{}/rotate-secret", c.client_id),
            json!({}),
        )
        .await
        .error(403, "forbidden", None);
}

both_stores!(
    password_guessing_is_refused_on_the_eleventh_try,
    the_address_limit_counts_every_identifier_and_trusts_a_proxy_only_when_told,
    behind_a_trusted_proxy_each_client_address_counts_apart,
    signing_out_and_revoking_end_tokens_and_sockets,
    api_client_tokens_end_with_rotation_and_deletion,
);

/// Two instances on one PostgreSQL: a token signed out on A, and an agent revoked on A, are
/// refused by B within the documented session-check period (5 s), and the throttle's counts
/// are shared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_throttling_reach_every_instance() {
    let Some(db) = TestDb::postgres("auth::revocation_reaches_every_instance").await else {
        return;
    };
    let a = Center::start(db, CenterOptions::default()).await;
    let b_server = start_switchboard(&a.db, server_options()).await;
    let b = Api::new(&b_server.base_url);
    const PERIOD: Duration = Duration::from_secs(5);

    let on_a = a.agent(0).await;
    let token = on_a.token.clone().unwrap();
    let via_b = b.with_token(&token);
    via_b.get("/v1/agents/me").await.expect(200); // B has now cached the session as valid
    let mut feed_b = Feed::connect(&via_b, None).await;
    on_a.post("/v1/auth/logout", json!({})).await.expect(204);
    let ended = Instant::now();
    loop {
        let status = via_b.get("/v1/agents/me").await.status;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            ended.elapsed() < PERIOD + Duration::from_secs(1),
            "B still accepts a signed-out token after {:?}",
            ended.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("signed out on A → refused on B after {:?}", ended.elapsed());
    assert_eq!(
        feed_b.wait_closed(WAIT).await,
        Some(4001),
        "B's socket closes"
    );

    // Guessing spread over both instances is refused on the eleventh try.
    let wrong = json!({"email": a.agents[1].1, "password": "still-wrong"});
    for i in 0..10 {
        let base = if i % 2 == 0 {
            &a.server.base_url
        } else {
            &b_server.base_url
        };
        let (status, _, _) = sign_in(base, "/v1/auth/login", wrong.clone(), &[]).await;
        assert_eq!(status, 401);
    }
    let (status, _, _) = sign_in(&b_server.base_url, "/v1/auth/login", wrong, &[]).await;
    assert_eq!(status, 429);
}
