//! The zcc dialect driven by a host page written the way public Zoom Smart Embed hosts are
//! (`embed-demo/static/smart-embed.js`: strict `{type, data}`, posting early with `"*"`,
//! reading exactly the fields such hosts read and throwing on anything else), in a real
//! headless Chromium. Only the widget's base address (`/zcc/`) and trusted origin are ours.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::Api;
use tests::demo::{route_ticket, system, System, PASSWORD};
use tests::pages::HostPage;

/// Open the host page with `query`, check the frame address it built (`src`), and sign Ada in
/// inside the widget, ready, as the host sees it.
async fn ready_at_host(sys: &System, query: &str, src: String) -> HostPage {
    let host = HostPage::open(sys, query).await;
    assert_eq!(host.frame_src().await, json!(src));
    // Before sign-in the widget asks for the init config (the host had answered unasked).
    host.received("zcc-init-config-request", "true").await;
    // As with Zoom's, the agent signs in inside the widget; choosing Ready is the gesture that
    // unlocks the ring sound. The host reads statusCode.
    host.widget.sign_in_ready("ada@demo.test", PASSWORD).await;
    host.saw("status 1 (ready)", "s.status === '1'").await;
    host
}

/// The page threw on nothing it was sent.
async fn nothing_thrown(host: &HostPage) {
    assert_eq!(host.thrown().await, json!([]), "the reference host threw");
}

async fn admin(sys: &System) -> Api {
    Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await
}

#[tokio::test]
async fn a_host_written_for_zoom_smart_embed_works_with_only_a_new_address() {
    let sys = system().await;
    // The frame's address is the host's own `${BASE}?origin=${origin}`.
    let src = format!(
        "{}/zcc/?origin={}",
        sys.switchboard.base_url, sys.demo.base_url
    );
    let host = ready_at_host(&sys, "", src).await;
    status_set_from_the_host(&host).await;
    let admin = admin(&sys).await;
    let id = an_inbound_call_from_ring_to_log(&host, &sys, &admin).await;
    the_recording_reaches_the_host(&host, &sys, &admin, &id).await;
    a_bare_number_dialed_from_the_host(&host).await;
    size_told_and_a_foreign_command_refused(&host).await;
    a_declined_offer_is_not_connected(&host, &sys).await;
    // Messages posted before the widget has started are kept and handled: the host reloads
    // with a dial request it posts as soon as the frame loads; the widget restores the
    // agent's session and dials.
    host.reload_with("?dial=%2B1%20555%200142").await;
    host.received("zcc-outbound-call-started", "m.to === '+1 555 0142'")
        .await;
    nothing_thrown(&host).await;
    host.close().await;
}

/// Status set from the host: not ready with a reason, back to ready; occupied cannot be set.
async fn status_set_from_the_host(host: &HostPage) {
    host.does("setStatus('2', 'Lunch')").await;
    let lunch = host
        .received("zcc-agent-status-notification", "m.statusCode === '2'")
        .await;
    assert_eq!(lunch["subReason"], "Lunch");
    host.does("setStatus('1')").await;
    host.saw("ready again", "s.status === '1'").await;
    host.does("setStatus('3')").await;
    host.saw(
        "a zcc-error for setting occupied",
        "(s.errors || []).some(e => e.code === 'invalid-status')",
    )
    .await;
}

/// The entry point the CRM routes through gets a number (hosts get it as `to`); a ticket
/// rings, the host pops the caller, the agent connects, notes, and the host disposes, ends
/// and closes it: its call log. The engagement's id.
async fn an_inbound_call_from_ring_to_log(host: &HostPage, sys: &System, admin: &Api) -> String {
    let mut entry = admin
        .get("/v1/entry-points")
        .await
        .expect(200)
        .as_array()
        .unwrap()[0]
        .clone();
    entry["address"] = json!("+1 555 0000");
    admin
        .put(
            &format!("/v1/entry-points/{}", entry["entry_id"].as_str().unwrap()),
            entry,
        )
        .await
        .expect(200);

    // Ring → the host pops the caller by `from` → connect (occupied) → snapshot, variables.
    route_ticket(sys, "T-2003").await;
    let ring = host.received("zcc-call-ringing", "true").await;
    assert_eq!(ring["from"], "+44 20 7946 0102");
    assert_eq!(ring["to"], "+1 555 0000", "the number the customer reached");
    let id = ring["engagementId"].as_str().unwrap().to_string();
    host.saw("the caller popped", "s.popped === 'C-1003'").await;
    // The host also answered the lookup with its one match: the widget pops it (object form).
    host.received("zcc-screen-pop", "m.id === 'C-1003'").await;
    host.widget.accept_offer().await;
    let connected = host.received("zcc-call-connected", "true").await;
    assert_eq!(connected["direction"], "inbound");
    assert_eq!(connected["engagementId"], json!(id));
    host.saw("status 3 (occupied)", "s.status === '3'").await;

    let snapshot = host.engagement_status().await;
    let entry = &snapshot["active"][0];
    assert_eq!(entry["engagementId"], json!(id));
    assert_eq!(
        entry["state"], "active",
        "Zoom's word for a live engagement"
    );
    assert_eq!(entry["engagementDirection"], "inbound");
    assert_eq!(entry["customerNumber"], "+44 20 7946 0102");
    assert_eq!(snapshot["wrapup"], json!([]));
    host.does(&format!("variables({})", json!(id))).await;
    let variables = host.saw("the variables", "s.variables").await;
    assert!(variables.as_array().is_some(), "{variables}");
    note_disposition_end_and_log(host, &id).await;
    id
}

/// A note in the widget; disposition, end and close of wrap-up from the host; its call log.
async fn note_disposition_end_and_log(host: &HostPage, id: &str) {
    host.widget.add_note("Quote sent for 250 seats").await;
    host.widget.wait_note_listed().await;
    host.does(&format!("setDisposition({}, 'RESOLVED')", json!(id)))
        .await;
    host.widget.wait_disposition_shown("Resolved").await;
    host.does(&format!("terminate({})", json!(id))).await;
    host.received(
        "zcc-call-ended",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    host.does(&format!("closeWrapup({})", json!(id))).await;
    let log = host
        .saw(
            "the call log",
            &format!("s.logs.find(l => l.engagementId === {})", json!(id)),
        )
        .await;
    assert_eq!(log["contactId"], "C-1003");
    assert_eq!(
        (&log["from"], &log["to"]),
        (&json!("+44 20 7946 0102"), &json!("+1 555 0000"))
    );
    assert_eq!(log["type"], "work_item");
    assert_eq!(log["callType"], "inbound");
    assert_eq!(log["notes"], "Quote sent for 250 seats");
    assert_eq!(log["dispositionCode"], "RESOLVED");
    assert_eq!(log["agentName"], "Ada Lovelace");
    let post = host
        .received(
            "zcc-end-post-engagement",
            &format!("m.engagementId === {}", json!(id)),
        )
        .await;
    assert_eq!(post["dispositionCode"], "RESOLVED");
    host.saw("ready after the call", "s.status === '1'").await;
}

/// The call's recording arrives later (uploaded by the telephony connector): the host hears
/// where to fetch it.
async fn the_recording_reaches_the_host(host: &HostPage, sys: &System, admin: &Api, id: &str) {
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/engagements/{id}/recordings?recording_start_time=2026-12-01T09:00:00Z&recording_end_time=2026-12-01T09:03:20Z",
            sys.switchboard.base_url
        ))
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "audio/wav")
        .body(vec![7u8; 4_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let recording: Value = r.json().await.unwrap();
    let heard = host
        .saw(
            "the recording at the host",
            &format!("s.engagements[{}].recordingUrl", json!(id)),
        )
        .await;
    assert_eq!(heard, recording["download_url"]);
}

/// Click-to-dial with a bare number, as most hosts dial; ended and closed from the host.
async fn a_bare_number_dialed_from_the_host(host: &HostPage) {
    host.does("dial('+1 555 0199')").await;
    let started = host
        .received("zcc-outbound-call-started", "m.to === '+1 555 0199'")
        .await;
    let call = started["engagementId"].clone();
    let connected = host
        .received("zcc-call-connected", &format!("m.engagementId === {call}"))
        .await;
    assert_eq!(connected["direction"], "outbound");
    host.does(&format!("terminate({call})")).await;
    host.does(&format!("closeWrapup({call})")).await;
    let log = host
        .saw(
            "the outbound call log",
            &format!("s.logs.find(l => l.engagementId === {call})"),
        )
        .await;
    assert_eq!(log["callType"], "outbound");
    assert_eq!(log["to"], "+1 555 0199");
    assert_eq!(log["contactId"], "", "no record to echo for a bare number");
}

/// The widget told its size; a command for an engagement the agent does not hold is refused.
async fn size_told_and_a_foreign_command_refused(host: &HostPage) {
    let size = host.saw("a zcc-resize", "s.size").await;
    assert!(size["w"].as_f64().unwrap() > 0.0 && size["h"].as_f64().unwrap() > 0.0);
    host.does("terminate('00000000-0000-0000-0000-000000000000')")
        .await;
    host.saw(
        "a zcc-error naming the engagement",
        "(s.errors || []).some(e => e.code === 'engagement-not-found' && e.engagementId === '00000000-0000-0000-0000-000000000000')",
    )
    .await;
}

/// An offer the agent declines: the host hears it was not connected, and why.
async fn a_declined_offer_is_not_connected(host: &HostPage, sys: &System) {
    route_ticket(sys, "T-2001").await;
    let ring = host
        .received("zcc-call-ringing", "m.from === '+1 555 0100'")
        .await;
    host.widget.decline_offer().await;
    let missed = host
        .received(
            "zcc-inbound-not-connected",
            &format!("m.engagementId === {}", ring["engagementId"]),
        )
        .await;
    assert_eq!(missed["reasonCode"], "declined");
    // Away, so the declined ticket waits instead of ringing again.
    host.does("setStatus('2', 'Break')").await;
    host.saw("not ready", "s.status === '2'").await;
    nothing_thrown(host).await;
}

/// The host frames the widget as Zoom's own sample does — `/cci/callbar/crm/`, no `?origin=` —
/// and, after a reload mid-call, as older hosts do (`/crm-int/callbar/`): the widget learns
/// the page's origin from the browser (and the allow-list still decides). Zoom's vocabulary:
/// a not-ready reason set by its id, engagement states `active` and `wrapup`. The host's match
/// names the ringing card, and the record it gave survives the reload into the call log.
#[tokio::test]
async fn a_host_without_origin_zooms_words_and_a_reload_mid_call() {
    let sys = system().await;
    let src = format!("{}/cci/callbar/crm/", sys.switchboard.base_url);
    let host = ready_at_host(&sys, "?embed=cci", src).await;

    // Not Ready by a reason's id, as captured Zoom payloads send it.
    host.does("setStatus('21')").await;
    let lunch = host
        .received(
            "zcc-agent-status-notification",
            "m.statusCode === '2' && m.subReason === 'Lunch'",
        )
        .await;
    assert_eq!(lunch["status"], "Not Ready");
    host.does("setStatus('1')").await;
    host.saw("ready again", "s.status === '1'").await;

    let admin = admin(&sys).await;
    let id = a_caller_known_by_number_connects(&host, &admin).await;
    the_host_record_is_kept(&admin, &id).await;

    // The host page reloads mid-call, framing the widget the older way.
    host.reload_with("?embed=v1").await;
    let src = host.frame_src().await;
    assert_eq!(
        src,
        json!(format!("{}/crm-int/callbar/", sys.switchboard.base_url))
    );
    host.saw("occupied after the reload", "s.status === '3'")
        .await;
    host.does(&format!("terminate({})", json!(id))).await;
    host.received(
        "zcc-call-ended",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    let snapshot = host.engagement_status().await;
    assert_eq!(snapshot["wrapup"][0]["state"], "wrapup", "{snapshot}");
    assert_eq!(snapshot["active"], json!([]));
    host.does(&format!("closeWrapup({})", json!(id))).await;
    let log = host
        .saw(
            "the call log after the reload",
            &format!("s.logs.find(l => l.engagementId === {})", json!(id)),
        )
        .await;
    assert_eq!(
        log["contactId"], "C-1003",
        "the record the host gave, after a reload"
    );
    nothing_thrown(&host).await;
    host.close().await;
}

/// A caller known only by number rings; the host answers the lookup with its one match,
/// which the ringing card names; the agent connects. The engagement's id.
async fn a_caller_known_by_number_connects(host: &HostPage, admin: &Api) -> String {
    let entry = admin.get("/v1/entry-points").await.expect(200)[0]["entry_id"].clone();
    let started = admin
        .post(
            "/v1/engagements",
            json!({"channels": [{"channel": "work_item"}], "flow": {"flow_entry_id": entry},
                   "consumers": [{"consumer_phone": "+44 20 7946 0102"}],
                   "work_item_variables": {"work_item_name": "Call back", "work_item_id": "CB-1"}}),
        )
        .await
        .expect(201);
    let id = started["engagement_id"].as_str().unwrap().to_string();
    let ring = host.received("zcc-call-ringing", "true").await;
    assert_eq!(ring["engagementId"], json!(id));
    host.received("zcc-screen-pop", "m.id === 'C-1003'").await;
    host.widget.wait_offer_names("Alan Turing").await;
    host.widget.accept_offer().await;
    host.received("zcc-call-connected", "true").await;
    let snapshot = host.engagement_status().await;
    assert_eq!(snapshot["active"][0]["state"], "active", "{snapshot}");
    id
}

/// The host's record is kept with the engagement: wait until the server has it.
async fn the_host_record_is_kept(admin: &Api, id: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let e = admin
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        if let Some(kept) = e["variables"]["zcc_record"].as_str() {
            let kept: Value = serde_json::from_str(kept).unwrap();
            assert_eq!(
                (&kept["id"], &kept["name"]),
                (&json!("C-1003"), &json!("Alan Turing"))
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the host record was not kept: {e}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
