//! The live chat, on the kit's one conversation ([`kit::conversation`], `Side::Customer`):
//! the conversation from the chat's socket (`after=0` replays it all, so a
//! reload shows everything; a dropped connection resumes after the last `seq` seen, so nothing
//! is missed or shown twice), the place in the queue while waiting (read every few seconds),
//! typing both ways, the composer (Enter sends, Shift+Enter starts a new line), ending the
//! chat, and once it is over the satisfaction survey (when the entry point asks one), the
//! transcript to download and a new chat.

use crate::dom::{self, after, append, attr, clear_timer, el, on, text_el};
use crate::form::{self, Page};
use crate::session;
use js_sys::Reflect;
use kit::conversation::{Ask, Conversation, Side};
use kit::{client, text};
use shared::api::ChatFrame;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, WebSocket};

/// How often the place in the queue is read while waiting.
const PLACE_EVERY_MS: i32 = 5_000;
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
    view: Conversation,
    /// The conversation as text, for the transcript download.
    transcript: Vec<String>,
    /// The agent's latest message not yet marked read (the page was out of view).
    unread: Option<String>,
    /// The receipt to send for what just arrived, and the timer that sends it.
    receipt: Option<(String, &'static str)>,
    receipt_timer: Option<i32>,
    socket: Option<WebSocket>,
    /// The socket's handlers (replaced with the socket).
    handlers: session::Handlers,
    retry_ms: i32,
    place_timer: Option<i32>,
    status: Element,
    end: Element,
    done: Element,
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
    let header = dom::header("Chat with us", &page.host);
    let chat = Rc::new_cyclic(|weak: &Weak<RefCell<Chat>>| {
        let weak = weak.clone();
        let view = Conversation::new(Side::Customer, move |ask| {
            if let Some(chat) = weak.upgrade() {
                asked(chat, ask);
            }
        });
        append(&page.root, &[&header, &status, &view.root, &actions, &done]);
        RefCell::new(Chat {
            page,
            token,
            last_seq: 0.0,
            ended: false,
            agent: None,
            view,
            transcript: Vec::new(),
            unread: None,
            receipt: None,
            receipt_timer: None,
            socket: None,
            handlers: Vec::new(),
            retry_ms: 1_000,
            place_timer: None,
            status,
            end: end.clone(),
            done,
            max_file_bytes: 0.0,
        })
    });
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

/// What the composer asks: send a text or a file, or tell the agent the customer types.
fn asked(chat: Shared, ask: Ask) {
    match ask {
        Ask::Send(body) => send_message(chat, body),
        Ask::File(file) => send_file(chat, file),
        Ask::Typed => typed(chat),
    }
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
    clear_timer(c.receipt_timer.take());
    c.view.unmount();
    c.page.clone()
}

/// The session is gone (expired, or the chat no longer exists): back to the form.
fn session_lost(chat: &Shared) {
    let page = close(chat);
    session::forget(&page.entry);
    wasm_bindgen_futures::spawn_local(form::show(page));
}

fn connect(chat: Shared) {
    let (token, after) = {
        let c = chat.borrow();
        (c.token.clone(), c.last_seq as i64)
    };
    let (on_frame_of, on_close_of) = (chat.clone(), chat.clone());
    let Some((socket, handlers)) = session::socket(
        &token,
        after,
        move |frame| on_frame(&on_frame_of, frame),
        move || reconnect(on_close_of.clone()),
    ) else {
        return;
    };
    let mut c = chat.borrow_mut();
    c.socket = Some(socket);
    c.handlers = handlers;
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
            chat.borrow().view.show_receipt(&status, &up_to);
        }
        ChatFrame::TYPING => {
            let mut c = chat.borrow_mut();
            let who = c.agent.clone().unwrap_or_else(|| "The agent".into());
            c.view.show_typing(&who);
        }
        _ => {}
    }
}

fn set_status(c: &Chat, text: &str) {
    c.status.set_text_content(Some(text));
}

/// A line about the chat itself ("Ada joined the chat"), in the log and the transcript.
fn line(c: &mut Chat, text: &str) {
    c.view.line(text);
    c.transcript.push(format!("— {text}"));
}

/// Show one message (once: by id), as text; the agent's is acknowledged (one receipt for a
/// burst) and told to the host page.
fn show_message(chat: &Shared, message: &JsValue) {
    let mut c = chat.borrow_mut();
    let token = c.token.clone();
    let Some(shown) = c
        .view
        .show_message(message, client::customer_attachment_path, &token)
    else {
        return;
    };
    let file = shown
        .file
        .map(|name| format!(" [file: {name}]"))
        .unwrap_or_default();
    c.transcript.push(format!(
        "[{}] {}: {}{file}",
        shown.at, shown.name, shown.body
    ));
    if shown.own {
        return;
    }
    c.page.host.post(
        "chat.message",
        &[("author", JsValue::from_str(&shown.name))],
    );
    if !c.ended {
        let status = if c.page.host.in_view() {
            "read"
        } else {
            "delivered"
        };
        c.unread = (status == "delivered").then(|| shown.id.clone());
        // One receipt for a burst (a replayed conversation is one burst): the latest.
        c.receipt = Some((shown.id, status));
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

fn send_message(chat: Shared, body: String) {
    let token = chat.borrow().token.clone();
    if chat.borrow().ended {
        chat.borrow().view.restore_draft(&body);
        return;
    }
    let call = client::customer_message(&body);
    wasm_bindgen_futures::spawn_local(async move {
        match call.send_with_status(&token).await {
            Ok(message) => show_message(&chat, &message),
            Err((status, why)) => {
                let c = chat.borrow_mut();
                // Not lost: the text goes back into the composer (unless more was typed).
                c.view.restore_draft(&body);
                c.view.not_sent(&why);
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
        chat.borrow().view.not_sent(&format!(
            "{} is larger than {}",
            file.name(),
            kit::files::size_label(max)
        ));
        return;
    }
    let sending = chat
        .borrow()
        .view
        .line(&format!("Sending {}…", file.name()));
    wasm_bindgen_futures::spawn_local(async move {
        let sent = kit::upload(client::CUSTOMER_ATTACHMENTS, &token, &file).await;
        sending.remove();
        match sent {
            Ok(message) => show_message(&chat, &message),
            Err((status, why)) => {
                chat.borrow().view.not_sent(&why);
                if status == 401 {
                    session_lost(&chat);
                }
            }
        }
    });
}

/// The customer typed: tell the agent, at most every few seconds.
fn typed(chat: Shared) {
    let token = {
        let mut c = chat.borrow_mut();
        if c.ended || c.agent.is_none() || !c.view.tell_typing() {
            return;
        }
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
    line(&mut c, "The chat has ended.");
    set_status(&c, "This chat has ended.");
    c.view.stop_typing();
    c.view.set_writable(false);
    if let Some(actions) = c.end.parent_element() {
        attr(&actions, "hidden", "");
    }
    let _ = c.done.remove_attribute("hidden");
    c.page.host.post("chat.ended", &[]);
    crate::survey::offer(
        c.token.clone(),
        c.page.root.clone(),
        c.done.clone(),
        c.page.host.clone(),
    );
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
