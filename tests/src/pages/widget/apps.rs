//! Side-panel apps in the engagement's panel.

use super::{Widget, SHOWN};
use crate::pages::AppPage;
use fantoccini::Locator;
use serde_json::{json, Value};

impl Widget {
    /// Open the side-panel app `id`'s tab in the shown panel.
    pub async fn open_app(&self, id: &str) {
        self.click(&format!("[data-test=app-tab][data-app='{id}']"))
            .await;
    }

    /// The shown panel's app tabs' names, once there are `n`.
    pub async fn app_tabs(&self, n: usize) -> Value {
        self.eval(
            "the app tabs",
            &format!(
                "const t = [...document.querySelectorAll({})]; return t.length === {n} ? t.map(b => b.textContent) : null;",
                json!(format!("{SHOWN} [data-test=app-tab]"))
            ),
        )
        .await
    }

    /// How many app frames the widget holds now.
    pub async fn app_frames(&self) -> Value {
        self.run("return document.querySelectorAll('[data-test=app-frame]').length;")
            .await
    }

    /// Wait until the shown panel's app status says `text` and, if `no_frame`, no app frame
    /// is loaded.
    pub async fn wait_app_status(&self, text: &str, no_frame: bool) {
        self.eval(
            &format!("the panel to say {text:?}"),
            &format!(
                "const s = document.querySelector({}); return s && s.textContent.includes({}) && !({no_frame} && document.querySelector('[data-test=app-frame]')) ? true : null;",
                json!(format!("{SHOWN} [data-test=app-status]")),
                json!(text)
            ),
        )
        .await;
    }

    /// Wait until app `id`'s frame is gone.
    pub async fn wait_app_closed(&self, id: &str) {
        self.wait_absent(
            "the closed app's frame to go",
            &format!("[data-test=app-frame][data-app='{id}']"),
        )
        .await;
    }

    /// Into the frame of app `id`, or of the shown panel's first app (standalone widget).
    pub async fn enter_app(&self, id: Option<&str>) -> AppPage<'_> {
        let css = match id {
            Some(id) => format!("iframe[data-test=app-frame][data-app='{id}']"),
            None => format!("{SHOWN} iframe[data-test=app-frame]"),
        };
        self.wait_present("the app's frame", &css).await;
        self.browser
            .client
            .find(Locator::Css(&css))
            .await
            .unwrap()
            .enter_frame()
            .await
            .unwrap();
        AppPage {
            browser: &self.browser,
        }
    }
}
