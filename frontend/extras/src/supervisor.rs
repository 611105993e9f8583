//! The supervisor view, mounted for supervisors and admins. From the live statistics the
//! server pushes on the widget's socket (`live_stats` frames, `shared::live`: at most once a
//! second while the log moves, at least every 5 seconds) it shows the queues now (waiting,
//! ringing, active, longest wait), each queue's last hours as charts (service level against
//! its target, and the number waiting: 15-minute averages, then now), the agents by status,
//! and the longest-waiting engagements with their age — only the queues the supervisor
//! supervises, as the server cuts the frames. Below, the connected engagements
//! (`GET /v1/engagements?state=connected`, read again every 5 seconds) with **Listen** and
//! **Barge** (`POST /v1/engagements/{id}/monitor`). A barged engagement then reaches the
//! supervisor's own feed like any other.
//!
//! Listening to or barging into a **web call** also opens the supervisor's own audio: a call
//! bar ([`crate::call`]) below the list whose offer goes on the widget's socket; the server
//! relays both parties to it, and relays the supervisor to both only after Barge
//! (docs/voice.md). **Leave** closes that audio; a call that ended closes it too.
//!
//! Every name and title from the server goes into the page as text.

use crate::call::CallBar;
use crate::charts;
use js_sys::{Array, Function, Reflect, JSON};
use kit::dom::el;
use kit::{client, text};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

/// How often the view reads the numbers again.
const REFRESH_MS: i32 = 5_000;

struct State {
    token: String,
    root: Element,
    stats: Element,
    /// The charts, the agents by status and the longest-waiting list.
    trends: Element,
    live: Element,
    status: Element,
    timer: Option<i32>,
    tick: Option<Closure<dyn FnMut()>>,
    click: Option<Closure<dyn FnMut(web_sys::Event)>>,
    /// Where the chats the supervisor barged into show their conversation.
    barged: Element,
    chats: Vec<(String, crate::conversation::Conversation)>,
    /// For a web call's audio: the `iceServers` JSON, and what sends a frame on the socket.
    ice: String,
    send: Function,
    /// The web calls the supervisor hears: id, its section, its call bar.
    calls: Vec<(String, Element, CallBar)>,
}

/// The mounted view. The widget keeps it while the user is a supervisor and calls
/// [`View::unmount`] otherwise.
#[wasm_bindgen]
pub struct View {
    state: Rc<RefCell<State>>,
}

/// Show the view at the end of `host`; `token` signs its API calls; `ice` and `send` as for
/// [`crate::call::mount_call`].
#[wasm_bindgen]
pub fn mount_supervisor(host: Element, token: String, ice: String, send: Function) -> View {
    let root = el("details", "supervisor");
    let _ = root.set_attribute("open", "");
    let _ = root.set_attribute("data-test", "supervisor");
    let summary = el("summary", "");
    summary.set_text_content(Some("Queues now"));
    let stats = el("table", "");
    let _ = stats.set_attribute("data-test", "queue-stats");
    let trends = el("section", "trends");
    let _ = trends.set_attribute("data-test", "live-charts");
    let _ = trends.set_attribute("aria-label", "Trends");
    let live = el("ul", "live");
    let _ = live.set_attribute("data-test", "live-engagements");
    let status = el("p", "error");
    let _ = status.set_attribute("role", "alert");
    let _ = status.set_attribute("hidden", "");
    let barged = el("div", "barged");
    let _ = barged.set_attribute("data-test", "barged-chats");
    for child in [&summary, &stats, &trends, &live, &status, &barged] {
        let _ = root.append_child(child);
    }
    let _ = host.append_child(&root);
    let state = Rc::new(RefCell::new(State {
        token,
        root,
        stats,
        trends,
        live,
        status,
        timer: None,
        tick: None,
        click: None,
        barged,
        chats: Vec::new(),
        ice,
        send,
        calls: Vec::new(),
    }));
    let weak = Rc::downgrade(&state);
    let tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(s) = weak.upgrade() {
            spawn_local(refresh(s));
        }
    });
    let weak = Rc::downgrade(&state);
    let click = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if let Some(s) = weak.upgrade() {
            on_click(s, e);
        }
    });
    {
        let mut s = state.borrow_mut();
        let _ = s
            .root
            .add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
        s.timer = web_sys::window().and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                REFRESH_MS,
            )
            .ok()
        });
        s.tick = Some(tick);
        s.click = Some(click);
    }
    spawn_local(refresh(state.clone()));
    View { state }
}

#[wasm_bindgen]
impl View {
    /// The widget's token changed.
    pub fn set_token(&self, token: String) {
        let mut s = self.state.borrow_mut();
        for (_, chat) in &s.chats {
            chat.set_token(token.clone());
        }
        s.token = token;
    }

    /// A `call_answer` or `call_error` frame from the socket, for call `id`: its call bar takes
    /// it, if the supervisor has one.
    pub fn call_frame(&self, id: String, json: String) {
        let s = self.state.borrow();
        if let Some((_, _, bar)) = s.calls.iter().find(|(c, _, _)| *c == id) {
            bar.frame(json);
        }
    }

    /// A `live_stats` frame from the socket (JSON): redraw the queues, charts and lists.
    pub fn live_stats(&self, json: String) {
        let Ok(frame) = JSON::parse(&json) else {
            return;
        };
        let stats = Reflect::get(&frame, &"live_stats".into()).unwrap_or(JsValue::NULL);
        if stats.is_null() || stats.is_undefined() {
            return;
        }
        let s = self.state.borrow();
        draw_stats(&s.stats, &charts::list(&stats, "queues"));
        crate::trends::draw(&s.trends, &stats);
    }

    /// Stop reading and remove the view.
    pub fn unmount(&self) {
        let mut s = self.state.borrow_mut();
        if let (Some(w), Some(t)) = (web_sys::window(), s.timer.take()) {
            w.clear_interval_with_handle(t);
        }
        s.tick = None;
        s.click = None;
        for (_, chat) in s.chats.drain(..) {
            chat.unmount();
        }
        for (_, _, bar) in s.calls.drain(..) {
            bar.unmount();
        }
        s.root.remove();
    }
}

/// Read the connected engagements and redraw them.
async fn refresh(state: Rc<RefCell<State>>) {
    let token = state.borrow().token.clone();
    let live = client::connected_engagements().send(&token).await;
    if let Ok(list) = &live {
        // The audio of a call that ended stops.
        let list = Array::from(list);
        let ended: Vec<String> = state
            .borrow()
            .calls
            .iter()
            .map(|(id, _, _)| id.clone())
            .filter(|id| {
                !list
                    .iter()
                    .any(|e| text(&e, "engagement_id").as_deref() == Some(id))
            })
            .collect();
        for id in ended {
            leave_call(&state, &id);
        }
    }
    let s = state.borrow();
    match live {
        Ok(list) => {
            let list = Array::from(&list);
            draw_live(&s.live, &list);
            // A barged chat still live gets what was written since; one that ended stops
            // taking messages.
            for (id, chat) in &s.chats {
                let live = list
                    .iter()
                    .any(|e| text(&e, "engagement_id").as_deref() == Some(id));
                chat.set(s.token.clone(), live);
                if live {
                    chat.reload();
                }
            }
        }
        Err(message) => return say(&s, &message),
    }
    let _ = s.status.set_attribute("hidden", "");
}

fn draw_stats(table: &Element, queues: &Array) {
    table.set_inner_html(
        "<tr><th>Queue</th><th>Waiting</th><th>Ringing</th><th>Active</th><th>Longest</th></tr>",
    );
    for q in queues.iter() {
        let row = el("tr", "");
        let longest = format!("{} s", field(&q, "longest_wait_secs"));
        for value in [
            field(&q, "name"),
            field(&q, "waiting"),
            field(&q, "offered"),
            field(&q, "active"),
            longest,
        ] {
            let cell = el("td", "");
            cell.set_text_content(Some(&value));
            let _ = row.append_child(&cell);
        }
        let _ = table.append_child(&row);
    }
}

fn draw_live(list: &Element, engagements: &Array) {
    list.set_inner_html("");
    for e in engagements.iter() {
        let Some(id) = text(&e, "engagement_id") else {
            continue;
        };
        let item = el("li", "");
        let _ = item.set_attribute("data-engagement", &id);
        let _ = item.set_attribute("data-channel", &field(&e, "channel"));
        if is_web_call(&e) {
            let _ = item.set_attribute("data-web-call", "");
        }
        let _ = item.append_with_str_1(&title(&e));
        for (label, mode, test) in [("Listen", "monitor", "listen"), ("Barge", "barge", "barge")] {
            let button = el("button", "");
            let _ = button.set_attribute("type", "button");
            let _ = button.set_attribute("data-mode", mode);
            let _ = button.set_attribute("data-test", test);
            button.set_text_content(Some(label));
            let _ = item.append_child(&button);
        }
        let _ = list.append_child(&item);
    }
}

/// The engagement's one-line title, as the widget's panels write it: the work item's name,
/// the consumer, or the channel.
fn title(e: &JsValue) -> String {
    let get = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).unwrap_or(JsValue::NULL);
    if let Some(name) = text(&get(e, "work_item"), "name") {
        return name;
    }
    let consumer = get(e, "consumer");
    ["display_name", "phone", "email"]
        .iter()
        .find_map(|k| text(&consumer, k))
        .or_else(|| text(e, "channel").map(|c| c.replace('_', " ")))
        .unwrap_or_default()
}

/// A call whose audio Switchboard carries (docs/voice.md), as opposed to a telephony
/// connector's voice engagement.
fn is_web_call(e: &JsValue) -> bool {
    text(e, "channel").as_deref() == Some("voice")
        && text(e, "channel_source").as_deref() == Some("web_call")
}

fn on_click(state: Rc<RefCell<State>>, event: web_sys::Event) {
    let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    if let Some(id) = target.as_ref().and_then(|t| t.get_attribute("data-leave")) {
        return leave_call(&state, &id);
    }
    let Some(button) = target.filter(|e| e.has_attribute("data-mode")) else {
        return;
    };
    let mode = button.get_attribute("data-mode").unwrap_or_default();
    let Some(item) = button.parent_element() else {
        return;
    };
    let Some(id) = item.get_attribute("data-engagement") else {
        return;
    };
    let chat = mode == "barge" && item.get_attribute("data-channel").as_deref() == Some("chat");
    let call = item.has_attribute("data-web-call");
    let name = item
        .first_child()
        .and_then(|t| t.text_content())
        .unwrap_or_default();
    spawn_local(async move {
        let token = state.borrow().token.clone();
        match client::monitor(&id, &mode).send(&token).await {
            Ok(_) => {
                if chat {
                    show_barged_chat(&state, id, &name);
                } else if call {
                    hear_call(&state, id, &name, mode == "barge");
                }
                spawn_local(refresh(state))
            }
            Err(message) => say(&state.borrow(), &message),
        }
    });
}

/// Barging into a chat opens its conversation below the list (once): the supervisor reads
/// and writes there, marked as a supervisor on both sides.
fn show_barged_chat(state: &Rc<RefCell<State>>, id: String, name: &str) {
    let mut s = state.borrow_mut();
    if s.chats.iter().any(|(c, _)| *c == id) {
        return;
    }
    let section = el("section", "");
    let _ = section.set_attribute("data-test", "barged-chat");
    let _ = section.set_attribute("data-engagement", &id);
    let heading = el("h4", "");
    heading.set_text_content(Some(&format!("Barged in: {name}")));
    let _ = section.append_child(&heading);
    let _ = s.barged.append_child(&section);
    let chat = crate::conversation::mount_supervising(section, id.clone(), s.token.clone());
    s.chats.push((id, chat));
}

/// The supervisor's audio of web call `id`: a section with a call bar (mounted once; Barge
/// after Listen only changes its heading — the server changes who hears whom).
fn hear_call(state: &Rc<RefCell<State>>, id: String, name: &str, barge: bool) {
    let heading = if barge {
        format!("Barged in: {name}")
    } else {
        format!("Listening: {name}")
    };
    let mut s = state.borrow_mut();
    if let Some((_, section, _)) = s.calls.iter().find(|(c, _, _)| *c == id) {
        if let Some(h) = section.query_selector("h4").ok().flatten() {
            h.set_text_content(Some(&heading));
        }
        return;
    }
    let section = el("section", "");
    let _ = section.set_attribute("data-test", "monitored-call");
    let _ = section.set_attribute("data-engagement", &id);
    let h = el("h4", "");
    h.set_text_content(Some(&heading));
    let leave = el("button", "");
    let _ = leave.set_attribute("type", "button");
    let _ = leave.set_attribute("data-leave", &id);
    let _ = leave.set_attribute("data-test", "monitor-leave");
    leave.set_text_content(Some("Leave"));
    let _ = section.append_child(&h);
    let _ = section.append_child(&leave);
    let _ = s.barged.append_child(&section);
    let bar = crate::call::mount_call(
        section.clone(),
        id.clone(),
        true,
        s.ice.clone(),
        s.send.clone(),
    );
    s.calls.push((id, section, bar));
}

/// Stop hearing call `id` (Leave, or the call ended): the audio closes; the server drops the
/// leg when it goes quiet.
fn leave_call(state: &Rc<RefCell<State>>, id: &str) {
    let mut s = state.borrow_mut();
    if let Some(at) = s.calls.iter().position(|(c, _, _)| c == id) {
        let (_, section, bar) = s.calls.remove(at);
        bar.unmount();
        section.remove();
    }
}

fn say(s: &State, message: &str) {
    s.status.set_text_content(Some(message));
    let _ = s.status.remove_attribute("hidden");
}

/// A field as text: strings as they are, numbers and others as JSON.
fn field(v: &JsValue, key: &str) -> String {
    let value = Reflect::get(v, &key.into()).unwrap_or(JsValue::NULL);
    match value.as_string() {
        Some(s) => s,
        None if value.is_undefined() || value.is_null() => String::new(),
        None => JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default(),
    }
}
