//! One widget at a time per agent (`PUT /v1/agents/me/device`, the socket's `device`), on both
//! stores: a starting widget claims a free device, "use here" takes over, the feed tells the
//! others, and a closed widget frees it after a short grace unless it came back (a reload).

use serde_json::json;
use std::time::Duration;
use tests::api::{Api, Center, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);

async fn claim(ada: &Api, device: &str, only_if_free: bool) -> serde_json::Value {
    ada.put(
        "/v1/agents/me/device",
        json!({"device_id": device, "only_if_free": only_if_free}),
    )
    .await
    .expect(200)["active_device"]
        .clone()
}

/// Nothing changes the active device for longer than the grace.
async fn device_stays(feed: &mut Feed) {
    let seen = feed.events.len();
    feed.drain(Duration::from_secs(5)).await;
    let after = &feed.kinds()[seen..];
    assert!(
        !after.iter().any(|k| k == "agent.device_changed"),
        "{after:?}"
    );
}

async fn one_widget_rings_and_a_closed_one_is_freed(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let ada = c.agent(0).await;
    let mut feed = Feed::connect(&ada, Some(c.admin.latest_seq().await)).await;

    // The first widget to start takes the free device; the next one finds it taken.
    assert_eq!(claim(&ada, "tab-a", true).await, "tab-a");
    let e = feed.wait_for("agent.device_changed", WAIT).await;
    assert_eq!(e["data"]["device_id"], "tab-a");
    assert_eq!(claim(&ada, "tab-b", true).await, "tab-a");
    // "Use here" takes over; the feed tells every widget.
    assert_eq!(claim(&ada, "tab-b", false).await, "tab-b");
    let e = feed.wait_for("agent.device_changed", WAIT).await;
    assert_eq!(e["data"]["device_id"], "tab-b");
    assert_eq!(
        e["agent_id"],
        ada.get("/v1/agents/me").await.expect(200)["agent_id"]
    );
    // Ids are checked, naming the field.
    ada.put(
        "/v1/agents/me/device",
        json!({"device_id": "not an id", "only_if_free": true}),
    )
    .await
    .error(422, "invalid_field", Some("device_id"));
    let refused = tokio_tungstenite::connect_async(format!(
        "{}/v1/agent/ws?access_token={}&device=a%20b",
        c.server.base_url.replacen("http://", "ws://", 1),
        ada.token.as_deref().unwrap()
    ))
    .await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 422)
        }
        other => panic!("a socket with a bad device id was not refused: {other:?}"),
    }

    // The active widget's socket closes: after the grace the device is free.
    let socket = Feed::connect_as(&ada, None, Some("tab-b")).await;
    drop(socket);
    let e = feed.wait_for("agent.device_changed", WAIT).await;
    assert_eq!(e["data"]["device_id"], serde_json::Value::Null);
    // A widget connecting while none is active takes it.
    let socket = Feed::connect_as(&ada, None, Some("tab-c")).await;
    let e = feed.wait_for("agent.device_changed", WAIT).await;
    assert_eq!(e["data"]["device_id"], "tab-c");
    // A reload (close, then back within the grace) keeps it.
    drop(socket);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _back = Feed::connect_as(&ada, None, Some("tab-c")).await;
    device_stays(&mut feed).await;
    assert_eq!(claim(&ada, "tab-d", true).await, "tab-c");
    // A reload whose new socket opens before the old one's close is noticed keeps it too.
    let new = Feed::connect_as(&ada, None, Some("tab-c")).await;
    drop(_back);
    device_stays(&mut feed).await;
    assert_eq!(claim(&ada, "tab-d", true).await, "tab-c");
    drop(new);
}

both_stores!(one_widget_rings_and_a_closed_one_is_freed);
