//! The demo CRM (`demo/`), the way a CRM integrates Switchboard: its agent desk frames the
//! widget (native dialect), pops records on `ringing`, logs calls on `closed`, and its ticket
//! pages show what came back by webhook. Every message the widget posted is in
//! `window.switchboardMessages` (`{origin, accepted, data}`).

use super::Widget;
use crate::browser::Browser;
use crate::demo::System;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

pub struct Crm {
    /// The widget in the desk's frame.
    pub widget: Widget,
    /// The CRM's base URL.
    pub base_url: String,
}

impl Crm {
    /// A new browser signed in to the CRM as Ada, on the agent desk (`/{query}`).
    pub async fn desk(sys: &System, query: &str) -> Crm {
        Crm::desk_in(Browser::start().await, sys, query).await
    }

    /// [`Crm::desk`] in a browser already started.
    pub async fn desk_in(browser: Browser, sys: &System, query: &str) -> Crm {
        browser
            .sign_in_crm(&sys.demo.base_url, "ada@demo.test", &format!("/{query}"))
            .await;
        Crm {
            widget: Widget::framed(browser),
            base_url: sys.demo.base_url.clone(),
        }
    }

    pub fn browser(&self) -> &Browser {
        &self.widget.browser
    }

    /// Open the CRM's page at `path`.
    pub async fn open(&self, path: &str) {
        self.browser()
            .client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .unwrap();
    }

    /// Every message the desk received from the widget.
    pub async fn messages(&self) -> Vec<Value> {
        self.browser()
            .client
            .execute("return window.switchboardMessages || null;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    /// The first message of `kind` the desk received (accepted or not): `{origin, accepted,
    /// data}`.
    pub async fn wait_for_message(&self, kind: &str) -> Value {
        self.browser()
            .wait_for(
                &format!("a {kind} message at the host page"),
                WAIT,
                &format!(
                    "return (window.switchboardMessages || []).find(m => m.data && m.data.type === {}) || null;",
                    json!(kind)
                ),
            )
            .await
    }

    /// The reply to the desk's request `request_id`: `{origin, accepted, data}`.
    pub async fn wait_for_reply(&self, request_id: &str) -> Value {
        self.browser()
            .wait_for(
                &format!("the reply to {request_id}"),
                WAIT,
                &format!(
                    "return (window.switchboardMessages || []).find(m => m.data && m.data.type === 'reply' && m.data.requestId === {}) || null;",
                    json!(request_id)
                ),
            )
            .await
    }

    /// The data of the first accepted message of `kind` for which `filter` (a JS expression
    /// over `m`, the message's data) holds.
    pub async fn host_got(&self, kind: &str, filter: &str) -> Value {
        self.browser()
            .wait_for(
                &format!("{kind} at the host page"),
                Duration::from_secs(25),
                &format!(
                    "const hit = (window.switchboardMessages || []).find(x => x.accepted && x.data && x.data.type === {} && ((m) => {filter})(x.data)); return hit ? hit.data : null;",
                    json!(kind)
                ),
            )
            .await
    }

    /// Post `kind` with `data` to the widget as the desk does (`window.sendToWidget`), with
    /// `request_id` when it is a request.
    pub async fn send_to_widget(&self, kind: &str, data: Value, request_id: Option<&str>) {
        let options = match request_id {
            Some(id) => json!({ "requestId": id }),
            None => json!({}),
        };
        self.browser()
            .client
            .execute(
                "window.sendToWidget(arguments[0], arguments[1], arguments[2]); return true;",
                vec![json!(kind), data, options],
            )
            .await
            .unwrap();
    }

    /// Post `kind` with `data` until the desk's bridge takes it (it answers true once the
    /// widget's frame is there).
    pub async fn send_when_ready(&self, what: &str, kind: &str, data: Value) {
        self.browser()
            .wait_for(
                what,
                Duration::from_secs(5),
                &format!("return window.sendToWidget({}, {});", json!(kind), data),
            )
            .await;
    }

    /// Post a host request to the widget from the right origin but the wrong window: an
    /// about:blank frame of the desk's page. The script runs inside that frame (the CRM's CSP
    /// allows no eval to do it from the parent).
    pub async fn post_from_a_sibling_frame(&self, widget_base_url: &str, request_id: &str) {
        let client = &self.browser().client;
        client
            .execute(
                "const f = document.createElement('iframe'); f.id = 'sibling'; document.body.appendChild(f); return true;",
                vec![],
            )
            .await
            .unwrap();
        client
            .find(fantoccini::Locator::Css("#sibling"))
            .await
            .unwrap()
            .enter_frame()
            .await
            .unwrap();
        client
            .execute(
                "const target = window.parent.document.getElementById('switchboard-widget-frame').contentWindow;
                 target.postMessage({source:'switchboard', v:1, type:'snapshot.request', id:'x1', ts:0,
                                     requestId: arguments[1], data:{}}, new URL(arguments[0]).origin);
                 return true;",
                vec![json!(widget_base_url), json!(request_id)],
            )
            .await
            .unwrap();
        client.enter_parent_frame().await.unwrap();
    }

    /// Ask the widget for a snapshot until one comes back signed in, and return that reply's
    /// data.
    pub async fn signed_in_snapshot(&self) -> Value {
        self.browser()
            .wait_for(
                "the widget signed in again",
                WAIT,
                "window.sendToWidget('snapshot.request', {}, {requestId: 'resync-' + (window.__n = (window.__n || 0) + 1)}); \
                 const r = (window.switchboardMessages || []).filter(m => m.data && m.data.type === 'reply' && String(m.data.requestId).startsWith('resync-')); \
                 return r.some(m => m.data.data.result && m.data.data.result.authenticated) ? true : null;",
            )
            .await;
        self.browser()
            .client
            .execute(
                "return (window.switchboardMessages || []).filter(m => m.data && m.data.type === 'reply' && m.data.data.result && m.data.data.result.authenticated).pop().data;",
                vec![],
            )
            .await
            .unwrap()
    }

    /// Ada goes ready in the widget; the desk hears it (native dialect).
    pub async fn go_ready(&self) {
        self.widget.choose_ready().await;
        self.host_got("agent.status_changed", "m.data.status.status === 'ready'")
            .await;
    }

    /// Accept the ringing offer in the widget; the desk hears `engagement.connected` for `id`.
    pub async fn accept(&self, id: &str) {
        self.widget.accept_offer().await;
        self.host_got(
            "engagement.connected",
            &format!("m.engagementId === {}", json!(id)),
        )
        .await;
    }

    /// "Route to an agent" on the desk's `ticket` row.
    pub async fn route(&self, ticket: &str) {
        self.browser()
            .click(&format!("tr[data-ticket=\"{ticket}\"] [data-test=route]"))
            .await;
    }

    /// The desk's route result once its status is `status` (and, for 201, it names
    /// `ticket`): its text.
    pub async fn route_result(&self, ticket: &str, status: u16) -> String {
        self.browser()
            .wait_for(
                &format!("{ticket} routed: {status}"),
                Duration::from_secs(10),
                &format!(
                    "const r = document.getElementById('route-result'); return r.dataset.status === '{status}' && ({status} !== 201 || r.textContent.startsWith({})) ? r.textContent : null;",
                    json!(ticket)
                ),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Wait until the desk has popped `record`.
    pub async fn wait_popped(&self, record: &str) {
        self.browser()
            .wait_for(
                &format!("the CRM to pop {record}"),
                Duration::from_secs(10),
                &format!(
                    "const c = document.getElementById('current'); return c && c.dataset.recordId === {} ? true : null;",
                    json!(record)
                ),
            )
            .await;
    }

    /// The desk's call-log row for engagement `id` (its text), once it holds `containing`.
    pub async fn call_log_row(&self, id: &str, containing: &str) -> String {
        self.browser()
            .wait_for(
                "the call-log row",
                Duration::from_secs(10),
                &format!(
                    "const r = document.querySelector('#call-logs tr[data-engagement={}]'); return r && r.innerText.includes({}) ? r.innerText : null;",
                    json!(id),
                    json!(containing)
                ),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// "Call" on the desk's contact row `contact` (click-to-dial).
    pub async fn call_contact(&self, contact: &str) {
        self.browser()
            .click(&format!("tr[data-contact=\"{contact}\"] [data-test=call]"))
            .await;
    }

    /// The page's visible text.
    pub async fn page_text(&self) -> String {
        self.browser()
            .run("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The texts of every `css` on a ticket page, joined by " | ", once there is one.
    pub async fn texts(&self, what: &str, css: &str) -> String {
        self.browser()
            .wait_for(
                what,
                WAIT,
                &format!(
                    "const e = [...document.querySelectorAll({})].map(x => x.textContent).join(' | '); return e ? e : null;",
                    json!(css)
                ),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The ticket page's recording player's address, once it shows.
    pub async fn recording_src(&self) -> String {
        self.browser()
            .wait_for(
                "the recording's player",
                WAIT,
                "const a = document.querySelector('[data-test=recording] audio'); return a ? a.getAttribute('src') : null;",
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// "Reconcile now" on a ticket page.
    pub async fn reconcile(&self) {
        self.browser().click("[data-test=reconcile]").await;
    }

    pub async fn close(self) {
        self.widget.close().await;
    }
}
