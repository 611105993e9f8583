//! Side-panel apps in the real widget (headless Chromium): a queue's apps appear as tabs in the
//! engagement panel; an opened app is told the engagement's context at its exact origin and
//! again on every change; it may set that engagement's variables (no other's) and close
//! itself; a frame that navigated away from the app is neither trusted nor told anything; and
//! "pop out" opens the app in a window of its own that works the same way.

use serde_json::{json, Value};
use std::time::Duration;
use tests::demo::{queue_named, route_ticket, system, System, PASSWORD};
use tests::pages::{AppPage, Widget};
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

async fn variables(sys: &System, engagement: &str) -> Value {
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", PASSWORD)
        .await;
    ada.get(&format!("/v1/engagements/{engagement}"))
        .await
        .expect(200)["variables"]
        .clone()
}

/// The apps under test: ids of the case app (the app's own origin), billing (`localhost`)
/// and one on the widget's own origin.
struct Apps {
    case: String,
    billing: String,
    inside: String,
}

/// Register the three apps for the demo's ticket queue, and check both builds carry the
/// module that mounts them.
async fn register_apps(sys: &System, server: &SideApp, widget_origin: &str) -> Apps {
    let case_url = format!(
        "http://127.0.0.1:{}/app.html?widget={widget_origin}",
        server.port
    );
    let billing_url = format!(
        "http://localhost:{}/app.html?widget={widget_origin}",
        server.port
    );
    let admin = tests::api::Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
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
    Apps {
        case,
        billing,
        inside,
    }
}

#[tokio::test]
async fn a_queues_apps_are_told_the_context_and_may_set_its_variables_only() {
    let sys = system().await;
    let widget_origin = sys.switchboard.base_url.trim_end_matches('/').to_string();
    // Two origins on one loopback server: the app's own, and `localhost` for a second app
    // (and for where the first app's frame is later sent).
    let server = SideApp::start(|port| format!("http://localhost:{port}")).await;
    let apps = register_apps(&sys, &server, &widget_origin).await;

    let widget = Widget::ready(&sys.switchboard.base_url, "ada@demo.test", PASSWORD).await;
    route_ticket(&sys, "T-2003").await;
    widget.accept_offer().await;
    let engagement = widget.shown_engagement().await;

    // The queue's apps, in its order, as tabs; nothing loaded until the agent opens one.
    let tabs = widget.app_tabs(3).await;
    assert_eq!(tabs, json!(["Case app", "Billing", "Inside"]));
    assert_eq!(widget.app_frames().await, json!(0));
    widget.open_app(&apps.inside).await;
    widget.wait_app_status("own address", true).await;

    the_app_is_told_and_sets_its_engagement_only(&widget, &apps, &widget_origin, &engagement).await;
    assert_eq!(variables(&sys, &engagement).await["case_id"], "C-42");
    // A second app beside it gets its own context.
    widget.open_app(&apps.billing).await;
    let billing = widget.enter_app(Some(&apps.billing)).await;
    billing.received("app.context", 1).await;
    billing.leave().await;

    a_frame_sent_elsewhere_is_told_nothing(&widget, &apps, &sys, &engagement, server.port).await;

    // An app closes itself.
    widget.open_app(&apps.billing).await;
    let billing = widget.enter_app(Some(&apps.billing)).await;
    billing.click("#close").await;
    billing.leave().await;
    widget.wait_app_closed(&apps.billing).await;

    a_popped_out_app_works_the_same(&widget, &apps, &widget_origin).await;
    widget.close().await;
}

/// Opened, the case app is told the engagement's context from the widget's origin; it sets
/// this engagement's variables (answered, shown in the widget, told back) and not another's.
async fn the_app_is_told_and_sets_its_engagement_only(
    widget: &Widget,
    apps: &Apps,
    widget_origin: &str,
    engagement: &str,
) {
    widget.open_app(&apps.case).await;
    let app = widget.enter_app(Some(&apps.case)).await;
    let first = app.received("app.context", 1).await;
    assert_eq!(first[0]["origin"], json!(widget_origin));
    let context = &first[0]["data"]["context"];
    assert_eq!(context["engagement_id"], json!(engagement));
    assert_eq!(context["channel"], "work_item");
    assert_eq!(context["state"], "connected");
    assert!(context["work_item"]["name"].is_string(), "{context}");
    assert!(context.get("variables").is_some(), "{context}");

    let told = app.count("app.context").await;
    app.click("#set").await;
    let results = app.received("app.result", 1).await;
    assert_eq!(results[0]["data"]["request_id"], "set-1");
    let updated = app.wait_context_variable(told, "case_id", "C-42").await;
    assert_eq!(updated, json!(true));
    // Another engagement's: refused, and nothing changes.
    app.click("#other").await;
    let errors = app.received("app.error", 1).await;
    assert_eq!(errors[0]["data"]["request_id"], "other-1");
    assert_eq!(errors[0]["data"]["code"], "wrong_engagement");
    app.leave().await;
    widget.wait_details_mention("C-42").await;
}

/// The case app's frame goes elsewhere (another registered origin): what it posts now is
/// ignored, and it is told nothing more, while the billing app still hears every change.
async fn a_frame_sent_elsewhere_is_told_nothing(
    widget: &Widget,
    apps: &Apps,
    sys: &System,
    engagement: &str,
    port: u16,
) {
    widget.open_app(&apps.case).await;
    let case = widget.enter_app(Some(&apps.case)).await;
    case.click("#away").await;
    case.wait_posted_elsewhere().await;
    case.leave().await;
    let billing = widget.enter_app(Some(&apps.billing)).await;
    let before = billing.count("app.context").await;
    billing.leave().await;
    let ada = tests::api::Api::new(&sys.switchboard.base_url)
        .login("ada@demo.test", PASSWORD)
        .await;
    ada.patch(
        &format!("/v1/engagements/{engagement}/variables"),
        json!({"variables": {"priority": "high"}}),
    )
    .await
    .expect(200);
    let billing = widget.enter_app(Some(&apps.billing)).await;
    let after = billing.received("app.context", before + 1).await;
    assert_eq!(
        after[before]["data"]["context"]["variables"]["priority"],
        "high"
    );
    billing.leave().await;
    let case = widget.enter_app(Some(&apps.case)).await;
    let elsewhere = case.host_and_seen().await;
    assert_eq!(
        elsewhere,
        json!(format!("localhost:{port} []")),
        "a frame that left the app is told nothing"
    );
    case.leave().await;
    let vars = variables(sys, engagement).await;
    assert_eq!(
        vars["case_id"], "C-42",
        "the frame elsewhere was not trusted: {vars}"
    );
}

/// Popped out: a window of its own, which asks for the context and gets it, and closes
/// itself.
async fn a_popped_out_app_works_the_same(widget: &Widget, apps: &Apps, widget_origin: &str) {
    let windows = &widget.browser.client;
    let main = windows.window().await.unwrap();
    widget.open_app(&apps.case).await;
    widget.click("[data-test=app-pop-out]").await;
    let deadline = std::time::Instant::now() + WAIT;
    let popup = loop {
        if let Some(w) = windows
            .windows()
            .await
            .unwrap()
            .into_iter()
            .find(|w| *w != main)
        {
            break w;
        }
        assert!(std::time::Instant::now() < deadline, "no pop-out window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    widget.wait_app_status("own window", false).await;
    windows.switch_to_window(popup).await.unwrap();
    let popped_out = AppPage {
        browser: &widget.browser,
    };
    let popped = popped_out.received("app.context", 1).await;
    assert_eq!(popped[0]["origin"], json!(widget_origin));
    assert_eq!(popped[0]["data"]["context"]["variables"]["case_id"], "C-42");
    popped_out.click("#close").await;
    windows.switch_to_window(main.clone()).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while windows.windows().await.unwrap().len() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "app.close did not close the popped-out window"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo's own side-panel app (Customer 360, served by the demo CRM and registered by the
/// demo data for its queues) shows the caller's CRM records and links one to the engagement.
#[tokio::test]
async fn the_demo_crm_app_shows_the_customer_and_links_a_record() {
    let sys = system().await;
    let widget = Widget::ready(&sys.switchboard.base_url, "ada@demo.test", PASSWORD).await;
    route_ticket(&sys, "T-2003").await;
    widget.accept_offer().await;
    widget
        .click("[data-test=panel]:not([hidden]) [data-test=app-tab]")
        .await;
    let app = widget.enter_app(None).await;
    let name = app.customer().await;
    assert_eq!(name, "Alan Turing");
    app.link_record("Linked to ticket T-2003").await;
    app.leave().await;
    widget.wait_details_mention("ticket T-2003").await;
    widget.close().await;
}
