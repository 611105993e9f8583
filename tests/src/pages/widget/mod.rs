//! The agent's widget: standalone (`/widget/`, the page itself) or framed by a host page
//! ([`super::Crm`], [`super::HostPage`]), where every step enters the frame and leaves it.

use super::*;
use crate::browser::Browser;
use serde_json::Value;
use std::time::Duration;

mod apps;
mod conversation;
mod panel;

const WAIT: Duration = Duration::from_secs(20);

/// The shown engagement's panel.
pub(super) const SHOWN: &str = "[data-test=panel]:not([hidden])";
/// The shown engagement's panel, connected.
pub(super) const CONNECTED: &str = "[data-test=panel]:not([hidden])[data-state=connected]";

pub struct Widget {
    pub browser: Browser,
    /// In the host page's frame (`Browser::widget_frame`), or the page itself.
    framed: bool,
}

impl Widget {
    /// A new browser with the standalone widget of the server at `base_url`, signed in as
    /// `email` and ready.
    pub async fn ready(base_url: &str, email: &str, password: &str) -> Widget {
        let browser = Browser::start().await;
        browser
            .ready_in_standalone_widget(&format!("{base_url}/widget/"), email, password)
            .await;
        Widget::standalone(browser)
    }

    /// A new browser with the standalone widget, signed in as `email` (a supervisor or admin
    /// sees the supervisor view).
    pub async fn signed_in(base_url: &str, email: &str, password: &str) -> Widget {
        let widget = Widget::opened(base_url).await;
        widget.browser.sign_in_here(email, password).await;
        widget
    }

    /// A new browser with the standalone widget open, nobody signed in.
    pub async fn opened(base_url: &str) -> Widget {
        Widget::open_in(Browser::start().await, base_url).await
    }

    /// [`Widget::opened`] in a window of `width` × `height` CSS px from its first load.
    pub async fn opened_sized(base_url: &str, width: u32, height: u32) -> Widget {
        let browser = Browser::start().await;
        browser.client.set_window_size(width, height).await.unwrap();
        Widget::open_in(browser, base_url).await
    }

    /// The standalone widget of the server at `base_url`, opened in `browser`.
    pub(crate) async fn open_in(browser: Browser, base_url: &str) -> Widget {
        browser
            .client
            .goto(&format!("{base_url}/widget/"))
            .await
            .unwrap();
        Widget::standalone(browser)
    }

    /// The widget that is `browser`'s page.
    pub fn standalone(browser: Browser) -> Widget {
        Widget {
            browser,
            framed: false,
        }
    }

    /// The widget in `browser`'s host page frame (`browser.widget_frame`).
    pub fn framed(browser: Browser) -> Widget {
        Widget {
            browser,
            framed: true,
        }
    }

    /// Evaluate `script` until it answers (not null or false).
    pub async fn eval(&self, what: &str, script: &str) -> Value {
        if self.framed {
            self.browser.in_widget(what, script).await
        } else {
            self.browser.wait_for(what, WAIT, script).await
        }
    }

    /// Run `script` once and return its answer.
    pub async fn run(&self, script: &str) -> Value {
        self.enter().await;
        let v = self.browser.run(script).await;
        self.leave().await;
        v
    }

    /// Into the widget's frame (nothing when standalone).
    pub async fn enter(&self) {
        if self.framed {
            self.browser.enter_widget().await;
        }
    }

    /// Back to the host page (nothing when standalone).
    pub async fn leave(&self) {
        if self.framed {
            self.browser.leave_widget().await;
        }
    }

    /// Click `css` once it is shown.
    pub async fn click(&self, css: &str) {
        if self.framed {
            self.browser.click_in_widget(css).await;
        } else {
            self.browser.click(css).await;
        }
    }

    /// Clear the field `css` and type `text`.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.enter().await;
        self.browser.type_here(css, text).await;
        self.leave().await;
    }

    /// Choose `value` in the `<select>` `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.enter().await;
        self.browser.select_here(css, value).await;
        self.leave().await;
    }

    /// Wait until `css` exists.
    pub async fn wait_present(&self, what: &str, css: &str) {
        self.eval(
            what,
            &format!(
                "return document.querySelector({}) ? true : null;",
                json!(css)
            ),
        )
        .await;
    }

    /// Wait until no `css` is left.
    pub async fn wait_absent(&self, what: &str, css: &str) {
        self.eval(
            what,
            &format!(
                "return document.querySelector({}) ? null : true;",
                json!(css)
            ),
        )
        .await;
    }

    /// The text of the first `css`, once it has one.
    pub async fn text_of(&self, what: &str, css: &str) -> Value {
        self.eval(
            what,
            &format!(
                "const e = document.querySelector({}); return e && e.textContent ? e.textContent : null;",
                json!(css)
            ),
        )
        .await
    }

    // --- Signing in, status, the page itself ---------------------------------------------

    /// Wait for the sign-in form.
    pub async fn wait_sign_in_form(&self) {
        self.wait_present("the sign-in form", "[data-test=signin]")
            .await;
    }

    /// Wait until the agent is signed in (the status menu shows).
    pub async fn wait_signed_in(&self) {
        self.wait_present("the signed-in widget", "[data-test=status]")
            .await;
    }

    /// Sign in with the widget's own form and choose Ready (a real gesture: it unlocks the
    /// ring sound).
    pub async fn sign_in_ready(&self, email: &str, password: &str) {
        self.type_into("[data-test=email]", email).await;
        self.type_into("[data-test=password]", password).await;
        self.click("[data-test=sign-in]").await;
        self.choose_ready().await;
    }

    /// Choose Ready in the status menu once the agent is signed in.
    pub async fn choose_ready(&self) {
        self.wait_signed_in().await;
        self.select("[data-test=status]", "ready").await;
    }

    /// Whether the "sound is blocked" warning is hidden ("true"/"false").
    pub async fn sound_warning_hidden(&self) -> Value {
        self.eval(
            "the status row",
            "const w = document.querySelector('[data-test=sound-warning]'); return w ? String(w.hidden) : null;",
        )
        .await
    }

    /// Wait until the connection dot says online (`online`) or not.
    pub async fn wait_online(&self, online: bool) {
        let what = if online {
            "the widget to reconnect"
        } else {
            "the widget to notice the outage"
        };
        self.eval(
            what,
            &format!(
                "const d = document.querySelector('.dot'); return d && d.classList.contains('online') === {online} ? true : null;"
            ),
        )
        .await;
    }

    /// The widget's `data-state` once it is past "checking".
    pub async fn state(&self) -> Value {
        self.eval(
            "the widget's state",
            "const s = document.querySelector('[data-state]'); return s && s.dataset.state !== 'checking' ? s.dataset.state : null;",
        )
        .await
    }

    /// The widget's text once it has started (past "checking").
    pub async fn started_text(&self) -> String {
        self.eval(
            "the widget to render",
            "const w = document.querySelector('#switchboard-widget [data-state]'); \
             return w && w.dataset.state !== 'checking' ? document.body.innerText : null;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The page's visible text once the sign-in form shows.
    pub async fn sign_in_text(&self) -> Value {
        self.eval(
            "the sign-in form",
            "const f = document.querySelector('[data-test=signin]'); return f ? document.body.innerText : null;",
        )
        .await
    }

    /// The shown notice's text, once it is shown and contains `text`.
    pub async fn notice_containing(&self, text: &str) -> Value {
        self.eval(
            &format!("a notice about {text:?}"),
            &format!(
                "const n = document.querySelector('[data-test=notice]'); return n && !n.hidden && n.innerText && n.innerText.includes({}) ? n.innerText : null;",
                json!(text)
            ),
        )
        .await
    }

    /// Whether the page scrolls sideways.
    pub async fn scrolls_sideways(&self) -> Value {
        self.run("return document.documentElement.scrollWidth > window.innerWidth;")
            .await
    }

    /// How wide the widget is and what is wider (`{w, scroll, wide}`).
    pub async fn widths(&self) -> Value {
        let widths = self
            .eval(
                "the widget's width",
                "const w = document.documentElement.clientWidth;
                 const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
                   .map(e => e.tagName + '.' + e.className + '[' + (e.dataset.test || '') + '] ' + Math.round(e.getBoundingClientRect().right));
                 return JSON.stringify({ w, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8) });",
            )
            .await;
        serde_json::from_str(widths.as_str().unwrap()).unwrap()
    }

    /// The widget's address (path and query).
    pub async fn address(&self) -> String {
        self.eval(
            "the widget's address",
            "return location.pathname + location.search;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// What the browser fetched for the first load (Resource Timing): `[name, encoded bytes,
    /// decoded bytes]` of the WASM, JS, CSS, the loader, `early.js` and wasm-bindgen's
    /// snippets.
    pub async fn first_load(&self) -> Vec<(String, u64, u64)> {
        let loaded = self
            .run(
                "return performance.getEntriesByType('resource')
                    .filter(e => /\\/((frontend|style|boot)-[^/]*\\.(wasm|js|css)|early\\.js|snippets\\/.*\\.js)$/.test(e.name))
                    .map(e => [e.name, e.encodedBodySize, e.decodedBodySize]);",
            )
            .await;
        serde_json::from_value(loaded).unwrap()
    }

    /// Whether the on-demand extras were fetched.
    pub async fn loaded_extras(&self) -> Value {
        self.run(
            "return performance.getEntriesByType('resource').some(e => e.name.includes('/extras/'));",
        )
        .await
    }

    /// Is `css` shown now (present and not inside anything hidden)?
    pub async fn is_shown(&self, css: &str) -> Value {
        self.run(&shown_script(css)).await
    }

    /// Wait until `css` is shown (`want`) or not.
    pub async fn wait_shown(&self, what: &str, css: &str, want: bool) {
        self.eval(
            what,
            &format!(
                "return (() => {{ {} }})() === {want} ? true : null;",
                shown_script(css)
            ),
        )
        .await;
    }

    /// Wait until a service worker controls the page.
    pub async fn wait_service_worker(&self) {
        self.eval(
            "the service worker to control the page",
            "return navigator.serviceWorker && navigator.serviceWorker.controller ? true : null;",
        )
        .await;
    }

    /// The page's title once the widget's shell (its sign-in form and `early.js`) shows.
    pub async fn shell_title(&self) -> Value {
        self.eval(
            "the widget's shell",
            "return document.querySelector('[data-test=signin]') && window.__sbEarly !== undefined ? document.title : null;",
        )
        .await
    }

    /// Post a host request to the widget's own window (so from the widget's origin, not its
    /// parent's): the widget must ignore it.
    pub async fn post_to_itself(&self, request_id: &str) {
        self.run(&format!(
            "window.postMessage({{source:'switchboard', v:1, type:'snapshot.request', id:'x2', ts:0, requestId:{}, data:{{}}}}, '*'); return true;",
            json!(request_id)
        ))
        .await;
    }

    /// What the widget's frame holds: `{href, widget}` (whether the widget's page loaded).
    pub async fn frame_contents(&self) -> Value {
        self.run(
            "return {href: location.href, widget: !!document.querySelector('meta[name=switchboard-widget]')};",
        )
        .await
    }

    /// Whether an inline script added to the widget runs (its CSP should refuse it).
    pub async fn inline_script_runs(&self) -> Value {
        self.run(
            "window.__inlineRan = false; const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s); return window.__inlineRan;",
        )
        .await
    }

    /// axe-core's serious and critical findings in the widget (`scripts/setup.sh` installs
    /// axe-core into `.tools/`).
    pub async fn axe(&self) -> Vec<Value> {
        self.enter().await;
        let found = self.browser.axe_findings().await;
        self.leave().await;
        found
    }

    /// Reload the widget (or its host page).
    pub async fn reload(&self) {
        self.browser.client.refresh().await.unwrap();
    }

    /// End the browser.
    pub async fn close(self) {
        self.browser.close().await;
    }
}

/// A script that says whether `css` is shown (present and not inside anything hidden).
fn shown_script(css: &str) -> String {
    format!(
        "const e = document.querySelector({}); return !!(e && !e.closest('[hidden]') && e.offsetParent !== null);",
        json!(css)
    )
}
