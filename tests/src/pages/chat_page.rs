//! The customer's chat page, opened from a website's `/chat.js` bubble: the page runs in the
//! bubble's frame, so every step enters it.

use super::*;
use crate::browser::Browser;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::Locator;
use serde_json::Value;
use std::time::Duration;

/// The bubble's chat frame on the website.
const FRAME: &str = "[data-switchboard-chat=frame]";
const ENTER: &str = "\u{E007}";
const SHIFT: char = '\u{E008}';
const WAIT: Duration = Duration::from_secs(20);

pub struct ChatPage {
    pub browser: Browser,
}

impl ChatPage {
    /// A customer's browser on the website (or any page with the bubble) at `url`, the chat
    /// opened from the bubble.
    pub async fn open(url: &str) -> ChatPage {
        let page = ChatPage::website(url).await;
        page.open_bubble().await;
        page
    }

    /// A customer's browser on the website at `url`, the bubble not opened.
    pub async fn website(url: &str) -> ChatPage {
        let mut browser = Browser::start().await;
        browser.widget_frame = FRAME;
        browser.client.goto(url).await.unwrap();
        ChatPage { browser }
    }

    /// Go to another page of a website.
    pub async fn goto(&self, url: &str) {
        self.browser.client.goto(url).await.unwrap();
    }

    /// The website's console errors (the test site records them), once there is one.
    pub async fn console_errors(&self) -> String {
        self.browser
            .wait_for(
                "the bubble's console error",
                WAIT,
                "return window.consoleErrors.length ? window.consoleErrors.join('\\n') : null;",
            )
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// How many console errors the website logged.
    pub async fn console_error_count(&self) -> Value {
        self.browser
            .run("return window.consoleErrors.length;")
            .await
    }

    /// How many of the bubble's elements (the bubble, its frame) the website holds.
    pub async fn bubble_parts(&self) -> Value {
        self.browser
            .run("return document.querySelectorAll('[data-switchboard-chat]').length;")
            .await
    }

    /// `SwitchboardChat.open()` from the website's own code; then how many of the bubble's
    /// elements the website holds.
    pub async fn open_from_page_code(&self) -> Value {
        self.browser
            .run("window.SwitchboardChat && window.SwitchboardChat.open(); return document.querySelectorAll('[data-switchboard-chat]').length;")
            .await
    }

    /// Wait until the website shows the bubble.
    pub async fn wait_bubble(&self) {
        self.browser
            .wait_for(
                "the bubble",
                WAIT,
                "return document.querySelector('[data-switchboard-chat=bubble]') ? true : null;",
            )
            .await;
    }

    /// Evaluate `script` in the chat frame until it answers (not null or false).
    pub async fn eval(&self, what: &str, script: &str) -> Value {
        self.browser.in_widget(what, script).await
    }

    /// Type `value` into the pre-chat form's field `field` (`name`, `email`, `question`,
    /// `message`).
    pub async fn fill(&self, field: &str, value: &str) {
        self.browser
            .type_in_widget(&format!("[data-test={field}]"), value)
            .await;
    }

    /// Press the form's start (or send) button.
    pub async fn submit_form(&self) {
        self.browser.click_in_widget("[data-test=start]").await;
    }

    /// Fill the whole pre-chat form and start the chat.
    pub async fn start_chat(&self, name: &str, email: &str, question: &str) {
        for (field, value) in [("name", name), ("email", email), ("question", question)] {
            self.fill(field, value).await;
        }
        self.submit_form().await;
    }

    /// The message the form shows for what the server refused.
    pub async fn form_error(&self) -> String {
        self.eval(
            "the form's error",
            "const e = document.querySelector('[data-test=form-error]'); return e && e.textContent ? e.textContent : null;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The leave-a-message form is shown (nobody can chat).
    pub async fn wait_leave_message_form(&self) {
        self.eval(
            "the leave-a-message form",
            "return document.querySelector('[data-test=leave-message]') ? true : null;",
        )
        .await;
    }

    /// The thanks shown once a message was left.
    pub async fn thanks(&self) -> String {
        self.eval(
            "the thanks",
            "const t = document.querySelector('[data-test=message-left]'); return t ? t.textContent : null;",
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// The opening hours beside the leave-a-message form: `{title, items, zone}` (`zone`, the
    /// browser's own time zone).
    pub async fn opening_hours(&self) -> Value {
        self.eval(
            "the opening hours",
            "const h = document.querySelector('[data-test=opening-hours]'); if (!h || !document.querySelector('[data-test=leave-message]')) return null; \
             const fmt = (o) => new Intl.DateTimeFormat(undefined, o); \
             return { title: h.querySelector('p').textContent, items: [...h.querySelectorAll('li')].map(li => li.textContent), \
                      zone: fmt({}).resolvedOptions().timeZone };",
        )
        .await
    }

    /// The pre-chat form is shown.
    pub async fn wait_form(&self) {
        self.eval(
            "the pre-chat form",
            "return document.querySelector('[data-test=name]') ? true : null;",
        )
        .await;
    }

    /// The texts of the conversation's messages, oldest first, once there are `at_least`.
    pub async fn bodies(&self, at_least: usize) -> Vec<String> {
        let v = self
            .eval(
                &format!("{at_least} messages in the chat"),
                &bodies_script(at_least),
            )
            .await;
        serde_json::from_value(v).unwrap()
    }

    /// Wait until the status line says exactly `text`.
    pub async fn wait_status(&self, text: &str) {
        self.eval(
            &format!("the status {text:?}"),
            &format!(
                "const s = document.querySelector('[data-test=status]'); return s && s.textContent === {} ? true : null;",
                json!(text)
            ),
        )
        .await;
    }

    /// Wait until the status line contains `text`.
    pub async fn wait_status_with(&self, text: &str) {
        self.eval(
            &format!("the status with {text:?}"),
            &format!(
                "const s = document.querySelector('[data-test=status]'); return s && s.textContent.includes({}) ? true : null;",
                json!(text)
            ),
        )
        .await;
    }

    /// Wait until the conversation's log contains `text` (a line such as "Ada joined").
    pub async fn wait_line(&self, text: &str) {
        self.eval(
            &format!("the line {text:?}"),
            &format!(
                "const l = document.querySelector('[data-test=chat-log]'); return l && l.textContent.includes({}) ? true : null;",
                json!(text)
            ),
        )
        .await;
    }

    /// Wait until the typing line says exactly `text` ("" once it is gone).
    pub async fn wait_typing(&self, text: &str) {
        self.eval(&format!("the typing line {text:?}"), &typing_script(text))
            .await;
    }

    /// What the typing line says now ("" when nobody types).
    pub async fn typing_text(&self) -> String {
        self.eval(
            "the typing line",
            "const t = document.querySelector('[data-test=chat-typing]'); return t ? t.textContent : null;",
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// How many `tag` elements the conversation's log holds.
    pub async fn count_in_log(&self, tag: &str) -> usize {
        let n = self
            .eval(&format!("{tag} in the log"), &count_in_log_script(tag))
            .await;
        n.as_str().unwrap().parse().unwrap()
    }

    /// The receipt lines of the customer's own messages, oldest first.
    pub async fn receipts(&self) -> Value {
        self.eval("the receipt lines", RECEIPTS).await
    }

    /// Wait until there are `n` receipt lines and each says `label`.
    pub async fn wait_receipts(&self, n: usize, label: &str) {
        self.eval(
            &format!("{n} receipts {label:?}"),
            &receipts_script(n, label),
        )
        .await;
    }

    /// Type `text` into the composer (typing is told to the agent), without sending.
    pub async fn type_message(&self, text: &str) {
        self.browser
            .type_in_widget("[data-test=chat-input]", text)
            .await;
    }

    /// Send what the composer holds with Enter.
    pub async fn press_enter(&self) {
        self.browser.enter_widget().await;
        self.composer().await.send_keys(ENTER).await.unwrap();
        self.browser.leave_widget().await;
    }

    /// Write `first`, Shift+Enter, `second`, and send the two lines with Enter.
    pub async fn send_two_lines(&self, first: &str, second: &str) {
        self.browser.enter_widget().await;
        self.browser
            .client
            .execute(
                "document.querySelector('[data-test=chat-input]').focus();",
                vec![],
            )
            .await
            .unwrap();
        let composer = self.composer().await;
        let shift_enter = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: SHIFT })
            .then(KeyAction::Down { value: '\u{E007}' })
            .then(KeyAction::Up { value: '\u{E007}' })
            .then(KeyAction::Up { value: SHIFT });
        composer.send_keys(first).await.unwrap();
        self.browser
            .client
            .perform_actions(shift_enter)
            .await
            .unwrap();
        composer
            .send_keys(&format!("{second}{ENTER}"))
            .await
            .unwrap();
        self.browser.leave_widget().await;
    }

    async fn composer(&self) -> fantoccini::elements::Element {
        self.browser
            .client
            .find(Locator::Css("[data-test=chat-input]"))
            .await
            .unwrap()
    }

    /// Pick a file in the conversation's picker (made in the page from base64).
    pub async fn pick_file(&self, base64: &str, name: &str, kind: &str) {
        self.eval(
            &format!("{name} picked"),
            &pick_file_script(base64, name, kind),
        )
        .await;
    }

    /// Wait until the log shows a picture that loaded (1 px wide).
    pub async fn wait_picture(&self) {
        self.eval(
            "a picture in the log",
            "const img = document.querySelector('[data-test=chat-log] [data-test=attachment] img'); return img && img.complete && img.naturalWidth === 1 ? true : null;",
        )
        .await;
    }

    /// Click the log's PDF link once; true once it downloaded (a `blob:` address) and reads
    /// `label` beside a document icon.
    pub async fn download_pdf(&self, label: &str) {
        self.eval(
            "the PDF in the log",
            &format!(
                "const a = document.querySelector('[data-test=chat-log] [data-test=attachment][data-kind=\"application/pdf\"]'); if (!a) return null; if (!a.dataset.clicked) {{ a.dataset.clicked = '1'; a.click(); }} return a.href.startsWith('blob:') && a.textContent === {} && a.querySelector('svg[aria-hidden=true]') ? true : null;",
                json!(label)
            ),
        )
        .await;
    }

    /// The file picker's accessible name, text, icon and size (see `PICKER`).
    pub async fn picker(&self) -> Value {
        self.eval("the customer's picker", PICKER).await
    }

    /// Reload the website: the bubble opens the chat again.
    pub async fn reload(&self) {
        self.browser.client.refresh().await.unwrap();
    }

    /// Fold the chat back into its bubble.
    pub async fn minimize(&self) {
        self.browser.click_in_widget("[data-test=minimize]").await;
    }

    /// Open the chat from the bubble.
    pub async fn open_bubble(&self) {
        self.browser.click("[data-switchboard-chat=bubble]").await;
    }

    /// Wait until the folded bubble counts `count` unread messages.
    pub async fn wait_unread(&self, count: usize) {
        self.browser
            .wait_for(
                "the unread count",
                WAIT,
                &format!(
                    "const b = document.querySelector('[data-switchboard-chat=unread]'); return b && !b.hidden && b.textContent === '{count}' ? true : null;"
                ),
            )
            .await;
    }

    /// End the chat, and wait until the page says so and offers the transcript.
    pub async fn end(&self) {
        self.browser.click_in_widget("[data-test=end]").await;
        self.eval(
            "the ended chat",
            "const d = document.querySelector('[data-test=download]'); return d && !d.closest('[hidden]') && document.querySelector('[data-test=status]').textContent === 'This chat has ended.' ? true : null;",
        )
        .await;
    }

    pub async fn close(self) {
        self.browser.close().await;
    }
}
