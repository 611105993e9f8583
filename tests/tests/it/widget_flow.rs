//! The agent's and the integrator's whole flow in a real headless Chromium: the demo CRM embeds
//! the widget, routes tickets through the Start Engagement API, pops records on `ringing`,
//! and logs calls on `closed`; the widget signs in with the CRM's embed token, rings, accepts,
//! takes notes and a disposition, closes, holds two engagements, and survives a backend restart
//! and a host reload.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Feed};
use tests::demo::{system, System, PASSWORD};
use tests::pages::{Crm, Widget};
use tests::process::{start_switchboard, ServerOptions};

async fn admin(sys: &System) -> Api {
    Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await
}

/// The engagement id of the first `engagement.ringing` the desk heard.
async fn ringing_id(crm: &Crm) -> String {
    let ringing = crm.host_got("engagement.ringing", "true").await;
    ringing["engagementId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_ticket_rings_pops_connects_and_closes_into_a_call_log() {
    let mut sys = system().await;
    let crm = Crm::desk(&sys, "").await;
    crm.go_ready().await;
    // Going ready was a click in the widget, so the ring sound is unlocked: no warning.
    assert_eq!(
        crm.widget.sound_warning_hidden().await,
        "true",
        "audio is unlocked before ready"
    );
    a_ticket_from_ring_to_call_log(&crm, &sys).await;
    a_second_route_of_an_active_ticket_is_refused(&crm).await;

    // Two engagements at once in one widget.
    crm.route("T-2003").await;
    for _ in 0..2 {
        crm.widget.accept_offer().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let tabs = crm.widget.engagement_tabs(2).await;
    assert_eq!(tabs, 2);
    crm.browser().screenshot("crm-desk-two-engagements").await;

    the_widget_outlives_a_backend_restart(&crm, &mut sys).await;
    a_reloaded_host_resynchronizes(&crm).await;
    crm.close().await;
}

/// The CRM routes a ticket through the Start Engagement API with its own client: it rings,
/// the host pops it, the agent accepts, notes, disposes and closes, and the CRM logs the call.
async fn a_ticket_from_ring_to_call_log(crm: &Crm, sys: &System) {
    crm.route("T-2001").await;
    let ringing = crm.host_got("engagement.ringing", "true").await;
    let id = ringing["engagementId"]
        .as_str()
        .expect("engagementId")
        .to_string();
    assert!(
        ringing["seq"].as_i64().is_some(),
        "mirrors the event log: {ringing}"
    );
    let work_item = &ringing["data"]["engagement"]["work_item"];
    assert_eq!(work_item["id"], "T-2001");
    assert!(work_item["hyperlink"]
        .as_str()
        .is_some_and(|l| l.ends_with("/tickets/T-2001")));
    // The host popped the ticket.
    crm.wait_popped("T-2001").await;

    // The offer card: title, countdown, accept.
    let card = crm.widget.offer_card().await;
    assert_eq!(card[0], "Invoice 4471 charged twice");
    crm.accept(&id).await;

    // Panel: the work item shows, a note and a disposition go in.
    crm.widget.wait_connected_panel().await;
    crm.widget.add_note("Refunded the duplicate charge").await;
    crm.host_got("engagement.note_added", "true").await;
    crm.widget.choose_disposition(1).await;
    let disposition = crm.host_got("engagement.disposition_added", "true").await;
    let disposition_name = disposition["data"]["disposition"]["name"]
        .as_str()
        .expect("disposition name")
        .to_string();
    crm.widget.close_shown().await;

    // closed carries what the host needs to log the call; the CRM wrote its call log.
    let closed = crm.host_got("engagement.closed", "true").await;
    assert_eq!(closed["engagementId"], json!(id));
    assert!(
        closed["data"]["durationSecs"].as_u64().is_some(),
        "{closed}"
    );
    assert_eq!(
        closed["data"]["notes"],
        json!(["Refunded the duplicate charge"])
    );
    assert_eq!(closed["data"]["disposition"], json!(disposition_name));
    let logged = crm.call_log_row(&id, "").await;
    assert!(
        logged.contains("T-2001") && logged.contains("Refunded the duplicate charge"),
        "{logged}"
    );
    let logs: Value = reqwest::get(sys.demo.url("/api/call-logs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logs[0]["ticket_id"], "T-2001");
    assert_eq!(logs[0]["agent_email"], "ada@demo.test");
    crm.browser().screenshot("crm-desk-after-call-log").await;
}

/// Routing the same ticket twice while active: the second is a 409 the CRM shows clearly.
async fn a_second_route_of_an_active_ticket_is_refused(crm: &Crm) {
    crm.route("T-2002").await;
    crm.route_result("T-2002", 201).await;
    crm.route("T-2002").await;
    let dup = crm.route_result("T-2002", 409).await;
    assert!(dup.contains("already routed"), "{dup}");
}

/// The backend restarts: the widget reconnects by itself and resynchronizes; a note added
/// through the API while it was away shows up.
async fn the_widget_outlives_a_backend_restart(crm: &Crm, sys: &mut System) {
    let port: u16 = sys
        .switchboard
        .base_url
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    sys.switchboard.terminate().await;
    crm.widget.wait_online(false).await;
    sys.switchboard = start_switchboard(
        &sys.db,
        ServerOptions {
            port,
            allowed_origins: vec![sys.demo.origin()],
            extra_args: vec!["--demo".into()],
            ..ServerOptions::default()
        },
    )
    .await;
    crm.widget.wait_online(true).await;
    let ada = Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", PASSWORD)
        .await;
    let held = ada.get("/v1/agents/me/engagements").await.expect(200);
    let first = held[0]["engagement_id"].as_str().unwrap().to_string();
    ada.post(
        &format!("/v1/engagements/{first}/notes"),
        json!({"body": "added after the restart"}),
    )
    .await
    .expect(201);
    crm.host_got(
        "engagement.note_added",
        "m.data.note.body === 'added after the restart'",
    )
    .await;
}

/// A reloaded host page resynchronizes with snapshot.request.
async fn a_reloaded_host_resynchronizes(crm: &Crm) {
    crm.browser().client.refresh().await.unwrap();
    crm.host_got("widget.ready", "true").await;
    let reply = crm.signed_in_snapshot().await;
    let engagements = reply["data"]["result"]["engagements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(engagements.len(), 2, "{reply}");
    assert_eq!(reply["data"]["result"]["agent"]["email"], "ada@demo.test");
}

#[tokio::test]
async fn declined_and_timed_out_offers_go_to_another_agent() {
    let sys = system().await;
    let admin = admin(&sys).await;
    // Short rings for the test.
    let queues = admin.get("/v1/queues").await.expect(200);
    let mut tickets = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["channel"] == "work_item")
        .cloned()
        .unwrap();
    tickets["ring_timeout_secs"] = json!(3);
    let qid = tickets["queue_id"].as_str().unwrap().to_string();
    admin
        .put(&format!("/v1/queues/{qid}"), tickets)
        .await
        .expect(200);

    let crm = Crm::desk(&sys, "").await;
    crm.go_ready().await;
    let grace = Api::new(&sys.switchboard.base_url)
        .login("grace@demo.test", PASSWORD)
        .await;
    let mut grace_feed = Feed::connect(&grace, None).await;

    // Declined by Ada → offered to Grace.
    crm.route("T-2001").await;
    let declined = ringing_id(&crm).await;
    grace.set_ready().await;
    crm.widget.decline_offer().await;
    let offer = grace_feed
        .wait_for("engagement.offered", Duration::from_secs(10))
        .await;
    assert_eq!(offer["engagement_id"], json!(declined));
    crm.widget.wait_no_offer().await;
    grace
        .post(&format!("/v1/engagements/{declined}/accept"), json!({}))
        .await
        .expect(200);

    // Nobody answers in 3 s → offered to the other agent.
    crm.route("T-2002").await;
    let routed = crm.route_result("T-2002", 201).await;
    let id = routed.split("engagement ").nth(1).unwrap().to_string();
    a_ring_nobody_answers_moves_on(&admin, &id).await;
    crm.close().await;
}

/// Engagement `id` is offered to one agent, then, unanswered, to another; the event log says
/// the offer timed out.
async fn a_ring_nobody_answers_moves_on(admin: &Api, id: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let first = loop {
        let e = admin
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        if e["state"] == "offered" {
            break e["agent_ids"][0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "never offered: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let e = admin
            .get(&format!("/v1/engagements/{id}"))
            .await
            .expect(200);
        if e["state"] == "offered" && e["agent_ids"][0] != first {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not re-offered: {e}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = admin.get("/v1/events?after=0&limit=1000").await.expect(200);
    assert!(events["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "engagement.offer_timed_out" && e["engagement_id"] == json!(id)));
}

/// Close the connected call shown in the widget; the host's `zcc-phone-call-log` for `call`.
async fn close_and_await_call_log(crm: &Crm, call: &Value) -> Value {
    crm.widget.close_connected().await;
    crm.host_got(
        "zcc-phone-call-log",
        &format!("m.data.engagementId === {call}"),
    )
    .await
}

/// `m:ss`, as Smart Embed hosts read `callDuration`.
fn regex_like_m_ss(s: &str) -> bool {
    let Some((m, ss)) = s.split_once(':') else {
        return false;
    };
    !m.is_empty()
        && m.bytes().all(|b| b.is_ascii_digit())
        && ss.len() == 2
        && ss.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn the_zoom_dialect_pops_by_phone_dials_out_and_logs_the_call() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "?protocol=zcc").await;
    // zcc has no token message: the agent signs in inside the widget.
    crm.widget.sign_in_ready("ada@demo.test", PASSWORD).await;
    // Status as Smart Embed hosts read it: `statusCode` "1" is ready.
    crm.host_got(
        "zcc-agent-status-notification",
        "m.data.status === 'Ready' && m.data.statusCode === '1'",
    )
    .await;
    an_inbound_ticket_pops_by_phone(&crm).await;
    let call = an_outbound_call_from_a_contact(&crm).await;
    a_contact_found_in_the_dialer(&crm).await;
    a_bare_number_from_the_host(&crm).await;
    crm.call_log_row(&call, "C-1001").await;
    crm.close().await;
}

/// Inbound: ringing → incomingPhone lookup → the host answers → the widget pops the match;
/// connected, closed, logged.
async fn an_inbound_ticket_pops_by_phone(crm: &Crm) {
    crm.route("T-2003").await;
    let ring = crm.host_got("zcc-call-ringing", "true").await;
    assert_eq!(ring["data"]["channel"], "work_item");
    assert_eq!(ring["data"]["direction"], "inbound");
    assert!(ring["data"]["createTs"].as_i64().is_some(), "{ring}");
    let ask = crm.host_got("zcc-incomingPhone-request", "true").await;
    assert_eq!(ask["data"]["incomingPhoneNumber"], "+44 20 7946 0102");
    crm.host_got("zcc-screen-pop", "m.data.id === 'C-1003'")
        .await;
    crm.wait_popped("C-1003").await;
    crm.widget.accept_offer().await;
    crm.host_got("zcc-call-connected", "true").await;
    crm.widget.close_shown().await;
    let log = crm
        .host_got(
            "zcc-phone-call-log",
            "m.data.objectRecord.callType === 'inbound'",
        )
        .await;
    assert_eq!(log["data"]["objectRecord"]["type"], "work_item");
    let post = crm.host_got("zcc-end-post-engagement", "true").await;
    assert_eq!(post["data"]["engagementId"], log["data"]["engagementId"]);
    assert!(post["data"]["dispositionCode"].is_string(), "{post}");
}

/// Outbound: onclicktoact from a contact → connected call → call log echoes the record. The
/// call's engagement id.
async fn an_outbound_call_from_a_contact(crm: &Crm) -> String {
    crm.call_contact("C-1001").await;
    let connected = crm
        .host_got("zcc-call-connected", "m.data.to === '+1 555 0100'")
        .await;
    let call = connected["data"]["engagementId"]
        .as_str()
        .unwrap()
        .to_string();
    crm.widget.wait_connected_panel().await;
    crm.widget.add_note("Called back").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = close_and_await_call_log(crm, &json!(call)).await;
    assert_eq!(log["data"]["objectRecord"]["callType"], "outbound");
    assert_eq!(log["data"]["objectRecord"]["type"], "phone");
    let duration = log["data"]["objectRecord"]["callDuration"]
        .as_str()
        .unwrap();
    assert!(
        regex_like_m_ss(duration),
        "callDuration is \"m:ss\": {duration}"
    );
    assert_eq!(log["data"]["objectRecord"]["notes"], "Called back");
    assert_eq!(log["data"]["user"]["id"], "C-1001");
    assert_eq!(log["data"]["user"]["entity"], "contact");
    call
}

/// Contact search in the widget's dialer: the host answers with its matches, and calling one
/// logs the call against that contact.
async fn a_contact_found_in_the_dialer(crm: &Crm) {
    crm.widget.dial("katherine").await;
    let search = crm.host_got("zcc-contact-search-event", "true").await;
    assert_eq!(search["data"]["query"], "katherine");
    let found = crm.widget.contact_found().await;
    assert_eq!(found, "Katherine Johnson · +1 555 0101");
    crm.widget.click("[data-test=contact]").await;
    let connected = crm
        .host_got("zcc-call-connected", "m.data.to === '+1 555 0101'")
        .await;
    let searched_call = connected["data"]["engagementId"].clone();
    let log = close_and_await_call_log(crm, &searched_call).await;
    assert_eq!(log["data"]["user"]["id"], "C-1002");
}

/// A bare number from the host (`onclicktoact {phone}`, as most hosts dial), then the host
/// asks for the call's variables.
async fn a_bare_number_from_the_host(crm: &Crm) {
    crm.send_when_ready(
        "the host to dial a bare number",
        "onclicktoact",
        json!({"phone": "+1 555 0199"}),
    )
    .await;
    let bare = crm
        .host_got("zcc-call-connected", "m.data.to === '+1 555 0199'")
        .await;
    assert_eq!(bare["data"]["direction"], "outbound");
    let bare_call = bare["data"]["engagementId"].clone();
    crm.send_when_ready(
        "the host to ask for the call's variables",
        "zcc-get-variables",
        json!({ "engagementId": bare_call }),
    )
    .await;
    let vars = crm
        .host_got(
            "zcc-get-variables-response",
            &format!("m.data.engagementId === {bare_call}"),
        )
        .await;
    assert!(vars["data"]["variables"].is_array(), "{vars}");
    for v in vars["data"]["variables"].as_array().unwrap() {
        assert!(
            v["globalVariableDisplayName"].is_string() && v["value"].is_string(),
            "{v}"
        );
    }
    let log = close_and_await_call_log(crm, &bare_call).await;
    // No record to echo: `user` still comes (hosts read user.id), with the number dialed.
    assert_eq!(log["data"]["user"]["id"], "", "{log}");
    assert_eq!(log["data"]["user"]["phone"], "+1 555 0199", "{log}");
}

#[tokio::test]
async fn an_agent_transfers_a_ticket_to_a_ready_colleague_from_the_widget() {
    let sys = system().await;
    // The demo queues open records in this run's CRM (`--demo-crm-url`), wherever it listens.
    let queues = admin(&sys).await.get("/v1/queues").await.expect(200);
    let tickets = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "CRM tickets")
        .expect("the demo's ticket queue");
    assert_eq!(
        tickets["launch_url_template"],
        format!("{}/tickets/{{work_item_id}}", sys.demo.base_url)
    );
    let crm = Crm::desk(&sys, "").await;
    crm.go_ready().await;
    crm.route("T-2001").await;
    let id = ringing_id(&crm).await;
    crm.accept(&id).await;

    let grace = Api::new(&sys.switchboard.base_url)
        .login("grace@demo.test", PASSWORD)
        .await;
    let grace_id = grace.get("/v1/agents/me").await.expect(200)["agent_id"].clone();
    let mut grace_feed = Feed::connect(&grace, None).await;
    grace.set_ready().await;
    transfer_to_grace(&crm.widget, grace_id.as_str().unwrap()).await;

    // The host hears it left Ada; it rings for Grace.
    crm.host_got(
        "engagement.transferred",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
    let offer = grace_feed
        .wait_for("engagement.offered", Duration::from_secs(10))
        .await;
    assert_eq!(offer["engagement_id"], json!(id));
    let e = grace
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(e["agent_ids"], json!([grace_id]), "{e}");
    crm.close().await;
}

/// Opening the transfer list fetches the directory: Grace, with her status, and not Ada
/// herself; the shown engagement goes to Grace.
async fn transfer_to_grace(widget: &Widget, grace_id: &str) {
    let select = "[data-test=panel]:not([hidden]) [data-test=transfer-select]";
    widget.click(select).await;
    let label = widget
        .text_of(
            "Grace in the transfer list",
            &format!("{select} option[value=\"a:{grace_id}\"]"),
        )
        .await;
    assert_eq!(label, "Agent: Grace Hopper (ready)");
    let ada_listed = widget.transfer_list_names(select, "Ada Lovelace").await;
    assert_eq!(ada_listed, "no", "an agent cannot transfer to herself");
    widget.select(select, &format!("a:{grace_id}")).await;
    widget
        .click("[data-test=panel]:not([hidden]) [data-test=transfer]")
        .await;
}

#[tokio::test]
async fn the_agent_dials_a_number_from_the_widget() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "").await;
    crm.widget.choose_ready().await;

    // Not a number, and this host has no contact search: the agent is told what to type.
    crm.widget.dial("Grace").await;
    let notice = crm.widget.notice_containing("phone number").await;
    assert!(notice.as_str().unwrap().contains("digits"), "{notice}");

    crm.widget.dial("+1 555 0199").await;
    let connected = crm
        .host_got(
            "engagement.connected",
            "m.data.engagement.direction === 'outbound'",
        )
        .await;
    assert_eq!(connected["data"]["engagement"]["channel"], "voice");
    assert_eq!(
        connected["data"]["engagement"]["consumer"]["phone"],
        "+1 555 0199"
    );
    crm.widget.wait_connected_panel().await;
    // Nothing is wider than the widget's frame (no sideways scrolling), dialer open.
    let overflow = crm.widget.widths().await;
    assert!(
        overflow["scroll"].as_i64() <= overflow["w"].as_i64(),
        "the widget scrolls sideways: {overflow}"
    );
    crm.browser().screenshot("crm-desk-outbound-call").await;
    crm.close().await;
}

#[tokio::test]
async fn untrusted_work_item_text_renders_as_text() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "").await;
    crm.go_ready().await;
    let admin = admin(&sys).await;
    let hostile = "<img src=x onerror=alert(1)>";
    admin
        .post(
            "/v1/engagements",
            json!({
                "channels": [{"channel": "work_item"}],
                "flow": {"flow_entry_id": "crm-tickets"},
                "work_item_variables": {"work_item_name": hostile, "work_item_id": "XSS-1",
                    "work_item_desc": "<script>alert(2)</script>"},
                "variables": [{"name": "note", "value": "<b>bold?</b>"}]
            }),
        )
        .await
        .expect(201);
    let title = crm.widget.offer_title().await;
    assert_eq!(title, hostile);
    crm.widget.accept_offer().await;
    let check = crm.widget.connected_panel_dom().await;
    assert_eq!(check["imgs"], 0, "{check}");
    assert_eq!(check["scripts"], 0, "{check}");
    assert_eq!(check["title"], hostile);
    let text = check["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("<script>alert(2)</script>") && text.contains("<b>bold?</b>"),
        "{text}"
    );
    crm.close().await;
}

/// axe inside the widget.
async fn no_axe_findings(widget: &Widget, view: &str) {
    let findings = widget.axe().await;
    assert!(findings.is_empty(), "axe in the {view} view: {findings:#?}");
}

/// Wait until the server's log holds a CSP violation report (true) or `wait` passes (false).
async fn csp_violation_logged(sys: &System, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    loop {
        if sys
            .switchboard
            .log()
            .contains("content security policy violation")
        {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The widget works under its strict Content-Security-Policy (no violation report reaches the
/// server in any view, while a deliberate inline script is reported), axe-core finds nothing
/// serious or critical in the sign-in, idle, ringing and connected views, and a throttled
/// sign-in shows the person how long to wait.
#[tokio::test]
async fn the_widget_runs_under_a_strict_csp_passes_axe_and_shows_the_sign_in_wait() {
    let sys = system().await;
    let anon = Api::new(&sys.switchboard.base_url);
    for _ in 0..10 {
        anon.post(
            "/v1/auth/login",
            json!({"email": "grace@demo.test", "password": "a-wrong-guess"}),
        )
        .await
        .expect(401);
    }
    let widget = a_throttled_sign_in_says_how_long(&sys).await;

    let crm = Crm::desk_in(widget.browser, &sys, "").await;
    crm.widget.wait_signed_in().await;
    no_axe_findings(&crm.widget, "idle").await;
    crm.go_ready().await;
    crm.route("T-2002").await;
    let id = ringing_id(&crm).await;
    crm.widget.wait_offer().await;
    no_axe_findings(&crm.widget, "ringing").await;
    crm.accept(&id).await;
    no_axe_findings(&crm.widget, "connected").await;

    assert!(
        !csp_violation_logged(&sys, Duration::from_secs(2)).await,
        "the widget broke its own Content-Security-Policy:\n{}",
        sys.switchboard.log()
    );
    // The check can fail: an inline script in the widget's frame is refused and reported.
    let ran = crm.widget.inline_script_runs().await;
    assert_eq!(ran, false, "the CSP refuses inline script");
    assert!(
        csp_violation_logged(&sys, Duration::from_secs(10)).await,
        "the refused inline script was reported to /v1/csp-reports"
    );
    crm.close().await;
}

/// The standalone widget at 360×640: axe finds nothing in the sign-in view, and a throttled
/// sign-in tells the person how long to wait. The widget, for the next step.
async fn a_throttled_sign_in_says_how_long(sys: &System) -> Widget {
    let widget = Widget::opened_sized(&sys.switchboard.base_url, 360, 640).await;
    widget.wait_sign_in_form().await;
    no_axe_findings(&widget, "sign-in").await;
    widget
        .browser
        .sign_in_here("grace@demo.test", PASSWORD)
        .await;
    let notice = widget.notice_containing("").await;
    let notice = notice.as_str().unwrap();
    assert!(notice.contains("try again in 5 minutes"), "{notice}");
    widget.browser.screenshot("widget-sign-in-paused").await;
    widget
}
