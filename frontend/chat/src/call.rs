//! A web call, the visitor's side (docs/voice.md): the microphone first (a refusal or a
//! missing one says what to do, before anything is started), then `POST …/calls`, one peer
//! connection to Switchboard (two audio lines: the microphone out and the agent back; a
//! barging supervisor on the second), its offer on the chat socket (`call_offer` →
//! `call_answer`), ringback and the place in line while queued, then the call: timer, mute,
//! hang up, "this call is recorded". A reload comes back here and offers again on the same
//! call (the server replaces the old leg).

use crate::dom::{after, append, attr, el, on, text_el, Timers};
use crate::form::Page;
use crate::session;
use js_sys::Reflect;
use kit::call::{self as leg, Leg};
use kit::{client, text};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{AudioContext, Element, MediaStream, WebSocket};

const PLACE_EVERY_MS: i32 = 5_000;
/// How long the audio may be down before the page offers a new leg.
const LOST_MS: i32 = 2_500;

struct Call {
    page: Page,
    token: String,
    leg: Leg,
    mic: MediaStream,
    ice_servers: JsValue,
    socket: Option<WebSocket>,
    handlers: session::Handlers,
    ringback: Option<AudioContext>,
    status: Element,
    clock: Element,
    notice: Element,
    error: Element,
    mute: Element,
    /// When the agent answered (ms since the epoch), for the timer.
    since: Option<f64>,
    timers: Timers,
    offered: bool,
    over: bool,
}

type Shared = Rc<RefCell<Call>>;

/// The microphone, or what to tell the visitor.
pub async fn microphone() -> Result<MediaStream, String> {
    leg::microphone(None)
        .await
        .map_err(|p| p.message("press Call again, or start a chat instead"))
}

/// The call screen for the call `token` names, with the microphone already granted.
pub fn open(page: Page, token: String, mic: MediaStream, ice_servers: JsValue) {
    let Ok(leg) = Leg::new(&ice_servers, &mic, "call-audio") else {
        return crate::dom::show_error(&page.root, "This browser cannot make calls.");
    };
    page.root.set_text_content(None);
    let status = text_el("p", "status", "Calling…");
    attr(&status, "role", "status");
    attr(&status, "data-test", "call-status");
    let clock = text_el("p", "call-clock", "");
    attr(&clock, "data-test", "call-clock");
    let notice = text_el("p", "note", "");
    attr(&notice, "data-test", "call-recorded");
    attr(&notice, "hidden", "");
    let error = el("p", "error");
    attr(&error, "role", "alert");
    attr(&error, "data-test", "call-error");
    let actions = el("div", "actions");
    let mute = text_el("button", "secondary", "Mute");
    attr(&mute, "type", "button");
    attr(&mute, "aria-pressed", "false");
    attr(&mute, "data-test", "call-mute");
    let hang_up = text_el("button", "danger", "Hang up");
    attr(&hang_up, "type", "button");
    attr(&hang_up, "data-test", "call-hang-up");
    append(&actions, &[&mute, &hang_up]);
    let header = crate::dom::header("Call us", &page.host);
    append(
        &page.root,
        &[&header, &status, &clock, &notice, &error, &actions],
    );
    append(&page.root, &[&leg.audio[0], &leg.audio[1]]);
    let call = Rc::new(RefCell::new(Call {
        page,
        token,
        leg,
        mic,
        ice_servers,
        socket: None,
        handlers: Vec::new(),
        ringback: None,
        status,
        clock,
        notice,
        error,
        mute: mute.clone(),
        since: None,
        timers: Timers::default(),
        offered: false,
        over: false,
    }));
    watch(&call);
    let c = call.clone();
    on(&mute, "click", move |_| toggle_mute(&c));
    let c = call.clone();
    on(&hang_up, "click", move |_| {
        let c = c.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let token = c.borrow().token.clone();
            let _ = client::end_chat().send(&token).await;
            finish(&c, "Call ended.");
        });
    });
    connect(call);
}

fn connect(call: Shared) {
    let token = call.borrow().token.clone();
    let (on_frame_of, on_close_of) = (call.clone(), call.clone());
    // From the start: after a reload the replay says where the call is (answered, handed on,
    // over).
    let opened = session::socket(
        &token,
        0,
        move |frame| on_frame(&on_frame_of, frame),
        move || {
            if on_close_of.borrow().over {
                return;
            }
            // The audio goes on without the socket; it only carries what happens.
            let again = on_close_of.clone();
            let timer = after(2_000, move || connect(again));
            on_close_of.borrow_mut().timers.set("reconnect", timer);
        },
    );
    let Some((socket, handlers)) = opened else {
        return;
    };
    let mut c = call.borrow_mut();
    c.socket = Some(socket);
    c.handlers = handlers;
}

fn on_frame(call: &Shared, frame: &JsValue) {
    match text(frame, "type").as_deref().unwrap_or("") {
        "hello" => match text(frame, "state").as_deref().unwrap_or("") {
            "wrap_up" | "closed" => finish(call, "Call ended."),
            state => {
                let waiting = matches!(state, "queued" | "offered");
                if waiting {
                    ringback(call, true);
                    read_place(call.clone());
                } else {
                    set_status(call, "On the call");
                    answered(call);
                }
                // The first offer; or again when the socket came back and the audio is not
                // connected (its server went away, or the last offer was lost with the
                // socket): the offer reaches whichever server holds the call now.
                let again = {
                    let c = call.borrow();
                    !c.offered || !leg::is_connected(&c.leg)
                };
                if again {
                    call.borrow_mut().offered = true;
                    wasm_bindgen_futures::spawn_local(send_offer(call.clone()));
                }
            }
        },
        "call_answer" => {
            let sdp = text(frame, "sdp").unwrap_or_default();
            let c = call.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let leg = c.borrow().leg.clone();
                if leg.answer(&sdp).await.is_err() {
                    show_error(
                        &c,
                        "The call could not be connected. Hang up and call again.",
                    );
                }
            });
        }
        "call_error" => show_error(call, &text(frame, "message").unwrap_or_default()),
        "call_recording" => {
            let c = call.borrow();
            c.notice.set_text_content(Some("This call is recorded."));
            let _ = c.notice.remove_attribute("hidden");
        }
        "agent_joined" => {
            let name = text(frame, "name").unwrap_or_else(|| "an agent".into());
            set_status(call, &format!("On the call with {name}"));
            answered(call);
        }
        "agent_left" => {
            set_status(call, "Please hold: we are connecting you to someone else…");
        }
        "ended" => finish(call, "Call ended."),
        _ => {}
    }
}

/// A leg whose audio is lost for [`LOST_MS`] is renewed.
fn watch(call: &Shared) {
    let c = call.clone();
    call.borrow().leg.on_lost(LOST_MS, move || renew(c.clone()));
}

/// The audio was lost (the server holding the call went away, the network changed): a new
/// leg on the same call, offered again — whichever server holds the call now answers.
fn renew(call: Shared) {
    let (new_leg, old_leg) = {
        let c = call.borrow();
        if c.over {
            return;
        }
        let Ok(leg) = Leg::new(&c.ice_servers, &c.mic, "call-audio") else {
            return;
        };
        append(&c.page.root, &[&leg.audio[0], &leg.audio[1]]);
        (leg, c.leg.clone())
    };
    old_leg.close();
    call.borrow_mut().leg = new_leg;
    watch(&call);
    wasm_bindgen_futures::spawn_local(send_offer(call));
}

/// The offer for this page's leg, sent on the chat socket.
async fn send_offer(call: Shared) {
    let leg = call.borrow().leg.clone();
    let Ok(sdp) = leg.offer().await else {
        return show_error(&call, "This browser could not start the call.");
    };
    if let Some(socket) = call.borrow().socket.as_ref() {
        let _ = socket.send_with_str(&leg::offer_frame(&sdp, None));
    }
}

/// The agent answered: ringback stops, the timer starts.
fn answered(call: &Shared) {
    ringback(call, false);
    if call.borrow().since.is_some() {
        return;
    }
    call.borrow_mut().since = Some(js_sys::Date::now());
    tick(call.clone());
}

fn tick(call: Shared) {
    let (since, over) = {
        let c = call.borrow();
        (c.since, c.over)
    };
    let (Some(since), false) = (since, over) else {
        return;
    };
    let secs = ((js_sys::Date::now() - since) / 1000.0) as u64;
    call.borrow()
        .clock
        .set_text_content(Some(&format!("{:02}:{:02}", secs / 60, secs % 60)));
    let c = call.clone();
    let timer = after(1_000, move || tick(c));
    call.borrow_mut().timers.set("clock", timer);
}

/// The place in line while the call waits.
fn read_place(call: Shared) {
    wasm_bindgen_futures::spawn_local(async move {
        if call.borrow().since.is_some() || call.borrow().over {
            return;
        }
        let token = call.borrow().token.clone();
        if let Ok(view) = client::chat_session().send(&token).await {
            let position = Reflect::get(&view, &"queue".into())
                .ok()
                .and_then(|q| Reflect::get(&q, &"position".into()).ok())
                .and_then(|p| p.as_f64());
            if let (Some(p), None) = (position, call.borrow().since) {
                set_status(&call, &format!("Calling… you are number {p} in line"));
            }
        }
        let c = call.clone();
        let timer = after(PLACE_EVERY_MS, move || read_place(c));
        call.borrow_mut().timers.set("place", timer);
    });
}

/// Ringback while queued: 440 + 480 Hz, two seconds on, four off, made in the page.
fn ringback(call: &Shared, on: bool) {
    let mut c = call.borrow_mut();
    if !on {
        if let Some(ctx) = c.ringback.take() {
            let _ = ctx.close();
        }
        return;
    }
    if c.ringback.is_some() {
        return;
    }
    let Ok(ctx) = AudioContext::new() else {
        return;
    };
    let Ok(gain) = ctx.create_gain() else {
        return;
    };
    let now = ctx.current_time();
    for cycle in 0..200 {
        let start = now + cycle as f64 * 6.0;
        let _ = gain.gain().set_value_at_time(0.08, start);
        let _ = gain.gain().set_value_at_time(0.0, start + 2.0);
    }
    let _ = gain.connect_with_audio_node(&ctx.destination());
    for hz in [440.0, 480.0] {
        if let Ok(tone) = ctx.create_oscillator() {
            tone.frequency().set_value(hz);
            let _ = tone.connect_with_audio_node(&gain);
            let _ = tone.start();
        }
    }
    c.ringback = Some(ctx);
}

fn toggle_mute(call: &Shared) {
    let c = call.borrow();
    let Some(track) = leg::audio_track(&c.mic) else {
        return;
    };
    let muted = track.enabled();
    track.set_enabled(!muted);
    c.mute
        .set_text_content(Some(if muted { "Unmute" } else { "Mute" }));
    attr(
        &c.mute,
        "aria-pressed",
        if muted { "true" } else { "false" },
    );
}

fn set_status(call: &Shared, text: &str) {
    call.borrow().status.set_text_content(Some(text));
}

fn show_error(call: &Shared, message: &str) {
    call.borrow().error.set_text_content(Some(message));
}

/// The call is over: audio, microphone, socket and timers stop; the page offers the survey
/// (when the entry point asks one) and a new start.
fn finish(call: &Shared, why: &str) {
    let (page, token) = {
        let mut c = call.borrow_mut();
        if c.over {
            return;
        }
        c.over = true;
        c.leg.close();
        leg::stop(&c.mic);
        if let Some(s) = c.socket.take() {
            s.set_onclose(None);
            let _ = s.close();
        }
        c.timers.clear();
        c.status.set_text_content(Some(why));
        let _ = c.mute.set_attribute("hidden", "");
        (c.page.clone(), c.token.clone())
    };
    ringback(call, false);
    session::forget(&page.entry);
    let again = text_el("button", "primary", "Back to the start");
    attr(&again, "type", "button");
    attr(&again, "data-test", "new-chat");
    let p = page.clone();
    on(&again, "click", move |_| {
        wasm_bindgen_futures::spawn_local(crate::form::show(p.clone()))
    });
    if let Some(hang_up) = page
        .root
        .query_selector("[data-test=call-hang-up]")
        .ok()
        .flatten()
    {
        let _ = hang_up.set_attribute("hidden", "");
    }
    append(&page.root, &[&again]);
    crate::survey::offer(token, page.root.clone(), again, page.host.clone());
}

/// After a reload: the saved call, with the microphone again (the browser remembers the
/// permission) and a new leg on the same call.
pub async fn resume(page: Page, token: String) {
    let entry = String::from(js_sys::encode_uri_component(&page.entry));
    let ice_servers = client::chat_entry(&entry)
        .send("")
        .await
        .ok()
        .and_then(|s| Reflect::get(&s, &"ice_servers".into()).ok())
        .unwrap_or(JsValue::UNDEFINED);
    match microphone().await {
        Ok(mic) => open(page, token, mic, ice_servers),
        Err(why) => {
            let _ = client::end_chat().send(&token).await;
            session::forget(&page.entry);
            crate::dom::show_error(&page.root, &why);
        }
    }
}
