//! The report projector: reads the event log after the account's report cursor, folds it
//! through the pure projection (`crate::reports::projection`) and writes back the rows,
//! agent states and bucket deltas, moving the cursor in the same transaction. Run in the
//! background as events commit, and by every report read before it answers.

use crate::reports::projection::Projection;
use crate::service::{Ctx, Result};
use crate::store::reports::{Facts, LoggedFact, ReportTx};
use shared::ids::{AccountId, AgentId, EngagementId};
use std::collections::BTreeSet;
use std::time::Duration;

/// Positions of the log folded per transaction (at most this many events; fewer where other
/// accounts' events or kinds reports do not read sit in between).
const WINDOW: i64 = 4000;

/// A catch-up that folds at least this many events refreshes the planner's statistics.
const ANALYZE_AFTER: u64 = 100_000;

/// Bring `account`'s reports up to the log's head; how many events were folded.
pub async fn catch_up(ctx: &Ctx, account: AccountId) -> Result<u64> {
    let folded = fold_to_head(ctx, account).await?;
    if folded >= ANALYZE_AFTER {
        ctx.store.analyze_reports().await?;
    }
    Ok(folded)
}

async fn fold_to_head(ctx: &Ctx, account: AccountId) -> Result<u64> {
    let mut folded = 0u64;
    loop {
        let mut tx = ctx.store.begin_reports(account).await?;
        let Facts {
            facts,
            next,
            at_head,
        } = tx.facts(WINDOW).await?;
        if next == tx.cursor {
            // Nothing committed since the last fold.
            return Ok(folded);
        }
        if !facts.is_empty() {
            fold(&mut tx, account, &facts).await?;
        }
        tx.commit(next).await?;
        folded += facts.len() as u64;
        if at_head {
            return Ok(folded);
        }
    }
}

/// Fold one window's facts into the rows, agent states and buckets they touch, in `tx`.
async fn fold(tx: &mut ReportTx, account: AccountId, facts: &[LoggedFact]) -> Result<()> {
    let mut projection = Projection::default();
    let ids: Vec<EngagementId> = facts
        .iter()
        .filter_map(|f| f.engagement_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for entry in tx.entries(&ids).await? {
        projection
            .engagements
            .insert(entry.row.engagement_id, entry);
    }
    // Agents the batch names, and those whose part of an engagement it may end.
    let mut agents: BTreeSet<AgentId> = facts
        .iter()
        .flat_map(|f| [f.fact.agent, f.fact.data.agent_id])
        .flatten()
        .collect();
    agents.extend(
        projection
            .engagements
            .values()
            .filter_map(|e| e.progress.as_ref()?.part.as_ref().map(|p| p.agent_id)),
    );
    let agents: Vec<AgentId> = agents.into_iter().collect();
    for (agent, state) in tx.agent_states(&agents).await? {
        projection.agents.insert(agent, state);
    }
    for f in facts {
        projection.apply(account, &f.fact);
    }
    for id in &projection.changed_engagements {
        if let Some(entry) = projection.engagements.get(id) {
            tx.save_entry(entry).await?;
        }
    }
    for agent in &projection.changed_agents {
        if let Some(state) = projection.agents.get(agent) {
            tx.save_agent_state(*agent, state).await?;
        }
    }
    for ((queue, bucket), delta) in &projection.queue_buckets {
        tx.add_queue_bucket(*queue, *bucket, delta).await?;
    }
    for ((agent, bucket), delta) in &projection.agent_buckets {
        tx.add_agent_bucket(*agent, *bucket, delta).await?;
    }
    Ok(())
}

/// Keep the account's reports close behind the log: fold whatever committed, at most about
/// once a second (a report read catches up the rest itself).
pub async fn run(ctx: Ctx, stop: crate::workers::Stop) {
    let mut committed = ctx.store.watch_committed();
    loop {
        if let Err(e) = catch_up(&ctx, ctx.account).await {
            tracing::warn!(error = %e, "report projector: will retry");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = committed.changed() => if changed.is_err() { return },
        }
    }
}
