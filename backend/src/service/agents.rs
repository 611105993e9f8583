//! The agent's side: status, queue opt-in/out, and what follows from missed offers.

use super::engagements::{apply_each, Emit};
use super::events::emit;
use super::{validate, Ctx, Result, ServiceError};
use crate::auth::{Principal, Scope};
use crate::store::engagements as eng;
use crate::store::{agents, NewEvent, Tx};
use shared::api::Colleague;
use shared::config::{Agent, AgentStatus, QueueMembership};
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId, QueueId};
use shared::payload::{Detail, Payload};
use shared::Command;

async fn status_event(
    tx: &mut Tx,
    account: AccountId,
    agent: AgentId,
    status: &AgentStatus,
    cause: &str,
) -> Result<()> {
    tx.append(NewEvent {
        account_id: account,
        kind: EventKind::AgentStatusChanged,
        engagement_id: None,
        agent_id: Some(agent),
        data: Payload::AgentStatus {
            agent_id: agent,
            status: status.clone(),
            cause: cause.to_string(),
        },
    })
    .await?;
    Ok(())
}

/// Put every engagement ringing for `agent` back in its queue (the agent left ready).
async fn withdraw_offers(tx: &mut Tx, account: AccountId, agent: AgentId) -> Result<bool> {
    let mut any = false;
    for mut rec in eng::for_agent(tx.conn().await?, account, agent).await? {
        let offers = eng::agent_ids(&eng::offers_for(tx.conn().await?, rec.id).await?);
        if !offers.contains(&agent) {
            continue;
        }
        any = true;
        tx.delete_offer(rec.id, agent);
        let rest: Vec<AgentId> = offers.into_iter().filter(|a| *a != agent).collect();
        let to = Emit {
            offered_to: &rest,
            agent: Some(agent),
            detail: Detail::Reason {
                reason: "agent_unavailable".into(),
            },
        };
        if rest.is_empty() {
            // Rung for nobody else: back to the queue, through the commands' skeleton.
            apply_each(tx, &mut rec, Command::Withdraw, [to]).await?;
        } else {
            // Still ringing for others: only this agent's offer ends.
            emit(
                tx,
                &rec,
                to.offered_to,
                EventKind::EngagementOfferRescinded,
                to.agent,
                to.detail,
            )
            .await?;
        }
    }
    Ok(any)
}

/// Missed offers in a row after which an agent is set not ready.
pub const MAX_MISSES: i64 = 3;

/// Count a missed offer; after [`MAX_MISSES`] in a row the agent goes not ready.
pub(crate) async fn note_miss(tx: &mut Tx, account: AccountId, agent: AgentId) -> Result<()> {
    let misses = agents::record_miss(tx.conn().await?, agent).await?;
    if misses >= MAX_MISSES {
        let status = AgentStatus::NotReady {
            reason: format!("Missed {misses} offers in a row"),
        };
        agents::set_status(tx.conn().await?, agent, &status, None).await?;
        withdraw_offers(tx, account, agent).await?;
        status_event(tx, account, agent, &status, "missed_offers").await?;
    }
    Ok(())
}

pub async fn me(ctx: &Ctx, p: &Principal) -> Result<Agent> {
    let (agent, _) = p.agent()?;
    agents::get(&mut *ctx.store.read().await?, p.account(), agent)
        .await?
        .map(|r| r.agent)
        .ok_or_else(|| ServiceError::NotFound("your agent record no longer exists".into()))
}

/// The account's agents other than the caller, by name (the store's order): whom an agent can
/// transfer to.
/// Every agent may read it (it holds names and statuses only); an API client needs
/// `config:read`.
pub async fn directory(ctx: &Ctx, p: &Principal) -> Result<Vec<Colleague>> {
    let me = match p.agent() {
        Ok((agent, _)) => Some(agent),
        Err(_) => {
            p.client_with(Scope::ConfigRead)?;
            None
        }
    };
    Ok(agents::list(&mut *ctx.store.read().await?, p.account())
        .await?
        .into_iter()
        .filter(|r| Some(r.agent.agent_id) != me)
        .map(|r| Colleague {
            agent_id: r.agent.agent_id,
            display_name: r.agent.display_name,
            status: r.agent.status,
        })
        .collect())
}

/// `GET /v1/not-ready-reasons`: the reasons the widget offers for not being ready, each with
/// the id Smart Embed hosts use. Every agent may read them; an API client needs `config:read`.
pub fn not_ready_reasons(ctx: &Ctx, p: &Principal) -> Result<Vec<shared::config::NotReadyReason>> {
    if p.agent().is_err() {
        p.client_with(Scope::ConfigRead)?;
    }
    Ok(ctx.not_ready_reasons.as_ref().clone())
}

/// The name of the not-ready reason whose code is `given` (`None`: no reason has that code,
/// and the text is kept as given).
fn reason_by_code(ctx: &Ctx, given: &str) -> Option<String> {
    ctx.not_ready_reasons
        .iter()
        .find(|r| r.code == given)
        .map(|r| r.name.clone())
}

/// The agent sets their own status.
///
/// A not-ready `reason` may be given by its code (`--not-ready-reasons`, e.g. `"21"`, as Smart
/// Embed hosts set it): it is stored under the reason's name. Other text (a code no reason has
/// too) is kept as given: any visible text is a valid reason.
pub async fn set_status(ctx: &Ctx, p: &Principal, status: AgentStatus) -> Result<Agent> {
    let (agent, _) = p.agent()?;
    let status = match status {
        AgentStatus::NotReady { reason } => {
            validate::required("reason", &reason, 100)?;
            AgentStatus::NotReady {
                reason: reason_by_code(ctx, reason.trim()).unwrap_or(reason),
            }
        }
        other => other,
    };
    let account = p.account();
    let now = ctx.clock.now_ms();
    let mut tx = ctx.store.begin_for(account).await?;
    let before = agents::get(tx.conn().await?, account, agent)
        .await?
        .ok_or_else(|| ServiceError::NotFound("your agent record no longer exists".into()))?;
    if before.agent.status == status {
        return Ok(before.agent);
    }
    let becoming_ready = status.is_ready();
    agents::set_status(
        tx.conn().await?,
        agent,
        &status,
        becoming_ready.then_some(now),
    )
    .await?;
    if !becoming_ready {
        withdraw_offers(&mut tx, account, agent).await?;
    }
    status_event(&mut tx, account, agent, &status, "agent").await?;
    tx.commit().await?;
    ctx.dispatch.poke();
    me(ctx, p).await
}

/// The agent opts into or out of one of their queues.
pub async fn set_queue_opt_in(
    ctx: &Ctx,
    p: &Principal,
    queue: QueueId,
    opted_in: bool,
) -> Result<Agent> {
    let (agent, _) = p.agent()?;
    let account = p.account();
    let mut tx = ctx.store.begin_for(account).await?;
    let mut record = agents::get(tx.conn().await?, account, agent)
        .await?
        .ok_or_else(|| ServiceError::NotFound("your agent record no longer exists".into()))?;
    let before = record.agent.clone();
    let Some(m) = record.agent.queues.iter_mut().find(|m| m.queue_id == queue) else {
        return Err(super::refused(
            "queue_id",
            format!("you are not a member of queue {queue}"),
        ));
    };
    m.opted_in = opted_in;
    let queues: Vec<QueueMembership> = record.agent.queues.clone();
    agents::set_queues(tx.conn().await?, agent, &queues).await?;
    // In the audit trail like an admin's edit of the memberships; routing reads it from there.
    super::audit::record(
        &mut tx,
        p,
        super::audit::Change::put("agent", agent, Some(&before), &record.agent),
    )
    .await?;
    tx.commit().await?;
    ctx.dispatch.poke();
    me(ctx, p).await
}
