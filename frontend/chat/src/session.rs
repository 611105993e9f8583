//! The customer's chat session token, kept in the page's own storage so a reload (of the chat
//! page or of the website around it) finds the chat. Framed on a website, this is the chat
//! origin's storage partitioned under that website by the browser: no third-party cookie.
//! Where storage is refused (private modes, blocked storage) the chat lasts as long as the page.
//! The session's socket ([`socket`]) is opened here too, for the chat and the call alike.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

/// The handlers a socket keeps alive (dropped with it).
pub type Handlers = Vec<Closure<dyn FnMut(JsValue)>>;

/// Opens the session's socket (`ws(s)://` as the page was served), resuming after `after`:
/// `on_frame` gets each frame parsed, `on_close` runs when it closes.
pub fn socket(
    token: &str,
    after: i64,
    on_frame: impl Fn(&JsValue) + 'static,
    on_close: impl Fn() + 'static,
) -> Option<(WebSocket, Handlers)> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    let socket = WebSocket::new(&kit::client::customer_socket(scheme, &host, token, after)).ok()?;
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let data = e
            .dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
            .unwrap_or_default();
        if let Ok(frame) = js_sys::JSON::parse(&data) {
            on_frame(&frame);
        }
    });
    let closed = Closure::<dyn FnMut(JsValue)>::new(move |_| on_close());
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(closed.as_ref().unchecked_ref()));
    Some((socket, vec![on_message, closed]))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(entry: &str) -> String {
    format!("switchboard.chat.{entry}")
}

pub fn load(entry: &str) -> Option<String> {
    storage()?
        .get_item(&key(entry))
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

pub fn save(entry: &str, token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key(entry), token);
    }
}

pub fn forget(entry: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(entry));
        let _ = s.remove_item(&call_key(entry));
    }
}

fn call_key(entry: &str) -> String {
    format!("switchboard.call.{entry}")
}

/// The saved session is a web call's (a reload goes back to the call screen).
pub fn mark_call(entry: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&call_key(entry), "1");
    }
}

pub fn is_call(entry: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(&call_key(entry)).ok().flatten())
        .is_some()
}
