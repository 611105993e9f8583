//! The parts a session may never need — side-panel apps, a chat's conversation, the supervisor
//! view, the targets of a transfer — live in a WASM
//! module of their own (`frontend/extras`, built beside the widget by scripts/build-widget.sh),
//! imported the first time one is needed: an agent who never meets an app never loads it, and
//! the widget's first load does not carry it (BENCHMARKS.md).
//!
//! This side only decides when: it asks the loader below to mount a part (the apps at the end
//! of an engagement's panel, `article[data-engagement]`; a chat's conversation in its panel's
//! `[data-conversation]`; the supervisor view at the end of `[data-supervisor]`), to refresh it when what it shows changes, and to unmount it. The
//! loader is JavaScript because `import()` is; it keeps the mounted parts by key, and mounts a
//! part with the latest of what it was told while the module was loading (a chat accepted
//! before the module arrived mounts live).

use crate::model::Item;
use crate::session::bus::Moment;
use crate::session::Session;
use leptos::prelude::*;
use shared::ids::EngagementId;
use shared::{Channel, EngagementState};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(inline_js = r#"
const parts = new Map(), latest = new Map();
let loading, stats;
function load(base) {
  return loading ||= import(base + "extras/extras.js").then(async (m) => (await m.default(), m));
}
function failed(e) {
  loading = null;
  console.error("Switchboard: a part of the widget could not be loaded", e);
}
function mount(base, key, host, args, make) {
  latest.set(key, args);
  if (parts.has(key)) return false;
  parts.set(key, null);
  load(base).then((m) => {
    const el = document.querySelector(host);
    if (el && parts.has(key)) parts.set(key, make(m, el, ...latest.get(key)));
  }, (e) => {
    parts.delete(key);
    failed(e);
  });
  return true;
}
export function transfer_targets(base, select, token) {
  load(base).then((m) => m.fill_transfer_targets(select, token), failed);
}
export function queue_prefs(base, list, token) {
  load(base).then((m) => m.fill_queue_prefs(list, token), failed);
}
export function apps_sync(base, id, queue, token) {
  if (!mount(base, id, `article[data-engagement="${id}"]`, [queue, token], (m, el, q, t) => m.mount_apps(el, id, q, t)))
    parts.get(id)?.refresh(token);
}
export function chat_sync(base, id, token, live, seen) {
  const key = "chat:" + id;
  if (!mount(base, key, `[data-conversation="${id}"]`, [token, live], (m, el, t, l) => m.mount_conversation(el, id, t, l)))
    parts.get(key)?.set(token, live);
  if (seen) parts.get(key)?.seen();
}
export function chat_event(id, json) {
  parts.get("chat:" + id)?.event(json);
}
export function chat_typing(id) {
  parts.get("chat:" + id)?.typing();
}
export function supervisor_sync(base, token, ice, send) {
  if (!mount(base, "supervisor", "[data-supervisor]", [token], (m, el, t) => {
    const v = m.mount_supervisor(el, t, ice, send);
    if (stats) v.live_stats(stats);
    return v;
  }))
    parts.get("supervisor")?.set_token(token);
}
export function supervisor_stats(json) {
  stats = json;
  parts.get("supervisor")?.live_stats(json);
}
export function call_sync(base, id, live, ice, send) {
  const key = "call:" + id;
  if (!mount(base, key, `[data-call="${id}"]`, [live], (m, el, l) => m.mount_call(el, id, l, ice, send)))
    parts.get(key)?.set(live);
}
export function call_frame(id, json) {
  parts.get("call:" + id)?.frame(json);
  parts.get("supervisor")?.call_frame(id, json);
}
export function canned_note(base, el, id, token) {
  const key = "canned:" + id;
  if (parts.has(key)) return parts.get(key)?.set_token(token);
  parts.set(key, null);
  load(base).then((m) => { if (parts.has(key)) parts.set(key, m.attach_canned(el, id, token)); }, (e) => {
    parts.delete(key);
    failed(e);
  });
}
export function drop_part(key) {
  parts.get(key)?.unmount();
  parts.delete(key);
  latest.delete(key);
}
"#)]
extern "C" {
    /// Mount the apps of `queue` for engagement `id` (loading the module the first time), or
    /// refresh the mounted ones.
    fn apps_sync(base: &str, id: &str, queue: &str, token: &str);
    /// Mount the conversation of chat `id`, or give it the token and whether it is live;
    /// `seen`: its panel is the one shown.
    fn chat_sync(base: &str, id: &str, token: &str, live: bool, seen: bool);
    /// An event of chat `id` from the socket (JSON), for its conversation if mounted.
    fn chat_event(id: &str, json: &str);
    /// The customer of chat `id` is typing.
    fn chat_typing(id: &str);
    /// Mount the supervisor view, or give it the current token; `ice` and `send` as for
    /// [`call_sync`] (a supervisor listening to a web call has a call bar of their own).
    fn supervisor_sync(base: &str, token: &str, ice: &str, send: &js_sys::Function);
    /// Fill a transfer list (`<select>`) with where an engagement can go.
    fn transfer_targets(base: &str, select: &web_sys::Element, token: &str);
    /// Fill "My queues" (a `<details>` with its summary) with opt-in checkboxes.
    fn queue_prefs(base: &str, list: &web_sys::Element, token: &str);
    /// Mount the call bar of web call `id`, or tell it whether the call is live; `send`
    /// sends a text frame on the widget's socket.
    fn call_sync(base: &str, id: &str, live: bool, ice: &str, send: &js_sys::Function);
    /// The server's answer to a call bar's offer (the panel's, or the supervisor view's).
    fn call_frame(id: &str, json: &str);
    /// A `live_stats` frame (JSON), for the supervisor view (kept for it while it loads).
    fn supervisor_stats(json: &str);
    /// Canned responses in a work item's new-note field (`textarea`), attached once.
    fn canned_note(base: &str, el: &web_sys::HtmlTextAreaElement, id: &str, token: &str);
    /// Unmount a part: an engagement id, or `"supervisor"`.
    fn drop_part(key: &str);
}

/// A chat's messages, receipts and typing go to its conversation, if mounted.
pub fn install(session: Session) {
    session.subscribe(|moment| match moment {
        Moment::Typing(id) => chat_typing(id),
        Moment::Chat { id, event, .. } => chat_event(&id.to_string(), &crate::api::text(event)),
        Moment::CallSignal { id, frame } => call_frame(id, frame),
        Moment::LiveStats(frame) => supervisor_stats(frame),
        _ => {}
    });
}

fn base() -> &'static str {
    crate::bridge::home_of(crate::bridge::DIALECT)
}

/// Show the side-panel apps of the engagement's queue in its panel, if it has any: called by
/// the panel component, for as long as the panel exists.
pub fn show_apps(session: Session, id: EngagementId, item: Memo<Option<Item>>) {
    let key = id.to_string();
    // Runs now and on every change of the engagement (state, variables, notes…), of the
    // queues' settings and of the token. (A render effect: synchronous, and far smaller in
    // the WASM than an `Effect`, whose async task is compiled once per closure.)
    let effect = RenderEffect::new({
        let key = key.clone();
        move |_| {
            let queue = item.with(|i| i.as_ref().and_then(|i| i.engagement.queue_id));
            let shows_apps = session.queues.with(|qs| {
                qs.iter()
                    .any(|q| Some(q.queue_id) == queue && !q.app_ids.is_empty())
            });
            let token = session.token.get().unwrap_or_default();
            if let (true, Some(queue)) = (shows_apps, queue) {
                apps_sync(base(), &key, &queue.to_string(), &token);
            }
        }
    });
    on_cleanup(move || {
        drop(effect);
        drop_part(&key);
    });
}

/// Show the conversation of a chat or SMS engagement in its panel's `[data-conversation]`
/// element: called by the panel component, for as long as the panel exists.
pub fn show_conversation(session: Session, id: EngagementId, item: Memo<Option<Item>>) {
    let key = id.to_string();
    let effect = RenderEffect::new({
        let key = key.clone();
        move |_| {
            let Some((channel, state)) = item.with(|i| {
                i.as_ref()
                    .map(|i| (i.engagement.channel, i.engagement.state))
            }) else {
                return;
            };
            if !matches!(channel, Channel::Chat | Channel::Sms) {
                return;
            }
            let live = matches!(
                state,
                EngagementState::Connected | EngagementState::Inactive
            );
            let token = session.token.get().unwrap_or_default();
            let seen = session.selected.get() == Some(id);
            chat_sync(base(), &key, &token, live, seen);
        }
    });
    on_cleanup(move || {
        drop(effect);
        drop_part(&format!("chat:{key}"));
    });
}

/// Show the call bar of a web call in its panel's `[data-call]` element while the call is
/// live, in the agent's active widget only (one widget at a time has the audio): called by the
/// panel component, for as long as the panel exists.
pub fn show_call(session: Session, id: EngagementId, item: Memo<Option<Item>>) {
    let key = id.to_string();
    // A supervisor who barged into a call sees its panel too: their audio is the supervisor
    // view's call bar, not this one.
    let me = session.model.with_untracked(|m| m.me());
    let own_web_call = item.with_untracked(|i| {
        i.as_ref().is_some_and(|i| {
            i.engagement.channel == Channel::Voice
                && i.engagement.channel_source.as_deref() == Some("web_call")
                && me.is_some_and(|me| i.engagement.agent_ids.contains(&me))
        })
    });
    if !own_web_call {
        return;
    }
    let send = socket_sender(session);
    let effect = RenderEffect::new({
        let key = key.clone();
        move |_| {
            let live = item.with(|i| {
                i.as_ref().is_some_and(|i| {
                    matches!(
                        i.engagement.state,
                        EngagementState::Connected | EngagementState::Inactive
                    )
                })
            }) && session.model.with(crate::session::active_here);
            let ice = session.model.with_untracked(|m| m.ice_servers.clone());
            call_sync(base(), &key, live, &ice, &send);
        }
    });
    on_cleanup(move || {
        drop(effect);
        drop_part(&format!("call:{key}"));
    });
}

/// The agent opened a transfer list: fill it with the queues, flows and colleagues (read
/// on demand; the list keeps its first, empty option until then).
pub fn fill_transfer_targets(session: Session, select: &web_sys::Element) {
    let token = session.token.get_untracked().unwrap_or_default();
    transfer_targets(base(), select, &token);
}

/// The agent opened "My queues": fill it with their queues (read on demand, afresh).
pub fn fill_queue_prefs(session: Session, list: &web_sys::Element) {
    let token = session.token.get_untracked().unwrap_or_default();
    queue_prefs(base(), list, &token);
}

/// The agent is about to write a note: canned responses in its field (loaded on first use,
/// removed with the panel).
pub fn canned_in_note(session: Session, id: EngagementId, field: &web_sys::HtmlTextAreaElement) {
    let token = session.token.get_untracked().unwrap_or_default();
    canned_note(base(), field, &id.to_string(), &token);
}

/// The panel of `id` is gone: so are the canned responses of its note field.
pub fn drop_canned_in_note(id: EngagementId) {
    drop_part(&format!("canned:{id}"));
}

/// A JavaScript function that sends a text frame on the widget's socket.
fn socket_sender(session: Session) -> js_sys::Function {
    let send = Closure::<dyn Fn(String)>::new(move |frame: String| session.send_frame(&frame));
    send.into_js_value().unchecked_into()
}

/// Show the supervisor view in the `[data-supervisor]` element while `supervisor` holds.
pub fn show_supervisor(session: Session, supervisor: Memo<bool>) {
    let send = socket_sender(session);
    let effect = RenderEffect::new(move |_| {
        let token = session.token.get().unwrap_or_default();
        if supervisor.get() {
            let ice = session.model.with_untracked(|m| m.ice_servers.clone());
            supervisor_sync(base(), &token, &ice, &send);
        } else {
            drop_part("supervisor");
        }
    });
    on_cleanup(move || {
        drop(effect);
        drop_part("supervisor");
    });
}
