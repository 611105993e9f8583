//! The demo CRM receives interaction data server-side, in a real browser: a closed ticket
//! shows its note, disposition and recording (uploaded by the test as a connector), arrived
//! by signed webhook; with the receiver switched off, "Reconcile now" fills them in from the
//! events API.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::api::Api;
use tests::demo::{system, System, PASSWORD};
use tests::pages::Crm;

const WAIT: Duration = Duration::from_secs(20);

struct Actors {
    admin: Api,
    ada: Api,
    connector: Api,
}

async fn actors(sys: &System) -> Actors {
    let sb = &sys.switchboard.base_url;
    let admin = Api::new(sb).login("admin@demo.test", PASSWORD).await;
    let ada = Api::new(sb).login("ada@demo.test", PASSWORD).await;
    ada.set_ready().await;
    let made = admin
        .post(
            "/v1/api-clients",
            json!({"name": "Telephony connector", "scopes": ["recordings:write"]}),
        )
        .await
        .expect(201);
    let connector = Api::new(sb)
        .client(
            made["client_id"].as_str().unwrap(),
            made["client_secret"].as_str().unwrap(),
        )
        .await;
    Actors {
        admin,
        ada,
        connector,
    }
}

/// The CRM subscribed itself at start (its URL passed Switchboard's validation).
async fn wait_for_subscription(admin: &Api) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let hooks = admin.get("/v1/webhooks").await.expect(200);
        if let Some(h) = hooks.as_array().unwrap().iter().find(|h| {
            h["enabled"] == true
                && h["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/webhooks/switchboard")
        }) {
            return h.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the CRM never subscribed: {hooks}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Route `ticket` from the CRM, then Ada accepts, notes, dispositions and closes it, and the
/// connector uploads its recording. Returns the engagement id and the audio.
async fn ticket_life(sys: &System, a: &Actors, ticket: &str, note: &str) -> (String, Vec<u8>) {
    let http = reqwest::Client::new();
    let routed: Value = http
        .post(format!("{}/api/tickets/{ticket}/route", sys.demo.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = routed["engagement"]["engagement_id"]
        .as_str()
        .unwrap_or_else(|| panic!("routing {ticket}: {routed}"))
        .to_string();
    let path = |cmd: &str| format!("/v1/engagements/{id}/{cmd}");
    a.ada.accept_when_offered(&id, WAIT).await;
    a.ada
        .post(&path("notes"), json!({"body": note}))
        .await
        .expect(201);
    let engagement = a
        .ada
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    let queue = a
        .admin
        .get(&format!(
            "/v1/queues/{}",
            engagement["queue_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let disposition = queue["disposition_ids"][0].as_str().unwrap().to_string();
    a.ada
        .put(&path("disposition"), json!({"disposition_id": disposition}))
        .await
        .expect(200);
    a.ada.post(&path("close"), json!({})).await.expect(200);
    let audio: Vec<u8> = (0..48_000u32).map(|i| (i % 200) as u8).collect();
    let r = http
        .post(format!(
            "{}/v1/engagements/{id}/recordings?recording_start_time=2026-12-01T09:00:00Z&recording_end_time=2026-12-01T09:03:20Z",
            sys.switchboard.base_url
        ))
        .bearer_auth(a.connector.token.as_deref().unwrap())
        .header("content-type", "audio/wav")
        .body(audio.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    (id, audio)
}

#[tokio::test]
async fn a_closed_ticket_shows_its_interaction_data_and_reconcile_fills_what_webhooks_missed() {
    let sys = system().await;
    let a = actors(&sys).await;
    wait_for_subscription(&a.admin).await;
    let (_, audio) = ticket_life(&sys, &a, "T-2001", "Refund agreed on the call").await;

    let crm = Crm::desk(&sys, "").await;
    the_ticket_page_shows_what_webhooks_brought(&crm, &sys, &audio).await;

    // The receiver goes down: the next ticket's data does not arrive...
    let http = reqwest::Client::new();
    let off: Value = http
        .post(format!("{}/api/receiver", sys.demo.base_url))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(off["enabled"], false);
    ticket_life(&sys, &a, "T-2002", "Password reset by hand").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let missing: Value = http
        .get(format!(
            "{}/api/tickets/T-2002/interactions",
            sys.demo.base_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(missing["notes"].as_array().unwrap().is_empty(), "{missing}");
    reconcile_fills_it_in_once(&crm, &sys).await;
    crm.close().await;
}

/// T-2001's page shows its note, disposition and recording, arrived by webhook; the CRM
/// serves its own copy of the recording (`audio`) to signed-in users only.
async fn the_ticket_page_shows_what_webhooks_brought(crm: &Crm, sys: &System, audio: &[u8]) {
    crm.open("/tickets/T-2001").await;
    // Arrived by webhook: poll the page (it is rendered from the CRM's own store).
    let deadline = Instant::now() + WAIT;
    loop {
        let page = crm.page_text().await;
        if page.contains("Refund agreed on the call") && page.contains("200 s") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the ticket page never showed the webhook data:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        crm.browser().client.refresh().await.unwrap();
    }
    let note = crm.texts("the note", "[data-test=note]").await;
    assert!(note.contains("(webhook)"), "{note}");
    let disposition = crm
        .texts("the disposition", "[data-test=disposition]")
        .await;
    assert!(!disposition.trim().is_empty());
    // The recording's player plays the CRM's own copy.
    let src = crm.recording_src().await;
    crm.browser().screenshot("crm-ticket-webhook-data").await;
    let http = reqwest::Client::new();
    let served = http
        .get(format!("{}{src}", sys.demo.base_url))
        .header("cookie", "crm_user=ada%40demo.test")
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), audio);
    let anonymous = http
        .get(format!("{}{src}", sys.demo.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// "Reconcile now" on T-2002's page pages the events API and fills in what the webhooks
/// missed; a second run finds nothing new (idempotent).
async fn reconcile_fills_it_in_once(crm: &Crm, sys: &System) {
    crm.open("/tickets/T-2002").await;
    crm.reconcile().await;
    let note = crm.texts("the reconciled note", "[data-test=note]").await;
    assert!(
        note.contains("Password reset by hand (reconcile)"),
        "{note}"
    );
    crm.texts("the reconciled disposition", "[data-test=disposition]")
        .await;
    crm.recording_src().await;
    let applied = crm
        .texts("the run's summary", "[data-test=reconcile-applied]")
        .await;
    assert!(applied.parse::<i64>().unwrap() >= 3, "{applied}");
    crm.browser().screenshot("crm-ticket-reconciled").await;
    let again: Value = reqwest::Client::new()
        .post(format!("{}/api/reconcile", sys.demo.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["last_run"]["applied"], 0, "{again}");
}
