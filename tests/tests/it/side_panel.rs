//! Side-panel apps in the real widget (headless Chromium): a queue's apps appear as tabs in the
//! engagement panel; an opened app is told the engagement's context at its exact origin and
//! again on every change; it may set that engagement's variables (no other's) and close
//! itself; a frame that navigated away from the app is neither trusted nor told anything; and
//! "pop out" opens the app in a window of its own that works the same way.

use serde_json::{json, Value};
use std::time::Duration;
use tests::browser::Browser;
use tests::demo::{queue_named, route_ticket, standalone_ready, system, System};
use tests::side_app::SideApp;

const WAIT: Duration = Duration::from_secs(20);

/// Register an app and return its id.
async fn register(admin: &tests::api::Api, name: &str, url: &str) -> String {
    let app = admin
        .post("/v1/apps", json!({"name": name, "url": url}))
        .await
        .expect(201);
    app["app_id"].as_str().unwrap().to_string()
}

/// Enter the frame of app `id` in the widget (the standalone widget is the top page).
async fn enter_app(browser: &Browser, id: &str) {
    let css = format!("iframe[data-test=app-frame][data-app='{id}']");
    browser
        .wait_for(
            &format!("app {id}'s frame"),
            WAIT,
            &format!(
                "return document.querySelector({}) ? true : null;",
                json!(css)
            ),
        )
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css(&css))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
}

/// In the current app window: the messages it received of `kind`, once there are `at_least`.
async fn received(browser: &Browser, kind: &str, at_least: usize) -> Vec<Value> {
    let script = format!(
        "const m = (window.seen || []).filter(x => x.data && x.data.type === {}); return m.length >= {at_least} ? m : null;",
        json!(kind)
    );
    browser
        .wait_for(&format!("{at_least} × {kind} in the app"), WAIT, &script)
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn count(browser: &Browser, kind: &str) -> usize {
    let script = format!(
        "return (window.seen || []).filter(x => x.data && x.data.type === {}).length;",
        json!(kind)
    );
    browser
        .client
        .execute(&script, vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap() as usize
}

async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn variables(sys: &System, engagement: &str) -> Value {
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", tests::demo::PASSWORD)
        .await;
    ada.get(&format!("/v1/engagements/{engagement}"))
        .await
        .expect(200)["variables"]
        .clone()
}

#[tokio::test]
async fn a_queues_apps_are_told_the_context_and_may_set_its_variables_only() {
    let sys = system().await;
    let widget_origin = sys.switchboard.base_url.trim_end_matches('/').to_string();
    // Two origins on one loopback server: the app's own, and `localhost` for a second app
    // (and for where the first app's frame is later sent).
    let server = SideApp::start(|port| format!("http://localhost:{port}")).await;
    let case_url = format!(
        "http://127.0.0.1:{}/app.html?widget={widget_origin}",
        server.port
    );
    let billing_url = format!(
        "http://localhost:{}/app.html?widget={widget_origin}",
        server.port
    );
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", tests::demo::PASSWORD)
        .await;
    let case = register(&admin, "Case app", &case_url).await;
    let billing = register(&admin, "Billing", &billing_url).await;
    // Registered on the widget's own origin: never loaded (it could reach into the widget).
    let inside = register(&admin, "Inside", &format!("{widget_origin}/healthz")).await;
    let (path, mut tickets) = queue_named(&admin, "CRM tickets").await;
    tickets["app_ids"] = json!([case, billing, inside]);
    admin.put(&path, tickets).await.expect(200);
    // Both builds carry the module (the zcc build imports it from its own base).
    for base in ["/widget/", "/zcc/"] {
        let r = reqwest::get(sys.switchboard.url(&format!("{base}extras/extras.js")))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{base}extras/extras.js");
        assert!(r.text().await.unwrap().contains("mount_apps"));
    }

    let browser = Browser::start().await;
    standalone_ready(&browser, &sys).await;
    route_ticket(&sys, "T-2003").await;
    browser.click("[data-test=offer] [data-test=accept]").await;
    let engagement = browser
        .wait_for(
            "the engagement panel",
            WAIT,
            "const p = document.querySelector('[data-test=panel]:not([hidden])'); return p ? p.dataset.engagement : null;",
        )
        .await
        .as_str()
        .unwrap()
        .to_string();

    // The queue's apps, in its order, as tabs; nothing loaded until the agent opens one.
    let tabs = browser
        .wait_for(
            "the app tabs",
            WAIT,
            "const t = [...document.querySelectorAll('[data-test=panel]:not([hidden]) [data-test=app-tab]')]; return t.length === 3 ? t.map(b => b.textContent) : null;",
        )
        .await;
    assert_eq!(tabs, json!(["Case app", "Billing", "Inside"]));
    assert_eq!(
        browser
            .client
            .execute(
                "return document.querySelectorAll('[data-test=app-frame]').length;",
                vec![]
            )
            .await
            .unwrap(),
        json!(0)
    );

    browser
        .click(&format!("[data-test=app-tab][data-app='{inside}']"))
        .await;
    browser
        .wait_for(
            "the panel to refuse the app on the widget's origin",
            WAIT,
            "const s = document.querySelector('[data-test=panel]:not([hidden]) [data-test=app-status]'); return s && s.textContent.includes('own address') && !document.querySelector('[data-test=app-frame]') ? true : null;",
        )
        .await;

    // Opened: the app is told the engagement's context, from the widget's origin.
    browser
        .click(&format!("[data-test=app-tab][data-app='{case}']"))
        .await;
    enter_app(&browser, &case).await;
    let first = received(&browser, "app.context", 1).await;
    assert_eq!(first[0]["origin"], json!(widget_origin));
    let context = &first[0]["data"]["context"];
    assert_eq!(context["engagement_id"], json!(engagement));
    assert_eq!(context["channel"], "work_item");
    assert_eq!(context["state"], "connected");
    assert!(context["work_item"]["name"].is_string(), "{context}");
    assert!(context.get("variables").is_some(), "{context}");

    // It sets this engagement's variables: answered, shown in the widget, and told back.
    let told = count(&browser, "app.context").await;
    click(&browser, "#set").await;
    let results = received(&browser, "app.result", 1).await;
    assert_eq!(results[0]["data"]["request_id"], "set-1");
    let updated = browser
        .wait_for(
            "a context with the new variable",
            WAIT,
            &format!(
                "const m = window.seen.filter(x => x.data.type === 'app.context'); return m.length > {told} && m[m.length - 1].data.context.variables.case_id === 'C-42' ? true : null;"
            ),
        )
        .await;
    assert_eq!(updated, json!(true));
    // Another engagement's: refused, and nothing changes.
    click(&browser, "#other").await;
    let errors = received(&browser, "app.error", 1).await;
    assert_eq!(errors[0]["data"]["request_id"], "other-1");
    assert_eq!(errors[0]["data"]["code"], "wrong_engagement");
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .wait_for(
            "the variable in the widget's details",
            WAIT,
            "const d = document.querySelector('[data-test=panel]:not([hidden]) [data-test=variables]'); return d && d.textContent.includes('C-42') ? true : null;",
        )
        .await;
    assert_eq!(variables(&sys, &engagement).await["case_id"], "C-42");

    // A second app beside it gets its own context.
    browser
        .click(&format!("[data-test=app-tab][data-app='{billing}']"))
        .await;
    enter_app(&browser, &billing).await;
    received(&browser, "app.context", 1).await;
    browser.client.enter_parent_frame().await.unwrap();

    // The first app's frame goes elsewhere (another registered origin): what it posts now is
    // ignored, and it is told nothing more, while the second app still hears every change.
    browser
        .click(&format!("[data-test=app-tab][data-app='{case}']"))
        .await;
    enter_app(&browser, &case).await;
    click(&browser, "#away").await;
    browser
        .wait_for(
            "the page elsewhere",
            WAIT,
            "return window.posted === true ? true : null;",
        )
        .await;
    browser.client.enter_parent_frame().await.unwrap();
    enter_app(&browser, &billing).await;
    let before = count(&browser, "app.context").await;
    browser.client.enter_parent_frame().await.unwrap();
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", tests::demo::PASSWORD)
        .await;
    ada.patch(
        &format!("/v1/engagements/{engagement}/variables"),
        json!({"variables": {"priority": "high"}}),
    )
    .await
    .expect(200);
    enter_app(&browser, &billing).await;
    let after = received(&browser, "app.context", before + 1).await;
    assert_eq!(
        after[before]["data"]["context"]["variables"]["priority"],
        "high"
    );
    browser.client.enter_parent_frame().await.unwrap();
    enter_app(&browser, &case).await;
    let elsewhere = browser
        .client
        .execute(
            "return location.host + ' ' + JSON.stringify(window.seen);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        elsewhere,
        json!(format!("localhost:{} []", server.port)),
        "a frame that left the app is told nothing"
    );
    browser.client.enter_parent_frame().await.unwrap();
    let vars = variables(&sys, &engagement).await;
    assert_eq!(
        vars["case_id"], "C-42",
        "the frame elsewhere was not trusted: {vars}"
    );

    // An app closes itself.
    browser
        .click(&format!("[data-test=app-tab][data-app='{billing}']"))
        .await;
    enter_app(&browser, &billing).await;
    click(&browser, "#close").await;
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .wait_for(
            "the closed app's frame to go",
            WAIT,
            &format!("return document.querySelector(\"[data-test=app-frame][data-app='{billing}']\") ? null : true;"),
        )
        .await;

    // Popped out: a window of its own, which asks for the context and gets it.
    let main = browser.client.window().await.unwrap();
    browser
        .click(&format!("[data-test=app-tab][data-app='{case}']"))
        .await;
    browser.click("[data-test=app-pop-out]").await;
    let deadline = std::time::Instant::now() + WAIT;
    let popup = loop {
        let windows = browser.client.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != main) {
            break w;
        }
        assert!(std::time::Instant::now() < deadline, "no pop-out window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    browser
        .wait_for(
            "the panel to say the app is in its own window",
            WAIT,
            "const s = document.querySelector('[data-test=panel]:not([hidden]) [data-test=app-status]'); return s && s.textContent.includes('own window') ? true : null;",
        )
        .await;
    browser.client.switch_to_window(popup).await.unwrap();
    let popped = received(&browser, "app.context", 1).await;
    assert_eq!(popped[0]["origin"], json!(widget_origin));
    assert_eq!(popped[0]["data"]["context"]["variables"]["case_id"], "C-42");
    click(&browser, "#close").await;
    browser.client.switch_to_window(main.clone()).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while browser.client.windows().await.unwrap().len() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "app.close did not close the popped-out window"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.close().await;
}

/// The demo's own side-panel app (Customer 360, served by the demo CRM and registered by the
/// demo data for its queues) shows the caller's CRM records and links one to the engagement.
#[tokio::test]
async fn the_demo_crm_app_shows_the_customer_and_links_a_record() {
    let sys = system().await;
    let browser = Browser::start().await;
    standalone_ready(&browser, &sys).await;
    route_ticket(&sys, "T-2003").await;
    browser.click("[data-test=offer] [data-test=accept]").await;
    browser
        .click("[data-test=panel]:not([hidden]) [data-test=app-tab]")
        .await;
    let frame = "[data-test=panel]:not([hidden]) iframe[data-test=app-frame]";
    browser
        .wait_for(
            "the app's frame",
            WAIT,
            &format!(
                "return document.querySelector({}) ? true : null;",
                json!(frame)
            ),
        )
        .await;
    let enter = || async {
        browser
            .client
            .find(fantoccini::Locator::Css(frame))
            .await
            .unwrap()
            .enter_frame()
            .await
            .unwrap();
    };
    enter().await;
    let name = browser
        .wait_for(
            "the customer in the app",
            WAIT,
            "const n = document.querySelector('[data-test=app-customer]'); return n && n.textContent ? n.textContent : null;",
        )
        .await;
    assert_eq!(name, "Alan Turing");
    browser.click("[data-test=app-link]").await;
    browser
        .wait_for(
            "the app to show the link",
            WAIT,
            "const l = document.querySelector('[data-test=app-linked]'); return l && l.textContent === 'Linked to ticket T-2003' ? true : null;",
        )
        .await;
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .wait_for(
            "the linked record in the widget's details",
            WAIT,
            "const d = document.querySelector('[data-test=panel]:not([hidden]) [data-test=variables]'); return d && d.textContent.includes('ticket T-2003') ? true : null;",
        )
        .await;
    browser.close().await;
}
