//! A side-panel app's page (`tests::side_app`'s `app.html`, or the demo's Customer 360), in
//! the widget's app frame or in a window of its own. What the test app received is in
//! `window.seen`.

use crate::browser::Browser;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

pub struct AppPage<'a> {
    pub browser: &'a Browser,
}

impl AppPage<'_> {
    /// The messages of `kind` the app received, once there are `at_least`.
    pub async fn received(&self, kind: &str, at_least: usize) -> Vec<Value> {
        let script = format!(
            "const m = (window.seen || []).filter(x => x.data && x.data.type === {}); return m.length >= {at_least} ? m : null;",
            json!(kind)
        );
        self.browser
            .wait_for(&format!("{at_least} × {kind} in the app"), WAIT, &script)
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// How many messages of `kind` the app has received.
    pub async fn count(&self, kind: &str) -> usize {
        self.browser
            .run(&format!(
                "return (window.seen || []).filter(x => x.data && x.data.type === {}).length;",
                json!(kind)
            ))
            .await
            .as_u64()
            .unwrap() as usize
    }

    /// Wait until the app has been told a context after the first `told` whose variable
    /// `name` is `value`.
    pub async fn wait_context_variable(&self, told: usize, name: &str, value: &str) -> Value {
        self.browser
            .wait_for(
                "a context with the new variable",
                WAIT,
                &format!(
                    "const m = window.seen.filter(x => x.data.type === 'app.context'); return m.length > {told} && m[m.length - 1].data.context.variables[{}] === {} ? true : null;",
                    json!(name),
                    json!(value)
                ),
            )
            .await
    }

    /// Click the app's button `css`.
    pub async fn click(&self, css: &str) {
        self.browser
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Wait until the page says it posted after being sent elsewhere (`#away`).
    pub async fn wait_posted_elsewhere(&self) {
        self.browser
            .wait_for(
                "the page elsewhere",
                WAIT,
                "return window.posted === true ? true : null;",
            )
            .await;
    }

    /// The frame's host and everything it was told: `"<host> <JSON of window.seen>"`.
    pub async fn host_and_seen(&self) -> Value {
        self.browser
            .run("return location.host + ' ' + JSON.stringify(window.seen);")
            .await
    }

    /// The Customer 360 app's customer name, once shown.
    pub async fn customer(&self) -> Value {
        self.browser
            .wait_for(
                "the customer in the app",
                WAIT,
                "const n = document.querySelector('[data-test=app-customer]'); return n && n.textContent ? n.textContent : null;",
            )
            .await
    }

    /// The Customer 360 app: link the shown record and wait until it says `linked`.
    pub async fn link_record(&self, linked: &str) {
        self.browser.click("[data-test=app-link]").await;
        self.browser
            .wait_for(
                "the app to show the link",
                WAIT,
                &format!(
                    "const l = document.querySelector('[data-test=app-linked]'); return l && l.textContent === {} ? true : null;",
                    json!(linked)
                ),
            )
            .await;
    }

    /// Back to the widget from the app's frame.
    pub async fn leave(self) {
        self.browser.client.enter_parent_frame().await.unwrap();
    }
}
