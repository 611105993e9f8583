//! The bridge to the host page.
//!
//! Out: `postMessage` to `window.parent` with the validated host origin as the explicit target
//! origin (never `"*"`). In: a `message` listener that accepts only that origin *and* the parent
//! window; anything else is ignored without a reply.
//!
//! Each build of the widget speaks one dialect (BENCHMARKS.md, "Widget size"): the native
//! build (`/widget/`, module `native`) and the Zoom-compatible one (`/zcc/`, module `zcc`,
//! cargo feature `zcc`). A session loads only the dialect its host speaks; this module holds
//! what both share.
//!
//! Messages a host posts before the widget has started (hosts post without waiting, often
//! right after creating the frame) are queued by `early.js`, a classic script that runs before
//! the WASM loads (a file, not inline script: the widget's Content-Security-Policy allows no
//! inline code; its comments are kept short, as it is part of the first load); [`install`]
//! takes them over and handles them in order, through the same origin and source checks as
//! every later message.

#[cfg(not(feature = "zcc"))]
mod native;
#[cfg(not(feature = "zcc"))]
use native as dialect_impl;
#[cfg(not(feature = "zcc"))]
pub use native::{contact_results, host_name, matches, pick, search_contacts};

#[cfg(feature = "zcc")]
mod zcc;
#[cfg(feature = "zcc")]
use zcc as dialect_impl;
#[cfg(feature = "zcc")]
pub use zcc::{contact_results, host_name, matches, pick, search_contacts};

pub(crate) use crate::api::obj;
use crate::client::{self, Call};
use crate::model::Change;
use crate::session::Session;
use leptos::prelude::*;
use shared::api::DialRequest;
use shared::events::Event;
use shared::post_message::{zcc::Record, Dialect};
use shared::Engagement;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The dialect this build speaks.
pub const DIALECT: Dialect = if cfg!(feature = "zcc") {
    Dialect::Zcc
} else {
    Dialect::Native
};

/// Where the build of each dialect is served.
pub fn home_of(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Native => "/widget/",
        Dialect::Zcc => "/zcc/",
    }
}

/// The link to the host page, and what the dialect remembers about it.
struct Link {
    origin: String,
    parent: web_sys::Window,
    session: Session,
    host: dialect_impl::HostState,
}

thread_local! {
    /// Set once by [`install`] (framed, with an allowed origin); the page's lifetime.
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// The dialect's own state, while linked (`None` before [`install`] and standalone).
fn with_host<T>(f: impl FnOnce(&mut dialect_impl::HostState) -> T) -> Option<T> {
    LINK.with(|l| l.borrow_mut().as_mut().map(|l| f(&mut l.host)))
}

/// The dialect spoken with the host; `None` before [`install`] (and standalone).
pub fn dialect() -> Option<Dialect> {
    LINK.with(|l| l.borrow().is_some().then_some(DIALECT))
}

/// Connect to the parent window at `origin` (already checked against the allow-list) and
/// announce the widget. Host messages wait (in early.js's queue) until [`listen`].
pub fn install(window: &web_sys::Window, origin: String, session: Session) -> bool {
    let Some(parent) = window.parent().ok().flatten() else {
        return false;
    };
    LINK.with(|l| {
        *l.borrow_mut() = Some(Link {
            origin,
            parent,
            session,
            host: dialect_impl::HostState::new(),
        })
    });
    dialect_impl::announce(session);
    true
}

/// Start handling host messages, once a stored sign-in was restored: first, in order, those
/// early.js queued, then every later one; and tell the host when the widget's size changes.
pub fn listen(window: &web_sys::Window) {
    if dialect().is_none() {
        return;
    }
    // Take over from early.js and register our listener in the same task: no message can
    // slip between the two, none is handled twice.
    let early = js_sys::Reflect::get(window, &"__sbEarly".into()).unwrap_or_default();
    let _ = js_sys::Reflect::set(window, &"__sbEarly".into(), &JsValue::NULL);
    let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_message);
    let _ = window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    handler.forget();
    if let Ok(queued) = early.dyn_into::<js_sys::Array>() {
        for event in queued.iter() {
            if let Ok(event) = event.dyn_into::<web_sys::MessageEvent>() {
                on_message(event);
            }
        }
    }
    watch_size(window);
}

/// `zcc-resize` / `widget.resized` whenever the widget's content box changes size (a host
/// may fit its frame to it). The browser calls back only on a change.
fn watch_size(window: &web_sys::Window) {
    let Some(main) = window
        .document()
        .and_then(|d| d.get_element_by_id("switchboard-widget"))
    else {
        return;
    };
    let last = std::cell::Cell::new((0i64, 0i64));
    let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let Ok(entry) = entries.get(0).dyn_into::<web_sys::ResizeObserverEntry>() else {
            return;
        };
        let rect = entry.content_rect();
        let size = (rect.width().round() as i64, rect.height().round() as i64);
        if size != last.replace(size) {
            dialect_impl::resized(size.0, size.1);
        }
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
        observer.observe(&main);
    }
    on_resize.forget();
}

/// Post a message to the host, at its exact origin.
fn post(message: &serde_json::Value) {
    LINK.with(|l| {
        let l = l.borrow();
        let Some(link) = l.as_ref() else { return };
        let Ok(js) = js_sys::JSON::parse(&crate::api::text(message)) else {
            return;
        };
        // The browser drops the message if the parent navigated to another origin.
        let _ = link.parent.post_message(&js, &link.origin);
    });
}

fn session() -> Option<Session> {
    LINK.with(|l| l.borrow().as_ref().map(|l| l.session))
}

fn on_message(event: web_sys::MessageEvent) {
    let trusted = LINK.with(|l| {
        let l = l.borrow();
        let Some(link) = l.as_ref() else { return false };
        event.origin() == link.origin
            && event
                .source()
                .is_some_and(|s| js_sys::Object::is(&s, link.parent.as_ref()))
    });
    if !trusted {
        return;
    }
    let Some(value) = js_sys::JSON::stringify(&event.data())
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
    else {
        return;
    };
    if let Some(session) = session() {
        dialect_impl::handle(session, value);
    }
}

// ---- widget → host -------------------------------------------------------------------------

pub fn logged_in(s: &Session) {
    if dialect().is_some() {
        dialect_impl::logged_in(s);
    }
}

pub fn logged_out() {
    if dialect().is_some() {
        dialect_impl::logged_out();
    }
}

/// Tell the host what an applied event changed.
pub fn publish(event: &Event, change: &Change) {
    if dialect().is_some() {
        dialect_impl::publish(event, change);
    }
}

/// This instance just became the agent's active one: tell the host what is ringing now.
pub fn ringing_again(item: &crate::model::Item) {
    if dialect().is_some() {
        dialect_impl::ringing_again(item);
    }
}

// ---- host → widget: what both dialects do --------------------------------------------------

/// A failed request: a code and a message for people.
type Failure = (String, String);

fn not_signed_in() -> Failure {
    (
        "not_authenticated".into(),
        "No agent is signed in to the widget yet.".into(),
    )
}

fn api_failed(e: crate::api::ApiError) -> Failure {
    let code = if e.code.is_empty() {
        "request_failed".into()
    } else {
        e.code
    };
    (code, e.message)
}

/// Go ready only after a user gesture unlocked audio, so a ring is never silently blocked.
fn audio_gate(status: &shared::config::AgentStatus) -> Result<(), Failure> {
    if status.is_ready() && !crate::react::sound::unlocked() {
        return Err((
            "audio_locked".into(),
            "The agent must click in the widget (to allow the ring sound) before going ready."
                .into(),
        ));
    }
    Ok(())
}

/// Dial `phone` for the agent. `record` is the host record being called (zcc: echoed as
/// `user` in the call log; its name and id also label the call).
pub async fn call(s: Session, phone: String, record: Option<Record>) -> Result<(), Failure> {
    let req = DialRequest {
        phone,
        display_name: record
            .as_ref()
            .map(|r| r.name.clone())
            .filter(|n| !n.is_empty()),
        external_id: record
            .as_ref()
            .map(|r| r.id.clone())
            .filter(|i| !i.is_empty()),
    };
    let e = dial(s, req).await?;
    if let Some(record) = record {
        dialect_impl::remember_record(e.engagement_id, record);
    }
    Ok(())
}

async fn dial(s: Session, req: DialRequest) -> Result<Engagement, Failure> {
    if !s.signed_in() {
        return Err(not_signed_in());
    }
    let text = s.call(client::dial(&req)).await.map_err(api_failed)?;
    crate::api::parse(&text, Engagement::read)
        .ok_or_else(|| ("unreadable".into(), "unreadable answer".into()))
}

/// An engagement command the host asked for (end, close, disposition, variables); the feed
/// then brings the change. Refused with `not_found` when the agent holds no such engagement.
async fn command(s: Session, id: shared::ids::EngagementId, call: Call) -> Result<(), Failure> {
    if !s.signed_in() {
        return Err(not_signed_in());
    }
    if !s.model.with_untracked(|m| m.find(id).is_some()) {
        return Err((
            "not_found".into(),
            "This agent has no such engagement.".into(),
        ));
    }
    s.call(call).await.map(|_| ()).map_err(api_failed)
}

/// Set a disposition chosen by its id or its code (hosts know the codes they log).
async fn set_disposition(
    s: Session,
    id: shared::ids::EngagementId,
    chosen: &str,
) -> Result<(), Failure> {
    let found = s.dispositions.with_untracked(|ds| {
        ds.iter()
            .find(|d| d.disposition_id.to_string() == chosen || d.code.as_deref() == Some(chosen))
            .map(|d| d.disposition_id)
    });
    let Some(disposition_id) = found else {
        return Err((
            "unknown_disposition".into(),
            format!("No disposition has the id or code \u{201c}{chosen}\u{201d}."),
        ));
    };
    let call = client::set_disposition(id, disposition_id.to_string());
    command(s, id, call).await
}
