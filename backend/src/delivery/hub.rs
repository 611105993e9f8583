//! The in-process fan-out of committed events to agent feeds and to web chat customers'
//! sockets (by engagement), and of what is not in the log: typing indicators and the live
//! statistics supervisors watch (computed from the log by `delivery::live_stats`).

use crate::store::Store;
use crate::workers::Stop;
use shared::events::Event;
use shared::ids::{AccountId, AgentId, EngagementId};
use shared::live::LiveStats;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch, Notify};

/// How many undelivered events one feed may lag behind before it is cut off (the client then
/// reconnects with its last `seq` and catches up from the log).
const FEED_BUFFER: usize = 4096;

/// What a socket receives live.
#[derive(Debug, Clone)]
pub enum Live {
    /// A committed event from the log.
    Event(Arc<Event>),
    /// Someone is typing in this chat: the customer (told to the agent's feed) or the agent
    /// (told to the customer's socket). Ephemeral: it is not in the log and only reaches
    /// sockets on the instance that received it (behind several instances an indicator can
    /// go missing; no message ever does).
    Typing(EngagementId),
    /// A web call is recorded from now on (told to its visitor's sockets; not in the log).
    Recording(EngagementId),
}

type Subscribers<K> = HashMap<K, Vec<mpsc::Sender<Live>>>;

#[derive(Clone)]
pub struct Hub {
    subscribers: Arc<Mutex<Subscribers<AgentId>>>,
    /// Web chat customers' sockets, by their chat.
    chats: Arc<Mutex<Subscribers<EngagementId>>>,
    /// The `seq` published up to (for `/metrics`: how far the hub lags the log).
    published: Arc<AtomicI64>,
    /// The account's latest live statistics (all queues; each socket cuts them to its
    /// supervisor's queues).
    stats: Arc<watch::Sender<Option<Arc<LiveStats>>>>,
    /// Told when a socket starts watching the statistics (it should not wait a heartbeat).
    stats_wanted: Arc<Notify>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            subscribers: Default::default(),
            chats: Default::default(),
            published: Default::default(),
            stats: Arc::new(watch::channel(None).0),
            stats_wanted: Default::default(),
        }
    }
}

impl Hub {
    /// Receive every event for `agent` committed from now on (and possibly a few earlier ones:
    /// the receiver dedupes by `seq`).
    pub fn subscribe(&self, agent: AgentId) -> mpsc::Receiver<Live> {
        subscribe(&self.subscribers, agent)
    }

    /// Receive every event of the chat `engagement` committed from now on (deduped by `seq`
    /// like [`Hub::subscribe`]).
    pub fn subscribe_chat(&self, engagement: EngagementId) -> mpsc::Receiver<Live> {
        subscribe(&self.chats, engagement)
    }

    /// Receive the live statistics: the latest at once (if any), then each new one.
    pub fn subscribe_stats(&self) -> watch::Receiver<Option<Arc<LiveStats>>> {
        let mut rx = self.stats.subscribe();
        rx.mark_changed();
        self.stats_wanted.notify_one();
        rx
    }

    /// Resolves when a socket starts watching the statistics.
    pub async fn stats_wanted(&self) {
        self.stats_wanted.notified().await
    }

    /// Forget the latest statistics (nobody watches; they would be stale by the next).
    pub fn clear_stats(&self) {
        self.stats.send_replace(None);
    }

    /// Whether any socket is watching the live statistics (none: nobody computes them).
    pub fn stats_watched(&self) -> bool {
        self.stats.receiver_count() > 0
    }

    /// The live statistics last published (none while nobody watches).
    pub fn latest_stats(&self) -> Option<Arc<LiveStats>> {
        self.stats.borrow().clone()
    }

    /// Publish new live statistics.
    pub fn publish_stats(&self, stats: LiveStats) {
        self.stats.send_replace(Some(Arc::new(stats)));
    }

    /// The last `seq` this hub has published (0 before it started).
    pub fn published(&self) -> i64 {
        self.published.load(Ordering::Relaxed)
    }

    fn publish(&self, event: Event) {
        let (agent, chat) = (event.agent_id, event.engagement_id);
        let live = Live::Event(Arc::new(event));
        if let Some(agent) = agent {
            deliver(&self.subscribers, agent, &live);
        }
        if let Some(chat) = chat {
            deliver(&self.chats, chat, &live);
        }
    }

    /// The customer of `chat` is typing: tell its agent's feeds.
    pub fn customer_typing(&self, agent: AgentId, chat: EngagementId) {
        deliver(&self.subscribers, agent, &Live::Typing(chat));
    }

    /// The web call `call` is being recorded: tell its visitor's sockets.
    pub fn call_recording(&self, call: EngagementId) {
        deliver(&self.chats, call, &Live::Recording(call));
    }

    /// The agent of `chat` is typing: tell the customer's sockets.
    pub fn agent_typing(&self, chat: EngagementId) {
        deliver(&self.chats, chat, &Live::Typing(chat));
    }

    /// Follow the account's log from its current end, publishing as commits happen. Runs until
    /// the store's commit watch closes or `stop`.
    pub async fn run(self, store: Store, account: AccountId, stop: Stop) {
        let mut committed = store.watch_committed();
        let mut cursor = *committed.borrow_and_update();
        self.published.store(cursor, Ordering::Relaxed);
        loop {
            loop {
                match store.events_after(account, cursor, 1000).await {
                    Ok(batch) => {
                        let full = batch.len() == 1000;
                        for event in batch {
                            cursor = event.seq;
                            self.publish(event);
                        }
                        self.published.store(cursor, Ordering::Relaxed);
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "event hub read failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                }
            }
            tokio::select! {
                changed = committed.changed() => if changed.is_err() { return },
                _ = stop.cancelled() => return,
            }
        }
    }
}

fn subscribe<K: std::hash::Hash + Eq>(
    subscribers: &Mutex<Subscribers<K>>,
    key: K,
) -> mpsc::Receiver<Live> {
    let (tx, rx) = mpsc::channel(FEED_BUFFER);
    subscribers
        .lock()
        .expect("hub lock")
        .entry(key)
        .or_default()
        .push(tx);
    rx
}

fn deliver<K: std::hash::Hash + Eq>(subscribers: &Mutex<Subscribers<K>>, key: K, item: &Live) {
    let mut subs = subscribers.lock().expect("hub lock");
    if let Some(list) = subs.get_mut(&key) {
        // A closed or hopelessly lagging feed is dropped; its client resumes from the log.
        list.retain(|tx| tx.try_send(item.clone()).is_ok());
        if list.is_empty() {
            subs.remove(&key);
        }
    }
}
