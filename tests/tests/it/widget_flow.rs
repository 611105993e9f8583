//! The agent's and the integrator's whole flow in a real headless Chromium: the demo CRM embeds
//! the widget, routes tickets through the Start Engagement API, pops records on `ringing`,
//! and logs calls on `closed`; the widget signs in with the CRM's embed token, rings, accepts,
//! takes notes and a disposition, closes, holds two engagements, and survives a backend restart
//! and a host reload.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Feed};
use tests::browser::Browser;
use tests::demo::{open_desk, system, System, PASSWORD};
use tests::process::{start_switchboard, ServerOptions};

/// Wait until the host page received a message of `kind` matching `filter` (a JS expression
/// over `m`, the message's data), and return that data.
async fn host_got(browser: &Browser, kind: &str, filter: &str) -> Value {
    let script = format!(
        "const hit = (window.switchboardMessages || []).find(x => x.accepted && x.data && x.data.type === {} && ((m) => {filter})(x.data)); return hit ? hit.data : null;",
        json!(kind)
    );
    browser
        .wait_for(
            &format!("{kind} at the host page"),
            Duration::from_secs(25),
            &script,
        )
        .await
}

/// Accept the ringing offer in the widget; the host hears `engagement.connected` for `id`.
async fn accept(browser: &Browser, id: &str) {
    browser
        .click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    host_got(
        browser,
        "engagement.connected",
        &format!("m.engagementId === {}", json!(id)),
    )
    .await;
}

/// Ada goes ready; the host hears it in the native dialect.
async fn go_ready(browser: &Browser) {
    browser.select_ready().await;
    host_got(
        browser,
        "agent.status_changed",
        "m.data.status.status === 'ready'",
    )
    .await;
}

async fn route(browser: &Browser, ticket: &str) {
    browser
        .click(&format!("tr[data-ticket=\"{ticket}\"] [data-test=route]"))
        .await;
}

async fn admin(sys: &System) -> Api {
    Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await
}

#[tokio::test]
async fn a_ticket_rings_pops_connects_and_closes_into_a_call_log() {
    let mut sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    go_ready(&browser).await;
    // Going ready was a click in the widget, so the ring sound is unlocked: no warning.
    let warning_hidden = browser
        .in_widget(
            "the status row",
            "const w = document.querySelector('[data-test=sound-warning]'); return w ? String(w.hidden) : null;",
        )
        .await;
    assert_eq!(warning_hidden, "true", "audio is unlocked before ready");

    // The CRM routes a ticket through the Start Engagement API with its own client.
    route(&browser, "T-2001").await;
    let ringing = host_got(&browser, "engagement.ringing", "true").await;
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
    browser
        .wait_for(
            "the CRM to pop T-2001",
            Duration::from_secs(10),
            "return document.getElementById('current').dataset.recordId === 'T-2001' || null;",
        )
        .await;

    // The offer card: title, countdown, accept.
    let card = browser
        .in_widget(
            "the offer card",
            "const t = document.querySelector('[data-test=offer-title]'); const c = document.querySelector('[data-test=countdown]');
             return t && c && c.textContent.endsWith(' s') ? [t.textContent, c.textContent] : null;",
        )
        .await;
    assert_eq!(card[0], "Invoice 4471 charged twice");
    accept(&browser, &id).await;

    // Panel: the work item shows, a note and a disposition go in.
    browser
        .in_widget(
            "the connected panel",
            "return document.querySelector('[data-test=panel]:not([hidden])[data-state=connected]') ? true : null;",
        )
        .await;
    browser
        .type_in_widget("[data-test=note-input]", "Refunded the duplicate charge")
        .await;
    browser.click_in_widget("[data-test=add-note]").await;
    host_got(&browser, "engagement.note_added", "true").await;
    browser.enter_widget().await;
    browser
        .client
        .find(fantoccini::Locator::Css("[data-test=disposition-select]"))
        .await
        .unwrap()
        .select_by_index(1)
        .await
        .unwrap();
    browser.leave_widget().await;
    let disposition = host_got(&browser, "engagement.disposition_added", "true").await;
    let disposition_name = disposition["data"]["disposition"]["name"]
        .as_str()
        .expect("disposition name")
        .to_string();
    browser
        .click_in_widget("[data-test=panel]:not([hidden]) [data-test=close]")
        .await;

    // closed carries what the host needs to log the call; the CRM wrote its call log.
    let closed = host_got(&browser, "engagement.closed", "true").await;
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
    let logged = browser
        .wait_for(
            "the call-log row",
            Duration::from_secs(10),
            &format!(
                "const r = document.querySelector('#call-logs tr[data-engagement={}]'); return r ? r.innerText : null;",
                json!(id)
            ),
        )
        .await;
    let logged = logged.as_str().unwrap_or_default();
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
    browser.screenshot("crm-desk-after-call-log").await;

    // Routing the same ticket twice while active: the second is a 409 the CRM shows clearly.
    route(&browser, "T-2002").await;
    browser
        .wait_for(
            "the first route",
            Duration::from_secs(10),
            "const r = document.getElementById('route-result'); return r.dataset.status === '201' && r.textContent.startsWith('T-2002') || null;",
        )
        .await;
    route(&browser, "T-2002").await;
    let dup = browser
        .wait_for(
            "the duplicate answer",
            Duration::from_secs(10),
            "const r = document.getElementById('route-result'); return r.dataset.status === '409' ? r.textContent : null;",
        )
        .await;
    assert!(
        dup.as_str().unwrap_or("").contains("already routed"),
        "{dup}"
    );

    // Two engagements at once in one widget.
    route(&browser, "T-2003").await;
    for _ in 0..2 {
        browser
            .click_in_widget("[data-test=offer] [data-test=accept]")
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let tabs = browser
        .in_widget(
            "two engagement tabs",
            "const t = document.querySelectorAll('.tabs[aria-label=Engagements] [data-test=tab]'); return t.length === 2 ? t.length : null;",
        )
        .await;
    assert_eq!(tabs, 2);
    browser.screenshot("crm-desk-two-engagements").await;

    // The backend restarts: the widget reconnects by itself and resynchronizes.
    let port: u16 = sys
        .switchboard
        .base_url
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    sys.switchboard.terminate().await;
    browser
        .in_widget(
            "the widget to notice the outage",
            "const d = document.querySelector('.dot'); return d && !d.classList.contains('online') ? true : null;",
        )
        .await;
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
    browser
        .in_widget(
            "the widget to reconnect",
            "const d = document.querySelector('.dot'); return d && d.classList.contains('online') ? true : null;",
        )
        .await;
    // Changes made while it was away arrive: a note added through the API shows up.
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
    host_got(
        &browser,
        "engagement.note_added",
        "m.data.note.body === 'added after the restart'",
    )
    .await;

    // A reloaded host page resynchronizes with snapshot.request.
    browser.client.refresh().await.unwrap();
    host_got(&browser, "widget.ready", "true").await;
    browser
        .wait_for(
            "the widget signed in again",
            Duration::from_secs(20),
            "window.sendToWidget('snapshot.request', {}, {requestId: 'resync-' + (window.__n = (window.__n || 0) + 1)}); \
             const r = (window.switchboardMessages || []).filter(m => m.data && m.data.type === 'reply' && String(m.data.requestId).startsWith('resync-')); \
             return r.some(m => m.data.data.result && m.data.data.result.authenticated) ? true : null;",
        )
        .await;
    let reply = browser
        .client
        .execute(
            "return (window.switchboardMessages || []).filter(m => m.data && m.data.type === 'reply' && m.data.data.result && m.data.data.result.authenticated).pop().data;",
            vec![],
        )
        .await
        .unwrap();
    let engagements = reply["data"]["result"]["engagements"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(engagements.len(), 2, "{reply}");
    assert_eq!(reply["data"]["result"]["agent"]["email"], "ada@demo.test");
    browser.close().await;
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

    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    go_ready(&browser).await;
    let grace = Api::new(&sys.switchboard.base_url)
        .login("grace@demo.test", PASSWORD)
        .await;
    let mut grace_feed = Feed::connect(&grace, None).await;

    // Declined by Ada → offered to Grace.
    route(&browser, "T-2001").await;
    let ringing = host_got(&browser, "engagement.ringing", "true").await;
    let declined = ringing["engagementId"].as_str().unwrap().to_string();
    grace.set_ready().await;
    browser
        .click_in_widget("[data-test=offer] [data-test=decline]")
        .await;
    let offer = grace_feed
        .wait_for("engagement.offered", Duration::from_secs(10))
        .await;
    assert_eq!(offer["engagement_id"], json!(declined));
    browser
        .in_widget(
            "the declined card to go",
            "return document.querySelector('[data-test=offer]') ? null : true;",
        )
        .await;
    grace
        .post(&format!("/v1/engagements/{declined}/accept"), json!({}))
        .await
        .expect(200);

    // Nobody answers in 3 s → offered to the other agent.
    route(&browser, "T-2002").await;
    let id = browser
        .wait_for(
            "T-2002 routed",
            Duration::from_secs(10),
            "const r = document.getElementById('route-result'); return r.dataset.status === '201' && r.textContent.startsWith('T-2002') ? r.textContent.split('engagement ')[1] : null;",
        )
        .await;
    let id = id.as_str().unwrap().to_string();
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
    browser.close().await;
}

/// Close the connected call shown in the widget; the host's `zcc-phone-call-log` for `call`.
async fn close_and_await_call_log(browser: &Browser, call: &Value) -> Value {
    browser
        .click_in_widget("[data-test=panel]:not([hidden])[data-state=connected] [data-test=close]")
        .await;
    host_got(
        browser,
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
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "?protocol=zcc").await;
    // zcc has no token message: the agent signs in inside the widget.
    browser
        .ready_in_embedded_widget("ada@demo.test", PASSWORD)
        .await;
    // Status as Smart Embed hosts read it: `statusCode` "1" is ready.
    host_got(
        &browser,
        "zcc-agent-status-notification",
        "m.data.status === 'Ready' && m.data.statusCode === '1'",
    )
    .await;

    // Inbound: ringing → incomingPhone lookup → the host answers → the widget pops the match.
    route(&browser, "T-2003").await;
    let ring = host_got(&browser, "zcc-call-ringing", "true").await;
    assert_eq!(ring["data"]["channel"], "work_item");
    assert_eq!(ring["data"]["direction"], "inbound");
    assert!(ring["data"]["createTs"].as_i64().is_some(), "{ring}");
    let ask = host_got(&browser, "zcc-incomingPhone-request", "true").await;
    assert_eq!(ask["data"]["incomingPhoneNumber"], "+44 20 7946 0102");
    host_got(&browser, "zcc-screen-pop", "m.data.id === 'C-1003'").await;
    browser
        .wait_for(
            "the CRM to pop C-1003",
            Duration::from_secs(10),
            "return document.getElementById('current').dataset.recordId === 'C-1003' || null;",
        )
        .await;
    browser
        .click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    host_got(&browser, "zcc-call-connected", "true").await;
    browser
        .click_in_widget("[data-test=panel]:not([hidden]) [data-test=close]")
        .await;
    let log = host_got(
        &browser,
        "zcc-phone-call-log",
        "m.data.objectRecord.callType === 'inbound'",
    )
    .await;
    assert_eq!(log["data"]["objectRecord"]["type"], "work_item");
    let post = host_got(&browser, "zcc-end-post-engagement", "true").await;
    assert_eq!(post["data"]["engagementId"], log["data"]["engagementId"]);
    assert!(post["data"]["dispositionCode"].is_string(), "{post}");

    // Outbound: onclicktoact from a contact → connected call → call log echoes the record.
    browser
        .click("tr[data-contact=\"C-1001\"] [data-test=call]")
        .await;
    let connected = host_got(
        &browser,
        "zcc-call-connected",
        "m.data.to === '+1 555 0100'",
    )
    .await;
    let call = connected["data"]["engagementId"]
        .as_str()
        .unwrap()
        .to_string();
    browser
        .type_in_widget(
            "[data-test=panel]:not([hidden])[data-state=connected] [data-test=note-input]",
            "Called back",
        )
        .await;
    browser
        .click_in_widget(
            "[data-test=panel]:not([hidden])[data-state=connected] [data-test=add-note]",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser
        .click_in_widget("[data-test=panel]:not([hidden])[data-state=connected] [data-test=close]")
        .await;
    let log = host_got(
        &browser,
        "zcc-phone-call-log",
        &format!("m.data.engagementId === {}", json!(call)),
    )
    .await;
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

    // Contact search in the widget's dialer: the host answers with its matches, and calling
    // one logs the call against that contact.
    browser.click_in_widget("[data-test=dialer] summary").await;
    browser
        .type_in_widget("[data-test=dial-input]", "katherine")
        .await;
    browser.click_in_widget("[data-test=dial]").await;
    let search = host_got(&browser, "zcc-contact-search-event", "true").await;
    assert_eq!(search["data"]["query"], "katherine");
    let found = browser
        .in_widget(
            "the contact found",
            "const b = document.querySelector('[data-test=contact]'); return b ? b.textContent : null;",
        )
        .await;
    assert_eq!(found, "Katherine Johnson · +1 555 0101");
    browser.click_in_widget("[data-test=contact]").await;
    let connected = host_got(
        &browser,
        "zcc-call-connected",
        "m.data.to === '+1 555 0101'",
    )
    .await;
    let searched_call = connected["data"]["engagementId"].clone();
    let log = close_and_await_call_log(&browser, &searched_call).await;
    assert_eq!(log["data"]["user"]["id"], "C-1002");

    // A bare number from the host (`onclicktoact {phone}`, as most hosts dial), then the
    // host asks for the call's variables.
    browser
        .wait_for(
            "the host to dial a bare number",
            Duration::from_secs(5),
            "return window.sendToWidget('onclicktoact', {phone: '+1 555 0199'});",
        )
        .await;
    let bare = host_got(
        &browser,
        "zcc-call-connected",
        "m.data.to === '+1 555 0199'",
    )
    .await;
    assert_eq!(bare["data"]["direction"], "outbound");
    let bare_call = bare["data"]["engagementId"].clone();
    browser
        .wait_for(
            "the host to ask for the call's variables",
            Duration::from_secs(5),
            &format!(
                "return window.sendToWidget('zcc-get-variables', {{engagementId: {bare_call}}});"
            ),
        )
        .await;
    let vars = host_got(
        &browser,
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
    let log = close_and_await_call_log(&browser, &bare_call).await;
    // No record to echo: `user` still comes (hosts read user.id), with the number dialed.
    assert_eq!(log["data"]["user"]["id"], "", "{log}");
    assert_eq!(log["data"]["user"]["phone"], "+1 555 0199", "{log}");
    browser
        .wait_for(
            "the outbound call in the CRM's log",
            Duration::from_secs(10),
            &format!(
                "const r = document.querySelector('#call-logs tr[data-engagement={}]'); return r && r.innerText.includes('C-1001') ? true : null;",
                json!(call)
            ),
        )
        .await;
    browser.close().await;
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
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    go_ready(&browser).await;
    route(&browser, "T-2001").await;
    let ringing = host_got(&browser, "engagement.ringing", "true").await;
    let id = ringing["engagementId"].as_str().unwrap().to_string();
    accept(&browser, &id).await;

    let grace = Api::new(&sys.switchboard.base_url)
        .login("grace@demo.test", PASSWORD)
        .await;
    let grace_id = grace.get("/v1/agents/me").await.expect(200)["agent_id"].clone();
    let mut grace_feed = Feed::connect(&grace, None).await;
    grace.set_ready().await;

    // Opening the transfer list fetches the directory: Grace, with her status.
    let select = "[data-test=panel]:not([hidden]) [data-test=transfer-select]";
    browser.click_in_widget(select).await;
    let label = browser
        .in_widget(
            "Grace in the transfer list",
            &format!(
                "const o = document.querySelector({}); return o ? o.textContent : null;",
                json!(format!(
                    "{select} option[value=\"a:{}\"]",
                    grace_id.as_str().unwrap()
                ))
            ),
        )
        .await;
    assert_eq!(label, "Agent: Grace Hopper (ready)");
    let ada_listed = browser
        .in_widget(
            "the transfer list",
            &format!(
                "return [...document.querySelectorAll({})].some(o => o.textContent.includes('Ada Lovelace')) ? 'yes' : 'no';",
                json!(format!("{select} option"))
            ),
        )
        .await;
    assert_eq!(ada_listed, "no", "an agent cannot transfer to herself");
    browser
        .select_in_widget(select, &format!("a:{}", grace_id.as_str().unwrap()))
        .await;
    browser
        .click_in_widget("[data-test=panel]:not([hidden]) [data-test=transfer]")
        .await;

    // The host hears it left Ada; it rings for Grace.
    host_got(
        &browser,
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
    browser.close().await;
}

#[tokio::test]
async fn the_agent_dials_a_number_from_the_widget() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    browser.select_ready().await;
    browser.click_in_widget("[data-test=dialer] summary").await;

    // Not a number, and this host has no contact search: the agent is told what to type.
    browser
        .type_in_widget("[data-test=dial-input]", "Grace")
        .await;
    browser.click_in_widget("[data-test=dial]").await;
    let notice = browser
        .in_widget(
            "the dialer's message",
            "const n = document.querySelector('[data-test=notice]'); return n && !n.hidden && n.textContent.includes('phone number') ? n.textContent : null;",
        )
        .await;
    assert!(notice.as_str().unwrap().contains("digits"), "{notice}");

    browser
        .type_in_widget("[data-test=dial-input]", "+1 555 0199")
        .await;
    browser.click_in_widget("[data-test=dial]").await;
    let connected = host_got(
        &browser,
        "engagement.connected",
        "m.data.engagement.direction === 'outbound'",
    )
    .await;
    assert_eq!(connected["data"]["engagement"]["channel"], "voice");
    assert_eq!(
        connected["data"]["engagement"]["consumer"]["phone"],
        "+1 555 0199"
    );
    browser
        .in_widget(
            "the call's panel",
            "return document.querySelector('[data-test=panel]:not([hidden])[data-state=connected]') ? true : null;",
        )
        .await;
    // Nothing is wider than the widget's frame (no sideways scrolling), dialer open.
    let overflow = browser
        .in_widget(
            "the widget's width",
            "const w = document.documentElement.clientWidth;
             const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
               .map(e => e.tagName + '.' + e.className + '[' + (e.dataset.test || '') + '] ' + Math.round(e.getBoundingClientRect().right));
             return JSON.stringify({ w, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8) });",
        )
        .await;
    let overflow: Value = serde_json::from_str(overflow.as_str().unwrap()).unwrap();
    assert!(
        overflow["scroll"].as_i64() <= overflow["w"].as_i64(),
        "the widget scrolls sideways: {overflow}"
    );
    browser.screenshot("crm-desk-outbound-call").await;
    browser.close().await;
}

#[tokio::test]
async fn untrusted_work_item_text_renders_as_text() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    go_ready(&browser).await;
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
    let title = browser
        .in_widget(
            "the hostile offer",
            "const t = document.querySelector('[data-test=offer-title]'); return t ? t.textContent : null;",
        )
        .await;
    assert_eq!(title, hostile);
    browser
        .click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    let check = browser
        .in_widget(
            "the hostile panel",
            "const p = document.querySelector('[data-test=panel]:not([hidden])[data-state=connected]'); if (!p) return null;
             return {imgs: document.querySelectorAll('img').length, scripts: p.querySelectorAll('script, b').length,
                     title: p.querySelector('[data-test=panel-title]').textContent,
                     text: p.textContent};",
        )
        .await;
    assert_eq!(check["imgs"], 0, "{check}");
    assert_eq!(check["scripts"], 0, "{check}");
    assert_eq!(check["title"], hostile);
    let text = check["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("<script>alert(2)</script>") && text.contains("<b>bold?</b>"),
        "{text}"
    );
    browser.close().await;
}

/// Run axe-core (installed by `scripts/setup.sh` into `.tools/`) on the current document and
/// return its serious and critical findings.
async fn axe_findings(browser: &Browser) -> Vec<Value> {
    let path = tests::workspace_root().join(".tools/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/setup.sh installs axe-core)",
            path.display()
        )
    });
    browser
        .client
        .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
        .await
        .expect("inject axe-core");
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 3).map(n => n.html)}))),
               e => done([{id: 'axe-error', help: String(e)}]));",
            vec![],
        )
        .await
        .expect("axe.run");
    found.as_array().cloned().unwrap_or_default()
}

/// axe inside the embedded widget.
async fn axe_in_widget(browser: &Browser, view: &str) {
    browser.enter_widget().await;
    let findings = axe_findings(browser).await;
    browser.leave_widget().await;
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
    let browser = Browser::start().await;
    browser.client.set_window_size(360, 640).await.unwrap();
    browser
        .client
        .goto(&sys.switchboard.url("/widget/"))
        .await
        .unwrap();
    browser
        .wait_for(
            "the sign-in form",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=signin]') ? true : null;",
        )
        .await;
    let findings = axe_findings(&browser).await;
    assert!(
        findings.is_empty(),
        "axe in the sign-in view: {findings:#?}"
    );
    browser.sign_in_here("grace@demo.test", PASSWORD).await;
    let notice = browser
        .wait_for(
            "the sign-in wait",
            Duration::from_secs(10),
            "const n = document.querySelector('[data-test=notice]'); return n && !n.hidden && n.innerText ? n.innerText : null;",
        )
        .await;
    let notice = notice.as_str().unwrap();
    assert!(notice.contains("try again in 5 minutes"), "{notice}");
    browser.screenshot("widget-sign-in-paused").await;

    open_desk(&browser, &sys, "").await;
    browser
        .in_widget(
            "the signed-in widget",
            "return document.querySelector('[data-test=status]') ? true : null;",
        )
        .await;
    axe_in_widget(&browser, "idle").await;
    go_ready(&browser).await;
    route(&browser, "T-2002").await;
    let ringing = host_got(&browser, "engagement.ringing", "true").await;
    let id = ringing["engagementId"].as_str().unwrap().to_string();
    browser
        .in_widget(
            "the offer",
            "return document.querySelector('[data-test=offer] [data-test=accept]') ? true : null;",
        )
        .await;
    axe_in_widget(&browser, "ringing").await;
    accept(&browser, &id).await;
    axe_in_widget(&browser, "connected").await;

    assert!(
        !csp_violation_logged(&sys, Duration::from_secs(2)).await,
        "the widget broke its own Content-Security-Policy:\n{}",
        sys.switchboard.log()
    );
    // The check can fail: an inline script in the widget's frame is refused and reported.
    browser.enter_widget().await;
    let ran = browser
        .client
        .execute(
            "window.__inlineRan = false; const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s); return window.__inlineRan;",
            vec![],
        )
        .await
        .unwrap();
    browser.leave_widget().await;
    assert_eq!(ran, false, "the CSP refuses inline script");
    assert!(
        csp_violation_logged(&sys, Duration::from_secs(10)).await,
        "the refused inline script was reported to /v1/csp-reports"
    );
    browser.close().await;
}
