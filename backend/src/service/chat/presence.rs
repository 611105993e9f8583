//! Abandoned web chats: a customer who goes away while their chat still waits for an agent
//! (closes the tab, loses the connection for good) does not leave it in the queue forever.
//! Their presence is when they were last seen — any request with their session token, and
//! every [`SOCKET_TOUCH_SECS`] while their chat socket is open — kept in the database so every
//! instance sees it. A task closes waiting chats whose customer has been gone longer than
//! `--chat-abandon-after-secs` as **abandoned** (counted against the queue's service level).
//! A reload or a dropped connection that comes back within that time keeps the chat.

use crate::service::Ctx;
use crate::workers::Stop;
use shared::ids::EngagementId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub struct Presence {
    /// `--chat-abandon-after-secs`, in milliseconds.
    pub abandon_after_ms: i64,
    /// A chat's presence is written at most this often by one instance (a chatty customer's
    /// every message need not write it): a quarter of the abandon time, at most 10 s.
    write_every_ms: i64,
    written: Mutex<HashMap<EngagementId, i64>>,
}

impl Presence {
    pub fn new(abandon_after_secs: i64) -> Presence {
        let abandon_after_ms = abandon_after_secs * 1000;
        Presence {
            abandon_after_ms,
            write_every_ms: (abandon_after_ms / 4).clamp(250, 10_000),
            written: Mutex::default(),
        }
    }

    /// How often an open chat socket says its customer is still there: a third of the
    /// abandon time, at most 20 s.
    pub fn socket_touch(&self) -> Duration {
        Duration::from_millis((self.abandon_after_ms / 3).clamp(500, 20_000) as u64)
    }

    /// Whether this instance should write `chat`'s presence now (and note that it did).
    fn due(&self, chat: EngagementId, now_ms: i64) -> bool {
        let mut written = self.written.lock().expect("presence lock");
        if written.len() > 10_000 {
            written.retain(|_, at| now_ms - *at < self.write_every_ms);
        }
        match written.get(&chat) {
            Some(at) if now_ms - at < self.write_every_ms => false,
            _ => {
                written.insert(chat, now_ms);
                true
            }
        }
    }
}

/// The customer of `chat` is here. Failures are logged, never the customer's problem.
pub async fn seen(ctx: &Ctx, chat: EngagementId) {
    let now = ctx.clock.now_ms();
    if !ctx.chat.presence.due(chat, now) {
        return;
    }
    let written = async {
        let mut tx = ctx.store.begin().await?;
        crate::store::chats::touch(tx.conn().await?, chat, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, %chat, "chat presence not written");
    }
}

/// Close, as abandoned, the waiting chats whose customer is gone; runs until `stop`.
pub async fn run(ctx: Ctx, stop: Stop) {
    let every =
        Duration::from_millis((ctx.chat.presence.abandon_after_ms / 4).clamp(500, 15_000) as u64);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => return,
        }
        let before = ctx.clock.now_ms() - ctx.chat.presence.abandon_after_ms;
        let gone = match ctx.store.read().await {
            Ok(mut conn) => {
                crate::store::chats::gone_while_waiting(&mut conn, ctx.account, before, 100).await
            }
            Err(e) => Err(e),
        };
        match gone {
            Ok(ids) => {
                for id in ids {
                    match crate::service::engagements::leave::abandon_if_waiting(
                        &ctx,
                        ctx.account,
                        id,
                    )
                    .await
                    {
                        Ok(true) => {
                            tracing::info!(chat = %id, "chat abandoned: the customer went away while it waited")
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, chat = %id, "could not close an abandoned chat")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "abandoned chats: cannot read presence"),
        }
    }
}
