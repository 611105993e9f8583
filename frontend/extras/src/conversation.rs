//! The conversation of a chat engagement in the agent's panel: the history (read on mount, so
//! a transferred chat or a reloaded widget shows what came before), then what the widget's
//! socket brings (`Conversation::event`, each message once by id), the customer typing, the
//! composer (Enter sends, Shift+Enter new line; the agent's typing is told at most every few
//! seconds), and receipts both ways: the customer's messages are marked read while the panel
//! is in view (delivered otherwise), and the agent's own show ✓✓ Read once the customer read
//! them. Supervisors' messages are marked as such. Everything from the server is text.

use js_sys::{Array, Reflect, JSON};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlTextAreaElement};
use webapi::dom::{attr, clear_timer, el, Listeners};
use webapi::{client, text};

const TYPING_SHOWN_MS: i32 = 6_000;
const TYPING_EVERY_MS: f64 = 3_000.0;

struct State {
    id: String,
    token: String,
    live: bool,
    root: Element,
    log: Element,
    typing: Element,
    input: HtmlTextAreaElement,
    composer: Element,
    /// Messages shown, by id.
    shown: Vec<String>,
    /// The agent side's messages, in order, with their receipt line.
    own: Vec<(String, Element)>,
    typing_timer: Option<i32>,
    last_typed: f64,
    /// The customer's latest message, and the receipt last sent for one.
    last_consumer: Option<String>,
    marked: Option<(String, &'static str)>,
    listeners: Listeners,
    /// The file picker beside Send (holds its listeners).
    attach: Option<webapi::files::AttachButton>,
    /// A supervisor barging in (from the supervisor view): writes, but reading is not the
    /// agent's, so no receipts are sent.
    supervising: bool,
}

type Shared = Rc<RefCell<State>>;

/// The mounted conversation; the widget keeps it while the panel exists.
#[wasm_bindgen]
pub struct Conversation {
    state: Shared,
}

/// Show the conversation of chat `id` at the start of `host`.
#[wasm_bindgen]
pub fn mount_conversation(host: Element, id: String, token: String, live: bool) -> Conversation {
    mount(host, id, token, live, false)
}

/// The conversation of a chat a supervisor barged into (the supervisor view): live, their
/// messages marked as a supervisor's by the server, no receipts. Their socket does not carry
/// this chat's events: [`Conversation::reload`] reads what is new.
pub(crate) fn mount_supervising(host: Element, id: String, token: String) -> Conversation {
    mount(host, id, token, true, true)
}

fn mount(host: Element, id: String, token: String, live: bool, supervising: bool) -> Conversation {
    let doc = host.owner_document().expect("an element has a document");
    let root = el("section", "conversation");
    attr(&root, "data-test", "conversation");
    attr(&root, "aria-label", "Conversation");
    let log = el("ol", "chat-log");
    attr(&log, "data-test", "chat-log");
    attr(&log, "aria-live", "polite");
    let typing = el("p", "muted");
    attr(&typing, "data-test", "chat-typing");
    let composer = el("form", "composer");
    let input = el("textarea", "");
    attr(&input, "rows", "2");
    attr(&input, "maxlength", "4000");
    attr(&input, "aria-label", "Reply");
    attr(
        &input,
        "placeholder",
        "Reply… (Enter sends, Shift+Enter new line)",
    );
    attr(&input, "data-test", "chat-input");
    let send = el("button", "");
    send.set_text_content(Some("Send"));
    attr(&send, "data-test", "chat-send");
    for (parent, child) in [
        (&composer, &input),
        (&composer, &send),
        (&root, &log),
        (&root, &typing),
        (&root, &composer),
    ] {
        let _ = parent.append_child(child);
    }
    let _ = host.append_child(&root);
    let state = Rc::new(RefCell::new(State {
        id,
        token,
        live,
        root,
        log,
        typing,
        input: input.clone().unchecked_into(),
        composer: composer.clone(),
        shown: Vec::new(),
        own: Vec::new(),
        typing_timer: None,
        last_typed: 0.0,
        last_consumer: None,
        marked: None,
        listeners: Listeners::default(),
        attach: None,
        supervising,
    }));
    let weak = Rc::downgrade(&state);
    let attach = webapi::files::AttachButton::new(&doc, "chat-file", move |file| {
        if let Some(s) = weak.upgrade() {
            send_file(s, file);
        }
    });
    let _ = composer.insert_before(&attach.root, Some(&send));
    state.borrow_mut().attach = Some(attach);
    let weak = Rc::downgrade(&state);
    listen(&state, &composer, "submit", move |e| {
        e.prevent_default();
        if let Some(s) = weak.upgrade() {
            send_message(s);
        }
    });
    let weak = Rc::downgrade(&state);
    listen(&state, &input, "keydown", move |e| {
        let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
            e.prevent_default();
            if let Some(s) = weak.upgrade() {
                send_message(s);
            }
        }
    });
    let weak = Rc::downgrade(&state);
    listen(&state, &input, "input", move |_| {
        if let Some(s) = weak.upgrade() {
            typed(s);
        }
    });
    show_live(&state.borrow());
    spawn_local(load_history(state.clone()));
    Conversation { state }
}

#[wasm_bindgen]
impl Conversation {
    /// The token changed, or whether the conversation is live (connected or inactive: the
    /// agent may write).
    pub fn set(&self, token: String, live: bool) {
        let mut s = self.state.borrow_mut();
        s.token = token;
        let now_live = live && !s.live;
        s.live = live;
        show_live(&s);
        if now_live {
            // Accepted: what the customer wrote while it rang is received now.
            mark(&mut s, false);
        }
    }

    /// An event of this engagement from the widget's socket (JSON).
    pub fn event(&self, json: String) {
        let Ok(event) = JSON::parse(&json) else {
            return;
        };
        let data = Reflect::get(&event, &"data".into()).unwrap_or(JsValue::NULL);
        match text(&event, "event").as_deref() {
            Some("engagement.message_added") => {
                if let Ok(m) = Reflect::get(&data, &"message".into()) {
                    show_message(&self.state, &m, true);
                }
            }
            Some("engagement.message_receipt") => {
                if let Ok(r) = Reflect::get(&data, &"receipt".into()) {
                    show_receipt(&self.state.borrow(), &r);
                }
            }
            _ => {}
        }
    }

    /// The customer is typing.
    pub fn typing(&self) {
        let mut s = self.state.borrow_mut();
        s.typing.set_text_content(Some("The customer is typing…"));
        clear_timer(s.typing_timer.take());
        let weak = Rc::downgrade(&self.state);
        let hide = Closure::once_into_js(move || {
            if let Some(s) = weak.upgrade() {
                s.borrow().typing.set_text_content(None);
            }
        });
        s.typing_timer = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                hide.unchecked_ref(),
                TYPING_SHOWN_MS,
            )
            .ok()
        });
    }

    /// The token changed (the session was renewed).
    pub(crate) fn set_token(&self, token: String) {
        self.state.borrow_mut().token = token;
    }

    /// Read the conversation again and show what is new (each message once).
    pub(crate) fn reload(&self) {
        spawn_local(load_history(self.state.clone()));
    }

    /// The panel came into view: mark what the customer wrote as read.
    pub fn seen(&self) {
        mark(&mut self.state.borrow_mut(), true);
    }

    pub fn unmount(&self) {
        let mut s = self.state.borrow_mut();
        clear_timer(s.typing_timer.take());
        s.listeners.clear();
        s.attach = None;
        s.root.remove();
    }
}

fn listen(state: &Shared, target: &Element, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    state.borrow_mut().listeners.on(target, event, f);
}

fn show_live(s: &State) {
    if s.live {
        let _ = s.composer.remove_attribute("hidden");
    } else {
        attr(&s.composer, "hidden", "");
    }
}

async fn load_history(state: Shared) {
    let (id, token) = {
        let s = state.borrow();
        (s.id.clone(), s.token.clone())
    };
    if let Ok(list) = client::messages(&id).send(&token).await {
        for m in Array::from(&list).iter() {
            show_message(&state, &m, false);
        }
    }
    if let Ok(list) = client::receipts(&id).send(&token).await {
        for r in Array::from(&list).iter() {
            show_receipt(&state.borrow(), &r);
        }
    }
    mark(&mut state.borrow_mut(), false);
}

/// "14:05", in the agent's time zone.
fn clock(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return String::new();
    }
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// Show one message (once: by id); a customer's message that arrives live is acknowledged.
fn show_message(state: &Shared, m: &JsValue, live: bool) {
    let mut s = state.borrow_mut();
    let Some(id) = text(m, "message_id") else {
        return;
    };
    if s.shown.contains(&id) {
        return;
    }
    s.shown.push(id.clone());
    let author = Reflect::get(m, &"author".into()).unwrap_or(JsValue::NULL);
    let kind = text(&author, "kind").unwrap_or_default();
    let mut name = text(&author, "display_name").unwrap_or_default();
    if kind == "supervisor" {
        name.push_str(" (supervisor)");
    }
    let li = el("li", &format!("msg {kind}"));
    attr(&li, "data-test", "chat-message");
    attr(&li, "data-author", &kind);
    let who = el("span", "who");
    who.set_text_content(Some(&name));
    let _ = li.append_child(&who);
    if let Some(body) = text(m, "body").filter(|b| !b.is_empty()) {
        let p = el("p", "");
        p.set_text_content(Some(&body));
        let _ = li.append_child(&p);
    }
    webapi::files::show_attachment(&li, m, client::attachment_path(&s.id, &id), s.token.clone());
    let at = el("time", "");
    at.set_text_content(Some(&clock(&text(m, "created_at").unwrap_or_default())));
    let _ = li.append_child(&at);
    if kind != "consumer" {
        let receipt = el("small", "receipt");
        attr(&receipt, "data-test", "chat-receipt");
        receipt.set_text_content(Some("✓ Sent"));
        let _ = li.append_child(&receipt);
        s.own.push((id, receipt));
    } else {
        s.typing.set_text_content(None);
        clear_timer(s.typing_timer.take());
        s.last_consumer = Some(id);
    }
    let _ = s.log.append_child(&li);
    s.log.set_scroll_top(s.log.scroll_height());
    if live && kind == "consumer" {
        mark(&mut s, false);
    }
}

/// The customer received or read the agent side's messages up to one.
fn show_receipt(s: &State, r: &JsValue) {
    if text(r, "reader").as_deref() != Some("consumer") {
        return;
    }
    let (Some(status), Some(up_to)) = (text(r, "status"), text(r, "up_to")) else {
        return;
    };
    let Some(last) = s.own.iter().position(|(id, _)| *id == up_to) else {
        return;
    };
    let label = if status == "read" {
        "✓✓ Read"
    } else {
        "✓✓ Delivered"
    };
    for (_, line) in &s.own[..=last] {
        if line.text_content().as_deref() != Some("✓✓ Read") {
            line.set_text_content(Some(label));
        }
    }
}

/// Tell the server how far the agent has the customer's messages: read when the panel is in
/// view (or `seen`), delivered otherwise; each mark once. Only once the agent has the chat
/// (connected or parked): while it rings, the chat is not theirs yet and the server refuses.
fn mark(s: &mut State, seen: bool) {
    if !s.live {
        return;
    }
    let Some(id) = s.last_consumer.clone().filter(|_| !s.supervising) else {
        return;
    };
    let visible = s.root.get_client_rects().length() > 0
        && s.root
            .owner_document()
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
    let status = if seen || visible { "read" } else { "delivered" };
    let mark = (id.clone(), status);
    if s.marked.as_ref() == Some(&mark) || s.marked == Some((id.clone(), "read")) {
        return;
    }
    s.marked = Some(mark);
    let (call, token) = (client::receipt(&s.id, &id, status), s.token.clone());
    spawn_local(async move {
        let _ = call.send(&token).await;
    });
}

fn send_message(state: Shared) {
    let (id, token, body) = {
        let s = state.borrow();
        (s.id.clone(), s.token.clone(), s.input.value())
    };
    if body.chars().all(char::is_whitespace) {
        return;
    }
    state.borrow().input.set_value("");
    let call = client::send_message(&id, &body);
    spawn_local(async move {
        match call.send(&token).await {
            Err(why) => {
                let s = state.borrow();
                if s.input.value().is_empty() {
                    s.input.set_value(&body);
                }
                not_sent(&s, &why);
            }
            // Sent: the answer is the message (the agent's socket carries it too; shown once).
            Ok(message) => show_message(&state, &message, false),
        }
    });
}

/// Send a file the agent picked; it comes back on the socket like every message.
fn send_file(state: Shared, file: web_sys::File) {
    let (path, token) = {
        let s = state.borrow();
        (client::attachments_path(&s.id), s.token.clone())
    };
    spawn_local(async move {
        match webapi::upload(&path, &token, &file).await {
            Err((_, why)) => not_sent(&state.borrow(), &why),
            Ok(message) => show_message(&state, &message, false),
        }
    });
}

fn not_sent(s: &State, why: &str) {
    let li = el("li", "line error");
    attr(&li, "data-test", "chat-error");
    li.set_text_content(Some(&format!("Not sent: {why}")));
    let _ = s.log.append_child(&li);
}

fn typed(state: Shared) {
    let now = js_sys::Date::now();
    let (call, token) = {
        let mut s = state.borrow_mut();
        if !s.live || now - s.last_typed < TYPING_EVERY_MS {
            return;
        }
        s.last_typed = now;
        (client::typing(&s.id), s.token.clone())
    };
    spawn_local(async move {
        let _ = call.send(&token).await;
    });
}
