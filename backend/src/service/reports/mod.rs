//! Historical reports (`docs/reports.md`): one row per engagement with CSV/NDJSON export,
//! and per-interval figures per queue and per agent. All of them read projections of the
//! event log that [`projector`] keeps; a read first brings them up to the log's head, so a
//! report includes everything committed before it was asked for.
//!
//! **Who sees what.** Admins and API clients with `reports:read` see every queue; a
//! supervisor sees only their queue set (`supervised_queue_ids`): rows whose first or last
//! queue is in it, those queues' intervals, and the agents who are members of them. Asking
//! for a queue or an agent outside it is a `403`.

mod engagements;
mod intervals;
pub mod projector;

pub use engagements::{engagement_rows, export, ExportFormat, RowQuery};
pub use intervals::{agent_report, queue_report, IntervalQuery};

use super::{Ctx, Result};
use crate::auth::{Denied, Principal, Scope};
use crate::store::agents;
use shared::config::Role;
use shared::ids::{AgentId, QueueId};
use std::collections::BTreeSet;

/// The queues a caller may read reports of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueScope {
    All,
    Only(BTreeSet<QueueId>),
}

impl QueueScope {
    pub fn allows(&self, queue: QueueId) -> bool {
        match self {
            QueueScope::All => true,
            QueueScope::Only(set) => set.contains(&queue),
        }
    }

    /// `queue` if the caller may read it, else `403`.
    pub fn check(&self, queue: QueueId) -> Result<()> {
        if self.allows(queue) {
            Ok(())
        } else {
            Err(Denied::NotSupervised(format!("queue {queue}")).into())
        }
    }
}

/// Who may read reports, and which queues.
pub async fn queue_scope(ctx: &Ctx, p: &Principal) -> Result<QueueScope> {
    p.supervisor_or(Scope::ReportsRead)?;
    supervised(ctx, p).await
}

/// The queues a caller already allowed to read supervisor figures may see: a supervisor's
/// queue set, everything for admins and API clients. The live view uses it too.
pub async fn supervised(ctx: &Ctx, p: &Principal) -> Result<QueueScope> {
    match p {
        Principal::Agent {
            role: Role::Supervisor,
            agent,
            account,
        } => {
            let mut conn = ctx.store.read().await?;
            let me = agents::get(&mut conn, *account, *agent)
                .await?
                .ok_or(Denied::Role("supervisor"))?;
            Ok(QueueScope::Only(
                me.agent.supervised_queue_ids.into_iter().collect(),
            ))
        }
        _ => Ok(QueueScope::All),
    }
}

/// The agents a caller with `scope` may read: members of a queue in it (everyone for `All`).
pub async fn visible_agents(
    ctx: &Ctx,
    p: &Principal,
    scope: &QueueScope,
) -> Result<Vec<(AgentId, String, bool)>> {
    let mut conn = ctx.store.read().await?;
    let list = agents::list(&mut conn, p.account()).await?;
    Ok(list
        .into_iter()
        .map(|a| {
            let visible = match scope {
                QueueScope::All => true,
                QueueScope::Only(set) => a.agent.queues.iter().any(|m| set.contains(&m.queue_id)),
            };
            (a.agent.agent_id, a.agent.display_name, visible)
        })
        .collect())
}
