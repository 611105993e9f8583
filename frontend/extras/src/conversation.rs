//! The conversation of a chat engagement in the agent's panel, on the kit's one conversation
//! ([`kit::conversation`], `Side::Agent`): the history (read on mount, so a transferred chat
//! or a reloaded widget shows what came before), then what the widget's socket brings
//! (`Conversation::event`), the customer typing, and receipts both ways: the customer's
//! messages are marked read while the panel is in view (delivered otherwise), and the agent's
//! own show ✓✓ Read once the customer read them. Supervisors' messages are marked as such.

use js_sys::{Array, Reflect, JSON};
use kit::conversation::{self, Ask, Side};
use kit::{client, text};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

struct State {
    id: String,
    token: String,
    /// Connected or inactive: the agent may write.
    live: bool,
    view: conversation::Conversation,
    /// The customer's latest message, and the receipt last sent for one.
    last_consumer: Option<String>,
    marked: Option<(String, &'static str)>,
    /// A supervisor barging in (from the supervisor view): writes, but reading is not the
    /// agent's, so no receipts are sent.
    supervising: bool,
    /// Canned responses in the reply box.
    canned: crate::canned::Canned,
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
    let state = Rc::new_cyclic(|weak: &Weak<RefCell<State>>| {
        let weak = weak.clone();
        let view = conversation::Conversation::new(Side::Agent, move |ask| {
            if let Some(state) = weak.upgrade() {
                asked(state, ask);
            }
        });
        let canned = crate::canned::attach_canned(view.input(), id.clone(), token.clone());
        RefCell::new(State {
            canned,
            id,
            token,
            live,
            view,
            last_consumer: None,
            marked: None,
            supervising,
        })
    });
    {
        let s = state.borrow();
        let _ = host.append_child(&s.view.root);
        s.view.set_writable(live);
    }
    spawn_local(load_history(state.clone()));
    Conversation { state }
}

#[wasm_bindgen]
impl Conversation {
    /// The token changed, or whether the conversation is live (connected or inactive: the
    /// agent may write).
    pub fn set(&self, token: String, live: bool) {
        let mut s = self.state.borrow_mut();
        s.canned.set_token(token.clone());
        s.token = token;
        let now_live = live && !s.live;
        s.live = live;
        s.view.set_writable(live);
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
        self.state.borrow_mut().view.show_typing("The customer");
    }

    /// The token changed (the session was renewed).
    pub(crate) fn set_token(&self, token: String) {
        let mut s = self.state.borrow_mut();
        s.canned.set_token(token.clone());
        s.token = token;
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
        s.canned.unmount();
        s.view.unmount();
    }
}

/// What the composer asks: send a text or a file, or tell the customer the agent types.
fn asked(state: Shared, ask: Ask) {
    let (id, token) = {
        let s = state.borrow();
        (s.id.clone(), s.token.clone())
    };
    match ask {
        Ask::Send(body) => {
            let call = client::send_message(&id, &body);
            spawn_local(async move {
                match call.send(&token).await {
                    Err(why) => {
                        let s = state.borrow();
                        s.view.restore_draft(&body);
                        s.view.not_sent(&why);
                    }
                    // Sent: the answer is the message (the agent's socket carries it too;
                    // shown once).
                    Ok(message) => show_message(&state, &message, false),
                }
            });
        }
        // It comes back on the socket like every message.
        Ask::File(file) => spawn_local(async move {
            match kit::upload(&client::attachments_path(&id), &token, &file).await {
                Err((_, why)) => state.borrow().view.not_sent(&why),
                Ok(message) => show_message(&state, &message, false),
            }
        }),
        Ask::Typed => {
            let call = {
                let mut s = state.borrow_mut();
                if !s.live || !s.view.tell_typing() {
                    return;
                }
                client::typing(&s.id)
            };
            spawn_local(async move {
                let _ = call.send(&token).await;
            });
        }
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

/// Show one message (once); a customer's message that arrives live is acknowledged.
fn show_message(state: &Shared, m: &JsValue, live: bool) {
    let mut s = state.borrow_mut();
    let State {
        id, token, view, ..
    } = &mut *s;
    let Some(shown) = view.show_message(m, |message| client::attachment_path(id, message), token)
    else {
        return;
    };
    if !shown.own {
        s.last_consumer = Some(shown.id);
        if live {
            mark(&mut s, false);
        }
    }
}

/// The customer received or read the agent side's messages up to one.
fn show_receipt(s: &State, r: &JsValue) {
    if text(r, "reader").as_deref() != Some("consumer") {
        return;
    }
    if let (Some(status), Some(up_to)) = (text(r, "status"), text(r, "up_to")) {
        s.view.show_receipt(&status, &up_to);
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
    let status = if seen || s.view.in_view() {
        "read"
    } else {
        "delivered"
    };
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
