//! The ring and offer notifications.
//!
//! Browsers keep audio locked until the page gets a user gesture, and a ring that cannot play is
//! a missed call. So the audio context is created by [`unlock`], which the UI calls from a click
//! (going ready is such a click), and the agent cannot go ready from the host page until it has
//! been unlocked. The ring is a two-tone burst every three seconds, made with Web Audio, so
//! there is no sound file to load.
//!
//! Only the active widget instance rings and notifies; a chat chime plays wherever the agent
//! is not looking.

use crate::model::Change;
use crate::session::bus::Moment;
use crate::session::{active_here, Session};
use leptos::prelude::*;
use shared::events::EventKind;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;

thread_local! {
    /// The page's one audio context, made by a user gesture ([`unlock`]).
    static AUDIO: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
}

/// The ring that is playing: its gain node and two oscillators.
type Ring = (web_sys::GainNode, [web_sys::OscillatorNode; 2]);

pub fn install(session: Session) {
    let ring: Rc<RefCell<Option<Ring>>> = Rc::default();
    session.subscribe(move |moment| {
        match moment {
            Moment::Chat { unseen: true, .. } => chime(),
            Moment::Applied {
                change: Change::Engagement { kind, item },
                active: true,
                ..
            } if *kind == EventKind::EngagementOffered => notify_offer(&item.title()),
            Moment::BecameActive(ringing) => {
                for item in *ringing {
                    notify_offer(&item.title());
                }
            }
            _ => {}
        }
        // Ring while something is offered to this instance; stop when nothing is.
        let should_ring = session
            .model
            .with_untracked(|m| active_here(m) && m.ringing().next().is_some());
        sync(&ring, should_ring);
    });
}

/// Call from a user gesture: creates (or resumes) the audio context and asks for permission to
/// show notifications in the standalone app.
pub fn unlock() -> bool {
    let ok = AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_none() {
            *a = web_sys::AudioContext::new().ok();
        }
        match a.as_ref() {
            Some(ctx) => {
                let _ = ctx.resume();
                true
            }
            None => false,
        }
    });
    if !crate::browser::is_framed_here() {
        if let Ok(p) = web_sys::Notification::request_permission() {
            drop(p);
        }
    }
    ok
}

/// Has a gesture unlocked audio (the context exists and is running)?
pub fn unlocked() -> bool {
    AUDIO.with(|a| {
        a.borrow()
            .as_ref()
            .is_some_and(|c| c.state() == web_sys::AudioContextState::Running)
    })
}

/// Start or stop the ring.
fn sync(ring: &RefCell<Option<Ring>>, should_ring: bool) {
    let playing = ring.borrow().is_some();
    if should_ring && !playing {
        *ring.borrow_mut() = start();
    } else if !should_ring && playing {
        if let Some((gain, oscillators)) = ring.borrow_mut().take() {
            for osc in oscillators {
                osc.stop().ok();
            }
            gain.disconnect().ok();
        }
    }
}

fn start() -> Option<Ring> {
    let ctx = AUDIO.with(|a| a.borrow().clone())?;
    let (Ok(gain), Ok(low), Ok(high)) = (
        ctx.create_gain(),
        ctx.create_oscillator(),
        ctx.create_oscillator(),
    ) else {
        return None;
    };
    low.frequency().set_value(440.0);
    high.frequency().set_value(480.0);
    let level = gain.gain();
    let t0 = ctx.current_time();
    level.set_value_at_time(0.0, t0).ok();
    // Up to ten minutes of bursts (the longest ring timeout); stopped early by `sync(false)`.
    for i in 0..200 {
        let t = t0 + f64::from(i) * 3.0;
        level.set_value_at_time(0.12, t).ok();
        level.set_value_at_time(0.0, t + 1.2).ok();
    }
    for osc in [&low, &high] {
        osc.connect_with_audio_node(&gain).ok();
        osc.start().ok();
    }
    gain.connect_with_audio_node(&ctx.destination()).ok();
    Some((gain, [low, high]))
}

/// A short two-note chime: a chat message came where the agent is not looking.
fn chime() {
    let Some(ctx) = AUDIO.with(|a| a.borrow().clone()) else {
        return;
    };
    let (Ok(gain), Ok(osc)) = (ctx.create_gain(), ctx.create_oscillator()) else {
        return;
    };
    let t = ctx.current_time();
    osc.frequency().set_value_at_time(660.0, t).ok();
    osc.frequency().set_value_at_time(880.0, t + 0.12).ok();
    gain.gain().set_value_at_time(0.08, t).ok();
    gain.gain().set_value_at_time(0.0, t + 0.25).ok();
    osc.connect_with_audio_node(&gain).ok();
    gain.connect_with_audio_node(&ctx.destination()).ok();
    osc.start().ok();
    osc.stop_with_when(t + 0.3).ok();
}

/// A system notification for an offer while the page is hidden (the installed app in the
/// background); clicking it brings the app forward.
fn notify_offer(title: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if !doc.hidden()
        || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
    {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(title);
    options.set_tag("switchboard-offer");
    options.set_require_interaction(true);
    if let Ok(n) = web_sys::Notification::new_with_options("Incoming — Switchboard", &options) {
        let focus = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
        });
        n.set_onclick(Some(focus.as_ref().unchecked_ref()));
        focus.forget();
    }
}
