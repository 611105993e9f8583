//! Headless Chromium against the real widget, backend and demo CRM.

use serde_json::{json, Value};
use std::time::Duration;
use tests::browser::Browser;
use tests::demo::{
    messages, open_desk, queue_named, route_ticket, standalone_ready, system, wait_for_message,
    wait_for_reply,
};
use tests::process::start_demo;

async fn widget_text(browser: &Browser) -> String {
    let frame = browser
        .client
        .find(fantoccini::Locator::Css("#switchboard-widget-frame"))
        .await
        .expect("iframe");
    frame.enter_frame().await.expect("enter widget frame");
    let text = browser
        .wait_for(
            "the widget to render",
            Duration::from_secs(20),
            "const w = document.querySelector('#switchboard-widget [data-state]'); \
             return w && w.dataset.state !== 'checking' ? document.body.innerText : null;",
        )
        .await;
    browser
        .client
        .enter_parent_frame()
        .await
        .expect("leave frame");
    text.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_demo_page_receives_widget_ready_from_the_widget_origin() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;

    let ready = wait_for_message(&browser, "widget.ready").await;
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

    let text = widget_text(&browser).await;
    assert!(
        text.contains(&format!("in {}", sys.demo.origin())),
        "{text}"
    );
    browser.screenshot("demo-page-widget-ready").await;

    // Host → widget: a request from the real parent and origin gets a reply with its requestId.
    browser
        .client
        .execute(
            "window.sendToWidget('snapshot.request', {}, {requestId: 'r-1'}); return true;",
            vec![],
        )
        .await
        .unwrap();
    let reply = wait_for_reply(&browser, "r-1").await;
    assert_eq!(reply["data"]["data"]["ok"], true);
    assert_eq!(reply["data"]["data"]["result"]["engagements"], json!([]));
    // The CRM signs the widget in with an embed token its server minted (no second login).
    let login = wait_for_message(&browser, "agent.logged_in").await;
    assert_eq!(login["data"]["data"]["agent"]["email"], "ada@demo.test");
    browser.close().await;
}

#[tokio::test]
async fn messages_from_another_origin_or_window_are_ignored() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;
    wait_for_message(&browser, "widget.ready").await;

    // 1. Right origin (the demo's), wrong window: an about:blank frame of the host page. The
    // script runs inside that frame (the CRM's CSP allows no eval to do it from the parent).
    browser
        .client
        .execute(
            "const f = document.createElement('iframe'); f.id = 'sibling'; document.body.appendChild(f); return true;",
            vec![],
        )
        .await
        .unwrap();
    browser
        .client
        .find(fantoccini::Locator::Css("#sibling"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    browser
        .client
        .execute(
            "const target = window.parent.document.getElementById('switchboard-widget-frame').contentWindow;
             target.postMessage({source:'switchboard', v:1, type:'snapshot.request', id:'x1', ts:0,
                                 requestId:'from-sibling', data:{}}, new URL(arguments[0]).origin);
             return true;",
            vec![json!(sys.switchboard.base_url)],
        )
        .await
        .unwrap();
    browser.client.enter_parent_frame().await.unwrap();

    // 2. Wrong origin: the widget's own window posting to itself (origin = the backend's).
    let frame = browser
        .client
        .find(fantoccini::Locator::Css("#switchboard-widget-frame"))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
    browser
        .client
        .execute(
            "window.postMessage({source:'switchboard', v:1, type:'snapshot.request', id:'x2', ts:0,
                                 requestId:'from-wrong-origin', data:{}}, '*'); return true;",
            vec![],
        )
        .await
        .unwrap();
    browser.client.enter_parent_frame().await.unwrap();

    // 3. The real parent: must be answered, proving the widget was listening all along.
    browser
        .client
        .execute(
            "window.sendToWidget('snapshot.request', {}, {requestId: 'from-parent'}); return true;",
            vec![],
        )
        .await
        .unwrap();
    wait_for_reply(&browser, "from-parent").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let replies: Vec<String> = messages(&browser)
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
    browser.close().await;
}

#[tokio::test]
async fn a_widget_told_a_disallowed_origin_posts_nothing_and_without_one_asks_the_browser() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "").await;

    browser
        .client
        .goto(&sys.demo.url("/?widget_origin=https%3A%2F%2Fevil.example"))
        .await
        .unwrap();
    let text = widget_text(&browser).await;
    assert!(text.contains("The widget cannot start"), "{text}");
    assert!(
        text.contains("not allowed to run inside https://evil.example"),
        "{text}"
    );
    // Give a misbehaving widget time to post anyway.
    tokio::time::sleep(Duration::from_millis(750)).await;
    assert_eq!(
        messages(&browser).await,
        Vec::<Value>::new(),
        "the host received nothing"
    );
    browser.screenshot("widget-disallowed-origin").await;

    // Told no origin at all (as Zoom's own sample frames Smart Embed), the widget takes the
    // embedding page's from the browser: the CRM's, which is allowed, so it starts and talks.
    browser
        .client
        .goto(&sys.demo.url("/?widget_origin="))
        .await
        .unwrap();
    let text = widget_text(&browser).await;
    assert!(!text.contains("The widget cannot start"), "{text}");
    let ready = wait_for_message(&browser, "widget.ready").await;
    assert_eq!(ready["origin"], sys.switchboard.origin());
    browser.close().await;
}

#[tokio::test]
async fn the_zcc_dialect_opens_with_init_config_request() {
    let sys = system().await;
    let browser = Browser::start().await;
    open_desk(&browser, &sys, "?protocol=zcc").await;
    let init = wait_for_message(&browser, "zcc-init-config-request").await;
    assert_eq!(init["origin"], sys.switchboard.origin());
    assert!(
        init["data"].get("source").is_none(),
        "zcc messages are {{type, data}} only"
    );
    // The dialect comes from the address a Smart Embed host is configured with (`/zcc/`), not
    // from a query parameter of ours.
    let at = browser
        .in_widget(
            "the widget's address",
            "return location.pathname + location.search;",
        )
        .await;
    let at = at.as_str().unwrap_or_default();
    assert!(at.starts_with("/zcc/?origin="), "{at}");
    assert!(!at.contains("protocol"), "{at}");
    browser.close().await;
}

#[tokio::test]
async fn csp_refuses_framing_by_an_origin_that_is_not_allowed() {
    let sys = system().await;
    // A second CRM on another port: a different origin, not on the allow-list.
    let crm = tempfile::tempdir().unwrap();
    let intruder = start_demo(
        &sys.switchboard.base_url,
        0,
        &crm.path().join("crm.db"),
        Some(("admin@demo.test", "switchboard-demo")),
    )
    .await;
    let browser = Browser::start().await;

    // Control: the allowed demo gets a working widget.
    open_desk(&browser, &sys, "").await;
    wait_for_message(&browser, "widget.ready").await;

    // The intruder tells the widget an allowed origin, so only the CSP can stop the framing.
    let query = format!(
        "/?widget_origin={}",
        sys.demo.origin().replace(':', "%3A").replace('/', "%2F")
    );
    browser
        .sign_in_crm(&intruder.base_url, "ada@demo.test", &query)
        .await;
    browser
        .wait_for(
            "the intruder page to load",
            Duration::from_secs(10),
            "return document.readyState === 'complete' || null;",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let frame = browser
        .client
        .find(fantoccini::Locator::Css("#switchboard-widget-frame"))
        .await
        .unwrap();
    frame.enter_frame().await.unwrap();
    let inside = browser
        .client
        .execute(
            "return {href: location.href, widget: !!document.querySelector('meta[name=switchboard-widget]')};",
            vec![],
        )
        .await
        .unwrap();
    browser.client.enter_parent_frame().await.unwrap();
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
    assert_eq!(messages(&browser).await, Vec::<Value>::new());
    browser.screenshot("csp-blocked-intruder").await;
    browser.close().await;
}

#[tokio::test]
async fn the_widget_fits_320_by_460_standalone() {
    let sys = system().await;
    let browser = Browser::start().await;
    browser.client.set_window_size(320, 460).await.unwrap();
    browser
        .client
        .goto(&sys.switchboard.url("/widget/"))
        .await
        .unwrap();
    let state = browser
        .wait_for(
            "the standalone widget",
            Duration::from_secs(20),
            "const s = document.querySelector('[data-state]'); return s && s.dataset.state !== 'checking' ? s.dataset.state : null;",
        )
        .await;
    assert_eq!(state, "ready");
    let text = browser
        .wait_for(
            "the sign-in form",
            Duration::from_secs(10),
            "const f = document.querySelector('[data-test=signin]'); return f ? document.body.innerText : null;",
        )
        .await;
    assert!(text.as_str().unwrap_or("").contains("standalone"), "{text}");
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, false, "no horizontal scrolling at 320 px");
    browser.screenshot("widget-320x460").await;

    // What Chromium really fetched for the first load (Resource Timing): the WASM, JS and CSS
    // arrive compressed (precompressed brotli), within the 150 KB bar of BENCHMARKS.md.
    let loaded = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource')
                .filter(e => /\\/((frontend|style|boot)-[^/]*\\.(wasm|js|css)|early\\.js|snippets\\/.*\\.js)$/.test(e.name))
                .map(e => [e.name, e.encodedBodySize, e.decodedBodySize]);",
            vec![],
        )
        .await
        .unwrap();
    let loaded: Vec<(String, u64, u64)> = serde_json::from_value(loaded).unwrap();
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
    browser.close().await;
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
        assert!(
            std::time::Instant::now() < deadline,
            "waited 20 s for {n} browser windows, have {count}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_standalone_widget_opens_launch_urls_when_its_queue_says() {
    let sys = system().await;
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", tests::demo::PASSWORD)
        .await;
    let (path, mut tickets) = queue_named(&admin, "CRM tickets").await;
    tickets["launch_open"] = json!("on_ring");
    admin.put(&path, tickets.clone()).await.expect(200);

    let browser = Browser::start().await;
    standalone_ready(&browser, &sys).await;
    // On ring: the ticket's page opens in a tab of its own while the offer rings.
    route_ticket(&sys, "T-2003").await;
    let urls = wait_for_windows(&browser, 2).await;
    assert_eq!(urls[1], format!("{}/tickets/T-2003", sys.demo.base_url));
    browser.click("[data-test=offer] [data-test=accept]").await;
    browser
        .click("[data-test=panel]:not([hidden]) [data-test=close]")
        .await;

    // On connect: nothing while it rings; the tab opens when the agent accepts.
    tickets["launch_open"] = json!("on_connect");
    admin.put(&path, tickets.clone()).await.expect(200);
    // The widget reads queue settings when it starts: reload it (the agent stays signed in).
    browser.client.refresh().await.unwrap();
    browser
        .wait_for(
            "the signed-in widget after a reload",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=status]') ? true : null;",
        )
        .await;
    route_ticket(&sys, "T-2001").await;
    browser
        .wait_for(
            "the offer",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=offer]') ? true : null;",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        browser.client.windows().await.unwrap().len(),
        2,
        "no tab on ring"
    );
    browser.click("[data-test=offer] [data-test=accept]").await;
    let urls = wait_for_windows(&browser, 3).await;
    assert!(
        urls.contains(&format!("{}/tickets/T-2001", sys.demo.base_url)),
        "{urls:?}"
    );
    browser.close().await;
}

/// Is `css` shown (present and not inside anything hidden) in the current window?
fn shown(css: &str) -> String {
    format!(
        "const e = document.querySelector({}); return !!(e && !e.closest('[hidden]') && e.offsetParent !== null);",
        json!(css)
    )
}

async fn wait_shown(browser: &Browser, what: &str, css: &str, want: bool) {
    let script = format!(
        "return (() => {{ {} }})() === {want} ? true : null;",
        shown(css)
    );
    browser
        .wait_for(what, Duration::from_secs(20), &script)
        .await;
}

#[tokio::test]
async fn only_the_active_tab_rings_and_use_here_takes_over() {
    let sys = system().await;
    let browser = Browser::start().await;
    let first = browser.client.window().await.unwrap();
    standalone_ready(&browser, &sys).await;
    wait_shown(
        &browser,
        "the first tab active",
        "[data-test=device-inactive]",
        false,
    )
    .await;

    // A second tab of the same widget: it sees that the first one is active.
    let second = browser.client.new_window(true).await.unwrap().handle;
    browser
        .client
        .switch_to_window(second.clone())
        .await
        .unwrap();
    standalone_ready(&browser, &sys).await;
    wait_shown(
        &browser,
        "the second tab inactive",
        "[data-test=device-inactive]",
        true,
    )
    .await;

    // A ticket rings in the active tab only.
    route_ticket(&sys, "T-2003").await;
    browser
        .client
        .switch_to_window(first.clone())
        .await
        .unwrap();
    wait_shown(
        &browser,
        "the offer in the active tab",
        "[data-test=offer]",
        true,
    )
    .await;
    browser
        .client
        .switch_to_window(second.clone())
        .await
        .unwrap();
    browser
        .wait_for(
            "the offer to reach the inactive tab's model",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=offer]') ? true : null;",
        )
        .await;
    let visible = browser
        .client
        .execute(&shown("[data-test=offer]"), vec![])
        .await
        .unwrap();
    assert_eq!(visible, false, "the inactive tab does not ring");

    // "Use here": the second tab rings now, the first one says it is not active.
    browser.click("[data-test=use-here]").await;
    wait_shown(
        &browser,
        "the second tab active",
        "[data-test=device-inactive]",
        false,
    )
    .await;
    wait_shown(
        &browser,
        "the offer in the new active tab",
        "[data-test=offer]",
        true,
    )
    .await;
    browser
        .client
        .switch_to_window(first.clone())
        .await
        .unwrap();
    wait_shown(
        &browser,
        "the first tab inactive",
        "[data-test=device-inactive]",
        true,
    )
    .await;
    wait_shown(
        &browser,
        "no offer in the first tab",
        "[data-test=offer]",
        false,
    )
    .await;

    // A reload of the active tab keeps it active.
    browser
        .client
        .switch_to_window(second.clone())
        .await
        .unwrap();
    browser.client.refresh().await.unwrap();
    wait_shown(
        &browser,
        "the reloaded tab's offer",
        "[data-test=offer]",
        true,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    wait_shown(
        &browser,
        "the reloaded tab still active",
        "[data-test=device-inactive]",
        false,
    )
    .await;
    browser.client.switch_to_window(first).await.unwrap();
    wait_shown(
        &browser,
        "the first tab still inactive",
        "[data-test=device-inactive]",
        true,
    )
    .await;
    browser.close().await;
}

/// The installed widget (the PWA) opens without a network: its service worker keeps the shell,
/// the content-hashed files and the ones it fetches network first (early.js, wasm-bindgen's
/// snippets: their names do not change between releases), whose cached copies serve offline.
#[tokio::test]
async fn the_installed_widget_opens_offline() {
    let db = tests::db::TestDb::sqlite();
    let mut server = tests::process::start_switchboard(&db, tests::api::server_options()).await;
    let browser = Browser::start().await;
    browser.client.goto(&server.url("/widget/")).await.unwrap();
    browser
        .wait_for(
            "the service worker to control the page",
            Duration::from_secs(20),
            "return navigator.serviceWorker && navigator.serviceWorker.controller ? true : null;",
        )
        .await;
    // Every file of the first load has gone through the worker once the form shows.
    browser
        .wait_for(
            "the sign-in form",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=signin]') ? true : null;",
        )
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .wait_for(
            "the sign-in form after a reload under the worker",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=signin]') ? true : null;",
        )
        .await;

    server.terminate().await;
    browser.client.refresh().await.unwrap();
    let shown = browser
        .wait_for(
            "the widget's shell with the server gone",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=signin]') && window.__sbEarly !== undefined ? document.title : null;",
        )
        .await;
    assert_eq!(shown, json!("Switchboard"));
    browser.close().await;
}

/// A supervisor's widget loads the supervisor view on demand (an agent's first load does not
/// carry it): the queues now, the connected engagements, and barge.
#[tokio::test]
async fn a_supervisor_sees_the_queues_now_and_barges_from_the_widget() {
    let sys = system().await;
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", tests::demo::PASSWORD)
        .await;
    ada.set_ready().await;
    let routed = route_ticket(&sys, "T-2003").await;
    let id = routed["engagement"]["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    ada.accept_when_offered(&id, Duration::from_secs(10)).await;

    let browser = Browser::start().await;
    browser
        .client
        .goto(&sys.switchboard.url("/widget/"))
        .await
        .unwrap();
    let loaded_extras =
        "return performance.getEntriesByType('resource').some(e => e.name.includes('/extras/'));";
    browser
        .sign_in_here("admin@demo.test", tests::demo::PASSWORD)
        .await;
    let row = browser
        .wait_for(
            "the CRM tickets row of the queue stats",
            Duration::from_secs(20),
            "const r = [...document.querySelectorAll('[data-test=queue-stats] tr')].find(r => r.cells[0].textContent === 'CRM tickets'); return r ? [...r.cells].map(c => c.textContent) : null;",
        )
        .await;
    assert_eq!(row[3], "1", "one active engagement: {row}");
    assert_eq!(
        browser.client.execute(loaded_extras, vec![]).await.unwrap(),
        json!(true)
    );
    let barge =
        format!("[data-test=live-engagements] li[data-engagement='{id}'] [data-test=barge]");
    browser.click(&barge).await;
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", tests::demo::PASSWORD)
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
    browser.close().await;

    // An agent with nothing that shows apps signs in without it.
    let browser = Browser::start().await;
    browser
        .client
        .goto(&sys.switchboard.url("/widget/"))
        .await
        .unwrap();
    browser
        .sign_in_here("grace@demo.test", tests::demo::PASSWORD)
        .await;
    browser
        .wait_for(
            "Grace's widget",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=status]') ? true : null;",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        browser.client.execute(loaded_extras, vec![]).await.unwrap(),
        json!(false),
        "an agent without apps never loads the extras"
    );
    browser.close().await;
}
