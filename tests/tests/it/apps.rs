//! Side-panel apps (`/v1/apps`) on both stores: admins register them, queues list them (in
//! order, each once, only ones that exist), agents read them, the widget's page may frame
//! their origins, and an app a queue still shows cannot be deleted.

use serde_json::json;
use tests::api::{Api, Center};
use tests::both_stores;
use tests::db::TestDb;

/// The widget page's Content-Security-Policy.
async fn widget_policy(base: &str) -> String {
    let r = reqwest::get(format!("{base}/widget/")).await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "the widget is built (scripts/build-widget.sh)"
    );
    r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string()
}

async fn apps_are_registered_and_chosen_per_queue(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    // No app, no frames: the widget may frame only itself.
    assert!(!widget_policy(&c.server.base_url)
        .await
        .contains("frame-src"));
    let crm = c
        .admin
        .post(
            "/v1/apps",
            json!({"name": "CRM case", "url": "https://crm.example.com/case", "icon_url": "https://crm.example.com/icon.png"}),
        )
        .await
        .expect(201);
    let id = crm["app_id"].as_str().unwrap().to_string();
    assert_eq!(crm["url"], "https://crm.example.com/case");
    // The widget's page may now frame the app's origin (and nothing else new); other
    // responses keep the fixed policy.
    let policy = widget_policy(&c.server.base_url).await;
    assert!(
        policy.contains("frame-src 'self' https://crm.example.com;"),
        "{policy}"
    );
    // …and show its icon.
    assert!(
        policy.contains("img-src 'self' data: blob: https://crm.example.com;"),
        "{policy}"
    );
    let api = reqwest::get(format!("{}/healthz", c.server.base_url))
        .await
        .unwrap();
    assert!(!api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-src"));

    let ada = c.agent(0).await;
    bad_apps_are_refused_naming_the_field(&c, &ada).await;

    // Agents read the list (their widget shows the apps).
    let seen = ada.get("/v1/apps").await.expect(200);
    assert_eq!(seen.as_array().unwrap().len(), 1);
    assert_eq!(
        ada.get(&format!("/v1/apps/{id}")).await.expect(200)["name"],
        "CRM case"
    );

    queues_show_apps_that_exist_and_hold_them(&c, &id).await;
}

/// What is refused, naming the field; agents may not register apps.
async fn bad_apps_are_refused_naming_the_field(c: &Center, ada: &Api) {
    c.admin
        .post(
            "/v1/apps",
            json!({"name": "Bad", "url": "javascript:alert(1)"}),
        )
        .await
        .error(422, "invalid_field", Some("url"));
    c.admin
        .post("/v1/apps", json!({"name": "", "url": "https://a.example"}))
        .await
        .error(422, "invalid_field", Some("name"));
    c.admin
        .post(
            "/v1/apps",
            json!({"name": "CRM case", "url": "https://b.example"}),
        )
        .await
        .error(409, "conflict", None);
    ada.post(
        "/v1/apps",
        json!({"name": "Mine", "url": "https://a.example"}),
    )
    .await
    .error(403, "forbidden", None);
}

/// A queue shows apps that exist, each once; an app is renamed in place, and not deleted
/// while a queue shows it.
async fn queues_show_apps_that_exist_and_hold_them(c: &Center, id: &str) {
    let path = format!("/v1/queues/{}", c.queue_id);
    let mut queue = c.admin.get(&path).await.expect(200);
    queue["app_ids"] = json!(["00000000-0000-7000-8000-000000000000"]);
    c.admin
        .put(&path, queue.clone())
        .await
        .error(404, "not_found", Some("app_ids[0]"));
    queue["app_ids"] = json!([id, id]);
    assert_eq!(
        c.admin.put(&path, queue.clone()).await.expect(200)["app_ids"],
        json!([id]),
        "listed once"
    );
    assert_eq!(c.admin.get(&path).await.expect(200)["app_ids"], json!([id]));

    // Renamed in place; not deleted while a queue shows it.
    let renamed = c
        .admin
        .put(
            &format!("/v1/apps/{id}"),
            json!({"name": "Case", "url": "https://crm.example.com/case"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["name"], "Case");
    let held = c
        .admin
        .delete(&format!("/v1/apps/{id}"))
        .await
        .error(409, "conflict", None);
    assert!(
        held["error"]["message"].as_str().unwrap().contains("queue"),
        "{held}"
    );
    queue["app_ids"] = json!([]);
    c.admin.put(&path, queue).await.expect(200);
    c.admin.delete(&format!("/v1/apps/{id}")).await.expect(204);
    c.admin
        .get(&format!("/v1/apps/{id}"))
        .await
        .error(404, "not_found", None);
}

both_stores!(apps_are_registered_and_chosen_per_queue);
