//! The audit trail (issue 10, item 4): every configuration change is a `config.changed`
//! event naming who made it and what changed, on SQLite and PostgreSQL.

use serde_json::{json, Value};
use tests::api::{Center, CenterOptions, ADMIN_EMAIL};
use tests::both_stores;
use tests::db::TestDb;

async fn changes(c: &Center) -> Vec<Value> {
    let page = c
        .integrator
        .get("/v1/events?event=config.changed&limit=1000")
        .await
        .expect(200);
    page["events"].as_array().unwrap().clone()
}

async fn configuration_changes_name_the_actor_and_the_difference(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let setup = the_setup_was_audited(&c).await;

    let ops_id = an_update_and_a_clients_changes(&c).await;

    let after: Vec<Value> = changes(&c).await.split_off(setup.len());
    let summary: Vec<(String, String)> = after
        .iter()
        .map(|e| {
            (
                e["data"]["object"].as_str().unwrap().to_string(),
                e["data"]["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect: Vec<(String, String)> = [
        ("queue", "updated"),
        ("api_client", "created"),
        ("skill", "created"),
        ("skill", "deleted"),
    ]
    .iter()
    .map(|(o, a)| (o.to_string(), a.to_string()))
    .collect();
    assert_eq!(summary, expect);
    let update = &after[0]["data"];
    assert_eq!(update["object_id"], c.queue_id.as_str());
    assert_eq!(update["changed_fields"], json!(["ring_timeout_secs"]));
    assert_eq!(update["before"]["ring_timeout_secs"], 30);
    assert_eq!(update["after"]["ring_timeout_secs"], 20);
    assert_eq!(update["actor"]["email"], ADMIN_EMAIL);
    let by_client = &after[2]["data"];
    assert_eq!(
        by_client["actor"],
        json!({"type": "api_client", "client_id": ops_id})
    );
    assert_eq!(by_client["after"]["name"], "spanish");
    let deleted = &after[3]["data"];
    assert_eq!(deleted["before"]["name"], "spanish");
    assert!(deleted["after"].is_null());
}

/// Setting up the center was itself audited: skill, disposition, queues, flow, entry point,
/// agents and the API client, each created by the admin, with no secret in the trail. The
/// setup's audit events.
async fn the_setup_was_audited(c: &Center) -> Vec<Value> {
    let setup = changes(c).await;
    let created: Vec<&str> = setup
        .iter()
        .map(|e| e["data"]["object"].as_str().unwrap())
        .collect();
    for object in [
        "skill",
        "disposition",
        "queue",
        "flow",
        "entry_point",
        "agent",
        "api_client",
    ] {
        assert!(
            created.contains(&object),
            "no audit event for creating a {object}: {created:?}"
        );
    }
    for e in &setup {
        assert_eq!(e["data"]["action"], "created", "{e}");
        assert_eq!(e["data"]["actor"]["type"], "agent");
        assert_eq!(e["data"]["actor"]["email"], ADMIN_EMAIL);
        let text = e.to_string();
        assert!(
            !text.contains("password") && !text.contains("secret"),
            "a secret in the trail: {text}"
        );
    }
    setup
}

/// A queue updated (and written again unchanged, which records nothing), and an API client
/// that creates and deletes a skill. The client's id.
async fn an_update_and_a_clients_changes(c: &Center) -> String {
    let mut queue = c
        .admin
        .get(&format!("/v1/queues/{}", c.queue_id))
        .await
        .expect(200);
    assert_eq!(queue["ring_timeout_secs"], 30);
    queue["ring_timeout_secs"] = json!(20);
    c.admin
        .put(&format!("/v1/queues/{}", c.queue_id), queue)
        .await
        .expect(200);
    // Writing the same document again changes nothing and records nothing.
    let same = c
        .admin
        .get(&format!("/v1/queues/{}", c.queue_id))
        .await
        .expect(200);
    c.admin
        .put(&format!("/v1/queues/{}", c.queue_id), same)
        .await
        .expect(200);

    // An API client's change names the client.
    let ops = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "Provisioning", "scopes": ["config:write"]}),
        )
        .await
        .expect(201);
    let ops_id = ops["client_id"].as_str().unwrap().to_string();
    let client = c
        .anon()
        .client(&ops_id, ops["client_secret"].as_str().unwrap())
        .await;
    let skill = client
        .post("/v1/skills", json!({"name": "spanish"}))
        .await
        .expect(201);
    client
        .delete(&format!(
            "/v1/skills/{}",
            skill["skill_id"].as_str().unwrap()
        ))
        .await
        .expect(204);
    ops_id
}

both_stores!(configuration_changes_name_the_actor_and_the_difference);
