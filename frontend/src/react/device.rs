//! One widget at a time per agent (docs/embedding.md, "One widget at a time"). Each widget
//! instance has a device id (`crate::browser::device_id`). The server says which device is
//! active (`PUT /v1/agents/me/device`, `agent.device_changed` in the feed); only that one
//! rings, plays sounds, opens screen pops and tells its host page about engagements. Tabs of
//! one origin also tell each other at once over a `BroadcastChannel` when one takes over.

use crate::api;
use crate::browser::device_id;
use crate::client;
use crate::model::{Change, Item};
use crate::session::bus::Moment;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const CHANNEL: &str = "switchboard.device";

pub fn install(session: Session) {
    // Whether this instance was the active one when last checked ([`settle`]).
    let was_active = Rc::new(Cell::new(true));
    listen_to_tabs(session);
    session.subscribe(move |moment| match moment {
        // Which widget instance rings: this one if none does.
        Moment::Online => claim(session, true),
        Moment::Synced | Moment::DeviceKnown => settle(session, &was_active),
        Moment::Applied { change, .. } => {
            // No device is active any more: offer to be it (the first to ask wins, so tabs
            // do not flap).
            if let Change::Device(None) = change {
                claim(session, true);
            }
            settle(session, &was_active);
        }
        _ => {}
    });
}

/// Ask to be the active device: `only_if_free` at start and when the active one went away;
/// without it ("Use here") to take over.
pub fn claim(session: Session, only_if_free: bool) {
    spawn_local(async move {
        let Ok(text) = session
            .call(client::claim_device(device_id(), only_if_free))
            .await
        else {
            return;
        };
        // `ActiveDevice`, read by hand (first-load budget).
        if let Some(answer) = api::decode::<serde_json::Value>(&text) {
            let active = answer
                .get("active_device")
                .and_then(|d| d.as_str())
                .map(str::to_string);
            if !only_if_free && active.as_deref() == Some(device_id().as_str()) {
                tell_tabs(session, &device_id());
            }
            session.model.update(|m| m.active_device = active);
            session.emit(Moment::DeviceKnown);
        }
    });
}

/// After anything that may have changed which instance is active: when this one has just
/// become the active one, say so with what is ringing now (it rang elsewhere until now).
fn settle(session: Session, was_active: &Cell<bool>) {
    let active = session.is_active();
    if active && !was_active.replace(active) {
        let ringing: Vec<Item> = session
            .model
            .with_untracked(|m| m.ringing().cloned().collect());
        session.emit(Moment::BecameActive(&ringing));
    }
    was_active.set(active);
}

fn agent_id(session: &Session) -> Option<String> {
    session
        .model
        .with_untracked(|m| m.agent.as_ref().map(|a| a.agent_id.to_string()))
}

/// Tell this origin's other tabs that `device` took over (a message on a channel reaches
/// every other channel of that name; this tab's own listener hears it too, and learns
/// nothing new).
fn tell_tabs(session: Session, device: &str) {
    let Some(agent) = agent_id(&session) else {
        return;
    };
    if let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) {
        let _ = channel.post_message(&js_sys::Array::of2(&agent.into(), &device.into()));
        channel.close();
    }
}

/// Listen to this origin's other tabs (once per widget).
fn listen_to_tabs(session: Session) {
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
                session.emit(Moment::DeviceKnown);
            }
        });
    channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // The channel lives as long as the page: its handler holds it.
    std::mem::forget(channel);
}
