//! One chat conversation, the same on both sides: the agent's panel (`extras`) and the
//! customer's chat page (`chat`) each own one and differ only in their [`Side`]. It is the log
//! (each message once, by id, as text; the side's own messages with a receipt line that only
//! moves forward: ✓ Sent → ✓✓ Delivered → ✓✓ Read), the other side typing, lines about the
//! chat ("Ada joined the chat", "Not sent: …"), and the composer (Enter sends, Shift+Enter
//! starts a new line, a file button beside Send). What a side does with what happens — where
//! a message is sent, receipts, the socket — stays with its owner, told through [`Ask`].
//!
//! One set of `data-test` names for both sides: `conversation`, `chat-log`, `chat-message`
//! (with `data-author`), `chat-receipt`, `chat-typing`, `chat-input`, `chat-send`,
//! `chat-file`, `chat-error`.

use crate::dom::{after, append, attr, clear_timer, el, text_el, Listeners};
use crate::files::{show_attachment, AttachButton};
use crate::text;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};

/// A receipt line, in the order it moves.
pub const SENT: &str = "✓ Sent";
pub const DELIVERED: &str = "✓✓ Delivered";
pub const READ: &str = "✓✓ Read";

/// How long "… is typing" stays without another sign.
const TYPING_SHOWN_MS: i32 = 6_000;
/// A side's own typing is told at most this often.
const TYPING_EVERY_MS: f64 = 3_000.0;

/// Whose screen the conversation is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The agent's panel (or a supervisor's who barged in): everything not the customer's is
    /// the side's own.
    Agent,
    /// The customer's chat page: their messages are "You".
    Customer,
}

impl Side {
    fn is_own(self, author_kind: &str) -> bool {
        (author_kind == "consumer") == (self == Side::Customer)
    }

    /// The name shown above a message.
    fn who(self, kind: &str, name: String) -> String {
        match (self, kind) {
            (Side::Customer, "consumer") => "You".into(),
            (Side::Agent, "supervisor") => format!("{name} (supervisor)"),
            _ => name,
        }
    }
}

/// What the composer asks of the conversation's owner.
pub enum Ask {
    /// Send this text (not blank; the composer is already cleared).
    Send(String),
    /// Send this file.
    File(web_sys::File),
    /// The side is typing (at most every few seconds).
    Typed,
}

/// A message just shown, for what its owner does next (receipts, a transcript, the host).
pub struct Shown {
    pub id: String,
    /// The author's kind: `consumer`, `agent`, `supervisor`, `system`.
    pub kind: String,
    pub name: String,
    pub body: String,
    /// "14:05".
    pub at: String,
    /// The attached file's name.
    pub file: Option<String>,
    /// Written by this side.
    pub own: bool,
}

pub struct Conversation {
    side: Side,
    /// `section.conversation`: the log, the typing line and the composer.
    pub root: Element,
    log: Element,
    typing: Element,
    composer: Element,
    input: HtmlTextAreaElement,
    /// Messages shown, by id (a sent message is shown on the answer and comes again by the
    /// socket).
    shown: Vec<String>,
    /// This side's messages, oldest first, with their receipt line.
    own: Vec<(String, Element)>,
    typing_timer: Option<i32>,
    last_typed_ms: f64,
    listeners: Listeners,
    /// The file picker beside Send (holds its listeners).
    _attach: AttachButton,
}

impl Conversation {
    /// Build the conversation (not yet in the page: place [`Conversation::root`]); `ask` is
    /// told what the composer wants.
    pub fn new(side: Side, ask: impl Fn(Ask) + Clone + 'static) -> Self {
        let root = el("section", "conversation");
        attr(&root, "data-test", "conversation");
        attr(&root, "aria-label", "Conversation");
        let log = el("ol", "log");
        attr(&log, "data-test", "chat-log");
        attr(&log, "aria-live", "polite");
        let typing = el("p", "typing");
        attr(&typing, "data-test", "chat-typing");
        let composer = el("form", "composer");
        let input = el("textarea", "");
        attr(&input, "rows", "2");
        attr(&input, "maxlength", "4000");
        let (label, placeholder, send_class) = match side {
            Side::Agent => ("Reply", "Reply… (Enter sends, Shift+Enter new line)", ""),
            Side::Customer => (
                "Message",
                "Type a message… (Enter sends, Shift+Enter new line)",
                "primary",
            ),
        };
        attr(&input, "aria-label", label);
        attr(&input, "placeholder", placeholder);
        attr(&input, "data-test", "chat-input");
        let send = text_el("button", send_class, "Send");
        attr(&send, "type", "submit");
        attr(&send, "data-test", "chat-send");
        let document = crate::dom::document();
        let on_file = ask.clone();
        let attach =
            AttachButton::new(&document, "chat-file", move |file| on_file(Ask::File(file)));
        append(&composer, &[&input, &attach.root, &send]);
        append(&root, &[&log, &typing, &composer]);
        let input: HtmlTextAreaElement = input.unchecked_into();
        let mut listeners = Listeners::default();
        let (submit, field) = (ask.clone(), input.clone());
        listeners.on(&composer, "submit", move |e| {
            e.prevent_default();
            send_draft(&field, &submit);
        });
        let (enter, field) = (ask.clone(), input.clone());
        listeners.on(&input, "keydown", move |e| {
            let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
                e.prevent_default();
                send_draft(&field, &enter);
            }
        });
        listeners.on(&input, "input", move |_| ask(Ask::Typed));
        Conversation {
            side,
            root,
            log,
            typing,
            composer,
            input,
            shown: Vec::new(),
            own: Vec::new(),
            typing_timer: None,
            last_typed_ms: 0.0,
            listeners,
            _attach: attach,
        }
    }

    /// Show one message (once: by id) with its file read from `attachment_path`; `None` when
    /// it was shown already. The other side's message ends their typing.
    pub fn show_message(
        &mut self,
        message: &JsValue,
        attachment_path: impl FnOnce(&str) -> String,
        token: &str,
    ) -> Option<Shown> {
        let id = text(message, "message_id")?;
        if self.shown.contains(&id) {
            return None;
        }
        self.shown.push(id.clone());
        let author = Reflect::get(message, &"author".into()).unwrap_or(JsValue::NULL);
        let kind = text(&author, "kind").unwrap_or_default();
        let name = text(&author, "display_name").unwrap_or_default();
        let body = text(message, "body").unwrap_or_default();
        let at = clock(&text(message, "created_at").unwrap_or_default());
        let own = self.side.is_own(&kind);
        let li = el("li", &format!("msg {kind}"));
        attr(&li, "data-test", "chat-message");
        attr(&li, "data-author", &kind);
        append(
            &li,
            &[&text_el("span", "who", &self.side.who(&kind, name.clone()))],
        );
        if !body.is_empty() {
            append(&li, &[&text_el("p", "", &body)]);
        }
        show_attachment(&li, message, attachment_path(&id), token.to_string());
        append(&li, &[&text_el("time", "", &at)]);
        if own {
            let receipt = text_el("small", "receipt", SENT);
            attr(&receipt, "data-test", "chat-receipt");
            append(&li, &[&receipt]);
            self.own.push((id.clone(), receipt));
        } else {
            self.stop_typing();
        }
        append(&self.log, &[&li]);
        self.scroll_down();
        let file = Reflect::get(message, &"attachment".into())
            .ok()
            .and_then(|f| text(&f, "file_name"));
        Some(Shown {
            id,
            kind,
            name,
            body,
            at,
            file,
            own,
        })
    }

    /// The other side received or read this side's messages up to `up_to`: each of those
    /// shows it (never moving back from read to delivered).
    pub fn show_receipt(&self, status: &str, up_to: &str) {
        let Some(last) = self.own.iter().position(|(id, _)| id == up_to) else {
            return;
        };
        let label = if status == "read" { READ } else { DELIVERED };
        for (_, line) in &self.own[..=last] {
            if line.text_content().as_deref() != Some(READ) {
                line.set_text_content(Some(label));
            }
        }
    }

    /// A line about the chat itself ("Ada joined the chat"), in the log.
    pub fn line(&self, text: &str) -> Element {
        let li = text_el("li", "line", text);
        append(&self.log, &[&li]);
        self.scroll_down();
        li
    }

    /// A line saying why something was not sent.
    pub fn not_sent(&self, why: &str) {
        let li = self.line(&format!("Not sent: {why}"));
        li.set_class_name("line error");
        attr(&li, "data-test", "chat-error");
    }

    /// Show "`who` is typing…" for a few seconds (another sign starts them again).
    pub fn show_typing(&mut self, who: &str) {
        self.typing
            .set_text_content(Some(&format!("{who} is typing…")));
        clear_timer(self.typing_timer.take());
        let typing = self.typing.clone();
        self.typing_timer = after(TYPING_SHOWN_MS, move || typing.set_text_content(None));
    }

    pub fn stop_typing(&mut self) {
        self.typing.set_text_content(None);
        clear_timer(self.typing_timer.take());
    }

    /// Whether this side's typing is to be told now (at most every few seconds).
    pub fn tell_typing(&mut self) -> bool {
        let now = js_sys::Date::now();
        if now - self.last_typed_ms < TYPING_EVERY_MS {
            return false;
        }
        self.last_typed_ms = now;
        true
    }

    /// Whether the composer is shown (the side may write).
    pub fn set_writable(&self, writable: bool) {
        if writable {
            let _ = self.composer.remove_attribute("hidden");
        } else {
            attr(&self.composer, "hidden", "");
        }
    }

    /// The composer's text field (for what the owner adds to it: canned responses).
    pub fn input(&self) -> HtmlTextAreaElement {
        self.input.clone()
    }

    /// A text that was not sent goes back into the composer, unless more was typed since.
    pub fn restore_draft(&self, body: &str) {
        if self.input.value().is_empty() {
            self.input.set_value(body);
        }
    }

    /// The log has the reader's attention where it shows (a rect, and the page in view).
    pub fn in_view(&self) -> bool {
        self.root.get_client_rects().length() > 0
            && self
                .root
                .owner_document()
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
    }

    fn scroll_down(&self) {
        self.log.set_scroll_top(self.log.scroll_height());
    }

    /// Take the conversation out of the page and stop its listeners and timers.
    pub fn unmount(&mut self) {
        clear_timer(self.typing_timer.take());
        self.listeners.clear();
        self.root.remove();
    }
}

impl Drop for Conversation {
    fn drop(&mut self) {
        clear_timer(self.typing_timer.take());
    }
}

/// Hand the composer's text to its owner unless it is blank.
fn send_draft(input: &HtmlTextAreaElement, ask: &impl Fn(Ask)) {
    let body = input.value();
    if body.chars().all(char::is_whitespace) {
        return;
    }
    input.set_value("");
    ask(Ask::Send(body));
}

/// "14:05", in the reader's time zone.
pub fn clock(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return String::new();
    }
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
