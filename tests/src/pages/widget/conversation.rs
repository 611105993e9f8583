//! Conversations, engagement tabs, transfers and the supervisor view.

use super::Widget;
use crate::pages::*;
use fantoccini::Locator;
use serde_json::{json, Value};

impl Widget {
    /// The texts of the shown conversation's messages, oldest first, once there are
    /// `at_least`.
    pub async fn bodies(&self, at_least: usize) -> Vec<String> {
        let v = self
            .eval(
                &format!("{at_least} messages in the conversation"),
                &bodies_script(at_least),
            )
            .await;
        serde_json::from_value(v).unwrap()
    }

    /// Wait until the conversation holds exactly `n` messages, the last reading `last`.
    pub async fn wait_last_message(&self, n: usize, last: &str) {
        self.eval(
            &format!("message {n}: {last:?}"),
            &format!(
                "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length === {n} && m[{n} - 1] === {} ? true : null;",
                json!(last)
            ),
        )
        .await;
    }

    /// Wait until the conversation holds `n` messages and the last one (the agent's) is read;
    /// then its text and how many pictures the log holds (markup would make some).
    pub async fn last_read(&self, n: usize) -> Value {
        self.eval(
            "the agent's message, read",
            &format!(
                "const m = [...document.querySelectorAll('[data-test=chat-message]')]; const last = m[m.length - 1]; return m.length === {n} && last.querySelector('[data-test=chat-receipt]').textContent === '✓✓ Read' ? {{ text: last.querySelector('p').textContent, imgs: document.querySelectorAll('[data-test=chat-log] img').length }} : null;"
            ),
        )
        .await
    }

    /// Wait until the conversation holds `n` messages, the last one read; then their texts.
    pub async fn bodies_last_read(&self, n: usize) -> Value {
        self.eval(
            "the conversation, its last message read",
            &format!(
                "const m = [...document.querySelectorAll('[data-test=chat-message]')]; return m.length === {n} && m[{n} - 1].querySelector('[data-test=chat-receipt]').textContent === '✓✓ Read' ? m.map(x => x.querySelector('p').textContent) : null;"
            ),
        )
        .await
    }

    /// Wait until the typing line says exactly `text`.
    pub async fn wait_typing(&self, text: &str) {
        self.eval(&format!("the typing line {text:?}"), &typing_script(text))
            .await;
    }

    /// Write `text` in the shown panel's conversation and send it with Enter.
    pub async fn reply(&self, text: &str) {
        self.send_when_shown(
            "[data-test=panel]:not([hidden]) [data-test=chat-input]",
            text,
        )
        .await;
    }

    /// The shown panel's reply box once `until` (a JavaScript condition on `r`) holds:
    /// `r.value`, `r.selected` (the selected text), `r.hint` (the canned-response line).
    pub async fn reply_box(&self, until: &str) -> Value {
        self.eval(
            &format!("the reply box with {until}"),
            &format!(
                "const p = document.querySelector('[data-test=panel]:not([hidden])'); const i = p && p.querySelector('[data-test=chat-input]'); if (!i) return null; const h = p.querySelector('[data-test=canned-hint]'); const r = {{ value: i.value, selected: i.value.slice(i.selectionStart, i.selectionEnd), hint: h ? h.textContent : null, error: [...p.querySelectorAll('[data-test=chat-error]')].map(e => e.textContent).join('|') }}; return ({until}) ? r : null;"
            ),
        )
        .await
    }

    /// Press Enter in the shown panel's reply box (sends what it holds).
    pub async fn press_enter_in_reply(&self) {
        self.send_when_shown("[data-test=panel]:not([hidden]) [data-test=chat-input]", "")
            .await;
    }

    /// Empty the shown panel's reply box, open its canned responses and pick `/shortcut`.
    pub async fn pick_canned(&self, shortcut: &str) {
        self.run(
            "const i = document.querySelector('[data-test=panel]:not([hidden]) [data-test=chat-input]'); i.value = ''; i.focus(); return true;",
        )
        .await;
        self.click("[data-test=panel]:not([hidden]) [data-test=canned-open]")
            .await;
        self.click(&format!(
            "[data-test=panel]:not([hidden]) [data-test=canned-list] [data-shortcut={shortcut}]"
        ))
        .await;
    }

    /// Type `text` and Enter into the field `css` once it is rendered and shown: a
    /// conversation mounts after its panel, so the field can exist before it is usable.
    async fn send_when_shown(&self, css: &str, text: &str) {
        self.eval(
            &format!("{css} shown"),
            &format!(
                "const e = document.querySelector({}); return e && e.getClientRects().length && !e.closest('[hidden]') ? true : null;",
                json!(css)
            ),
        )
        .await;
        self.enter().await;
        self.browser
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .send_keys(&format!("{text}\u{E007}"))
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
        self.leave().await;
    }

    /// Wait until `n` engagements ring.
    pub async fn wait_offers(&self, n: usize) {
        self.eval(
            &format!("{n} ringing at once"),
            &format!(
                "return document.querySelectorAll('[data-test=offer]').length === {n} ? true : null;"
            ),
        )
        .await;
    }

    /// Wait until `held` engagements have a tab and `ringing` still ring.
    pub async fn wait_held(&self, held: usize, ringing: usize) {
        self.eval(
            &format!("{held} held, {ringing} ringing"),
            &format!(
                "return document.querySelectorAll('nav.tabs [data-test=tab]').length === {held} && document.querySelectorAll('[data-test=offer]').length === {ringing} ? true : null;"
            ),
        )
        .await;
    }

    /// The tabs' texts.
    pub async fn tab_names(&self) -> Value {
        self.eval(
            "the tabs",
            "return [...document.querySelectorAll('nav.tabs [data-test=tab]')].map(t => t.textContent);",
        )
        .await
    }

    /// Wait until `n` tabs are left and none names `who`.
    pub async fn wait_tabs_without(&self, n: usize, who: &str) {
        self.eval(
            &format!("{n} tabs, none for {who}"),
            &format!(
                "const t = [...document.querySelectorAll('nav.tabs [data-test=tab]')].map(t => t.textContent); return t.length === {n} && !t.some(x => x.includes({})) ? true : null;",
                json!(who)
            ),
        )
        .await;
    }

    /// Transfer the shown engagement to the colleague `agent_id` (the transfer list loads
    /// when opened).
    pub async fn transfer_to_agent(&self, agent_id: &str) {
        let select = "[data-test=panel]:not([hidden]) [data-test=transfer-select]";
        let value = format!("a:{agent_id}");
        self.click(select).await;
        self.eval(
            "the colleague in the transfer list",
            &format!(
                "return document.querySelector({}) ? true : null;",
                json!(format!("{select} option[value=\"{value}\"]"))
            ),
        )
        .await;
        self.run(
                &format!(
                    "const s = document.querySelector({}); s.value = {}; s.dispatchEvent(new Event('change')); return true;",
                    json!(select),
                    json!(value)
                ),
        )
        .await;
        self.click("[data-test=panel]:not([hidden]) [data-test=transfer]")
            .await;
    }

    /// The first supervisor's message in the shown conversation: `{who, text}`.
    pub async fn supervisor_message(&self) -> Value {
        self.eval(
            "a supervisor's message in the conversation",
            "const m = [...document.querySelectorAll('[data-test=panel]:not([hidden]) [data-test=chat-message][data-author=supervisor]')]; return m.length ? { who: m[0].querySelector('.who').textContent, text: m[0].querySelector('p').textContent } : null;",
        )
        .await
    }

    /// From the supervisor view: barge into the live engagement `id`.
    pub async fn barge(&self, id: &str) {
        self.click(&format!(
            "[data-test=live-engagements] li[data-engagement='{id}'] [data-test=barge]"
        ))
        .await;
    }

    /// The texts of the barged chat's messages, once there are `at_least`.
    pub async fn barged_bodies(&self, at_least: usize) -> Vec<String> {
        let v = self
            .eval(
                &format!("{at_least} messages in the barged chat"),
                &format!(
                    "const m = [...document.querySelectorAll('[data-test=barged-chat] [data-test=chat-message] p')].map(p => p.textContent); return m.length >= {at_least} ? m : null;"
                ),
            )
            .await;
        serde_json::from_value(v).unwrap()
    }

    /// Wait until the barged chat shows exactly `n` messages.
    pub async fn wait_barged_messages(&self, n: usize) {
        self.eval(
            &format!("{n} messages in the barged chat"),
            &format!(
                "return document.querySelectorAll('[data-test=barged-chat] [data-test=chat-message]').length === {n} ? true : null;"
            ),
        )
        .await;
    }

    /// Write `text` in the barged chat and send it with Enter.
    pub async fn reply_in_barged(&self, text: &str) {
        self.send_when_shown("[data-test=barged-chat] [data-test=chat-input]", text)
            .await;
    }

    /// Wait until `n` engagements have a tab.
    pub async fn wait_tabs(&self, n: usize) {
        self.eval(
            &format!("{n} tabs"),
            &format!(
                "return document.querySelectorAll('nav.tabs [data-test=tab]').length === {n} ? true : null;"
            ),
        )
        .await;
    }

    /// Show the panel of the engagement whose tab names `who`.
    pub async fn open_tab(&self, who: &str) {
        self.run(
                &format!(
                    "[...document.querySelectorAll('nav.tabs [data-test=tab]')].find(t => t.textContent.includes({})).click(); return true;",
                    json!(who)
                ),
        )
        .await;
    }

    /// Wait for a tab's unread count: `{count, title}` (the page's title counts too).
    pub async fn unread(&self) -> Value {
        self.eval(
            "the unread count",
            "const u = document.querySelector('nav.tabs [data-test=unread]'); return u ? { count: u.textContent, title: document.title } : null;",
        )
        .await
    }

    /// Open the tab that counts unread messages, and wait until no count is left (the
    /// title's either).
    pub async fn read_unread_tab(&self) {
        self.run(
                "document.querySelector('nav.tabs [data-test=unread]').closest('[data-test=tab]').click(); return true;",
        )
        .await;
        self.eval(
            "the count cleared",
            "return !document.querySelector('[data-test=unread]') && document.title === 'Switchboard' ? true : null;",
        )
        .await;
    }

    /// Wait for a picture in the conversation that loaded; then its `alt`, the start of its
    /// address and its link's title.
    pub async fn picture(&self) -> Value {
        self.eval(
            "a picture in the conversation",
            "const a = document.querySelector('[data-test=chat-log] [data-test=attachment]'); const img = a && a.querySelector('img'); return img && img.complete && img.naturalWidth === 1 ? { alt: img.alt, src: img.src.slice(0, 5), title: a.title } : null;",
        )
        .await
    }

    /// Pick a file in the conversation's picker (made in the page from base64).
    pub async fn pick_file(&self, base64: &str, name: &str, kind: &str) {
        self.eval(
            &format!("{name} picked"),
            &pick_file_script(base64, name, kind),
        )
        .await;
    }

    /// The file picker's accessible name, text, icon and size (see `PICKER`).
    pub async fn picker(&self) -> Value {
        self.eval("the agent's picker", PICKER).await
    }

    /// The supervisor view's queue-stats row for queue `name`: its cells' texts.
    pub async fn queue_stats_row(&self, name: &str) -> Value {
        self.eval(
            &format!("the {name} row of the queue stats"),
            &format!(
                "const r = [...document.querySelectorAll('[data-test=queue-stats] tr')].find(r => r.cells[0].textContent === {}); return r ? [...r.cells].map(c => c.textContent) : null;",
                json!(name)
            ),
        )
        .await
    }

    /// The supervisor view's charts of queue `name` once `until` (a JavaScript condition on
    /// `t`) holds: `t.now` (the number waiting now, as the waiting chart says it), `t.waiting`
    /// and `t.sl` (the waiting and service-level charts' lines, as their SVG points), and
    /// `t.caption`.
    pub async fn queue_trend(&self, name: &str, until: &str) -> Value {
        self.eval(
            &format!("the {name} charts with {until}"),
            &format!(
                "const f = [...document.querySelectorAll('[data-test=queue-trend]')].find(f => f.querySelector('figcaption').textContent.startsWith({} + ':')); if (!f) return null; const lines = (c) => [...f.querySelectorAll(`[data-test=${{c}}] polyline`)].map(p => p.getAttribute('points')).join('|'); const w = f.querySelector('[data-test=waiting-chart]'); const t = {{ now: w.getAttribute('data-now'), waiting: lines('waiting-chart'), sl: lines('sl-chart'), caption: f.querySelector('figcaption').textContent, label: w.getAttribute('aria-label') }}; return ({until}) ? t : null;",
                json!(name)
            ),
        )
        .await
    }

    /// The supervisor view's longest-waiting row of engagement `id`: its cells' texts.
    pub async fn longest_waiting_row(&self, id: &str) -> Value {
        self.eval(
            &format!("{id} among the longest waiting"),
            &format!(
                "const r = document.querySelector('[data-test=longest-waiting] tr[data-engagement=\"{id}\"]'); return r ? [...r.cells].map(c => c.textContent) : null;"
            ),
        )
        .await
    }

    /// The supervisor view's agents by status once `until` (a condition on `a`, the counts
    /// by status) holds.
    pub async fn agents_by_status(&self, until: &str) -> Value {
        self.eval(
            &format!("agents by status with {until}"),
            &format!(
                "const e = document.querySelector('[data-test=agents-by-status]'); if (!e) return null; const a = {{ ready: +e.dataset.ready, busy: +e.dataset.busy, not_ready: +e.dataset.not_ready, offline: +e.dataset.offline }}; return ({until}) ? a : null;"
            ),
        )
        .await
    }

    /// How many engagement tabs there are, once there are `n`.
    pub async fn engagement_tabs(&self, n: usize) -> Value {
        self.eval(
            &format!("{n} engagement tabs"),
            &format!(
                "const t = document.querySelectorAll('.tabs[aria-label=Engagements] [data-test=tab]'); return t.length === {n} ? t.length : null;"
            ),
        )
        .await
    }

    /// Whether the transfer list `select` names `who` ("yes"/"no").
    pub async fn transfer_list_names(&self, select: &str, who: &str) -> Value {
        self.run(&format!(
            "return [...document.querySelectorAll({})].some(o => o.textContent.includes({})) ? 'yes' : 'no';",
            json!(format!("{select} option")),
            json!(who)
        ))
        .await
    }
}
