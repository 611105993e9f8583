//! What both parts share: one API call with the widget's token, and reading and writing
//! plain JS objects.

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

/// One API call with the widget's token; the parsed JSON answer, or the server's message.
pub async fn call(
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<JsValue, String> {
    let unreachable = || "Switchboard cannot be reached.".to_string();
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    let _ = headers.set("authorization", &format!("Bearer {token}"));
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
    Err(message)
}
