//! The live chat: the conversation from the chat's socket (`after=0` replays it all, so a
//! reload shows everything; a dropped connection resumes after the last `seq` seen, so nothing
//! is missed or shown twice), the place in the queue while waiting (read every few seconds),
//! typing both ways, the composer (Enter sends, Shift+Enter starts a new line), ending the
//! chat, and once it is over the transcript to download and a new chat.

use crate::dom::{self, after, append, attr, clear_timer, el, on, text_el};
use crate::form::{self, Page};
use crate::session;
use js_sys::{Reflect, JSON};
use shared::api::ChatFrame;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement, MessageEvent, WebSocket};
use webapi::{client, text};

/// How often the place in the queue is read while waiting.
const PLACE_EVERY_MS: i32 = 5_000;
/// How long "… is typing" stays without another sign.
const TYPING_SHOWN_MS: i32 = 6_000;
/// The customer's typing is told at most this often.
const TYPING_EVERY_MS: f64 = 3_000.0;
/// How long a burst of the agent's messages is gathered into one receipt.
const RECEIPT_AFTER_MS: i32 = 300;
/// The longest wait before reconnecting a dropped socket.
const RETRY_MAX_MS: i32 = 10_000;

struct Chat {
    page: Page,
    token: String,
    /// The last `seq` received: a reconnect resumes after it.
    last_seq: f64,
    ended: bool,
    /// Who has the chat ("Ada"), for the status and the typing line.
    agent: Option<String>,
    /// Messages shown, by id (a message the customer sent is shown on the answer and again
    /// comes by the socket).
    shown: Vec<String>,
    /// The conversation as text, for the transcript download.
    transcript: Vec<String>,
    /// The customer's own messages, oldest first, with the line that shows how far each came.
    own: Vec<(String, Element)>,
    /// The agent's latest message not yet marked read (the page was out of view).
    unread: Option<String>,
    /// The receipt to send for what just arrived, and the timer that sends it.
    receipt: Option<(String, &'static str)>,
    receipt_timer: Option<i32>,
    socket: Option<WebSocket>,
    /// The socket's handlers (replaced with the socket).
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    retry_ms: i32,
    place_timer: Option<i32>,
    typing_timer: Option<i32>,
    last_typed_ms: f64,
    status: Element,
    log: Element,
    typing: Element,
    composer: Element,
    input: HtmlTextAreaElement,
    end: Element,
    done: Element,
    /// The file picker beside Send (holds its listeners).
    attach: Option<webapi::files::AttachButton>,
    /// The largest file the server takes (from the chat's view; 0 until read).
    max_file_bytes: f64,
}

type Shared = Rc<RefCell<Chat>>;

/// Open the chat `token` names (just started, or saved before a reload).
pub fn open(page: Page, token: String) {
    page.root.set_text_content(None);
    let status = text_el("p", "status", "Connecting…");
    attr(&status, "role", "status");
    attr(&status, "data-test", "status");
    let log = el("ol", "log");
    attr(&log, "data-test", "log");
    attr(&log, "aria-live", "polite");
    let typing = el("p", "typing");
    attr(&typing, "data-test", "typing");
    let composer = el("form", "composer");
    let input = el("textarea", "");
    attr(&input, "rows", "2");
    attr(&input, "maxlength", "4000");
    attr(
        &input,
        "placeholder",
        "Type a message… (Enter sends, Shift+Enter new line)",
    );
    attr(&input, "aria-label", "Message");
    attr(&input, "data-test", "composer");
    let send = text_el("button", "primary", "Send");
    attr(&send, "type", "submit");
    attr(&send, "data-test", "send");
    append(&composer, &[&input, &send]);
    let actions = el("div", "actions");
    let end = text_el("button", "secondary", "End chat");
    attr(&end, "type", "button");
    attr(&end, "data-test", "end");
    let done = el("div", "actions");
    attr(&done, "hidden", "");
    let download = text_el("button", "secondary", "Download transcript");
    attr(&download, "type", "button");
    attr(&download, "data-test", "download");
    let again = text_el("button", "primary", "Start a new chat");
    attr(&again, "type", "button");
    attr(&again, "data-test", "new-chat");
    append(&done, &[&download, &again]);
    append(&actions, &[&end]);
    append(
        &page.root,
        &[
            &dom::header("Chat with us", &page.host),
            &status,
            &log,
            &typing,
            &composer,
            &actions,
            &done,
        ],
    );
    let chat = Rc::new(RefCell::new(Chat {
        page,
        token,
        last_seq: 0.0,
        ended: false,
        agent: None,
        shown: Vec::new(),
        transcript: Vec::new(),
        own: Vec::new(),
        unread: None,
        receipt: None,
        receipt_timer: None,
        socket: None,
        handlers: Vec::new(),
        retry_ms: 1_000,
        place_timer: None,
        typing_timer: None,
        last_typed_ms: 0.0,
        status,
        log,
        typing,
        composer: composer.clone(),
        input: input.clone().unchecked_into(),
        end: end.clone(),
        done,
        attach: None,
        max_file_bytes: 0.0,
    }));
    let weak = Rc::downgrade(&chat);
    let attach = webapi::files::AttachButton::new(&dom::document(), "file", move |file| {
        if let Some(c) = weak.upgrade() {
            send_file(c, file);
        }
    });
    let _ = composer.insert_before(&attach.root, Some(&send));
    chat.borrow_mut().attach = Some(attach);
    let c = chat.clone();
    on(&composer, "submit", move |e| {
        e.prevent_default();
        send_message(c.clone());
    });
    let c = chat.clone();
    on(&input, "keydown", move |e| {
        let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
            e.prevent_default();
            send_message(c.clone());
        }
    });
    let c = chat.clone();
    on(&input, "input", move |_| typed(c.clone()));
    let c = chat.clone();
    on(&end, "click", move |_| end_chat(c.clone()));
    let c = chat.clone();
    on(&download, "click", move |_| {
        download_transcript(&c.borrow())
    });
    let c = chat.clone();
    on(&again, "click", move |_| {
        let page = close(&c);
        session::forget(&page.entry);
        wasm_bindgen_futures::spawn_local(form::show(page));
    });
    let c = Rc::downgrade(&chat);
    chat.borrow().page.host.when_in_view(move || {
        if let Some(c) = c.upgrade() {
            mark_read(&c);
        }
    });
    connect(chat.clone());
    read_place(chat);
}

/// Stop everything this chat runs (socket, timers); the page it ran in.
fn close(chat: &Shared) -> Page {
    let mut c = chat.borrow_mut();
    c.ended = true;
    if let Some(s) = c.socket.take() {
        s.set_onclose(None);
        let _ = s.close();
    }
    clear_timer(c.place_timer.take());
    clear_timer(c.typing_timer.take());
    clear_timer(c.receipt_timer.take());
    c.page.clone()
}

/// The session is gone (expired, or the chat no longer exists): back to the form.
fn session_lost(chat: &Shared) {
    let page = close(chat);
    session::forget(&page.entry);
    wasm_bindgen_futures::spawn_local(form::show(page));
}

fn connect(chat: Shared) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let url = {
        let c = chat.borrow();
        client::customer_socket(
            scheme,
            &location.host().unwrap_or_default(),
            &c.token,
            c.last_seq as i64,
        )
    };
    let Ok(socket) = WebSocket::new(&url) else {
        return;
    };
    let c = chat.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let data = e
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
            .unwrap_or_default();
        if let Ok(frame) = JSON::parse(&data) {
            on_frame(&c, &frame);
        }
    });
    let c = chat.clone();
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| reconnect(c.clone()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut c = chat.borrow_mut();
    c.socket = Some(socket);
    c.handlers = vec![on_message, on_close];
}

/// The socket closed: try again after a growing pause, unless the chat is over. If the
/// session itself is refused, the chat is gone: back to the form.
fn reconnect(chat: Shared) {
    if chat.borrow().ended {
        return;
    }
    let wait = {
        let mut c = chat.borrow_mut();
        c.socket = None;
        set_status(&c, "Connection lost. Reconnecting…");
        let wait = c.retry_ms;
        c.retry_ms = (c.retry_ms * 2).min(RETRY_MAX_MS);
        wait
    };
    after(wait, move || {
        wasm_bindgen_futures::spawn_local(async move {
            let token = chat.borrow().token.clone();
            match client::chat_session().send_with_status(&token).await {
                Err((401 | 404, _)) => session_lost(&chat),
                _ => connect(chat),
            }
        });
    });
}

fn num(v: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(v, &key.into()).ok()?.as_f64()
}

fn on_frame(chat: &Shared, frame: &JsValue) {
    if let Some(seq) = num(frame, "seq") {
        let mut c = chat.borrow_mut();
        if seq <= c.last_seq {
            return; // already shown (cannot happen with the server's ordering; cheap to keep)
        }
        c.last_seq = seq;
    }
    match text(frame, "type").as_deref().unwrap_or("") {
        ChatFrame::HELLO => {
            let waiting = {
                let mut c = chat.borrow_mut();
                c.retry_ms = 1_000;
                match text(frame, "state").as_deref().unwrap_or("") {
                    "queued" | "offered" => {
                        set_status(&c, "Waiting for an agent…");
                        true
                    }
                    "connected" | "inactive" => {
                        let who = c.agent.clone().unwrap_or_else(|| "an agent".into());
                        set_status(&c, &format!("Chatting with {who}"));
                        false
                    }
                    _ => false,
                }
            };
            if waiting {
                read_place(chat.clone()); // says more, at once
            }
        }
        ChatFrame::MESSAGE => {
            if let Ok(message) = Reflect::get(frame, &"message".into()) {
                show_message(chat, &message);
            }
        }
        ChatFrame::AGENT_JOINED => {
            let name = text(frame, "name").unwrap_or_else(|| "An agent".into());
            let mut c = chat.borrow_mut();
            clear_timer(c.place_timer.take());
            line(&mut c, &format!("{name} joined the chat"));
            set_status(&c, &format!("Chatting with {name}"));
            c.agent = Some(name);
        }
        ChatFrame::AGENT_LEFT => {
            let name = text(frame, "name").unwrap_or_else(|| "The agent".into());
            {
                let mut c = chat.borrow_mut();
                line(&mut c, &format!("{name} left the chat"));
                set_status(&c, "Finding another agent for you…");
                c.agent = None;
            }
            read_place(chat.clone());
        }
        ChatFrame::ENDED => finish(chat),
        ChatFrame::RECEIPT => {
            let (Some(status), Some(up_to)) = (text(frame, "status"), text(frame, "up_to")) else {
                return;
            };
            show_receipt(&chat.borrow(), &status, &up_to);
        }
        ChatFrame::TYPING => {
            let mut c = chat.borrow_mut();
            let who = c.agent.clone().unwrap_or_else(|| "The agent".into());
            c.typing
                .set_text_content(Some(&format!("{who} is typing…")));
            clear_timer(c.typing_timer.take());
            let weak = Rc::downgrade(chat);
            c.typing_timer = after(TYPING_SHOWN_MS, move || {
                if let Some(c) = weak.upgrade() {
                    c.borrow().typing.set_text_content(None);
                }
            });
        }
        _ => {}
    }
}

fn set_status(c: &Chat, text: &str) {
    c.status.set_text_content(Some(text));
}

/// A line about the chat itself ("Ada joined the chat").
fn line(c: &mut Chat, text: &str) {
    let li = text_el("li", "line", text);
    append(&c.log, &[&li]);
    c.transcript.push(format!("— {text}"));
    scroll_down(c);
}

fn scroll_down(c: &Chat) {
    c.log.set_scroll_top(c.log.scroll_height());
}

/// "14:05", in the customer's own time zone.
fn clock(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return String::new();
    }
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// Show one message (once: by id), as text.
fn show_message(chat: &Shared, message: &JsValue) {
    let mut c = chat.borrow_mut();
    let id = text(message, "message_id").unwrap_or_default();
    if c.shown.contains(&id) {
        return;
    }
    c.shown.push(id.clone());
    let author = Reflect::get(message, &"author".into()).unwrap_or(JsValue::NULL);
    let kind = text(&author, "kind").unwrap_or_default();
    let name = text(&author, "display_name").unwrap_or_default();
    let body = text(message, "body").unwrap_or_default();
    let at = clock(&text(message, "created_at").unwrap_or_default());
    let li = el("li", &format!("msg {kind}"));
    attr(&li, "data-test", "message");
    attr(&li, "data-author", &kind);
    let who = if kind == "consumer" {
        "You".to_string()
    } else {
        name.clone()
    };
    append(&li, &[&text_el("span", "who", &who)]);
    if !body.is_empty() {
        append(&li, &[&text_el("p", "", &body)]);
    }
    webapi::files::show_attachment(
        &li,
        message,
        client::customer_attachment_path(&id),
        c.token.clone(),
    );
    let file = Reflect::get(message, &"attachment".into())
        .ok()
        .and_then(|f| text(&f, "file_name"))
        .map(|name| format!(" [file: {name}]"))
        .unwrap_or_default();
    append(&li, &[&text_el("time", "", &at)]);
    if kind == "consumer" {
        let receipt = text_el("small", "receipt", SENT);
        attr(&receipt, "data-test", "receipt");
        append(&li, &[&receipt]);
        c.own.push((id.clone(), receipt));
    }
    append(&c.log, &[&li]);
    c.transcript.push(format!("[{at}] {name}: {body}{file}"));
    scroll_down(&c);
    if kind != "consumer" {
        // Their message ends their typing.
        c.typing.set_text_content(None);
        clear_timer(c.typing_timer.take());
        c.page
            .host
            .post("chat.message", &[("author", JsValue::from_str(&name))]);
        if !c.ended {
            let status = if c.page.host.in_view() {
                "read"
            } else {
                "delivered"
            };
            c.unread = (status == "delivered").then(|| id.clone());
            // One receipt for a burst (a replayed conversation is one burst): the latest.
            c.receipt = Some((id, status));
            if c.receipt_timer.is_none() {
                let weak = Rc::downgrade(chat);
                c.receipt_timer = after(RECEIPT_AFTER_MS, move || {
                    if let Some(chat) = weak.upgrade() {
                        let mut c = chat.borrow_mut();
                        c.receipt_timer = None;
                        if let Some((id, status)) = c.receipt.take() {
                            send_receipt(&c.token, &id, status);
                        }
                    }
                });
            }
        }
    }
}

const SENT: &str = "✓ Sent";
const DELIVERED: &str = "✓✓ Delivered";
const READ: &str = "✓✓ Read";

/// The agent received or read the customer's messages up to `up_to`: each of those shows it
/// (never moving back from read to delivered).
fn show_receipt(c: &Chat, status: &str, up_to: &str) {
    let Some(last) = c.own.iter().position(|(id, _)| id == up_to) else {
        return;
    };
    let label = if status == "read" { READ } else { DELIVERED };
    for (_, line) in &c.own[..=last] {
        if line.text_content().as_deref() != Some(READ) {
            line.set_text_content(Some(label));
        }
    }
}

/// Tell the server the page received or showed the agent's messages up to `message_id`.
fn send_receipt(token: &str, message_id: &str, status: &str) {
    let call = client::customer_receipt(message_id, status);
    let token = token.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = call.send_with_status(&token).await;
    });
}

/// The chat came into view: what arrived meanwhile is read now.
fn mark_read(chat: &Shared) {
    let mut c = chat.borrow_mut();
    if let Some(id) = c.unread.take() {
        c.receipt = None;
        send_receipt(&c.token, &id, "read");
    }
}

/// While the chat waits: its place in the queue and the expected wait, read now and every
/// few seconds until an agent joins.
fn read_place(chat: Shared) {
    wasm_bindgen_futures::spawn_local(async move {
        let token = chat.borrow().token.clone();
        let view = client::chat_session().send_with_status(&token).await;
        let mut c = chat.borrow_mut();
        if c.ended {
            return;
        }
        let view = match view {
            Ok(v) => v,
            Err((401 | 404, _)) => {
                drop(c);
                return session_lost(&chat);
            }
            Err(_) => JsValue::NULL,
        };
        if let Some(max) = num(&view, "attachment_max_bytes") {
            c.max_file_bytes = max;
        }
        let state = text(&view, "state").unwrap_or_default();
        if !matches!(state.as_str(), "queued" | "offered" | "") {
            return; // an agent has it, or it is over: the socket says so
        }
        if let Ok(place) = Reflect::get(&view, &"queue".into()) {
            match num(&place, "position") {
                Some(p) if p < 1.0 => set_status(&c, "Connecting you with an agent…"),
                Some(p) => {
                    let wait = num(&place, "estimated_wait_secs")
                        .map(|s| {
                            let minutes = (s / 60.0).ceil().max(1.0);
                            if minutes < 2.0 {
                                " · about a minute".to_string()
                            } else {
                                format!(" · about {minutes} minutes")
                            }
                        })
                        .unwrap_or_default();
                    set_status(&c, &format!("You are number {p} in line{wait}"));
                }
                None => {}
            }
        }
        clear_timer(c.place_timer.take());
        let next = chat.clone();
        c.place_timer = after(PLACE_EVERY_MS, move || read_place(next));
    });
}

fn send_message(chat: Shared) {
    let (token, body) = {
        let c = chat.borrow();
        (c.token.clone(), c.input.value())
    };
    if is_blank(&body) || chat.borrow().ended {
        return;
    }
    chat.borrow().input.set_value("");
    let call = client::customer_message(&body);
    wasm_bindgen_futures::spawn_local(async move {
        match call.send_with_status(&token).await {
            Ok(message) => show_message(&chat, &message),
            Err((status, why)) => {
                let c = chat.borrow_mut();
                // Not lost: the text goes back into the composer (unless more was typed).
                if c.input.value().is_empty() {
                    c.input.set_value(&body);
                }
                not_sent(&c, &why);
                if status == 401 {
                    drop(c);
                    session_lost(&chat);
                }
            }
        }
    });
}

/// Send a file the customer picked: refused here when the server would refuse its size,
/// otherwise uploaded (the message comes back like a text one).
fn send_file(chat: Shared, file: web_sys::File) {
    let (token, max) = {
        let c = chat.borrow();
        if c.ended {
            return;
        }
        (c.token.clone(), c.max_file_bytes)
    };
    if max > 0.0 && file.size() > max {
        let c = chat.borrow();
        not_sent(
            &c,
            &format!(
                "{} is larger than {}",
                file.name(),
                webapi::files::size_label(max)
            ),
        );
        return;
    }
    let sending = text_el("li", "line", &format!("Sending {}…", file.name()));
    append(&chat.borrow().log, &[&sending]);
    wasm_bindgen_futures::spawn_local(async move {
        let sent = webapi::upload(client::CUSTOMER_ATTACHMENTS, &token, &file).await;
        sending.remove();
        match sent {
            Ok(message) => show_message(&chat, &message),
            Err((status, why)) => {
                not_sent(&chat.borrow(), &why);
                if status == 401 {
                    session_lost(&chat);
                }
            }
        }
    });
}

/// A line saying why something was not sent.
fn not_sent(c: &Chat, why: &str) {
    let li = text_el("li", "line error", &format!("Not sent: {why}"));
    attr(&li, "data-test", "send-error");
    append(&c.log, &[&li]);
    scroll_down(c);
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// The customer typed: tell the agent, at most every few seconds.
fn typed(chat: Shared) {
    let now = js_sys::Date::now();
    let token = {
        let mut c = chat.borrow_mut();
        if c.ended || now - c.last_typed_ms < TYPING_EVERY_MS || c.agent.is_none() {
            return;
        }
        c.last_typed_ms = now;
        c.token.clone()
    };
    wasm_bindgen_futures::spawn_local(async move {
        let _ = client::customer_typing().send_with_status(&token).await;
    });
}

fn end_chat(chat: Shared) {
    let token = chat.borrow().token.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match client::end_chat().send_with_status(&token).await {
            // 409: it had already ended; either way it is over.
            Ok(_) | Err((409, _)) => finish(&chat),
            Err((_, why)) => {
                let mut c = chat.borrow_mut();
                line(&mut c, &format!("Could not end the chat: {why}"));
            }
        }
    });
}

/// The chat is over: no more writing; the transcript and a new chat are offered.
fn finish(chat: &Shared) {
    let mut c = chat.borrow_mut();
    if c.ended {
        return;
    }
    c.ended = true;
    clear_timer(c.place_timer.take());
    clear_timer(c.typing_timer.take());
    line(&mut c, "The chat has ended.");
    set_status(&c, "This chat has ended.");
    c.typing.set_text_content(None);
    attr(&c.composer, "hidden", "");
    if let Some(actions) = c.end.parent_element() {
        attr(&actions, "hidden", "");
    }
    let _ = c.done.remove_attribute("hidden");
    c.page.host.post("chat.ended", &[]);
}

/// The conversation as a text file, made in the page (nothing leaves the browser).
fn download_transcript(c: &Chat) {
    let text = c.transcript.join("\n") + "\n";
    let parts = js_sys::Array::of1(&JsValue::from_str(&text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let a: web_sys::HtmlAnchorElement = el("a", "").unchecked_into();
    a.set_href(&url);
    a.set_download("chat-transcript.txt");
    a.click();
    after(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
}
