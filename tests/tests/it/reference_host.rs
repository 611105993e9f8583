//! The zcc dialect driven by a host page written the way public Zoom Smart Embed hosts are
//! (`embed-demo/static/smart-embed.js`: strict `{type, data}`, posting early with `"*"`,
//! reading exactly the fields such hosts read and throwing on anything else), in a real
//! headless Chromium. Only the widget's base address (`/zcc/`) and trusted origin are ours.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::Api;
use tests::browser::Browser;
use tests::demo::{route_ticket, system, System, PASSWORD};

/// Wait until `predicate` (a JS expression over `s`, the page's `window.hostState`) holds and
/// return its value.
async fn host_saw(browser: &Browser, what: &str, predicate: &str) -> Value {
    let script = format!(
        "const s = window.hostState; if (!s) return null; const v = (() => {predicate})(); return (v === undefined || v === null || v === false) ? null : v;"
    );
    browser
        .wait_for(what, Duration::from_secs(25), &script)
        .await
}

/// Call `window.host.<call>` on the page.
async fn host_does(browser: &Browser, call: &str) -> Value {
    browser
        .client
        .execute(&format!("return window.host.{call};"), vec![])
        .await
        .unwrap_or_else(|e| panic!("host.{call}: {e}"))
}

/// The first received message of `kind` for which `filter` (over `m`, its data) holds.
async fn received(browser: &Browser, kind: &str, filter: &str) -> Value {
    host_saw(
        browser,
        &format!("{kind} at the reference host"),
        &format!(
            "s.received.find(x => x.type === {} && ((m) => {filter})(x.data))",
            json!(kind)
        ),
    )
    .await["data"]
        .clone()
}

/// The page threw on nothing it was sent.
async fn nothing_thrown(browser: &Browser) {
    let thrown = browser
        .client
        .execute("return window.hostState.thrown;", vec![])
        .await
        .unwrap();
    assert_eq!(thrown, json!([]), "the reference host threw");
}

/// Ask for `zcc-engagement-status-response` as the host does and return it.
async fn engagement_status(browser: &Browser) -> Value {
    let request = host_does(browser, "snapshot()").await;
    host_saw(
        browser,
        "the engagement status response",
        &format!("s.snapshot && s.snapshot.requestId === {request} && s.snapshot"),
    )
    .await
}

/// Open the host page with `query`, check the frame address it built (`src`), and sign Ada in
/// inside the widget, ready, as the host sees it.
async fn ready_at_host(browser: &Browser, sys: &System, query: &str, src: String) {
    open_host(browser, sys, query).await;
    assert_eq!(frame_src(browser).await, json!(src));
    // Before sign-in the widget asks for the init config (the host had answered unasked).
    received(browser, "zcc-init-config-request", "true").await;
    // As with Zoom's, the agent signs in inside the widget; choosing Ready is the gesture that
    // unlocks the ring sound. The host reads statusCode.
    browser
        .ready_in_embedded_widget("ada@demo.test", PASSWORD)
        .await;
    host_saw(browser, "status 1 (ready)", "s.status === '1'").await;
}

/// The host's frame address, as the host built it.
async fn frame_src(browser: &Browser) -> Value {
    browser
        .client
        .execute(
            "return document.getElementById('zcc-frame').getAttribute('src');",
            vec![],
        )
        .await
        .unwrap()
}

async fn open_host(browser: &Browser, sys: &System, query: &str) {
    browser
        .client
        .goto(&format!("{}/smart-embed{query}", sys.demo.base_url))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_host_written_for_zoom_smart_embed_works_with_only_a_new_address() {
    let sys = system().await;
    let mut browser = Browser::start().await;
    browser.widget_frame = "#zcc-frame";
    // The frame's address is the host's own `${BASE}?origin=${origin}`.
    let src = format!(
        "{}/zcc/?origin={}",
        sys.switchboard.base_url, sys.demo.base_url
    );
    ready_at_host(&browser, &sys, "", src).await;

    // Status set from the host: not ready with a reason, back to ready; occupied cannot be set.
    host_does(&browser, "setStatus('2', 'Lunch')").await;
    let lunch = received(
        &browser,
        "zcc-agent-status-notification",
        "m.statusCode === '2'",
    )
    .await;
    assert_eq!(lunch["subReason"], "Lunch");
    host_does(&browser, "setStatus('1')").await;
    host_saw(&browser, "ready again", "s.status === '1'").await;
    host_does(&browser, "setStatus('3')").await;
    host_saw(
        &browser,
        "a zcc-error for setting occupied",
        "(s.errors || []).some(e => e.code === 'invalid-status')",
    )
    .await;

    // The entry point the CRM routes through has a number: hosts get it as `to`.
    let admin = Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
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
    route_ticket(&sys, "T-2003").await;
    let ring = received(&browser, "zcc-call-ringing", "true").await;
    assert_eq!(ring["from"], "+44 20 7946 0102");
    assert_eq!(ring["to"], "+1 555 0000", "the number the customer reached");
    let id = ring["engagementId"].as_str().unwrap().to_string();
    host_saw(&browser, "the caller popped", "s.popped === 'C-1003'").await;
    // The host also answered the lookup with its one match: the widget pops it (object form).
    received(&browser, "zcc-screen-pop", "m.id === 'C-1003'").await;
    browser
        .click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    let connected = received(&browser, "zcc-call-connected", "true").await;
    assert_eq!(connected["direction"], "inbound");
    assert_eq!(connected["engagementId"], json!(id));
    host_saw(&browser, "status 3 (occupied)", "s.status === '3'").await;

    let snapshot = engagement_status(&browser).await;
    let entry = &snapshot["active"][0];
    assert_eq!(entry["engagementId"], json!(id));
    assert_eq!(
        entry["state"], "active",
        "Zoom's word for a live engagement"
    );
    assert_eq!(entry["engagementDirection"], "inbound");
    assert_eq!(entry["customerNumber"], "+44 20 7946 0102");
    assert_eq!(snapshot["wrapup"], json!([]));
    host_does(&browser, &format!("variables({})", json!(id))).await;
    let variables = host_saw(&browser, "the variables", "s.variables").await;
    assert!(variables.as_array().is_some(), "{variables}");

    // A note in the widget; disposition, end and close of wrap-up from the host.
    browser
        .type_in_widget(
            "[data-test=panel]:not([hidden]) [data-test=note-input]",
            "Quote sent for 250 seats",
        )
        .await;
    browser
        .click_in_widget("[data-test=panel]:not([hidden]) [data-test=add-note]")
        .await;
    browser
        .in_widget(
            "the note in the panel",
            "return document.querySelector('[data-test=panel]:not([hidden]) [data-test=notes] li') ? true : null;",
        )
        .await;
    host_does(
        &browser,
        &format!("setDisposition({}, 'RESOLVED')", json!(id)),
    )
    .await;
    browser
        .in_widget(
            "the disposition chosen",
            "return [...document.querySelectorAll('[data-test=panel]:not([hidden]) .facts dd')].some(d => d.textContent.includes('Resolved')) || null;",
        )
        .await;
    host_does(&browser, &format!("terminate({})", json!(id))).await;
    received(
        &browser,
        "zcc-call-ended",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    host_does(&browser, &format!("closeWrapup({})", json!(id))).await;
    let log = host_saw(
        &browser,
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
    let post = received(
        &browser,
        "zcc-end-post-engagement",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    assert_eq!(post["dispositionCode"], "RESOLVED");
    host_saw(&browser, "ready after the call", "s.status === '1'").await;

    // The call's recording arrives later (uploaded by the telephony connector): the host hears
    // where to fetch it.
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
    let heard = host_saw(
        &browser,
        "the recording at the host",
        &format!("s.engagements[{}].recordingUrl", json!(id)),
    )
    .await;
    assert_eq!(heard, recording["download_url"]);

    // Click-to-dial with a bare number, as most hosts dial; ended and closed from the host.
    host_does(&browser, "dial('+1 555 0199')").await;
    let started = received(
        &browser,
        "zcc-outbound-call-started",
        "m.to === '+1 555 0199'",
    )
    .await;
    let call = started["engagementId"].clone();
    let connected = received(
        &browser,
        "zcc-call-connected",
        &format!("m.engagementId === {call}"),
    )
    .await;
    assert_eq!(connected["direction"], "outbound");
    host_does(&browser, &format!("terminate({call})")).await;
    host_does(&browser, &format!("closeWrapup({call})")).await;
    let log = host_saw(
        &browser,
        "the outbound call log",
        &format!("s.logs.find(l => l.engagementId === {call})"),
    )
    .await;
    assert_eq!(log["callType"], "outbound");
    assert_eq!(log["to"], "+1 555 0199");
    assert_eq!(log["contactId"], "", "no record to echo for a bare number");

    // The widget told its size; a command for an engagement the agent does not hold is refused.
    let size = host_saw(&browser, "a zcc-resize", "s.size").await;
    assert!(size["w"].as_f64().unwrap() > 0.0 && size["h"].as_f64().unwrap() > 0.0);
    host_does(
        &browser,
        "terminate('00000000-0000-0000-0000-000000000000')",
    )
    .await;
    host_saw(
        &browser,
        "a zcc-error naming the engagement",
        "(s.errors || []).some(e => e.code === 'engagement-not-found' && e.engagementId === '00000000-0000-0000-0000-000000000000')",
    )
    .await;

    // An offer the agent declines: the host hears it was not connected, and why.
    route_ticket(&sys, "T-2001").await;
    let ring = received(&browser, "zcc-call-ringing", "m.from === '+1 555 0100'").await;
    browser
        .click_in_widget("[data-test=offer] [data-test=decline]")
        .await;
    let missed = received(
        &browser,
        "zcc-inbound-not-connected",
        &format!("m.engagementId === {}", ring["engagementId"]),
    )
    .await;
    assert_eq!(missed["reasonCode"], "declined");
    // Away, so the declined ticket waits instead of ringing again.
    host_does(&browser, "setStatus('2', 'Break')").await;
    host_saw(&browser, "not ready", "s.status === '2'").await;
    nothing_thrown(&browser).await;

    // Messages posted before the widget has started are kept and handled: the host reloads
    // with a dial request it posts as soon as the frame loads; the widget restores the
    // agent's session and dials.
    open_host(&browser, &sys, "?dial=%2B1%20555%200142").await;
    received(
        &browser,
        "zcc-outbound-call-started",
        "m.to === '+1 555 0142'",
    )
    .await;
    nothing_thrown(&browser).await;
    browser.close().await;
}

/// The host frames the widget as Zoom's own sample does — `/cci/callbar/crm/`, no `?origin=` —
/// and, after a reload mid-call, as older hosts do (`/crm-int/callbar/`): the widget learns
/// the page's origin from the browser (and the allow-list still decides). Zoom's vocabulary:
/// a not-ready reason set by its id, engagement states `active` and `wrapup`. The host's match
/// names the ringing card, and the record it gave survives the reload into the call log.
#[tokio::test]
async fn a_host_without_origin_zooms_words_and_a_reload_mid_call() {
    let sys = system().await;
    let mut browser = Browser::start().await;
    browser.widget_frame = "#zcc-frame";
    let src = format!("{}/cci/callbar/crm/", sys.switchboard.base_url);
    ready_at_host(&browser, &sys, "?embed=cci", src).await;

    // Not Ready by a reason's id, as captured Zoom payloads send it.
    host_does(&browser, "setStatus('21')").await;
    let lunch = received(
        &browser,
        "zcc-agent-status-notification",
        "m.statusCode === '2' && m.subReason === 'Lunch'",
    )
    .await;
    assert_eq!(lunch["status"], "Not Ready");
    host_does(&browser, "setStatus('1')").await;
    host_saw(&browser, "ready again", "s.status === '1'").await;

    // A caller known only by number rings; the host answers the lookup with its one match,
    // which the ringing card names.
    let admin = Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
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
    let ring = received(&browser, "zcc-call-ringing", "true").await;
    assert_eq!(ring["engagementId"], json!(id));
    received(&browser, "zcc-screen-pop", "m.id === 'C-1003'").await;
    browser
        .in_widget(
            "the host's match on the ringing card",
            "const m = document.querySelector('[data-test=offer] [data-test=offer-who]'); return m && m.textContent.includes('Alan Turing') ? true : null;",
        )
        .await;
    browser
        .click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    received(&browser, "zcc-call-connected", "true").await;
    let snapshot = engagement_status(&browser).await;
    assert_eq!(snapshot["active"][0]["state"], "active", "{snapshot}");

    // The host's record is kept with the engagement: wait until the server has it, then the
    // host page reloads mid-call, framing the widget the older way.
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
    open_host(&browser, &sys, "?embed=v1").await;
    let src = frame_src(&browser).await;
    assert_eq!(
        src,
        json!(format!("{}/crm-int/callbar/", sys.switchboard.base_url))
    );
    host_saw(&browser, "occupied after the reload", "s.status === '3'").await;
    host_does(&browser, &format!("terminate({})", json!(id))).await;
    received(
        &browser,
        "zcc-call-ended",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    let snapshot = engagement_status(&browser).await;
    assert_eq!(snapshot["wrapup"][0]["state"], "wrapup", "{snapshot}");
    assert_eq!(snapshot["active"], json!([]));
    host_does(&browser, &format!("closeWrapup({})", json!(id))).await;
    let log = host_saw(
        &browser,
        "the call log after the reload",
        &format!("s.logs.find(l => l.engagementId === {})", json!(id)),
    )
    .await;
    assert_eq!(
        log["contactId"], "C-1003",
        "the record the host gave, after a reload"
    );
    nothing_thrown(&browser).await;
    browser.close().await;
}
