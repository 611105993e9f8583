//! The signed-in agent's live session: the token, the [`Model`] in a signal, the agent
//! WebSocket ([`feed`]: reconnects by itself with backoff and resumes after the last `seq` it
//! applied, so nothing is lost or shown twice), and the actions the UI and the host page call.
//!
//! The session owns everything that lives as long as it does (the socket, the reconnect
//! attempt, its subscribers) and tells the parts that react what happened through its
//! [`bus`]; it imports none of them.

pub mod bus;
mod feed;

pub use feed::watch_wakeups;

use crate::api::{self, ApiError};
use crate::browser::{device_id, storage};
use crate::client::{self, Call};
use crate::model::Model;
use bus::{Moment, Reaction};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{AgentProfile, AgentSession, QueueSummary};
use shared::config::{AgentStatus, Disposition};
use shared::ids::EngagementId;
use shared::Engagement;

/// Where the token survives a reload: `sessionStorage` is per tab and, inside an iframe,
/// partitioned by the host site; it never needs an unpartitioned third-party cookie.
const TOKEN_KEY: &str = "switchboard.token";

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
    /// What the session holds that no view follows (one stored value: each kind of stored
    /// value costs the first load).
    held: StoredValue<Held, LocalStorage>,
}

#[derive(Default)]
struct Held {
    /// The agent's feed, while open.
    socket: Option<web_sys::WebSocket>,
    /// Failed connection attempts since the feed was last live (the backoff).
    attempt: u32,
    /// Who hears what happens ([`bus`]), in the order they subscribed.
    subscribers: Vec<Reaction>,
}

/// Does this widget instance ring? Also while no device is active (a claim is on its way), so
/// a ring at start-up is never lost.
pub fn active_here(model: &Model) -> bool {
    model
        .active_device
        .as_deref()
        .is_none_or(|d| d == device_id())
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
            held: StoredValue::new_local(Held::default()),
        }
    }

    /// Hear every [`Moment`] from now on, after those who subscribed before.
    pub fn subscribe(&self, reaction: impl Fn(&Moment) + 'static) {
        self.held
            .update_value(|h| h.subscribers.push(std::rc::Rc::new(reaction)));
    }

    /// Tell every subscriber, in order.
    pub fn emit(&self, moment: Moment) {
        // A copy of the list: a subscriber may emit in turn.
        let subscribers = self.held.with_value(|h| h.subscribers.clone());
        for reaction in subscribers {
            reaction(&moment);
        }
    }

    /// [`active_here`] for event handlers (not tracked).
    pub fn is_active(&self) -> bool {
        self.model.with_untracked(active_here)
    }

    pub fn signed_in(&self) -> bool {
        self.token.with_untracked(Option::is_some)
    }

    pub fn bearer(&self) -> Option<String> {
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
        let s: AgentSession = api::json(client::login(email, password), None)
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
        let s: AgentSession = api::json(client::exchange(embed_token), None).await?;
        self.start(s.access_token).await
    }

    async fn start(self, token: String) -> Result<(), ApiError> {
        let t = Some(token.as_str());
        let agent = match api::read(client::me(), t, AgentProfile::read).await {
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
        if let Ok(q) = api::read(client::queues(), t, QueueSummary::read_list).await {
            self.queues.set(q);
        }
        if let Ok(d) = api::json(client::dispositions(), t).await {
            self.dispositions.set(d);
        }
        self.emit(Moment::SignedIn);
        self.connect();
        Ok(())
    }

    /// Fetch what the agent holds and replace the local picture with it; notes of engagements
    /// not known locally are fetched too.
    async fn resync_with(self, agent: AgentProfile, token: String) {
        let t = Some(token.as_str());
        let Ok(list) = api::read(client::my_engagements(), t, Engagement::read_list).await else {
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
            if let Ok(notes) = api::json::<Vec<serde_json::Value>>(client::notes(id), t).await {
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
        self.emit(Moment::Synced);
    }

    /// Leave: the agent's own Sign out (`why` None) also ends the session on the server, so
    /// the token stops working everywhere; a session the server already ended is just dropped.
    pub fn sign_out(&self, why: Option<String>) {
        if let Some(s) = storage() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        if let (None, Some(token)) = (&why, self.bearer()) {
            leptos::task::spawn_local(async move {
                let _ = api::send(client::logout(), Some(&token)).await;
            });
        }
        let was_in = self.signed_in();
        self.token.set(None);
        self.close_socket();
        self.online.set(false);
        self.model.set(Model::default());
        self.notice.set(why);
        self.emit(Moment::SignedOut { was_in });
    }

    // ---- actions ---------------------------------------------------------------------------

    /// Make a call ([`crate::client`]) as the agent and show what went wrong, if anything
    /// (a 401 signs out). Changes come back through the feed, so callers mostly care about
    /// errors; the answer's text is theirs to read.
    pub async fn call(self, call: Call) -> Result<String, ApiError> {
        let r = api::send(call, self.bearer().as_deref()).await;
        self.report(&r);
        r
    }

    /// Run [`Session::call`] in the background (button handlers).
    pub fn fire(self, call: Call) {
        spawn_local(async move {
            let _ = self.call(call).await;
        });
    }

    pub fn act(self, id: EngagementId, action: &str) {
        self.fire(client::act(id, action));
    }

    pub async fn set_status(self, status: AgentStatus) -> Result<(), ApiError> {
        let agent = api::read(
            client::set_status(&status),
            self.bearer().as_deref(),
            AgentProfile::read,
        )
        .await;
        self.report(&agent);
        let agent = agent?;
        self.model.update(|m| m.agent = Some(agent));
        Ok(())
    }

    pub async fn add_note(self, id: EngagementId, text: String) -> Result<String, ApiError> {
        self.call(client::add_note(id, text)).await
    }
}
