//! The web call offers other instances hand to this one (`service::calls::signals`): answered
//! as soon as a notification says one was written, and every few seconds in case one was
//! lost. Only a server with a media socket holds calls, so only such a server runs this.

use crate::delivery::hub::Hub;
use crate::service::Ctx;
use crate::workers::Stop;
use std::time::Duration;

/// How often the table is read without a notification.
const EVERY: Duration = Duration::from_secs(2);
/// Offers older than this were given up on by their sender (it waits 5 s); they are cleared
/// away this often.
const STALE_MS: i64 = 60_000;
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub async fn run(ctx: Ctx, hub: Hub, stop: Stop) {
    let mut changes = ctx.store.watch_call_signals();
    let mut swept = std::time::Instant::now();
    loop {
        if let Err(e) = crate::service::calls::signals::answer_pending(
            &ctx,
            &hub,
            crate::http::error::public_message,
        )
        .await
        {
            tracing::warn!(error = %e, "answering other instances' call offers");
        }
        if swept.elapsed() >= SWEEP_EVERY {
            swept = std::time::Instant::now();
            if let Err(e) = ctx.store.sweep_call_signals(STALE_MS).await {
                tracing::warn!(error = %e, "forgetting stale call offers");
            }
        }
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.cancelled() => return,
        }
    }
}
