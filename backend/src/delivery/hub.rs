//! The in-process fan-out of committed events to agent feeds.

use crate::store::Store;
use shared::events::Event;
use shared::ids::{AccountId, AgentId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How many undelivered events one feed may lag behind before it is cut off (the client then
/// reconnects with its last `seq` and catches up from the log).
const FEED_BUFFER: usize = 4096;

type Subscribers = HashMap<AgentId, Vec<mpsc::Sender<Arc<Event>>>>;

#[derive(Clone, Default)]
pub struct Hub {
    subscribers: Arc<Mutex<Subscribers>>,
    /// The `seq` published up to (for `/metrics`: how far the hub lags the log).
    published: Arc<AtomicI64>,
}

impl Hub {
    /// Receive every event for `agent` committed from now on (and possibly a few earlier ones:
    /// the receiver dedupes by `seq`).
    pub fn subscribe(&self, agent: AgentId) -> mpsc::Receiver<Arc<Event>> {
        let (tx, rx) = mpsc::channel(FEED_BUFFER);
        self.subscribers
            .lock()
            .expect("hub lock")
            .entry(agent)
            .or_default()
            .push(tx);
        rx
    }

    /// The last `seq` this hub has published (0 before it started).
    pub fn published(&self) -> i64 {
        self.published.load(Ordering::Relaxed)
    }

    fn publish(&self, event: Event) {
        let Some(agent) = event.agent_id else { return };
        let mut subs = self.subscribers.lock().expect("hub lock");
        if let Some(list) = subs.get_mut(&agent) {
            let event = Arc::new(event);
            // A closed or hopelessly lagging feed is dropped; its client resumes from the log.
            list.retain(|tx| tx.try_send(Arc::clone(&event)).is_ok());
            if list.is_empty() {
                subs.remove(&agent);
            }
        }
    }

    /// Follow the account's log from its current end, publishing as commits happen. Runs until
    /// the store's commit watch closes.
    pub async fn run(self, store: Store, account: AccountId) {
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
            if committed.changed().await.is_err() {
                return;
            }
        }
    }
}
