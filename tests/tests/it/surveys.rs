//! Satisfaction surveys, black-box on SQLite and PostgreSQL: an entry point's survey is offered
//! to the customer of a chat an agent answered once it has ended, answered once, and the answer
//! is stored with the engagement, announced by a signed webhook (checked with the independent
//! `standardwebhooks` crate), listed with the interaction data (a supervisor's: their queues'
//! only) and counted in the reports.
//! What cannot be rated (too early, nobody answered, no survey, twice) and bad answers are
//! refused with the reason.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center};
use tests::both_stores;
use tests::chat::{chat_center, chat_queue_id, set_survey};
use tests::db::TestDb;
use tests::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "whsec_c3VydmV5LWFuc3dlcnMtYXJlLXNpZ25lZC10b28=";

/// A customer's chat through `web-chat`: (engagement id, the customer's API).
async fn customer_chat(c: &Center, name: &str) -> (String, Api) {
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": name, "email": "customer@example.test"}),
        )
        .await
        .expect(201);
    (
        session["engagement_id"].as_str().unwrap().to_string(),
        c.anon()
            .with_token(session["session_token"].as_str().unwrap()),
    )
}

async fn answer(customer: &Api, body: Value) -> tests::api::Reply {
    customer.post("/v1/chat/session/survey", body).await
}

async fn a_customer_rates_a_chat_once_and_everyone_hears_of_it(db: TestDb) {
    let c = Center::with_agents(db, 0).await;
    let agent = chat_center(&c).await;
    let agent_id = agent.get("/v1/agents/me").await.expect(200)["agent_id"].clone();

    // The survey's settings: a question is required.
    let entries = c.admin.get("/v1/entry-points").await.expect(200);
    let mut entry = entries[0].clone();
    entry["survey"] = json!({"scale": "five_point", "question": "  "});
    c.admin
        .put("/v1/entry-points/web-chat", entry.clone())
        .await
        .error(422, "invalid_field", Some("survey.question"));
    entry["survey"] = json!({"scale": "stars", "question": "How did we do?"});
    assert_eq!(
        c.admin.put("/v1/entry-points/web-chat", entry).await.status,
        422
    );
    let saved = set_survey(
        &c,
        "web-chat",
        json!({"scale": "five_point", "question": "How did we do today?"}),
    )
    .await;
    assert_eq!(saved["survey"]["comment"], true, "a comment by default");
    let queue = chat_queue_id(&c).await;

    let receiver = Receiver::start(Some(SECRET)).await;
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "secret": SECRET,
                   "events": ["contact_center.engagement_survey_completed"]}),
        )
        .await
        .expect(201);

    let (id, customer) = customer_chat(&c, "Ada Lovelace").await;
    agent.accept_when_offered(&id, WAIT).await;
    // Offered once an agent answered, asked once the conversation has ended.
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert_eq!(
        view["survey"],
        json!({"scale": "five_point", "question": "How did we do today?", "comment": true}),
        "{view:#}"
    );
    answer(&customer, json!({"rating": 5}))
        .await
        .error(409, "conflict", None);
    customer
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);

    // Bad answers are named.
    for bad in [json!({"rating": 0}), json!({"rating": 6})] {
        answer(&customer, bad)
            .await
            .error(422, "invalid_field", Some("rating"));
    }
    answer(
        &customer,
        json!({"rating": 4, "comment": "x".repeat(2_001)}),
    )
    .await
    .error(422, "invalid_field", Some("comment"));
    assert_eq!(
        answer(&customer, json!({"comment": "no rating"}))
            .await
            .status,
        422
    );

    let comment = "Quick and kind <b>thanks</b>";
    let stored = answer(
        &customer,
        json!({"rating": 4, "comment": format!("  {comment} ")}),
    )
    .await
    .expect(201);
    assert_eq!(stored["engagement_id"], json!(id));
    assert_eq!(stored["entry_id"], "web-chat");
    assert_eq!(stored["channel"], "chat");
    assert_eq!(stored["queue_id"], queue);
    assert_eq!(stored["agent_id"], agent_id);
    assert_eq!(stored["scale"], "five_point");
    assert_eq!(stored["question"], "How did we do today?");
    assert_eq!(stored["rating"], 4);
    assert_eq!(stored["comment"], comment, "trimmed, kept as text");
    // Once.
    answer(&customer, json!({"rating": 1}))
        .await
        .error(409, "conflict", None);
    assert_eq!(
        customer.get("/v1/chat/session").await.expect(200)["survey"]["rating"],
        4
    );

    // The question changing later does not change what was answered.
    set_survey(
        &c,
        "web-chat",
        json!({"scale": "thumbs", "question": "Did we help?", "comment": false}),
    )
    .await;

    // Signed, announced once, with the answer.
    let hook = receiver
        .wait_for("contact_center.engagement_survey_completed", WAIT)
        .await;
    assert!(hook.standard_ok, "signed as Standard Webhooks");
    let object = &hook.json["payload"]["object"];
    assert_eq!(object["engagement_id"], json!(id));
    assert_eq!(object["survey"], stored, "{:#}", hook.json);

    // Stored with the engagement, for those who may read its interaction data.
    let read = c
        .admin
        .get(&format!("/v1/engagements/{id}/survey"))
        .await
        .expect(200);
    assert_eq!(read, stored);
    assert_eq!(
        agent
            .get(&format!("/v1/engagements/{id}/survey"))
            .await
            .status,
        403
    );
    supervisors_read_the_answers_of_their_queues_only(&c, &queue, &id).await;
    let listed = c.admin.get("/v1/surveys").await.expect(200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed:#}");
    assert_eq!(items[0]["rating"], 4);
    assert_eq!(items[0]["comment"], comment);
    assert!(items[0]["engagement_start_time"].is_string());
    let events = c
        .admin
        .get("/v1/events?event=engagement.survey_completed")
        .await
        .expect(200);
    let events = events["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["data"]["survey"]["rating"], 4);

    // In the reports once the chat is closed: the row's rating, the queue's and agent's answers.
    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);
    let row = c.admin.report_row(&id).await;
    assert_eq!(row["satisfaction"], 4, "{row:#}");
    let total = c.admin.queue_report_total(&queue).await;
    assert_eq!(total["satisfaction_responses"], 1, "{total:#}");
    assert_eq!(total["satisfaction_average"], 4.0);
    assert_eq!(total["satisfaction_percent"], 100.0);
    let agents = c.admin.get("/v1/reports/agents").await.expect(200);
    let mine = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == agent_id)
        .unwrap()
        .clone();
    assert_eq!(mine["total"]["satisfaction_responses"], 1, "{mine:#}");
    assert_eq!(mine["total"]["satisfaction_average"], 4.0);

    // The supervisor's live picture lists it, comment included.
    let mut feed = tests::api::Feed::connect(&c.admin, None).await;
    let frame = feed.wait_frame("live_stats", WAIT).await["live_stats"].clone();
    let surveys = frame["surveys"].as_array().unwrap();
    assert_eq!(surveys.len(), 1, "{frame:#}");
    assert_eq!(surveys[0]["comment"], comment);
    let trend = frame["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["queue_id"] == queue)
        .unwrap();
    assert_eq!(trend["satisfaction_responses"], 1);
    assert_eq!(trend["satisfaction_average"], 4.0);
    feed.close().await;

    // Announced once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.deliveries().len(), 1);
}

/// A supervisor of the chat queue reads its answers; a supervisor of another queue gets `403`
/// for the engagement's answer and an empty list.
async fn supervisors_read_the_answers_of_their_queues_only(c: &Center, chat_queue: &str, id: &str) {
    for (name, queue) in [("Sue", chat_queue), ("Bo", c.queue_id.as_str())] {
        c.admin
            .post(
                "/v1/agents",
                json!({"display_name": name, "email": format!("{}@switchboard.test", name.to_lowercase()),
                       "role": "supervisor", "password": "supervisor-password",
                       "supervised_queue_ids": [queue]}),
            )
            .await
            .expect(201);
    }
    let sue = c
        .anon()
        .login("sue@switchboard.test", "supervisor-password")
        .await;
    sue.get(&format!("/v1/engagements/{id}/survey"))
        .await
        .expect(200);
    let seen = sue.get("/v1/surveys").await.expect(200);
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "{seen:#}");
    let bo = c
        .anon()
        .login("bo@switchboard.test", "supervisor-password")
        .await;
    bo.get(&format!("/v1/engagements/{id}/survey"))
        .await
        .error(403, "forbidden", None);
    let seen = bo.get("/v1/surveys").await.expect(200);
    assert!(seen["items"].as_array().unwrap().is_empty(), "{seen:#}");
}

async fn thumbs_and_what_cannot_be_rated(db: TestDb) {
    let c = Center::with_agents(db, 0).await;
    let agent = chat_center(&c).await;

    // No survey: nothing offered, nothing taken.
    let (id, customer) = customer_chat(&c, "Grace Hopper").await;
    agent.accept_when_offered(&id, WAIT).await;
    customer
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert!(view.get("survey").is_none(), "{view:#}");
    answer(&customer, json!({"rating": 5}))
        .await
        .error(404, "not_found", None);
    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);

    set_survey(
        &c,
        "web-chat",
        json!({"scale": "thumbs", "question": "Did we help?", "comment": false}),
    )
    .await;

    // Nobody answered: the customer gave up waiting, so there is nothing to rate.
    agent.set_not_ready("Break").await;
    let (_, gave_up) = customer_chat(&c, "Katherine Johnson").await;
    gave_up
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    let view = gave_up.get("/v1/chat/session").await.expect(200);
    assert!(view.get("survey").is_none(), "{view:#}");
    answer(&gave_up, json!({"rating": 5}))
        .await
        .error(409, "conflict", None);

    // Thumbs: 5 (up) or 1 (down), no comment.
    agent.set_ready().await;
    let (id, customer) = customer_chat(&c, "Dorothy Vaughan").await;
    agent.accept_when_offered(&id, WAIT).await;
    agent
        .post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);
    // Closed is still open for an answer (the page asks once the conversation ended).
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert_eq!(view["survey"]["scale"], "thumbs");
    assert_eq!(view["survey"]["comment"], false);
    for rating in [2, 3, 4] {
        answer(&customer, json!({"rating": rating})).await.error(
            422,
            "invalid_field",
            Some("rating"),
        );
    }
    answer(&customer, json!({"rating": 1, "comment": "slow"}))
        .await
        .error(422, "invalid_field", Some("comment"));
    // A blank comment counts as none.
    let stored = answer(&customer, json!({"rating": 1, "comment": " "}))
        .await
        .expect(201);
    assert!(stored.get("comment").is_none(), "{stored:#}");
    let total = c.admin.queue_report_total(&chat_queue_id(&c).await).await;
    assert_eq!(total["satisfaction_responses"], 1, "{total:#}");
    assert_eq!(total["satisfaction_average"], 1.0);
    assert_eq!(total["satisfaction_percent"], 0.0);
    // Someone else's session cannot answer for this chat, and no session cannot answer at all.
    assert_eq!(
        c.anon()
            .post("/v1/chat/session/survey", json!({"rating": 5}))
            .await
            .status,
        401
    );
    assert_eq!(
        agent
            .post("/v1/chat/session/survey", json!({"rating": 5}))
            .await
            .status,
        401
    );
}

both_stores!(
    a_customer_rates_a_chat_once_and_everyone_hears_of_it,
    thumbs_and_what_cannot_be_rated
);
