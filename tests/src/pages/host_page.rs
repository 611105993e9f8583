//! A Smart Embed host page written the way public Zoom hosts are (the demo's `/smart-embed`:
//! strict `{type, data}`, posting early with `"*"`, reading exactly the fields such hosts
//! read and throwing on anything else). What it saw is in `window.hostState`; what it can do
//! is `window.host.*` (set a status, dial, end, close wrap-up, ask for a snapshot).

use super::Widget;
use crate::browser::Browser;
use crate::demo::System;
use serde_json::{json, Value};
use std::time::Duration;

pub struct HostPage {
    /// The widget in the host's frame (`#zcc-frame`).
    pub widget: Widget,
    base_url: String,
}

impl HostPage {
    /// A new browser with the demo's Smart Embed host page (`/smart-embed{query}`).
    pub async fn open(sys: &System, query: &str) -> HostPage {
        let mut browser = Browser::start().await;
        browser.widget_frame = "#zcc-frame";
        let host = HostPage {
            widget: Widget::framed(browser),
            base_url: sys.demo.base_url.clone(),
        };
        host.reload_with(query).await;
        host
    }

    /// Load the host page again with `query`.
    pub async fn reload_with(&self, query: &str) {
        self.browser()
            .client
            .goto(&format!("{}/smart-embed{query}", self.base_url))
            .await
            .unwrap();
    }

    pub fn browser(&self) -> &Browser {
        &self.widget.browser
    }

    /// Wait until `predicate` (a JS expression over `s`, the page's `window.hostState`) holds
    /// and return its value.
    pub async fn saw(&self, what: &str, predicate: &str) -> Value {
        let script = format!(
            "const s = window.hostState; if (!s) return null; const v = (() => {predicate})(); return (v === undefined || v === null || v === false) ? null : v;"
        );
        self.browser()
            .wait_for(what, Duration::from_secs(25), &script)
            .await
    }

    /// Call `window.host.<call>` on the page.
    pub async fn does(&self, call: &str) -> Value {
        self.browser()
            .client
            .execute(&format!("return window.host.{call};"), vec![])
            .await
            .unwrap_or_else(|e| panic!("host.{call}: {e}"))
    }

    /// The data of the first received message of `kind` for which `filter` (over `m`, its
    /// data) holds.
    pub async fn received(&self, kind: &str, filter: &str) -> Value {
        self.saw(
            &format!("{kind} at the reference host"),
            &format!(
                "s.received.find(x => x.type === {} && ((m) => {filter})(x.data))",
                json!(kind)
            ),
        )
        .await["data"]
            .clone()
    }

    /// What the page threw on (nothing, if the widget only sent what hosts read).
    pub async fn thrown(&self) -> Value {
        self.browser().run("return window.hostState.thrown;").await
    }

    /// Ask for `zcc-engagement-status-response` as the host does and return it.
    pub async fn engagement_status(&self) -> Value {
        let request = self.does("snapshot()").await;
        self.saw(
            "the engagement status response",
            &format!("s.snapshot && s.snapshot.requestId === {request} && s.snapshot"),
        )
        .await
    }

    /// The frame's address, as the host built it.
    pub async fn frame_src(&self) -> Value {
        self.browser()
            .run("return document.getElementById('zcc-frame').getAttribute('src');")
            .await
    }

    pub async fn close(self) {
        self.widget.close().await;
    }
}
