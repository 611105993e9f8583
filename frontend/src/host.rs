//! The link to the host page: `postMessage` out with an explicit target origin (never `"*"`),
//! and a `message` listener that accepts only that origin *and* the parent window.

use shared::post_message::{self as pm, Dialect, Envelope, HostRequest, ProtocolError, ReplyData};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub struct HostLink {
    origin: String,
    dialect: Dialect,
    parent: web_sys::Window,
    next_id: Cell<u64>,
}

/// Is this document inside a frame?
pub fn is_framed(window: &web_sys::Window) -> bool {
    match window.parent() {
        Ok(Some(parent)) => !js_sys::Object::is(parent.as_ref(), window.as_ref()),
        _ => false,
    }
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

impl HostLink {
    pub fn new(window: &web_sys::Window, origin: String, dialect: Dialect) -> Option<Rc<HostLink>> {
        let parent = window.parent().ok().flatten()?;
        Some(Rc::new(HostLink {
            origin,
            dialect,
            parent,
            next_id: Cell::new(0),
        }))
    }

    fn message_id(&self) -> String {
        let n = self.next_id.get() + 1;
        self.next_id.set(n);
        format!("w{}-{n}", now_ms())
    }

    fn post(&self, message: &serde_json::Value) {
        let Ok(text) = serde_json::to_string(message) else {
            return;
        };
        let Ok(js) = js_sys::JSON::parse(&text) else {
            return;
        };
        // The target origin is always the validated host origin: the browser drops the
        // message if the parent has navigated elsewhere.
        let _ = self.parent.post_message(&js, &self.origin);
    }

    /// Send a native message.
    pub fn send(&self, kind: &str, data: serde_json::Value, request_id: Option<String>) {
        let mut envelope = Envelope::new(kind, self.message_id(), now_ms(), data);
        envelope.request_id = request_id;
        if let Ok(value) = serde_json::to_value(&envelope) {
            self.post(&value);
        }
    }

    /// Send a zcc-dialect message.
    pub fn send_zcc(&self, kind: &str, data: serde_json::Value) {
        self.post(&serde_json::json!({ "type": kind, "data": data }));
    }

    /// Tell the host the widget is up: `widget.ready`, or `zcc-init-config-request` in the
    /// zcc dialect (the host answers with `zcc-init-config-response`).
    pub fn announce_ready(&self) {
        match self.dialect {
            Dialect::Native => self.send(
                pm::widget::READY,
                serde_json::to_value(pm::ReadyData {
                    protocol: Dialect::Native,
                    version: pm::VERSION,
                    widget_version: env!("CARGO_PKG_VERSION").into(),
                    authenticated: false,
                })
                .unwrap_or_default(),
                None,
            ),
            Dialect::Zcc => self.send_zcc(pm::zcc::INIT_CONFIG_REQUEST, serde_json::json!({})),
        }
    }

    /// Start listening. Messages from any other origin or window are ignored without a reply.
    pub fn listen(self: &Rc<Self>, window: &web_sys::Window) {
        let link = Rc::clone(self);
        let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if event.origin() != link.origin {
                    return;
                }
                match event.source() {
                    Some(source) if js_sys::Object::is(&source, link.parent.as_ref()) => {}
                    _ => return,
                }
                let Some(value) = js_sys::JSON::stringify(&event.data())
                    .ok()
                    .and_then(|s| s.as_string())
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                else {
                    return;
                };
                link.handle(&value);
            },
        );
        let _ =
            window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        handler.forget();
    }

    fn handle(&self, value: &serde_json::Value) {
        match self.dialect {
            Dialect::Native => self.handle_native(value),
            Dialect::Zcc => self.handle_zcc(value),
        }
    }

    fn handle_native(&self, value: &serde_json::Value) {
        let request_id = value
            .get("requestId")
            .and_then(|r| r.as_str())
            .map(str::to_string);
        match HostRequest::parse(value) {
            // Host pages carry other libraries' messages too: not ours, not answered.
            Err(ProtocolError::NotSwitchboard) => {}
            Err(err) => self.fail(request_id, err.code(), &err.to_string()),
            Ok((_, HostRequest::SnapshotRequest)) => self.reply_ok(
                request_id,
                serde_json::json!({ "authenticated": false, "agent": null, "engagements": [] }),
            ),
            Ok(_) => self.fail(
                request_id,
                "not_authenticated",
                "No agent is signed in to the widget yet.",
            ),
        }
    }

    fn handle_zcc(&self, value: &serde_json::Value) {
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
        match kind {
            // The host's answer to our init request: nothing more to do until an agent is in.
            pm::zcc::INIT_CONFIG_RESPONSE => {}
            "" => {}
            _ if kind.starts_with("zcc-") || kind == pm::zcc::CLICK_TO_ACT => self.send_zcc(
                pm::zcc::ERROR,
                serde_json::json!({ "code": "agent-not-authenticated", "message": "No agent is signed in." }),
            ),
            _ => {}
        }
    }

    fn reply_ok(&self, request_id: Option<String>, result: serde_json::Value) {
        let data = ReplyData {
            ok: true,
            result: Some(result),
            error: None,
        };
        self.send(
            pm::widget::REPLY,
            serde_json::to_value(data).unwrap_or_default(),
            request_id,
        );
    }

    /// A failed request: a `reply` when the host asked with a `requestId`, else an `error`.
    fn fail(&self, request_id: Option<String>, code: &str, message: &str) {
        let error = pm::ErrorData {
            code: code.into(),
            message: message.into(),
        };
        if request_id.is_some() {
            let data = ReplyData {
                ok: false,
                result: None,
                error: Some(error),
            };
            self.send(
                pm::widget::REPLY,
                serde_json::to_value(data).unwrap_or_default(),
                request_id,
            );
        } else {
            self.send(
                pm::widget::ERROR,
                serde_json::to_value(error).unwrap_or_default(),
                None,
            );
        }
    }
}
