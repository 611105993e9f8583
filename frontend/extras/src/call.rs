//! The agent's call bar for a web call (docs/voice.md), mounted in the engagement's panel
//! (`[data-call]`) by the active widget while the call is live: the microphone (a blocked one
//! says what to do, with Retry), the leg's offer sent on the widget's own socket (`send`) and
//! the answer that comes back on it (`frame`), then a timer, Mute, a live level meter of the
//! microphone, and pickers for the input and output devices (the ringer keeps the default
//! output). Hold, transfer and hang up are the panel's engagement actions: the server follows
//! them (hold music, the leg dropped, the call ended).

use js_sys::{Array, Function, Reflect, JSON};
use kit::call::{self as leg, Leg, MicProblem};
use kit::dom::{after, append, attr, el, on, text_el, Timers};
use kit::text;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AnalyserNode, AudioContext, Element, HtmlSelectElement, MediaStream};

/// How often the level meter is read.
const METER_MS: i32 = 100;
/// How long the audio may be down before the bar offers a new leg.
const LOST_MS: i32 = 2_500;
/// After a `call_error`: how long before offering again, and how many times in a row.
const RETRY_MS: i32 = 2_000;
const RETRIES: u32 = 5;
/// How long an offer waits for its answer before the bar offers again.
const ANSWER_MS: i32 = 6_000;

struct Bar {
    id: String,
    ice: JsValue,
    send: Function,
    root: Element,
    status: Element,
    clock: Element,
    error: Element,
    mute: Element,
    meter: Element,
    inputs: Element,
    outputs: Element,
    retry: Element,
    leg: Option<Leg>,
    mic: Option<MediaStream>,
    analyser: Option<(AudioContext, AnalyserNode)>,
    since: Option<f64>,
    timers: Timers,
    live: bool,
    /// Offers made again after a `call_error` (at most [`RETRIES`] in a row).
    retries: u32,
}

type Shared = Rc<RefCell<Bar>>;

/// A mounted call bar, driven by the widget.
#[wasm_bindgen]
pub struct CallBar {
    bar: Shared,
}

fn button(label: &str, test: &str) -> Element {
    let b = text_el("button", "", label);
    attr(&b, "type", "button");
    attr(&b, "data-test", test);
    b
}

fn picker(label: &str, test: &str) -> (Element, Element) {
    let l = text_el("label", "", label);
    let select = el("select", "");
    attr(&select, "data-test", test);
    append(&l, &[&select]);
    (l, select)
}

/// Mount the call bar of call `id` in `host`; `ice`: the `iceServers` JSON from the socket's
/// hello; `send`: sends a text frame on the widget's socket. It starts the audio at once
/// when `live`.
#[wasm_bindgen]
pub fn mount_call(host: Element, id: String, live: bool, ice: String, send: Function) -> CallBar {
    let root = el("section", "call-bar");
    attr(&root, "data-test", "call-bar");
    attr(&root, "aria-label", "Call");
    let status = text_el("span", "", "Connecting the audio…");
    attr(&status, "role", "status");
    attr(&status, "data-test", "call-status");
    let clock = text_el("span", "call-clock", "");
    attr(&clock, "data-test", "call-clock");
    let mute = button("Mute", "call-mute");
    attr(&mute, "aria-pressed", "false");
    let meter = el("meter", "");
    attr(&meter, "min", "0");
    attr(&meter, "max", "1");
    attr(&meter, "aria-label", "Microphone level");
    attr(&meter, "data-test", "call-level");
    let error = el("p", "error");
    attr(&error, "role", "alert");
    attr(&error, "data-test", "call-error");
    let retry = button("Retry", "call-retry");
    attr(&retry, "hidden", "");
    let (input_label, inputs) = picker("Microphone", "call-input");
    let (output_label, outputs) = picker("Speaker", "call-output");
    append(
        &root,
        &[
            &status,
            &clock,
            &mute,
            &meter,
            &error,
            &retry,
            &input_label,
            &output_label,
        ],
    );
    append(&host, &[&root]);
    let bar = Rc::new(RefCell::new(Bar {
        id,
        ice: JSON::parse(&ice).unwrap_or(JsValue::UNDEFINED),
        send,
        root,
        status,
        clock,
        error,
        mute: mute.clone(),
        meter,
        inputs: inputs.clone(),
        outputs: outputs.clone(),
        retry: retry.clone(),
        leg: None,
        mic: None,
        analyser: None,
        since: None,
        timers: Timers::default(),
        retries: 0,
        live: false,
    }));
    let b = bar.clone();
    on(&mute, "click", move |_| toggle_mute(&b));
    let b = bar.clone();
    on(&retry, "click", move |_| spawn_local(start(b.clone())));
    let b = bar.clone();
    on(&inputs, "change", move |_| {
        spawn_local(switch_input(b.clone()))
    });
    let b = bar.clone();
    on(&outputs, "change", move |_| {
        let c = b.borrow();
        if let (Some(leg), Some(select)) = (&c.leg, c.outputs.dyn_ref::<HtmlSelectElement>()) {
            leg.set_output(&select.value());
        }
    });
    let part = CallBar { bar };
    part.set(live);
    part
}

#[wasm_bindgen]
impl CallBar {
    /// The call is live (connected or on hold) or not any more.
    pub fn set(&self, live: bool) {
        // Shown only while it carries the call here (not in another tab's widget, not after).
        let _ = Reflect::set(
            &self.bar.borrow().root,
            &"hidden".into(),
            &JsValue::from_bool(!live),
        );
        let was = self.bar.borrow().live;
        self.bar.borrow_mut().live = live;
        if live && !was {
            spawn_local(start(self.bar.clone()));
        } else if !live && was {
            stop(&self.bar);
        }
    }

    /// A `call_answer` or `call_error` frame from the socket, for this call.
    pub fn frame(&self, json: String) {
        let Ok(frame) = JSON::parse(&json) else {
            return;
        };
        match text(&frame, "type").as_deref() {
            Some("call_answer") => {
                let sdp = text(&frame, "sdp").unwrap_or_default();
                let b = self.bar.clone();
                spawn_local(async move {
                    let Some(leg) = b.borrow().leg.clone() else {
                        return;
                    };
                    match leg.answer(&sdp).await {
                        Ok(()) => connected(&b),
                        Err(_) => show_error(&b, "The call's audio could not be connected."),
                    }
                });
            }
            Some("call_error") => {
                show_error(&self.bar, &text(&frame, "message").unwrap_or_default());
                // The call may be between servers (its holder went away and the visitor has
                // not offered again yet): offer again in a moment, a few times.
                let mut b = self.bar.borrow_mut();
                if b.live && b.retries < RETRIES {
                    b.retries += 1;
                    let again = self.bar.clone();
                    let timer = after(RETRY_MS, move || renew(again));
                    b.timers.set("retry", timer);
                }
            }
            _ => {}
        }
    }

    pub fn unmount(&self) {
        stop(&self.bar);
        self.bar.borrow().root.remove();
    }
}

/// Microphone, leg, offer.
async fn start(bar: Shared) {
    let device = {
        let b = bar.borrow();
        attr(&b.retry, "hidden", "");
        b.error.set_text_content(None);
        b.inputs
            .dyn_ref::<HtmlSelectElement>()
            .map(|s| s.value())
            .filter(|v| !v.is_empty())
    };
    let mic = match leg::microphone(device.as_deref()).await {
        Ok(mic) => mic,
        Err(problem) => return mic_problem(&bar, &problem),
    };
    if !bar.borrow().live {
        return leg::stop(&mic);
    }
    let (ice, root) = {
        let b = bar.borrow();
        (b.ice.clone(), b.root.clone())
    };
    let Ok(new_leg) = Leg::new(&ice, &mic, "call-audio") else {
        leg::stop(&mic);
        return show_error(&bar, "This browser cannot make calls.");
    };
    append(&root, &[&new_leg.audio[0], &new_leg.audio[1]]);
    {
        let mut b = bar.borrow_mut();
        b.leg = Some(new_leg.clone());
        b.mic = Some(mic.clone());
    }
    watch(&bar, &new_leg);
    level_meter(&bar, &mic);
    spawn_local(list_devices(bar.clone()));
    send_offer(bar, new_leg).await;
}

/// The leg's offer, sent on the widget's socket.
async fn send_offer(bar: Shared, leg: Leg) {
    let Ok(sdp) = leg.offer().await else {
        return show_error(&bar, "This browser could not start the call's audio.");
    };
    let mut b = bar.borrow_mut();
    let frame = leg::offer_frame(&sdp, Some(&b.id));
    let _ = b.send.call1(&JsValue::NULL, &frame.into());
    // No answer in time (the socket was down, or its server went away): offer again.
    let again = bar.clone();
    let timer = after(ANSWER_MS, move || {
        let late = {
            let b = again.borrow();
            b.live
                && b.retries < RETRIES
                && b.leg
                    .as_ref()
                    .is_some_and(|l| l.pc == leg.pc && !leg::is_connected(l))
        };
        if late {
            again.borrow_mut().retries += 1;
            renew(again);
        }
    });
    b.timers.set("answer", timer);
}

/// A leg whose audio is lost for [`LOST_MS`] is renewed.
fn watch(bar: &Shared, leg: &Leg) {
    let b = bar.clone();
    leg.on_lost(LOST_MS, move || renew(b.clone()));
}

/// The audio was lost (the server holding the call went away, the network changed): a new
/// leg with the same microphone, offered again — whichever server holds the call now answers.
fn renew(bar: Shared) {
    let (old, new_leg) = {
        let b = bar.borrow();
        let Some(mic) = b.mic.as_ref().filter(|_| b.live) else {
            return;
        };
        let Ok(new_leg) = Leg::new(&b.ice, mic, "call-audio") else {
            return;
        };
        append(&b.root, &[&new_leg.audio[0], &new_leg.audio[1]]);
        (b.leg.clone(), new_leg)
    };
    if let Some(old) = old {
        old.close();
    }
    bar.borrow_mut().leg = Some(new_leg.clone());
    watch(&bar, &new_leg);
    spawn_local(send_offer(bar, new_leg));
}

fn mic_problem(bar: &Shared, problem: &MicProblem) {
    show_error(bar, &problem.message("press Retry"));
    let _ = bar.borrow().retry.remove_attribute("hidden");
}

fn connected(bar: &Shared) {
    let first = {
        let mut b = bar.borrow_mut();
        b.retries = 0;
        b.error.set_text_content(None);
        b.status.set_text_content(Some("On the call"));
        let first = b.since.is_none();
        if first {
            b.since = Some(js_sys::Date::now());
        }
        first
    };
    // A renewed leg keeps the call's timer.
    if first {
        tick(bar.clone());
    }
}

fn tick(bar: Shared) {
    let Some(since) = bar.borrow().since.filter(|_| bar.borrow().live) else {
        return;
    };
    let secs = ((js_sys::Date::now() - since) / 1000.0) as u64;
    bar.borrow()
        .clock
        .set_text_content(Some(&format!("{:02}:{:02}", secs / 60, secs % 60)));
    let b = bar.clone();
    let timer = after(1_000, move || tick(b));
    bar.borrow_mut().timers.set("clock", timer);
}

/// A live level of the microphone (RMS of the last samples), so the agent sees it works.
fn level_meter(bar: &Shared, mic: &MediaStream) {
    let Ok(ctx) = AudioContext::new() else {
        return;
    };
    let (Ok(source), Ok(analyser)) = (ctx.create_media_stream_source(mic), ctx.create_analyser())
    else {
        return;
    };
    let _ = source.connect_with_audio_node(&analyser);
    bar.borrow_mut().analyser = Some((ctx, analyser));
    read_level(bar.clone());
}

fn read_level(bar: Shared) {
    let level = {
        let b = bar.borrow();
        let Some((_, analyser)) = b.analyser.as_ref() else {
            return;
        };
        let mut samples = vec![0f32; analyser.fft_size() as usize];
        analyser.get_float_time_domain_data(&mut samples);
        let rms = (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt();
        (rms * 4.0).min(1.0)
    };
    attr(&bar.borrow().meter, "value", &format!("{level:.2}"));
    let b = bar.clone();
    let timer = after(METER_MS, move || read_level(b));
    bar.borrow_mut().timers.set("meter", timer);
}

/// Fills the device pickers (labels are there once the microphone is allowed).
async fn list_devices(bar: Shared) {
    let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else {
        return;
    };
    let Ok(listed) = devices.enumerate_devices() else {
        return;
    };
    let Ok(list) = JsFuture::from(listed).await else {
        return;
    };
    let (inputs, outputs) = {
        let b = bar.borrow();
        (b.inputs.clone(), b.outputs.clone())
    };
    for select in [&inputs, &outputs] {
        select.set_text_content(None);
    }
    for device in Array::from(&list).iter() {
        let kind = text(&device, "kind").unwrap_or_default();
        let target = match kind.as_str() {
            "audioinput" => &inputs,
            "audiooutput" => &outputs,
            _ => continue,
        };
        let id = text(&device, "deviceId").unwrap_or_default();
        let label = text(&device, "label")
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| id.clone());
        let option = text_el("option", "", &label);
        attr(&option, "value", &id);
        append(target, &[&option]);
    }
}

/// Another microphone: the leg sends it from now on (no new offer).
async fn switch_input(bar: Shared) {
    let device = bar
        .borrow()
        .inputs
        .dyn_ref::<HtmlSelectElement>()
        .map(|s| s.value());
    let mic = match leg::microphone(device.as_deref()).await {
        Ok(mic) => mic,
        Err(problem) => return mic_problem(&bar, &problem),
    };
    let Some(track) = leg::audio_track(&mic) else {
        return;
    };
    let old = {
        let mut b = bar.borrow_mut();
        if let Some(leg) = &b.leg {
            leg.replace_track(&track);
        }
        b.analyser = None;
        b.mic.replace(mic.clone())
    };
    if let Some(old) = old {
        leg::stop(&old);
    }
    level_meter(&bar, &mic);
}

fn toggle_mute(bar: &Shared) {
    let b = bar.borrow();
    let Some(track) = b.mic.as_ref().and_then(leg::audio_track) else {
        return;
    };
    let muted = track.enabled();
    track.set_enabled(!muted);
    b.mute
        .set_text_content(Some(if muted { "Unmute" } else { "Mute" }));
    attr(
        &b.mute,
        "aria-pressed",
        if muted { "true" } else { "false" },
    );
}

fn show_error(bar: &Shared, message: &str) {
    bar.borrow().error.set_text_content(Some(message));
}

/// The call is over here: audio, microphone and timers stop.
fn stop(bar: &Shared) {
    let mut b = bar.borrow_mut();
    b.live = false;
    if let Some(leg) = b.leg.take() {
        leg.close();
    }
    if let Some(mic) = b.mic.take() {
        leg::stop(&mic);
    }
    if let Some((ctx, _)) = b.analyser.take() {
        let _ = ctx.close();
    }
    b.timers.clear();
    b.status.set_text_content(Some("Call ended"));
    let _ = Reflect::set(&b.root, &"hidden".into(), &JsValue::TRUE);
}
