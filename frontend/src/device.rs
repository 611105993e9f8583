//! One widget at a time per agent (docs/embedding.md, "One widget at a time"). Each widget
//! instance has a device id, kept in `sessionStorage` so a reload of its tab keeps it. The
//! server says which device is active (`PUT /v1/agents/me/device`, `agent.device_changed` in
//! the feed); only that one rings, plays sounds, opens screen pops and tells its host page
//! about engagements. Tabs of one origin also tell each other at once over a
//! `BroadcastChannel` when one takes over.

use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::DeviceClaim;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const DEVICE_KEY: &str = "switchboard.device";
const CHANNEL: &str = "switchboard.device";

thread_local! {
    /// Whether this instance was the active one when last checked ([`settle`]).
    static WAS_ACTIVE: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static CHANNEL_HANDLE: std::cell::RefCell<Option<web_sys::BroadcastChannel>> =
        const { std::cell::RefCell::new(None) };
    /// [`my_id`], read (or made) once per page: every view and event asks for it.
    static MY_ID: String = load_or_make_id();
}

/// This widget instance's device id (made once per tab, kept across reloads).
pub fn my_id() -> String {
    MY_ID.with(String::clone)
}

fn load_or_make_id() -> String {
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(DEVICE_KEY).ok().flatten())
        .filter(|id| DeviceClaim::valid_id(id))
    {
        return id;
    }
    let id = format!(
        "w{:08x}{:08x}",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32,
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    );
    if let Some(s) = storage {
        let _ = s.set_item(DEVICE_KEY, &id);
    }
    id
}

/// Does this instance ring? Also while no device is active (a claim is on its way), so a
/// ring at start-up is never lost.
pub fn active_in(model: &crate::model::Model) -> bool {
    model.active_device.as_deref().is_none_or(|d| d == my_id())
}

/// [`active_in`] for event handlers (not tracked).
pub fn is_active(session: &Session) -> bool {
    session.model.with_untracked(active_in)
}

/// Ask to be the active device: `only_if_free` at start and when the active one went away;
/// without it ("use here") to take over.
pub fn claim(session: Session, only_if_free: bool) {
    spawn_local(async move {
        // `DeviceClaim`'s fields, written without a derived serializer (first-load budget).
        let body = Some(format!(
            "{{\"device_id\":\"{}\",\"only_if_free\":{only_if_free}}}",
            my_id()
        ));
        let Ok(text) = session
            .call("PUT", "/v1/agents/me/device".into(), body)
            .await
        else {
            return;
        };
        // `ActiveDevice`, read by hand.
        if let Some(answer) = crate::api::decode::<serde_json::Value>(&text) {
            let active = answer
                .get("active_device")
                .and_then(|d| d.as_str())
                .map(str::to_string);
            if !only_if_free && active.as_deref() == Some(my_id().as_str()) {
                tell_tabs(session, &my_id());
            }
            session.model.update(|m| m.active_device = active);
            settle(session);
        }
    });
}

/// After anything that may have changed which instance is active: ring here only while this
/// one is, and when it has just become the active one, ring for what is already ringing and
/// tell the host about it (it heard nothing while another instance was active).
pub fn settle(session: Session) {
    let (active, ringing) = session
        .model
        .with_untracked(|m| (active_in(m), m.ringing().count() > 0));
    let was = WAS_ACTIVE.with(|w| w.replace(active));
    if active && !was {
        let items: Vec<crate::model::Item> = session
            .model
            .with_untracked(|m| m.ringing().cloned().collect());
        for item in &items {
            crate::sound::notify_offer(&item.title());
            crate::bridge::ringing_again(item);
        }
    }
    crate::sound::sync(active && ringing);
}

/// The feed said the active device changed: when none is, offer to take it (the first to ask
/// wins, so tabs do not flap).
pub fn changed(session: Session, active: Option<&str>) {
    if active.is_none() {
        claim(session, true);
    }
}

fn agent_id(session: &Session) -> Option<String> {
    session
        .model
        .with_untracked(|m| m.agent.as_ref().map(|a| a.agent_id.to_string()))
}

/// Tell this origin's other tabs that `device` took over.
fn tell_tabs(session: Session, device: &str) {
    let Some(agent) = agent_id(&session) else {
        return;
    };
    CHANNEL_HANDLE.with(|c| {
        if let Some(channel) = c.borrow().as_ref() {
            let message = js_sys::Array::of2(&agent.into(), &device.into());
            let _ = channel.post_message(&message);
        }
    });
}

/// Listen to this origin's other tabs (once per widget).
pub fn listen_to_tabs(session: Session) {
    let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
        return;
    };
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let Ok(message) = e.data().dyn_into::<js_sys::Array>() else {
                return;
            };
            let (agent, device) = (message.get(0).as_string(), message.get(1).as_string());
            if agent.is_some() && agent == agent_id(&session) {
                session.model.update(|m| m.active_device = device);
                settle(session);
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    CHANNEL_HANDLE.with(|c| *c.borrow_mut() = Some(channel));
}
