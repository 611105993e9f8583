//! The one way the widget talks HTTP: `fetch` through `web-sys` (one non-generic request
//! function, so the WASM carries one copy of the request code), errors turned into sentences
//! for the agent, and JSON in and out. What is called lives in [`crate::client`].

use crate::client::Call;
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::api::ErrorDetail;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A failed call, already in words a person understands (`message`); `status` 0 means the
/// network failed before any answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    fn unreadable() -> ApiError {
        ApiError {
            status: 200,
            code: "unreadable".into(),
            message: "Switchboard sent an answer this widget cannot read. Reload the widget."
                .into(),
        }
    }

    fn network() -> ApiError {
        ApiError {
            status: 0,
            code: "network".into(),
            message: "Switchboard cannot be reached. Check your connection; the widget retries by itself."
                .into(),
        }
    }

    /// Turn an error response into a sentence. The server's own `message` is written for
    /// people already; the status adds context where the message alone would puzzle.
    fn from_response(status: u16, body: &str) -> ApiError {
        let parsed = decode::<serde_json::Value>(body)
            .as_ref()
            .and_then(ErrorDetail::read_body);
        let code = parsed.as_ref().map_or_else(String::new, |e| e.code.clone());
        let detail = parsed.map(|e| e.message).unwrap_or_default();
        let message = match status {
            401 => "Your session has ended. Please sign in again.".to_string(),
            403 => format!("You are not allowed to do that. {detail}"),
            404 => {
                "That no longer exists: it may have been closed or taken by someone else.".into()
            }
            409 if !detail.is_empty() => format!("That could not be done right now: {detail}."),
            400 | 422 if !detail.is_empty() => format!("Please check your input: {detail}."),
            // Sign-in throttling says how long to wait; say it as the server wrote it.
            429 if !detail.is_empty() => detail,
            429 => "Too many requests. Wait a moment and try again.".into(),
            s if s >= 500 => "Switchboard had a problem. Try again in a moment.".into(),
            _ if !detail.is_empty() => detail,
            s => format!("The request failed (HTTP {s})."),
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

/// Make one call; returns the body text. `token` is sent as a bearer token.
pub async fn send(call: Call, token: Option<&str>) -> Result<String, ApiError> {
    let Call { method, path, body } = call;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::network())?;
    if let Some(token) = token {
        let _ = headers.set("authorization", &format!("Bearer {token}"));
    }
    if let Some(body) = body {
        let _ = headers.set("content-type", "application/json");
        init.set_body(&body.into());
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(ApiError::network)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&path, &init))
        .await
        .map_err(|_| ApiError::network())?
        .unchecked_into();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        Ok(text)
    } else {
        Err(ApiError::from_response(response.status(), &text))
    }
}

/// A call whose answer is JSON, read with serde.
pub async fn json<T: DeserializeOwned>(call: Call, token: Option<&str>) -> Result<T, ApiError> {
    let text = send(call, token).await?;
    decode(&text).ok_or_else(ApiError::unreadable)
}

/// A call whose JSON answer is read by one of `shared::feed`'s plain readers.
pub async fn read<T>(
    call: Call,
    token: Option<&str>,
    reader: fn(&serde_json::Value) -> Option<T>,
) -> Result<T, ApiError> {
    let text = send(call, token).await?;
    parse(&text, reader).ok_or_else(ApiError::unreadable)
}

/// Parse JSON text and read it with one of `shared::feed`'s plain readers.
pub fn parse<T>(text: &str, reader: fn(&serde_json::Value) -> Option<T>) -> Option<T> {
    reader(&serde_json::from_str(text).ok()?)
}

/// Parse JSON text into `T`. Everything the widget reads goes text → `Value` → `T`, so each
/// type's deserializer is compiled once (for `Value`), not once per input kind: this keeps the
/// WASM small.
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::from_value(value).ok()
}

/// A JSON object from `(key, value)` pairs. `json!` writes every field's insertion out in
/// place; this one loop is a fraction of that code in the WASM (the first-load budget).
pub fn obj(pairs: &mut [(&str, serde_json::Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        map.insert((*key).to_string(), std::mem::take(value));
    }
    serde_json::Value::Object(map)
}

/// Serialize a request body (our own types always serialize).
pub fn body<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().map(|v| text(&v))
}

/// JSON text of a value. Every `Value` → text in the widget goes through here: with one call
/// site the formatter's pretty-printing branch, which nothing uses, compiles away (~1.8 KB).
#[inline(never)]
pub fn text(value: &serde_json::Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_like_sentences() {
        let e = ApiError::from_response(
            409,
            r#"{"error":{"code":"conflict","message":"you are already on a call"}}"#,
        );
        assert_eq!(e.code, "conflict");
        assert_eq!(
            e.message,
            "That could not be done right now: you are already on a call."
        );
        let e = ApiError::from_response(401, "");
        assert!(e.message.contains("sign in again"));
        let e = ApiError::from_response(500, "<html>proxy error</html>");
        assert!(!e.message.contains("html"));
        let e = ApiError::from_response(
            422,
            r#"{"error":{"code":"invalid_field","message":"body must not be empty","field":"body"}}"#,
        );
        assert!(e.message.contains("body must not be empty"));
        let e = ApiError::from_response(
            429,
            r#"{"error":{"code":"too_many_attempts","message":"Too many failed sign-in attempts. For your security, sign-in is paused: try again in 5 minutes."}}"#,
        );
        assert!(
            e.message.ends_with("try again in 5 minutes."),
            "{}",
            e.message
        );
    }
}
