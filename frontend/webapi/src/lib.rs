//! What the no-framework WASM modules share (the widget's extras, the customer's chat page):
//! one call to Switchboard's API, and reading and writing plain JS objects through the
//! browser's own `JSON` (no JSON library in the WASM: that keeps the modules small).

use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// An object from `(key, value)` pairs.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// A string field, when it is one.
pub fn text(v: &JsValue, key: &str) -> Option<String> {
    Reflect::get(v, &key.into()).ok()?.as_string()
}

/// One API call, signed with `token` unless it is empty; the parsed JSON answer (`null` for
/// none), or the server's message.
pub async fn call(
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<JsValue, String> {
    call_with_status(method, path, token, body)
        .await
        .map_err(|(_, message)| message)
}

/// [`call`], with the HTTP status beside the message of a failure (0: the server could not be
/// reached).
pub async fn call_with_status(
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<JsValue, (u16, String)> {
    let unreachable = || (0, "Switchboard cannot be reached.".to_string());
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    if !token.is_empty() {
        let _ = headers.set("authorization", &format!("Bearer {token}"));
    }
    if let Some(body) = body {
        let _ = headers.set("content-type", "application/json");
        init.set_body(&body.into());
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(unreachable)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| unreachable())?
        .unchecked_into();
    let body = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    let json = JSON::parse(&body).unwrap_or(JsValue::NULL);
    if response.ok() {
        return Ok(json);
    }
    let message = Reflect::get(&json, &"error".into())
        .ok()
        .and_then(|e| text(&e, "message"))
        .unwrap_or_else(|| format!("HTTP {}", response.status()));
    Err((response.status(), message))
}
