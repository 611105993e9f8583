//! The agent's live feed: the WebSocket, its reconnects with backoff, and each frame read,
//! applied to the [`Model`](crate::model::Model) and emitted to the subscribers.

use super::bus::Moment;
use super::Session;
use crate::api;
use crate::browser::{device_id, now_ms, page_hidden};
use crate::client;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{AgentProfile, SocketFrame};
use shared::config::NotReadyReason;
use shared::events::EventKind;
use shared::{EngagementState, Event};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Longest pause between reconnect attempts.
const MAX_BACKOFF_MS: i32 = 30_000;

impl Session {
    /// Open the agent WebSocket, resuming after the last applied `seq`.
    pub fn connect(self) {
        let Some(token) = self.bearer() else { return };
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let after = self.model.with_untracked(|m| m.last_seq);
        let mut url = format!(
            "{scheme}://{host}{}?access_token={}",
            client::AGENT_SOCKET,
            String::from(js_sys::encode_uri_component(&token))
        );
        if after > 0 {
            url.push_str(&format!("&after={after}"));
        }
        url.push_str(&format!("&device={}", device_id()));
        let Ok(ws) = web_sys::WebSocket::new(&url) else {
            self.retry_later();
            return;
        };
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    self.on_frame(&text);
                }
            });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            self.online.set(false);
            self.held.update_value(|h| h.socket = None);
            self.retry_later();
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        if let Some(old) = self
            .held
            .try_update_value(|h| h.socket.replace(ws))
            .flatten()
        {
            old.set_onclose(None);
            let _ = old.close();
        }
    }

    /// Send a request frame (a web call's offer) on the socket, if it is open.
    pub fn send_frame(&self, text: &str) {
        self.held.with_value(|h| {
            if let Some(ws) = &h.socket {
                let _ = ws.send_with_str(text);
            }
        });
    }

    /// Close the feed without reconnecting (signing out).
    pub(super) fn close_socket(&self) {
        if let Some(ws) = self.held.try_update_value(|h| h.socket.take()).flatten() {
            ws.set_onclose(None);
            let _ = ws.close();
        }
    }

    fn on_frame(self, text: &str) {
        // Read by hand (shared::feed) rather than as a derived `SocketFrame`: the feed's
        // readers are a fraction of the WASM of the derived deserializers.
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        match frame.get("type").and_then(|t| t.as_str()).unwrap_or("") {
            SocketFrame::<AgentProfile>::HELLO => self.on_hello(&frame),
            SocketFrame::<AgentProfile>::TYPING => {
                if let Some(id) = frame.get("engagement_id").and_then(|i| i.as_str()) {
                    self.emit(Moment::Typing(id));
                }
            }
            SocketFrame::<AgentProfile>::CALL_ANSWER | SocketFrame::<AgentProfile>::CALL_ERROR => {
                if let Some(id) = frame.get("engagement_id").and_then(|i| i.as_str()) {
                    self.emit(Moment::CallSignal { id, frame: text });
                }
            }
            SocketFrame::<AgentProfile>::LIVE_STATS => self.emit(Moment::LiveStats(text)),
            SocketFrame::<AgentProfile>::EVENT => {
                if let Some(event) = frame.get("event").and_then(Event::read) {
                    self.on_event(&event, &frame["event"]);
                }
            }
            _ => {}
        }
    }

    fn on_hello(self, frame: &serde_json::Value) {
        self.held.update_value(|h| h.attempt = 0);
        self.online.set(true);
        let server_latest = frame
            .get("latest_seq")
            .and_then(|s| s.as_i64())
            .unwrap_or(0);
        let stale = self.model.with_untracked(|m| m.last_seq > server_latest);
        if let Some(reasons) = frame
            .get("not_ready_reasons")
            .and_then(NotReadyReason::read_list)
        {
            self.model.update(|m| m.reasons = reasons);
        }
        if let Some(ice) = frame.get("ice_servers") {
            self.model.update(|m| m.ice_servers = ice.to_string());
        }
        if let Some(agent) = frame.get("agent").and_then(AgentProfile::read) {
            if stale {
                // The server's log is behind what we saw (a restored database): start over
                // from its picture.
                self.model.update(|m| m.last_seq = server_latest);
            }
            if let Some(token) = self.bearer() {
                spawn_local(self.resync_with(agent, token));
            }
            self.emit(Moment::Online);
        }
    }

    fn on_event(self, event: &Event, raw: &serde_json::Value) {
        // A chat's messages and receipts also go to its conversation, if shown.
        if let (Some(id), true) = (
            event.engagement_id,
            matches!(
                event.kind,
                EventKind::EngagementMessageAdded | EventKind::EngagementMessageReceipt
            ),
        ) {
            // The customer wrote where the agent is not looking: count it (and chime).
            let unseen = event.data["message"]["author"]["kind"] == "consumer"
                && (page_hidden() || self.selected.get_untracked() != Some(id));
            if unseen {
                self.model.update(|m| m.unread(id, true));
            }
            self.emit(Moment::Chat {
                id,
                event: raw,
                unseen,
            });
        }
        let mut change = None;
        self.model.update(|m| change = m.apply(event, now_ms()));
        let Some(change) = change else { return };
        let active = self.is_active();
        if let crate::model::Change::Engagement { kind, item } = &change {
            // Open the new engagement's panel unless one that is still active is open.
            if matches!(
                kind,
                EventKind::EngagementOffered | EventKind::EngagementConnected
            ) {
                let showing_another = self.selected.get_untracked().is_some_and(|s| {
                    s != item.id() && self.model.with_untracked(|m| m.find_active(s).is_some())
                });
                if !showing_another && item.engagement.state != EngagementState::Closed {
                    self.selected.set(Some(item.id()));
                }
            }
        }
        self.emit(Moment::Applied {
            event,
            change: &change,
            active,
        });
    }

    /// Reconnect with exponential backoff (1 s, 2 s, 4 s … 30 s, with jitter). After a few
    /// failures, check the token: an expired session signs out instead of retrying forever.
    fn retry_later(self) {
        if !self.signed_in() {
            return;
        }
        let attempt = self
            .held
            .try_update_value(|h| {
                h.attempt += 1;
                h.attempt
            })
            .unwrap_or(1);
        let base = (1_000i32 << attempt.min(5)).min(MAX_BACKOFF_MS);
        let delay = base / 2 + (js_sys::Math::random() * f64::from(base / 2)) as i32;
        let retry = Closure::once_into_js(move || {
            spawn_local(async move {
                if !self.signed_in() || self.held.with_value(|h| h.socket.is_some()) {
                    return;
                }
                if attempt >= 3 {
                    let r = api::send(client::me(), self.bearer().as_deref()).await;
                    if matches!(&r, Err(e) if e.status == 401) {
                        self.report(&r);
                        return;
                    }
                }
                self.connect();
            });
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                retry.unchecked_ref(),
                delay,
            );
        }
    }

    /// After sleep or a network change: reconnect now instead of waiting for the backoff.
    pub fn wake(self) {
        if self.signed_in() && self.held.with_value(|h| h.socket.is_none()) {
            self.held.update_value(|h| h.attempt = 0);
            self.connect();
        }
    }
}

/// Reconnect as soon as the page is visible again or the network is back.
pub fn watch_wakeups(session: Session) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let wake = Closure::<dyn FnMut()>::new(move || session.wake());
    let _ = window.add_event_listener_with_callback("online", wake.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("focus", wake.as_ref().unchecked_ref());
    if let Some(doc) = window.document() {
        let _ =
            doc.add_event_listener_with_callback("visibilitychange", wake.as_ref().unchecked_ref());
    }
    wake.forget();
}
