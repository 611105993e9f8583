//! Live statistics for supervisors: per queue and per agent (a supervisor's own queues and
//! their members only; see `reports::supervised`).

use super::{Ctx, Result};
use crate::auth::{Principal, Scope};
use crate::store::agents;
use crate::store::config::{self as cfg, DocTable};
use crate::store::engagements as eng;
use serde::{Deserialize, Serialize};
use shared::config::{AgentStatus, Queue};
use shared::ids::{AgentId, QueueId};
use shared::{Channel, EngagementState};
use std::collections::BTreeMap;

/// The window service level is computed over.
const WINDOW_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueStats {
    pub queue_id: QueueId,
    pub name: String,
    pub channel: Channel,
    /// Waiting for an agent.
    pub waiting: u64,
    /// Ringing.
    pub offered: u64,
    /// Connected, inactive or in wrap-up.
    pub active: u64,
    /// How long the oldest waiting engagement has waited, in seconds.
    pub longest_wait_secs: u64,
    /// Of the engagements that entered this queue in the last 24 hours and were answered or
    /// abandoned/cancelled, the percentage answered within the threshold; `null` with none.
    pub service_level_percent: Option<f64>,
    pub service_level_target_percent: u8,
    pub service_level_threshold_secs: u32,
    pub answered_24h: u64,
    pub abandoned_24h: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentStats {
    pub agent_id: AgentId,
    pub display_name: String,
    pub status: AgentStatus,
    /// Engagements held per channel (connected, inactive, wrap-up).
    pub holding: BTreeMap<Channel, u64>,
    pub ringing: u64,
}

pub async fn queues(ctx: &Ctx, p: &Principal) -> Result<Vec<QueueStats>> {
    p.supervisor_or(Scope::EngagementsRead)?;
    let scope = super::reports::supervised(ctx, p).await?;
    let now = ctx.clock.now_ms();
    let mut conn = ctx.store.snapshot().await?;
    let mut queues: Vec<Queue> = cfg::list_docs(&mut conn, DocTable::Queues, p.account()).await?;
    queues.retain(|q| scope.allows(q.queue_id));
    let live = eng::in_states(
        &mut conn,
        p.account(),
        &[
            EngagementState::Queued,
            EngagementState::Offered,
            EngagementState::Connected,
            EngagementState::Inactive,
            EngagementState::WrapUp,
        ],
    )
    .await?;
    let recent = eng::created_since(&mut conn, p.account(), now - WINDOW_MS).await?;
    Ok(queues
        .into_iter()
        .map(|q| {
            let qid = q.queue_id;
            let count = |states: &[EngagementState]| {
                live.iter()
                    .filter(|e| e.queue_id == Some(qid) && states.contains(&e.state))
                    .count() as u64
            };
            let waiting: Vec<_> = live
                .iter()
                .filter(|e| e.queue_id == Some(qid) && e.state == EngagementState::Queued)
                .collect();
            let threshold = i64::from(q.service_level.threshold_secs) * 1000;
            let (mut answered, mut within, mut abandoned) = (0u64, 0u64, 0u64);
            for e in recent.iter().filter(|e| e.queue_id == Some(q.queue_id)) {
                match (e.connected_at_ms, e.state) {
                    (Some(at), _) => {
                        answered += 1;
                        if at - e.created_at_ms <= threshold {
                            within += 1;
                        }
                    }
                    (None, EngagementState::Closed) => abandoned += 1,
                    _ => {}
                }
            }
            QueueStats {
                queue_id: q.queue_id,
                name: q.name.clone(),
                channel: q.channel,
                waiting: waiting.len() as u64,
                offered: count(&[EngagementState::Offered]),
                active: count(&[
                    EngagementState::Connected,
                    EngagementState::Inactive,
                    EngagementState::WrapUp,
                ]),
                longest_wait_secs: waiting
                    .iter()
                    .map(|e| ((now - e.created_at_ms).max(0) / 1000) as u64)
                    .max()
                    .unwrap_or(0),
                service_level_percent: (answered + abandoned > 0)
                    .then(|| 100.0 * within as f64 / (answered + abandoned) as f64),
                service_level_target_percent: q.service_level.target_percent,
                service_level_threshold_secs: q.service_level.threshold_secs,
                answered_24h: answered,
                abandoned_24h: abandoned,
            }
        })
        .collect())
}

pub async fn agents(ctx: &Ctx, p: &Principal) -> Result<Vec<AgentStats>> {
    p.supervisor_or(Scope::EngagementsRead)?;
    let scope = super::reports::supervised(ctx, p).await?;
    let mut conn = ctx.store.snapshot().await?;
    let mut list = agents::list(&mut conn, p.account()).await?;
    if let super::reports::QueueScope::Only(set) = &scope {
        list.retain(|a| a.agent.queues.iter().any(|m| set.contains(&m.queue_id)));
    }
    let assigned = eng::in_states(
        &mut conn,
        p.account(),
        &[
            EngagementState::Connected,
            EngagementState::Inactive,
            EngagementState::WrapUp,
        ],
    )
    .await?;
    let offers = eng::all_offers(&mut conn, p.account()).await?;
    Ok(list
        .into_iter()
        .map(|a| {
            let id = a.agent.agent_id;
            let mut holding = BTreeMap::new();
            for e in assigned.iter().filter(|e| e.agent_id == Some(id)) {
                *holding.entry(e.channel).or_insert(0) += 1;
            }
            AgentStats {
                agent_id: id,
                display_name: a.agent.display_name,
                status: a.agent.status,
                holding,
                ringing: offers.iter().filter(|o| o.agent == id).count() as u64,
            }
        })
        .collect())
}
