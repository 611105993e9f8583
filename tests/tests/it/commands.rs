//! Engagement commands whose effects were once lost or mislabelled, on SQLite and PostgreSQL.
//! Each test failed against the code before its fix (issue 10, item 6).

use serde_json::json;
use std::time::Duration;
use tests::api::{Center, CenterOptions, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);

/// Ring-all: an agent who declines while a colleague is still ringing is excluded from that
/// engagement. Once everyone ringing has declined, the next offer goes to an agent who has not
/// declined it, never back to the first decliner.
async fn a_decline_during_ring_all_is_remembered(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 3,
            ring_timeout_secs: 60,
            distribution: "ring_all",
        },
    )
    .await;
    let a0 = c.agent(0).await;
    let a1 = c.agent(1).await;
    let a2 = c.agent(2).await;
    let mut f0 = Feed::connect(&a0, None).await;
    let mut f1 = Feed::connect(&a1, None).await;
    let mut f2 = Feed::connect(&a2, None).await;
    a0.set_ready().await;
    a1.set_ready().await;
    let id = c.start_work_item("RA-1", "Ring all").await;
    f0.wait_for("engagement.offered", WAIT).await;
    f1.wait_for("engagement.offered", WAIT).await;

    let after_first = a0
        .post(&format!("/v1/engagements/{id}/decline"), json!({}))
        .await
        .expect(200);
    assert_eq!(after_first["state"], "offered", "agent 1 is still ringing");
    let after_second = a1
        .post(&format!("/v1/engagements/{id}/decline"), json!({}))
        .await
        .expect(200);
    assert_eq!(after_second["state"], "queued");

    // Agent 0 is still ready, but declined it: it waits for someone else.
    a2.set_ready().await;
    let offer = f2.wait_for("engagement.offered", WAIT).await;
    assert_eq!(offer["engagement_id"], id.as_str());
    let e = c
        .admin
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(e["state"], "offered");
    f0.drain(Duration::from_millis(300)).await;
    let reoffers_to_0 = f0
        .events
        .iter()
        .filter(|e| e["event"] == "engagement.offered" && e["engagement_id"] == id.as_str())
        .count();
    assert_eq!(
        reoffers_to_0,
        1,
        "agent 0 was offered it again: {:?}",
        f0.kinds()
    );
    for f in [f0, f1, f2] {
        f.close().await;
    }
}

/// `engagement.transferred` carries the engagement as it is after the transfer (queued, no
/// agent), in the feed and in the events API.
async fn the_transferred_event_shows_the_state_after_the_transfer(db: TestDb) {
    let c = Center::start(
        db,
        CenterOptions {
            agents: 2,
            ..CenterOptions::default()
        },
    )
    .await;
    let a0 = c.agent(0).await;
    let mut f0 = Feed::connect(&a0, None).await;
    a0.set_ready().await;
    let id = c.start_work_item("TR-1", "Transfer me").await;
    f0.wait_for("engagement.offered", WAIT).await;
    a0.post(&format!("/v1/engagements/{id}/accept"), json!({}))
        .await
        .expect(200);
    a0.post(
        &format!("/v1/engagements/{id}/transfer"),
        json!({"to": "queue", "queue_id": c.queue_id}),
    )
    .await
    .expect(200);
    let pushed = f0.wait_for("engagement.transferred", WAIT).await;
    assert_eq!(pushed["data"]["engagement"]["state"], "queued", "{pushed}");
    assert!(
        pushed["data"]["engagement"]["agent_id"].is_null(),
        "{pushed}"
    );
    let logged = c
        .integrator
        .get(&format!(
            "/v1/events?engagement_id={id}&event=engagement.transferred"
        ))
        .await
        .expect(200);
    let events = logged["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{logged}");
    assert_eq!(events[0]["data"]["engagement"]["state"], "queued");
    assert_eq!(events[0]["data"]["from_agent_id"], c.agents[0].0.as_str());
    f0.close().await;
}

/// Monitoring an engagement nobody is working on is refused with a message about monitoring.
async fn monitoring_an_engagement_that_is_not_live_names_monitoring(db: TestDb) {
    let c = Center::start(db, CenterOptions::default()).await;
    let id = c.start_work_item("MO-1", "Waiting").await;
    let r = c
        .admin
        .post(
            &format!("/v1/engagements/{id}/monitor"),
            json!({"mode": "monitor"}),
        )
        .await
        .error(409, "invalid_state", None);
    let message = r["error"]["message"].as_str().unwrap();
    assert_eq!(
        message, "cannot monitor an engagement that is queued",
        "{r}"
    );
}

both_stores!(
    a_decline_during_ring_all_is_remembered,
    the_transferred_event_shows_the_state_after_the_transfer,
    monitoring_an_engagement_that_is_not_live_names_monitoring,
);
