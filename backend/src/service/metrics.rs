//! The readings a `/metrics` scrape takes from the database (see `crate::metrics`).

use super::{Ctx, Result};
use crate::metrics::Sample;
use crate::store::config::{self as cfg, DocTable};
use crate::store::{engagements as eng, webhooks};
use shared::config::Queue;
use std::collections::HashMap;

/// Queue depth and longest wait for every configured queue (zero when none wait), the event
/// log's head and the delivery backlog, on one read snapshot. `hub_cursor` is where this
/// instance's agent-feed hub is.
pub async fn sample(ctx: &Ctx, hub_cursor: i64) -> Result<Sample> {
    let now = ctx.clock.now_ms();
    let mut conn = ctx.store.snapshot().await?;
    let queues: Vec<Queue> = cfg::list_docs(&mut conn, DocTable::Queues, ctx.account).await?;
    let waiting: HashMap<_, _> = eng::waiting_by_queue(&mut conn, ctx.account)
        .await?
        .into_iter()
        .map(|(queue, n, oldest)| (queue, (n, oldest)))
        .collect();
    let (webhook_cursor, webhook_pending) = webhooks::backlog(&mut conn, ctx.account).await?;
    drop(conn);
    let log_head = ctx.store.latest_seq().await?;
    Ok(Sample {
        queues: queues
            .into_iter()
            .map(|q| {
                let (n, oldest) = waiting.get(&q.queue_id).copied().unwrap_or((0, now));
                let longest = (now - oldest).max(0) as f64 / 1000.0;
                (q.queue_id.to_string(), q.name, n, longest)
            })
            .collect(),
        log_head,
        hub_cursor,
        webhook_lag: webhook_cursor.map_or(0, |c| log_head - c),
        webhook_pending,
        pools: ctx.store.pools(),
        write_statements: crate::store::write_statements(),
    })
}
