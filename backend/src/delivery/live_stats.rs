//! The live statistics worker: while a supervisor's or admin's socket is open, it computes the
//! account's live picture (`service::stats::board`) when the event log moves — at most once a
//! second — and at least every [`HEARTBEAT`] (waits grow with no event), and publishes it on
//! the hub, whose sockets cut it to each supervisor's queues. Nobody watching, nothing is
//! computed.

use super::hub::Hub;
use crate::service::Ctx;
use crate::workers::Stop;
use std::time::Duration;

/// The longest a watched picture goes without being computed again.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// The shortest time between two pictures (a busy log commits far more often).
const MIN_GAP: Duration = Duration::from_secs(1);

pub async fn run(ctx: Ctx, hub: Hub, stop: Stop) {
    let mut committed = ctx.store.watch_committed();
    loop {
        if !hub.stats_watched() {
            // A new watcher gets a fresh picture, never one from before it came.
            hub.clear_stats();
            tokio::select! {
                _ = hub.stats_wanted() => {}
                _ = stop.cancelled() => return,
            }
        }
        committed.borrow_and_update();
        match crate::service::stats::board(&ctx, ctx.account).await {
            Ok(board) => hub.publish_stats(board),
            Err(e) => tracing::warn!(error = %e, "live statistics not computed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(MIN_GAP) => {}
            _ = stop.cancelled() => return,
        }
        tokio::select! {
            changed = committed.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(HEARTBEAT - MIN_GAP) => {}
            _ = hub.stats_wanted() => {}
            _ = stop.cancelled() => return,
        }
    }
}
