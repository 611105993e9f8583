//! `GET /v1/reports/engagements`: one row per engagement, filtered and paged like the
//! interaction-data lists, or the whole window streamed as CSV or NDJSON.

use super::{projector, queue_scope, QueueScope};
use crate::auth::Principal;
use crate::reports::csv;
use crate::service::interactions::{engagement_time, page, resolve, WindowQuery};
use crate::service::{invalid, Ctx, Result};
use crate::store::reports::{self as store, RowFilter};
use bytes::Bytes;
use futures_util::Stream;
use shared::ids::{AgentId, QueueId};
use shared::interactions::Page;
use shared::reports::{EngagementReport, Outcome};
use shared::Channel;

/// Rows fetched per query while exporting.
const EXPORT_CHUNK: i64 = 5000;

/// The query as given.
#[derive(Debug, Clone, Default)]
pub struct RowQuery {
    pub window: WindowQuery,
    pub queue_id: Option<String>,
    pub agent_id: Option<String>,
    pub channel: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Resolve the filters against what the caller may see.
fn filter(q: &RowQuery, scope: &QueueScope) -> Result<RowFilter> {
    let queue = given(&q.queue_id)
        .map(|s| {
            s.parse::<QueueId>()
                .map_err(|_| invalid("queue_id", "queue_id is not a queue id"))
        })
        .transpose()?;
    let queues = match (queue, scope) {
        (Some(queue), _) => {
            scope.check(queue)?;
            Some(vec![queue])
        }
        (None, QueueScope::All) => None,
        (None, QueueScope::Only(set)) => Some(set.iter().copied().collect()),
    };
    let agent = given(&q.agent_id)
        .map(|s| {
            s.parse::<AgentId>()
                .map_err(|_| invalid("agent_id", "agent_id is not an agent id"))
        })
        .transpose()?;
    let channel = given(&q.channel)
        .map(|s| {
            Channel::ALL
                .iter()
                .find(|c| c.as_str() == s)
                .map(|c| c.as_str().to_string())
                .ok_or_else(|| invalid("channel", format!("channel {s:?} is not a channel")))
        })
        .transpose()?;
    let outcome = given(&q.outcome)
        .map(|s| {
            Outcome::parse(s)
                .map(|o| o.as_str().to_string())
                .ok_or_else(|| {
                    invalid(
                        "outcome",
                        format!(
                            "outcome is one of answered, abandoned, missed, transferred, left_message, cancelled, not {s:?}"
                        ),
                    )
                })
        })
        .transpose()?;
    Ok(RowFilter {
        queues,
        agent,
        channel,
        outcome,
    })
}

/// One page of rows.
pub async fn engagement_rows(
    ctx: &Ctx,
    p: &Principal,
    q: &RowQuery,
) -> Result<Page<EngagementReport>> {
    let scope = queue_scope(ctx, p).await?;
    let by = engagement_time(&q.window)?;
    let f = filter(q, &scope)?;
    let r = resolve(ctx, &q.window)?;
    projector::catch_up(ctx, p.account()).await?;
    let mut conn = ctx.store.read().await?;
    let rows = store::engagement_rows(&mut conn, p.account(), by, &r.window, &f).await?;
    let rows = with_service_level(ctx, p, rows).await?;
    page(
        &r,
        rows,
        |(ms, row)| (*ms, row.engagement_id.to_string()),
        |(_, row)| Ok(row.clone()),
    )
}

/// Fill `service_level_met` with the first queue's thresholds as configured now.
async fn with_service_level(
    ctx: &Ctx,
    p: &Principal,
    mut rows: Vec<(i64, EngagementReport)>,
) -> Result<Vec<(i64, EngagementReport)>> {
    let queues = super::intervals::queue_configs(ctx, p).await?;
    for (_, row) in &mut rows {
        set_service_level(row, &queues);
    }
    Ok(rows)
}

fn set_service_level(
    row: &mut EngagementReport,
    queues: &std::collections::HashMap<QueueId, shared::config::Queue>,
) {
    use shared::reports::VisitResult as V;
    let Some(q) = row.first_queue_id.and_then(|q| queues.get(&q)) else {
        return;
    };
    let sl = &q.service_level;
    let wait = row.first_queue_wait_ms.unwrap_or(0);
    row.service_level_met = match row.first_queue_result {
        Some(V::Answered) => Some(wait <= i64::from(sl.threshold_secs) * 1000),
        Some(V::Abandoned) if wait > i64::from(sl.short_abandon_secs) * 1000 => Some(false),
        _ => None,
    };
}

/// The whole window as CSV or NDJSON, read in chunks as the client takes it (never the whole
/// window in memory).
pub async fn export(
    ctx: &Ctx,
    p: &Principal,
    q: &RowQuery,
    format: ExportFormat,
) -> Result<impl Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static> {
    let scope = queue_scope(ctx, p).await?;
    let by = engagement_time(&q.window)?;
    let f = filter(q, &scope)?;
    let mut window = q.window.clone();
    window.page_size = None;
    window.next_page_token = None;
    let mut r = resolve(ctx, &window)?;
    r.window.limit = EXPORT_CHUNK;
    projector::catch_up(ctx, p.account()).await?;
    let queues = super::intervals::queue_configs(ctx, p).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::result::Result<Bytes, std::io::Error>>(4);
    let ctx = ctx.clone();
    let account = p.account();
    tokio::spawn(async move {
        if format == ExportFormat::Csv && tx.send(Ok(Bytes::from(csv::header()))).await.is_err() {
            return;
        }
        let mut w = r.window;
        loop {
            let rows = match ctx.store.read().await {
                Ok(mut conn) => store::engagement_rows(&mut conn, account, by, &w, &f).await,
                Err(e) => Err(e),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "report export failed part-way");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let mut out = String::with_capacity(rows.len() * 400);
            for (_, row) in &rows {
                let mut row = row.clone();
                set_service_level(&mut row, &queues);
                match format {
                    ExportFormat::Csv => csv::write_row(&mut out, &row),
                    ExportFormat::Ndjson => csv::write_ndjson(&mut out, &row),
                }
            }
            if !out.is_empty() && tx.send(Ok(Bytes::from(out))).await.is_err() {
                return;
            }
            match rows.last() {
                Some((ms, row)) if rows.len() as i64 >= EXPORT_CHUNK => {
                    w.after = Some((*ms, row.engagement_id.to_string()));
                }
                _ => return,
            }
        }
    });
    Ok(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}
