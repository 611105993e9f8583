//! Canned responses, black-box on SQLite and PostgreSQL: admins keep the team's and agents
//! their own (and only those), bad input is named, a queue's list holds its own and those for
//! every queue, an engagement's list comes filled for it (placeholders without a value left
//! visible and listed), and a message or note that still holds a placeholder is refused and
//! not stored.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::Center;
use tests::both_stores;
use tests::chat::{chat_center, chat_queue_id};
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);

async fn canned_responses_are_kept_filled_and_never_sent_raw(db: TestDb) {
    let c = Center::with_agents(db, 2).await;
    let chat_agent = chat_center(&c).await;
    let (a0, a1) = (c.agent(0).await, c.agent(1).await);

    // The team's: an admin's by default.
    let thanks = c
        .admin
        .post(
            "/v1/canned-responses",
            json!({"title": "Thanks", "shortcut": "thanks",
                   "body": "Thank you {{consumer.name}}, this is {{agent.display_name}}. Your order {{variables.order_id}} is on its way."}),
        )
        .await
        .expect(201);
    assert_eq!(thanks["ownership"], "shared");
    let billing_only = c
        .admin
        .post(
            "/v1/canned-responses",
            json!({"title": "Invoice", "shortcut": "invoice", "body": "About {{work_item.name}} ({{work_item.id}})",
                   "queue_ids": [c.queue_id, c.queue_id]}),
        )
        .await
        .expect(201);
    assert_eq!(billing_only["queue_ids"], json!([c.queue_id]));
    // An agent's own: theirs by default, and all they may make.
    let mine = a0
        .post(
            "/v1/canned-responses",
            json!({"title": "My thanks", "shortcut": "thanks", "body": "Cheers, {{consumer.name}}!"}),
        )
        .await
        .expect(201);
    assert_eq!(mine["ownership"], "personal");
    assert_eq!(mine["owner_id"], c.agents[0].0);
    a0.post(
        "/v1/canned-responses",
        json!({"title": "Team", "shortcut": "team", "body": "x", "ownership": "shared"}),
    )
    .await
    .error(403, "forbidden", None);

    // Bad input is named; a shortcut is taken once per owner.
    for (body, status, code, field) in [
        (
            json!({"title": "", "shortcut": "a", "body": "x"}),
            422,
            "invalid_field",
            Some("title"),
        ),
        (
            json!({"title": "T", "shortcut": "Has Space", "body": "x"}),
            422,
            "invalid_field",
            Some("shortcut"),
        ),
        (
            json!({"title": "T", "shortcut": "a", "body": " "}),
            422,
            "invalid_field",
            Some("body"),
        ),
        (
            json!({"title": "T", "shortcut": "a", "body": "Hi {{consumer.nickname}}"}),
            422,
            "invalid_field",
            Some("body"),
        ),
        (
            json!({"title": "T", "shortcut": "a", "body": "x", "queue_ids": [uuid::Uuid::new_v4()]}),
            404,
            "not_found",
            Some("queue_ids[0]"),
        ),
        (
            json!({"title": "Again", "shortcut": "thanks", "body": "x"}),
            409,
            "conflict",
            None,
        ),
    ] {
        c.admin
            .post("/v1/canned-responses", body)
            .await
            .error(status, code, field);
    }

    // Who sees and changes what.
    let shortcuts = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{}",
                    r["shortcut"].as_str().unwrap(),
                    r["ownership"].as_str().unwrap()
                )
            })
            .collect()
    };
    let a0_list = a0.get("/v1/canned-responses").await.expect(200);
    assert_eq!(
        shortcuts(&a0_list),
        ["invoice:shared", "thanks:personal", "thanks:shared"]
    );
    let a1_list = a1.get("/v1/canned-responses").await.expect(200);
    assert_eq!(shortcuts(&a1_list), ["invoice:shared", "thanks:shared"]);
    let chat_queue = chat_queue_id(&c).await;
    let for_chat = a1
        .get(&format!("/v1/canned-responses?queue_id={chat_queue}"))
        .await
        .expect(200);
    assert_eq!(
        shortcuts(&for_chat),
        ["thanks:shared"],
        "the invoice one is billing's only"
    );
    let mine_id = mine["canned_response_id"].as_str().unwrap();
    let thanks_id = thanks["canned_response_id"].as_str().unwrap();
    a1.put(
        &format!("/v1/canned-responses/{mine_id}"),
        json!({"title": "Stolen", "shortcut": "stolen", "body": "x"}),
    )
    .await
    .error(404, "not_found", None);
    a1.delete(&format!("/v1/canned-responses/{thanks_id}"))
        .await
        .error(403, "forbidden", None);
    let renamed = a0
        .put(
            &format!("/v1/canned-responses/{mine_id}"),
            json!({"title": "My thanks", "shortcut": "ty", "body": "Cheers, {{consumer.name}}!"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["shortcut"], "ty");
    // An admin's own, moved to the team's: everyone sees it.
    let draft = c
        .admin
        .post(
            "/v1/canned-responses",
            json!({"title": "Draft", "shortcut": "draft", "body": "x", "ownership": "personal"}),
        )
        .await
        .expect(201);
    assert!(!a1
        .get("/v1/canned-responses")
        .await
        .expect(200)
        .to_string()
        .contains("draft"));
    let draft_id = draft["canned_response_id"].as_str().unwrap();
    let moved = c
        .admin
        .put(
            &format!("/v1/canned-responses/{draft_id}"),
            json!({"title": "Draft", "shortcut": "draft", "body": "x", "ownership": "shared"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["ownership"], "shared");
    assert!(moved.get("owner_id").is_none());
    assert!(a1
        .get("/v1/canned-responses")
        .await
        .expect(200)
        .to_string()
        .contains("draft"));
    c.admin
        .delete(&format!("/v1/canned-responses/{draft_id}"))
        .await
        .expect(204);
    // Moving one's own to the team's is an admin's to do.
    a0.put(
        &format!("/v1/canned-responses/{mine_id}"),
        json!({"title": "My thanks", "shortcut": "ty", "body": "x", "ownership": "shared"}),
    )
    .await
    .error(403, "forbidden", None);

    // A work item: filled for it, what has no value left visible and listed.
    a0.set_ready().await;
    let w = c.start_work_item("INV-7", "Invoice 7 charged twice").await;
    a0.accept_when_offered(&w, WAIT).await;
    let filled = a0
        .get(&format!("/v1/engagements/{w}/canned-responses"))
        .await
        .expect(200);
    let by = |list: &Value, shortcut: &str| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["shortcut"] == shortcut)
            .unwrap_or_else(|| panic!("no /{shortcut} in {list}"))
            .clone()
    };
    assert_eq!(
        by(&filled, "invoice")["text"],
        "About Invoice 7 charged twice (INV-7)"
    );
    assert_eq!(by(&filled, "invoice")["missing"], json!([]));
    let t = by(&filled, "thanks");
    assert_eq!(
        t["text"],
        "Thank you Ada Lovelace, this is Agent 0. Your order {{variables.order_id}} is on its way."
    );
    assert_eq!(t["missing"], json!(["{{variables.order_id}}"]));
    // Variables set since count at once.
    a0.patch(
        &format!("/v1/engagements/{w}/variables"),
        json!({"variables": {"order_id": "A-17"}}),
    )
    .await
    .expect(200);
    let again = a0
        .get(&format!("/v1/engagements/{w}/canned-responses"))
        .await
        .expect(200);
    assert_eq!(by(&again, "thanks")["missing"], json!([]));
    assert!(by(&again, "thanks")["text"]
        .as_str()
        .unwrap()
        .contains("A-17"));
    // Someone else's engagement is not theirs to read.
    a1.get(&format!("/v1/engagements/{w}/canned-responses"))
        .await
        .error(403, "forbidden", None);
    // A note still holding a placeholder is refused and not stored.
    a0.post(
        &format!("/v1/engagements/{w}/notes"),
        json!({"body": "Refund {{variables.amount}} to the card"}),
    )
    .await
    .error(422, "invalid_field", Some("body"));
    let notes = a0
        .get(&format!("/v1/engagements/{w}/notes"))
        .await
        .expect(200);
    assert!(notes.as_array().unwrap().is_empty(), "{notes}");
    // Braces that are not a placeholder are just text.
    a0.post(
        &format!("/v1/engagements/{w}/notes"),
        json!({"body": "Customer pasted {{ their template }} and {\"a\": 1}"}),
    )
    .await
    .expect(201);

    // A chat: the message with a placeholder left is refused; the customer never gets it.
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Margaret", "email": "margaret@example.test"}),
        )
        .await
        .expect(201);
    let chat = session["engagement_id"].as_str().unwrap();
    chat_agent.accept_when_offered(chat, WAIT).await;
    let text = by(
        &chat_agent
            .get(&format!("/v1/engagements/{chat}/canned-responses"))
            .await
            .expect(200),
        "thanks",
    )["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("Thank you Margaret, this is Chat Agent."));
    chat_agent
        .post(
            &format!("/v1/engagements/{chat}/messages"),
            json!({"body": text}),
        )
        .await
        .error(422, "invalid_field", Some("body"));
    let customer = c
        .anon()
        .with_token(session["session_token"].as_str().unwrap());
    let seen = customer.get("/v1/chat/session").await.expect(200)["messages"].clone();
    assert!(
        !seen.to_string().contains("{{"),
        "the customer got a placeholder: {seen}"
    );
    let fixed = text.replace("{{variables.order_id}}", "A-17");
    chat_agent
        .post(
            &format!("/v1/engagements/{chat}/messages"),
            json!({"body": fixed}),
        )
        .await
        .expect(201);

    // Deleting: the owner theirs, an admin the team's.
    a0.delete(&format!("/v1/canned-responses/{mine_id}"))
        .await
        .expect(204);
    c.admin
        .delete(&format!("/v1/canned-responses/{thanks_id}"))
        .await
        .expect(204);
    assert_eq!(
        shortcuts(&a0.get("/v1/canned-responses").await.expect(200)),
        ["invoice:shared"]
    );
}

both_stores!(canned_responses_are_kept_filled_and_never_sent_raw);
