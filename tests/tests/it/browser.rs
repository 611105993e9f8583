//! Headless Chromium against the real widget, backend and demo CRM.

use serde_json::{json, Value};
use std::time::Duration;
use tests::browser::Browser;
use tests::demo::{queue_named, route_ticket, system, System, PASSWORD};
use tests::pages::{Crm, Widget};
use tests::process::start_demo;

/// The standalone widget (the PWA), Ada signed in and ready.
async fn standalone_ada(sys: &System) -> Widget {
    Widget::ready(&sys.switchboard.base_url, "ada@demo.test", PASSWORD).await
}

#[tokio::test]
async fn the_demo_page_receives_widget_ready_from_the_widget_origin() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "").await;

    let ready = crm.wait_for_message("widget.ready").await;
    assert_eq!(
        ready["origin"],
        sys.switchboard.origin(),
        "posted from the widget's origin"
    );
    assert_eq!(ready["accepted"], true);
    let data = &ready["data"];
    assert_eq!(data["source"], "switchboard");
    assert_eq!(data["v"], 1);
    assert_eq!(data["data"]["protocol"], "native");
    assert_eq!(data["data"]["authenticated"], false);
    assert!(data["id"].as_str().is_some_and(|id| !id.is_empty()));

    let text = crm.widget.started_text().await;
    assert!(
        text.contains(&format!("in {}", sys.demo.origin())),
        "{text}"
    );
    crm.browser().screenshot("demo-page-widget-ready").await;

    // Host → widget: a request from the real parent and origin gets a reply with its requestId.
    crm.send_to_widget("snapshot.request", json!({}), Some("r-1"))
        .await;
    let reply = crm.wait_for_reply("r-1").await;
    assert_eq!(reply["data"]["data"]["ok"], true);
    assert_eq!(reply["data"]["data"]["result"]["engagements"], json!([]));
    // The CRM signs the widget in with an embed token its server minted (no second login).
    let login = crm.wait_for_message("agent.logged_in").await;
    assert_eq!(login["data"]["data"]["agent"]["email"], "ada@demo.test");
    crm.close().await;
}

#[tokio::test]
async fn messages_from_another_origin_or_window_are_ignored() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "").await;
    crm.wait_for_message("widget.ready").await;

    // 1. Right origin (the demo's), wrong window: an about:blank frame of the host page.
    crm.post_from_a_sibling_frame(&sys.switchboard.base_url, "from-sibling")
        .await;
    // 2. Wrong origin: the widget's own window posting to itself (origin = the backend's).
    crm.widget.post_to_itself("from-wrong-origin").await;
    // 3. The real parent: must be answered, proving the widget was listening all along.
    crm.send_to_widget("snapshot.request", json!({}), Some("from-parent"))
        .await;
    crm.wait_for_reply("from-parent").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let replies: Vec<String> = crm
        .messages()
        .await
        .iter()
        .filter(|m| m["data"]["type"] == "reply")
        .map(|m| m["data"]["requestId"].as_str().unwrap_or("").to_string())
        // The CRM's own auth.token request is answered too; it is not under test here.
        .filter(|id| !id.starts_with("host-"))
        .collect();
    assert_eq!(
        replies,
        vec!["from-parent".to_string()],
        "only the parent's request is answered"
    );
    crm.close().await;
}

#[tokio::test]
async fn a_widget_told_a_disallowed_origin_posts_nothing_and_without_one_asks_the_browser() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "").await;

    crm.open("/?widget_origin=https%3A%2F%2Fevil.example").await;
    let text = crm.widget.started_text().await;
    assert!(text.contains("The widget cannot start"), "{text}");
    assert!(
        text.contains("not allowed to run inside https://evil.example"),
        "{text}"
    );
    // Give a misbehaving widget time to post anyway.
    tokio::time::sleep(Duration::from_millis(750)).await;
    assert_eq!(
        crm.messages().await,
        Vec::<Value>::new(),
        "the host received nothing"
    );
    crm.browser().screenshot("widget-disallowed-origin").await;

    // Told no origin at all (as Zoom's own sample frames Smart Embed), the widget takes the
    // embedding page's from the browser: the CRM's, which is allowed, so it starts and talks.
    crm.open("/?widget_origin=").await;
    let text = crm.widget.started_text().await;
    assert!(!text.contains("The widget cannot start"), "{text}");
    let ready = crm.wait_for_message("widget.ready").await;
    assert_eq!(ready["origin"], sys.switchboard.origin());
    crm.close().await;
}

#[tokio::test]
async fn the_zcc_dialect_opens_with_init_config_request() {
    let sys = system().await;
    let crm = Crm::desk(&sys, "?protocol=zcc").await;
    let init = crm.wait_for_message("zcc-init-config-request").await;
    assert_eq!(init["origin"], sys.switchboard.origin());
    assert!(
        init["data"].get("source").is_none(),
        "zcc messages are {{type, data}} only"
    );
    // The dialect comes from the address a Smart Embed host is configured with (`/zcc/`), not
    // from a query parameter of ours.
    let at = crm.widget.address().await;
    assert!(at.starts_with("/zcc/?origin="), "{at}");
    assert!(!at.contains("protocol"), "{at}");
    crm.close().await;
}

#[tokio::test]
async fn csp_refuses_framing_by_an_origin_that_is_not_allowed() {
    let sys = system().await;
    // A second CRM on another port: a different origin, not on the allow-list.
    let crm_db = tempfile::tempdir().unwrap();
    let intruder = start_demo(
        &sys.switchboard.base_url,
        0,
        &crm_db.path().join("crm.db"),
        Some(("admin@demo.test", "switchboard-demo")),
    )
    .await;

    // Control: the allowed demo gets a working widget.
    let crm = Crm::desk(&sys, "").await;
    crm.wait_for_message("widget.ready").await;

    // The intruder tells the widget an allowed origin, so only the CSP can stop the framing.
    let query = format!(
        "/?widget_origin={}",
        sys.demo.origin().replace(':', "%3A").replace('/', "%2F")
    );
    crm.browser()
        .sign_in_crm(&intruder.base_url, "ada@demo.test", &query)
        .await;
    crm.browser()
        .wait_for(
            "the intruder page to load",
            Duration::from_secs(10),
            "return document.readyState === 'complete' || null;",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let inside = crm.widget.frame_contents().await;
    assert_eq!(
        inside["widget"], false,
        "the widget must not load in a disallowed frame: {inside}"
    );
    assert!(
        !inside["href"]
            .as_str()
            .unwrap_or("")
            .starts_with(&sys.switchboard.base_url),
        "the frame shows the browser's block page, not the widget: {inside}"
    );
    assert_eq!(crm.messages().await, Vec::<Value>::new());
    crm.browser().screenshot("csp-blocked-intruder").await;
    crm.close().await;
}

#[tokio::test]
async fn the_widget_fits_320_by_460_standalone() {
    let sys = system().await;
    let widget = Widget::opened_sized(&sys.switchboard.base_url, 320, 460).await;
    assert_eq!(widget.state().await, "ready");
    let text = widget.sign_in_text().await;
    assert!(text.as_str().unwrap_or("").contains("standalone"), "{text}");
    let overflow = widget.scrolls_sideways().await;
    assert_eq!(overflow, false, "no horizontal scrolling at 320 px");
    widget.browser.screenshot("widget-320x460").await;

    // What Chromium really fetched for the first load (Resource Timing): the WASM, JS and CSS
    // arrive compressed (precompressed brotli), within the 150 KB bar of BENCHMARKS.md.
    let loaded = widget.first_load().await;
    assert_eq!(
        loaded.len(),
        6,
        "WASM, JS, CSS, the loader, early.js and the side panel's loader (a wasm-bindgen snippet): {loaded:?}"
    );
    for (name, encoded, decoded) in loaded.iter().filter(|(n, _, _)| !n.contains("/boot-")) {
        // Sent as is, a file's encoded size equals its decoded size; the big ones shrink to
        // under half, a few hundred bytes (early.js) by less.
        let compressed = if *decoded > 4096 {
            encoded * 2 < *decoded
        } else {
            encoded < decoded
        };
        assert!(
            *encoded > 0 && compressed,
            "{name} came compressed: {encoded} of {decoded} bytes"
        );
    }
    let wire: u64 = loaded.iter().map(|(_, e, _)| e).sum();
    let report = format!("first load over the wire: {wire} bytes\n{loaded:#?}\n");
    let dir = tests::workspace_root().join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("first-load.txt"), &report).unwrap();
    assert!(wire <= 150 * 1024, "{report}");
    widget.close().await;
}

/// The browser's windows' addresses, the widget's first.
async fn window_urls(browser: &Browser) -> Vec<String> {
    let main = browser.client.window().await.unwrap();
    let mut urls = vec![browser.client.current_url().await.unwrap().to_string()];
    for w in browser.client.windows().await.unwrap() {
        if w != main {
            browser.client.switch_to_window(w).await.unwrap();
            urls.push(browser.client.current_url().await.unwrap().to_string());
        }
    }
    browser.client.switch_to_window(main).await.unwrap();
    urls
}

async fn wait_for_windows(browser: &Browser, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let count = browser.client.windows().await.unwrap().len();
        if count >= n {
            // The new tab's address settles once it starts loading.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return window_urls(browser).await;
        }
        if std::time::Instant::now() >= deadline {
            let page = browser.run("return document.body.innerText;").await;
            panic!("waited 20 s for {n} browser windows, have {count}; the widget shows: {page}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_standalone_widget_opens_launch_urls_when_its_queue_says() {
    let sys = system().await;
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    let (path, mut tickets) = queue_named(&admin, "CRM tickets").await;
    tickets["launch_open"] = json!("on_ring");
    admin.put(&path, tickets.clone()).await.expect(200);

    let widget = standalone_ada(&sys).await;
    let browser = &widget.browser;
    // On ring: the ticket's page opens in a tab of its own while the offer rings.
    route_ticket(&sys, "T-2003").await;
    let urls = wait_for_windows(browser, 2).await;
    assert_eq!(urls[1], format!("{}/tickets/T-2003", sys.demo.base_url));
    widget.accept_offer().await;
    widget.close_shown().await;

    // On connect: nothing while it rings; the tab opens when the agent accepts.
    tickets["launch_open"] = json!("on_connect");
    admin.put(&path, tickets.clone()).await.expect(200);
    // The widget reads queue settings when it starts: reload it (the agent stays signed in).
    widget.reload().await;
    widget.wait_signed_in().await;
    // Route only once the reloaded widget's socket is up: an offer made before that reaches it
    // by the resync, which carries no launch URL (a known gap, in the issue 24 closing note).
    widget.wait_online(true).await;
    route_ticket(&sys, "T-2001").await;
    widget.wait_present("the offer", "[data-test=offer]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        browser.client.windows().await.unwrap().len(),
        2,
        "no tab on ring"
    );
    widget.accept_offer().await;
    let urls = wait_for_windows(browser, 3).await;
    assert!(
        urls.contains(&format!("{}/tickets/T-2001", sys.demo.base_url)),
        "{urls:?}"
    );
    widget.close().await;
}

const INACTIVE: &str = "[data-test=device-inactive]";
const OFFER: &str = "[data-test=offer]";

#[tokio::test]
async fn only_the_active_tab_rings_and_use_here_takes_over() {
    let sys = system().await;
    let widget = standalone_ada(&sys).await;
    let tabs = &widget.browser.client;
    let first = tabs.window().await.unwrap();
    widget
        .wait_shown("the first tab active", INACTIVE, false)
        .await;

    // A second tab of the same widget: it sees that the first one is active.
    let second = tabs.new_window(true).await.unwrap().handle;
    tabs.switch_to_window(second.clone()).await.unwrap();
    widget
        .browser
        .ready_in_standalone_widget(&sys.switchboard.url("/widget/"), "ada@demo.test", PASSWORD)
        .await;
    widget
        .wait_shown("the second tab inactive", INACTIVE, true)
        .await;

    // A ticket rings in the active tab only.
    route_ticket(&sys, "T-2003").await;
    tabs.switch_to_window(first.clone()).await.unwrap();
    widget
        .wait_shown("the offer in the active tab", OFFER, true)
        .await;
    tabs.switch_to_window(second.clone()).await.unwrap();
    widget
        .wait_present("the offer to reach the inactive tab's model", OFFER)
        .await;
    let visible = widget.is_shown(OFFER).await;
    assert_eq!(visible, false, "the inactive tab does not ring");

    // "Use here": the second tab rings now, the first one says it is not active.
    widget.click("[data-test=use-here]").await;
    widget
        .wait_shown("the second tab active", INACTIVE, false)
        .await;
    widget
        .wait_shown("the offer in the new active tab", OFFER, true)
        .await;
    tabs.switch_to_window(first.clone()).await.unwrap();
    widget
        .wait_shown("the first tab inactive", INACTIVE, true)
        .await;
    widget
        .wait_shown("no offer in the first tab", OFFER, false)
        .await;

    // A reload of the active tab keeps it active.
    tabs.switch_to_window(second.clone()).await.unwrap();
    widget.reload().await;
    widget
        .wait_shown("the reloaded tab's offer", OFFER, true)
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    widget
        .wait_shown("the reloaded tab still active", INACTIVE, false)
        .await;
    tabs.switch_to_window(first).await.unwrap();
    widget
        .wait_shown("the first tab still inactive", INACTIVE, true)
        .await;
    widget.close().await;
}

/// The installed widget (the PWA) opens without a network: its service worker keeps the shell,
/// the content-hashed files and the ones it fetches network first (early.js, wasm-bindgen's
/// snippets: their names do not change between releases), whose cached copies serve offline.
#[tokio::test]
async fn the_installed_widget_opens_offline() {
    let db = tests::db::TestDb::sqlite();
    let mut server = tests::process::start_switchboard(&db, tests::api::server_options()).await;
    let widget = Widget::opened(&server.base_url).await;
    widget.wait_service_worker().await;
    // Every file of the first load has gone through the worker once the form shows.
    widget.wait_sign_in_form().await;
    widget.reload().await;
    widget.wait_sign_in_form().await;

    server.terminate().await;
    widget.reload().await;
    let shown = widget.shell_title().await;
    assert_eq!(shown, json!("Switchboard"));
    widget.close().await;
}

/// A supervisor's widget loads the supervisor view on demand (an agent's first load does not
/// carry it): the queues now, the connected engagements, and barge.
#[tokio::test]
async fn a_supervisor_sees_the_queues_now_and_barges_from_the_widget() {
    let sys = system().await;
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", PASSWORD)
        .await;
    ada.set_ready().await;
    let routed = route_ticket(&sys, "T-2003").await;
    let id = routed["engagement"]["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    ada.accept_when_offered(&id, Duration::from_secs(10)).await;

    let supervisor =
        Widget::signed_in(&sys.switchboard.base_url, "admin@demo.test", PASSWORD).await;
    let row = supervisor.queue_stats_row("CRM tickets").await;
    assert_eq!(row[3], "1", "one active engagement: {row}");
    assert_eq!(supervisor.loaded_extras().await, json!(true));
    supervisor.barge(&id).await;
    barged_in_the_event_log(&sys, &id).await;
    supervisor.close().await;

    // An agent with nothing that shows apps signs in without it.
    let grace = Widget::signed_in(&sys.switchboard.base_url, "grace@demo.test", PASSWORD).await;
    grace.wait_signed_in().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        grace.loaded_extras().await,
        json!(false),
        "an agent without apps never loads the extras"
    );
    grace.close().await;
}

/// The demo's supervisor watches the queues live, from the socket: the waiting chart rises
/// when a ticket waits and falls when Ada answers it, the service-level chart gains this
/// quarter hour's point, the longest-waiting list names the ticket, and Ada counts as busy.
#[tokio::test]
async fn the_supervisor_charts_move_when_a_ticket_waits_and_is_answered() {
    let sys = system().await;
    let supervisor =
        Widget::signed_in(&sys.switchboard.base_url, "admin@demo.test", PASSWORD).await;
    let before = supervisor.queue_trend("CRM tickets", "t.now === '0'").await;
    let routed = route_ticket(&sys, "T-2001").await;
    let id = routed["engagement"]["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let waiting = supervisor.queue_trend("CRM tickets", "t.now === '1'").await;
    assert_ne!(
        waiting["waiting"], before["waiting"],
        "the waiting line moved"
    );
    assert!(waiting["caption"].as_str().unwrap().contains("1 waiting"));
    let row = supervisor.longest_waiting_row(&id).await;
    assert_eq!(row[0], "Invoice 4471 charged twice", "{row}");
    assert_eq!(row[1], "CRM tickets", "{row}");
    assert!(row[2].as_str().unwrap().ends_with(" s"), "{row}");

    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", PASSWORD)
        .await;
    ada.set_ready().await;
    ada.accept_when_offered(&id, Duration::from_secs(10)).await;
    let answered = supervisor
        .queue_trend("CRM tickets", "t.now === '0' && t.sl !== ''")
        .await;
    assert_ne!(
        answered["waiting"], waiting["waiting"],
        "the waiting line fell"
    );
    assert_ne!(
        answered["sl"], waiting["sl"],
        "the service level line moved"
    );
    assert!(
        answered["caption"]
            .as_str()
            .unwrap()
            .contains("service level 100%"),
        "{answered}"
    );
    supervisor.agents_by_status("a.busy >= 1").await;
    supervisor.close().await;
}

/// A wallboard on a 1920×1080 screen: every demo queue in a tile that fits, the numbers from
/// the wallboard's view, no scrolling anywhere; deleting the wallboard stops the screen with
/// a message.
#[tokio::test]
async fn a_wallboard_fills_a_full_hd_screen_without_overflow() {
    let sys = system().await;
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    // As many queues as a wallboard takes (12), some with long names.
    let demo_queues = admin
        .get("/v1/queues")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .len();
    for i in demo_queues..12 {
        admin
            .post(
                "/v1/queues",
                json!({"name": format!("Escalations and priority customers, region {i}"), "channel": "work_item", "distribution": "longest_idle", "ring_timeout_secs": 30}),
            )
            .await
            .expect(201);
    }
    let queues: Vec<Value> = admin
        .get("/v1/queues")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<&Value> = queues.iter().map(|q| &q["queue_id"]).collect();
    assert_eq!(ids.len(), 12);
    let made = admin
        .post(
            "/v1/wallboards",
            json!({"name": "Contact center floor — all queues", "queue_ids": ids}),
        )
        .await
        .expect(201);
    route_ticket(&sys, "T-2002").await;
    let browser = Browser::start().await;
    // A viewport of 1920×1080 CSS px (the window adds its own frame).
    browser.client.set_window_size(1920, 1080).await.unwrap();
    let frame = browser
        .run("return [outerWidth - innerWidth, outerHeight - innerHeight];")
        .await;
    let (fw, fh) = (
        frame[0].as_u64().unwrap() as u32,
        frame[1].as_u64().unwrap() as u32,
    );
    browser
        .client
        .set_window_size(1920 + fw, 1080 + fh)
        .await
        .unwrap();
    browser
        .client
        .goto(&format!(
            "{}{}",
            sys.switchboard.base_url,
            made["url"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let tiles = queues.len();
    let shown = browser
        .wait_for(
            "the wallboard with a tile per queue",
            Duration::from_secs(20),
            &format!(
                "const t = [...document.querySelectorAll('[data-test=wallboard-queue]')]; if (t.length !== {tiles}) return null; const crm = t.find(e => e.querySelector('h2').textContent === 'CRM tickets'); return crm && crm.querySelector('[data-test=waiting] .value').textContent === '1' ? {{ w: innerWidth, h: innerHeight }} : null;"
            ),
        )
        .await;
    assert_eq!(shown, json!({"w": 1920, "h": 1080}));
    let overflow = browser
        .run(
            "const d = document.documentElement; const out = []; if (d.scrollWidth > innerWidth || d.scrollHeight > innerHeight) out.push('page ' + d.scrollWidth + 'x' + d.scrollHeight); for (const e of document.querySelectorAll('#wallboard, .wb-queue, .wb-figure, .wb-agents, h1, h2')) { const cut = /^H[12]$/.test(e.tagName); /* names may end in an ellipsis, never lose height */ if ((!cut && e.scrollWidth > e.clientWidth + 1) || e.scrollHeight > e.clientHeight + 1) out.push(e.tagName + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth + 'x' + e.scrollHeight + '/' + e.clientHeight + ' ' + e.textContent.slice(0, 30)); const r = e.getBoundingClientRect(); if (r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) out.push('outside: ' + e.className); } return out;",
        )
        .await;
    assert_eq!(overflow, json!([]), "overflow on a 1920×1080 screen");
    let agents = browser
        .run("return document.querySelector('[data-test=wallboard-agents]').textContent;")
        .await;
    assert!(agents.as_str().unwrap().contains("Ready"), "{agents}");
    browser.screenshot("wallboard-1920x1080").await;

    let id = made["wallboard"]["wallboard_id"].as_str().unwrap();
    admin
        .delete(&format!("/v1/wallboards/{id}"))
        .await
        .expect(204);
    let stopped = browser
        .wait_for(
            "the wallboard to stop",
            Duration::from_secs(20),
            "const e = document.querySelector('[data-test=wallboard-error]'); return e ? e.textContent : null;",
        )
        .await;
    assert!(stopped.as_str().unwrap().contains("deleted"), "{stopped}");
    browser.close().await;
}

/// Canned responses serve work-item notes too: in Ada's new-note field, `/inv` and Tab puts
/// the team's reply there filled for the ticket, and it is added as a note.
#[tokio::test]
async fn a_canned_response_fills_a_work_item_note() {
    let sys = system().await;
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    admin
        .post(
            "/v1/canned-responses",
            json!({"title": "Invoice follow-up", "shortcut": "inv",
                   "body": "Called {{consumer.name}} about {{work_item.name}} ({{work_item.id}})."}),
        )
        .await
        .expect(201);
    let ada = standalone_ada(&sys).await;
    route_ticket(&sys, "T-2001").await;
    ada.accept_offer().await;
    let note = ada.note_from_canned("inv").await;
    assert_eq!(
        note,
        "Called Margaret Hamilton about Invoice 4471 charged twice (T-2001)."
    );
    ada.click("[data-test=panel]:not([hidden]) [data-test=add-note]")
        .await;
    ada.wait_note_listed().await;
    ada.close().await;
}

/// Wait until the event log says a supervisor barged into `id`.
async fn barged_in_the_event_log(sys: &System, id: &str) {
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = admin.get("/v1/events?after=0&limit=1000").await.expect(200);
        let barged = events["events"].as_array().unwrap().iter().any(|e| {
            e["event"] == "engagement.monitor_started"
                && e["engagement_id"] == json!(id)
                && e["data"]["mode"] == "barge"
        });
        if barged {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no barge for {id}: {events}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
