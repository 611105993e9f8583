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
    let body = body.map(|b| (JsValue::from(b), "application/json".to_string()));
    Ok(json(send(method, path, token, body).await?).await)
}

/// Send `file` (its bytes as the body, its own type as `Content-Type`) to `path`, which names
/// it with `?file_name=`; the parsed JSON answer.
pub async fn upload(
    path: &str,
    token: &str,
    file: &web_sys::File,
) -> Result<JsValue, (u16, String)> {
    let path = format!(
        "{path}?file_name={}",
        String::from(js_sys::encode_uri_component(&file.name()))
    );
    let body = Some((JsValue::from(file.clone()), file.type_()));
    Ok(json(send("POST", &path, token, body).await?).await)
}

/// Fetch a file with credentials into the page's memory; a `blob:` URL for it (revoke it with
/// `web_sys::Url::revoke_object_url` when done).
pub async fn blob_url(path: &str, token: &str) -> Result<String, (u16, String)> {
    let response = send("GET", path, token, None).await?;
    let unreadable = || (0, "The file could not be read.".to_string());
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|_| unreadable())?)
        .await
        .map_err(|_| unreadable())?
        .unchecked_into();
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| unreadable())
}

/// One request; the response if it succeeded, otherwise its status and the server's message.
async fn send(
    method: &str,
    path: &str,
    token: &str,
    body: Option<(JsValue, String)>,
) -> Result<web_sys::Response, (u16, String)> {
    let unreachable = || (0, "Switchboard cannot be reached.".to_string());
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    if !token.is_empty() {
        let _ = headers.set("authorization", &format!("Bearer {token}"));
    }
    if let Some((body, content_type)) = body {
        let _ = headers.set("content-type", &content_type);
        init.set_body(&body);
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(unreachable)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| unreachable())?
        .unchecked_into();
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let message = Reflect::get(&json(response).await, &"error".into())
        .ok()
        .and_then(|e| text(&e, "message"))
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err((status, message))
}

/// The response's JSON body (`null` for none).
async fn json(response: web_sys::Response) -> JsValue {
    let body = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    JSON::parse(&body).unwrap_or(JsValue::NULL)
}

pub mod call;
pub mod client;
pub mod conversation;
pub mod dom;
pub mod files;
