//! Web chat transcripts, written by Switchboard when a chat closes — however it closed (the
//! agent after wrap-up, the customer leaving before an answer, an abandoned wait, a
//! cancellation). A task follows the event log for `engagement.closed` and writes each closed
//! chat's transcript through [`crate::service::interactions::write_chat_transcript`], which announces it
//! by `engagement.messaging_transcript_completed` (and so by webhook) and lists it with the
//! interaction data. On start, and whenever a write failed, it also writes those of closed
//! chats that have none (a restart between close and write loses nothing). A transcript is
//! written once: a second instance, or a connector that `PUT` one first, wins and this one
//! steps aside.

use crate::service::Ctx;
use crate::workers::Stop;
use shared::events::EventKind;
use shared::Channel;
use std::time::Duration;

/// How many events (or missing transcripts) are read at once.
const BATCH: i64 = 200;

pub async fn run(ctx: Ctx, stop: Stop) {
    let mut committed = ctx.store.watch_committed();
    let mut cursor = *committed.borrow_and_update();
    let mut catch_up = true;
    while !stop.is_cancelled() {
        if catch_up {
            catch_up = !write_missing(&ctx).await;
        }
        loop {
            let batch = match ctx
                .store
                .events_filtered(
                    ctx.account,
                    cursor,
                    BATCH,
                    &[EventKind::EngagementClosed],
                    None,
                )
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "chat transcripts: cannot read the log; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stop.cancelled() => return,
                    }
                }
            };
            let full = batch.len() as i64 == BATCH;
            for event in batch {
                cursor = event.seq;
                let chat = event
                    .data
                    .get("engagement")
                    .and_then(|e| e.get("channel"))
                    .and_then(|c| c.as_str())
                    == Some(Channel::Chat.as_str());
                if let (true, Some(id)) = (chat, event.engagement_id) {
                    if let Err(e) =
                        crate::service::interactions::write_chat_transcript(&ctx, id).await
                    {
                        tracing::warn!(error = %e, engagement = %id, "chat transcript not written; retried later");
                        catch_up = true;
                    }
                }
            }
            if !full {
                break;
            }
        }
        // Missing ones are tried again in a while, or on the next commit.
        let retry = async {
            if catch_up {
                tokio::time::sleep(Duration::from_secs(10)).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            changed = committed.changed() => if changed.is_err() { return },
            _ = retry => {}
            _ = stop.cancelled() => return,
        }
    }
}

/// Write the transcripts closed chats lack; whether all were written.
async fn write_missing(ctx: &Ctx) -> bool {
    loop {
        let ids = match ctx.store.read().await {
            Ok(mut conn) => {
                crate::store::interactions::chats_without_transcript(&mut conn, ctx.account, BATCH)
                    .await
            }
            Err(e) => Err(e),
        };
        let ids = match ids {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "chat transcripts: cannot list the missing ones");
                return false;
            }
        };
        let full = ids.len() as i64 == BATCH;
        for id in ids {
            if let Err(e) = crate::service::interactions::write_chat_transcript(ctx, id).await {
                tracing::warn!(error = %e, engagement = %id, "chat transcript not written");
                return false;
            }
        }
        if !full {
            return true;
        }
    }
}
