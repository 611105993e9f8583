//! The signed-in agent's live session: the token, the [`Model`] in a signal, the agent
//! WebSocket (reconnects by itself with backoff and resumes after the last `seq` it applied,
//! so nothing is lost or shown twice), and the actions the UI and the host page call.

use crate::api::{self, ApiError};
use crate::model::{Change, Model};
use crate::{bridge, sound};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{AgentProfile, AgentSession, QueueSummary, SocketFrame};
use shared::config::{AgentStatus, Disposition, NotReadyReason};
use shared::ids::EngagementId;
use shared::{Engagement, Event};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Where the token survives a reload: `sessionStorage` is per tab and, inside an iframe,
/// partitioned by the host site; it never needs an unpartitioned third-party cookie.
const TOKEN_KEY: &str = "switchboard.token";

/// Longest pause between reconnect attempts.
const MAX_BACKOFF_MS: i32 = 30_000;

#[derive(Clone, Copy)]
pub struct Session {
    pub model: RwSignal<Model>,
    /// `None`: signed out.
    pub token: RwSignal<Option<String>>,
    /// The WebSocket is open and the feed is live.
    pub online: RwSignal<bool>,
    /// The last problem to show the agent, in words.
    pub notice: RwSignal<Option<String>>,
    pub queues: RwSignal<Vec<QueueSummary>>,
    pub dispositions: RwSignal<Vec<Disposition>>,
    /// The engagement whose panel is open.
    pub selected: RwSignal<Option<EngagementId>>,
}

thread_local! {
    static SOCKET: RefCell<Option<web_sys::WebSocket>> = const { RefCell::new(None) };
    static ATTEMPT: RefCell<u32> = const { RefCell::new(0) };
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Session {
    pub fn new() -> Session {
        Session {
            model: RwSignal::new(Model::default()),
            token: RwSignal::new(None),
            online: RwSignal::new(false),
            notice: RwSignal::new(None),
            queues: RwSignal::new(Vec::new()),
            dispositions: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
        }
    }

    pub fn signed_in(&self) -> bool {
        self.token.with_untracked(Option::is_some)
    }

    fn bearer(&self) -> Option<String> {
        self.token.get_untracked()
    }

    /// Show an API error (or clear the notice on success).
    pub fn report<T>(&self, result: &Result<T, ApiError>) {
        match result {
            Ok(_) => self.notice.set(None),
            Err(e) if e.status == 401 => self.sign_out(Some(e.message.clone())),
            Err(e) => self.notice.set(Some(e.message.clone())),
        }
    }

    /// Resume a session kept across a reload, if any.
    pub async fn restore(self) {
        let token = storage().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten());
        if let Some(token) = token {
            let _ = self.start(token).await;
        }
    }

    /// Sign in with email and password.
    pub async fn login(self, email: String, password: String) -> Result<(), ApiError> {
        let body =
            api::obj(&mut [("email", email.into()), ("password", password.into())]).to_string();
        let s: AgentSession = api::json("POST", "/v1/auth/login", None, Some(body))
            .await
            .map_err(|mut e| {
                if e.status == 401 {
                    e.message = "Wrong email or password.".into();
                }
                e
            })?;
        self.start(s.access_token).await
    }

    /// Sign in with an embed token the host page minted on its server (native `auth.token`;
    /// the zcc dialect has no such message).
    #[cfg_attr(feature = "zcc", allow(dead_code))]
    pub async fn exchange(self, embed_token: String) -> Result<(), ApiError> {
        let body = api::obj(&mut [("embed_token", embed_token.into())]).to_string();
        let s: AgentSession = api::json("POST", "/v1/auth/embed", None, Some(body)).await?;
        self.start(s.access_token).await
    }

    async fn start(self, token: String) -> Result<(), ApiError> {
        let t = Some(token.as_str());
        let agent = match api::read("GET", "/v1/agents/me", t, None, AgentProfile::read).await {
            Ok(a) => a,
            Err(e) => {
                if let Some(s) = storage() {
                    let _ = s.remove_item(TOKEN_KEY);
                }
                return Err(e);
            }
        };
        if let Some(s) = storage() {
            let _ = s.set_item(TOKEN_KEY, &token);
        }
        // Signed in (and so `authenticated` in snapshots) only once the picture is complete.
        self.resync_with(agent, token.clone()).await;
        self.token.set(Some(token.clone()));
        if let Ok(q) = api::read("GET", "/v1/queues", t, None, QueueSummary::read_list).await {
            self.queues.set(q);
        }
        if let Ok(d) = api::json("GET", "/v1/dispositions", t, None).await {
            self.dispositions.set(d);
        }
        bridge::logged_in(&self);
        self.connect();
        Ok(())
    }

    /// Fetch what the agent holds and replace the local picture with it; notes of engagements
    /// not known locally are fetched too.
    async fn resync_with(self, agent: AgentProfile, token: String) {
        let t = Some(token.as_str());
        let Ok(list) = api::read(
            "GET",
            "/v1/agents/me/engagements",
            t,
            None,
            Engagement::read_list,
        )
        .await
        else {
            return;
        };
        let unknown: Vec<EngagementId> = self.model.with_untracked(|m| {
            list.iter()
                .map(|e| e.engagement_id)
                .filter(|id| m.find(*id).is_none())
                .collect()
        });
        self.model.update(|m| m.resync(agent, list));
        for id in unknown {
            let path = format!("/v1/engagements/{id}/notes");
            if let Ok(notes) = api::json::<Vec<serde_json::Value>>("GET", &path, t, None).await {
                let bodies: Vec<String> = notes
                    .iter()
                    .filter_map(|n| n.get("body")?.as_str().map(str::to_string))
                    .collect();
                self.model.update(|m| {
                    if let Some(i) = m.active.iter_mut().find(|i| i.id() == id) {
                        i.notes = bodies;
                    }
                });
            }
        }
        crate::device::settle(self);
    }

    /// Leave: the agent's own Sign out (`why` None) also ends the session on the server, so
    /// the token stops working everywhere; a session the server already ended is just dropped.
    pub fn sign_out(&self, why: Option<String>) {
        if let Some(s) = storage() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        if let (None, Some(token)) = (&why, self.bearer()) {
            leptos::task::spawn_local(async move {
                let _ = api::request("POST", "/v1/auth/logout", Some(&token), None).await;
            });
        }
        let was_in = self.signed_in();
        self.token.set(None);
        SOCKET.with(|s| {
            if let Some(ws) = s.borrow_mut().take() {
                ws.set_onclose(None);
                let _ = ws.close();
            }
        });
        self.online.set(false);
        self.model.set(Model::default());
        self.notice.set(why);
        sound::sync(false);
        if was_in {
            bridge::logged_out();
        }
    }

    // ---- the live feed ---------------------------------------------------------------------

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
            "{scheme}://{host}/v1/agent/ws?access_token={}",
            String::from(js_sys::encode_uri_component(&token))
        );
        if after > 0 {
            url.push_str(&format!("&after={after}"));
        }
        url.push_str(&format!("&device={}", crate::device::my_id()));
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
            SOCKET.with(|s| s.borrow_mut().take());
            self.retry_later();
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
        SOCKET.with(|s| {
            if let Some(old) = s.borrow_mut().replace(ws) {
                old.set_onclose(None);
                let _ = old.close();
            }
        });
    }

    fn on_frame(self, text: &str) {
        // Read by hand (shared::feed) rather than as a derived `SocketFrame`: the feed's
        // readers are a fraction of the WASM of the derived deserializers.
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        match frame.get("type").and_then(|t| t.as_str()).unwrap_or("") {
            SocketFrame::<AgentProfile>::HELLO => {
                ATTEMPT.with(|a| *a.borrow_mut() = 0);
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
                if let Some(agent) = frame.get("agent").and_then(AgentProfile::read) {
                    if stale {
                        // The server's log is behind what we saw (a restored database):
                        // start over from its picture.
                        self.model.update(|m| m.last_seq = server_latest);
                    }
                    if let Some(token) = self.bearer() {
                        spawn_local(self.resync_with(agent, token));
                    }
                    // Which widget instance rings: this one if none does.
                    crate::device::claim(self, true);
                }
            }
            SocketFrame::<AgentProfile>::TYPING => {
                if let Some(id) = frame.get("engagement_id").and_then(|i| i.as_str()) {
                    crate::extras::chat_typing(id);
                }
            }
            SocketFrame::<AgentProfile>::EVENT => {
                let Some(event) = frame.get("event").and_then(Event::read) else {
                    return;
                };
                // A chat's messages and receipts also go to its conversation, if shown.
                if let (Some(id), true) = (
                    event.engagement_id,
                    matches!(
                        event.kind,
                        shared::events::EventKind::EngagementMessageAdded
                            | shared::events::EventKind::EngagementMessageReceipt
                    ),
                ) {
                    crate::extras::chat_event(&id.to_string(), &frame["event"].to_string());
                    // The customer wrote where the agent is not looking: count it, chime.
                    let hidden = web_sys::window()
                        .and_then(|w| w.document())
                        .is_none_or(|d| d.hidden());
                    if event.data["message"]["author"]["kind"] == "consumer"
                        && (hidden || self.selected.get_untracked() != Some(id))
                    {
                        self.model.update(|m| m.unread(id, true));
                        sound::chime();
                    }
                }
                let mut change = None;
                self.model.update(|m| change = m.apply(&event, now_ms()));
                if let Some(change) = change {
                    // Only the active widget instance rings, pops and tells its host.
                    let active = crate::device::is_active(&self);
                    if let Change::Device(device) = &change {
                        crate::device::changed(self, device.as_deref());
                    }
                    if let Change::Engagement { kind, item } = &change {
                        use shared::events::EventKind as K;
                        if *kind == K::EngagementOffered && active {
                            sound::notify_offer(&item.title());
                        }
                        if active {
                            crate::screen_pop::on_change(self, *kind, item);
                        }
                        // Open the new engagement's panel unless one that is still active is open.
                        if matches!(kind, K::EngagementOffered | K::EngagementConnected) {
                            let showing_another = self.selected.get_untracked().is_some_and(|s| {
                                s != item.id()
                                    && self.model.with_untracked(|m| m.find_active(s).is_some())
                            });
                            if !showing_another
                                && item.engagement.state != shared::EngagementState::Closed
                            {
                                self.selected.set(Some(item.id()));
                            }
                        }
                    }
                    crate::device::settle(self);
                    if active || matches!(change, Change::Status(_) | Change::Device(_)) {
                        bridge::publish(&event, &change);
                    }
                }
            }
            _ => {}
        }
    }

    /// Reconnect with exponential backoff (1 s, 2 s, 4 s … 30 s, with jitter). After a few
    /// failures, check the token: an expired session signs out instead of retrying forever.
    fn retry_later(self) {
        if !self.signed_in() {
            return;
        }
        let attempt = ATTEMPT.with(|a| {
            let mut a = a.borrow_mut();
            *a += 1;
            *a
        });
        let base = (1_000i32 << attempt.min(5)).min(MAX_BACKOFF_MS);
        let delay = base / 2 + (js_sys::Math::random() * f64::from(base / 2)) as i32;
        let retry = Closure::once_into_js(move || {
            spawn_local(async move {
                if !self.signed_in() || SOCKET.with(|s| s.borrow().is_some()) {
                    return;
                }
                if attempt >= 3 {
                    let r =
                        api::request("GET", "/v1/agents/me", self.bearer().as_deref(), None).await;
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
        if self.signed_in() && SOCKET.with(|s| s.borrow().is_none()) {
            ATTEMPT.with(|a| *a.borrow_mut() = 0);
            self.connect();
        }
    }

    // ---- actions ---------------------------------------------------------------------------

    /// `POST`/`PUT`/`PATCH` something; the feed brings the result, so only errors matter.
    pub async fn call(
        self,
        method: &str,
        path: String,
        body: Option<String>,
    ) -> Result<String, ApiError> {
        let r = api::request(method, &path, self.bearer().as_deref(), body).await;
        self.report(&r);
        r
    }

    /// Run [`Session::call`] in the background (button handlers).
    pub fn fire(self, method: &'static str, path: String, body: Option<String>) {
        spawn_local(async move {
            let _ = self.call(method, path, body).await;
        });
    }

    pub fn act(self, id: EngagementId, action: &str) {
        self.fire("POST", format!("/v1/engagements/{id}/{action}"), None);
    }

    pub async fn set_status(self, status: AgentStatus) -> Result<(), ApiError> {
        let agent = api::read(
            "PUT",
            "/v1/agents/me/status",
            self.bearer().as_deref(),
            api::body(&status),
            AgentProfile::read,
        )
        .await;
        self.report(&agent);
        let agent = agent?;
        self.model.update(|m| m.agent = Some(agent));
        Ok(())
    }

    pub async fn add_note(self, id: EngagementId, text: String) -> Result<String, ApiError> {
        let body = api::obj(&mut [("body", text.into())]).to_string();
        self.call("POST", format!("/v1/engagements/{id}/notes"), Some(body))
            .await
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
