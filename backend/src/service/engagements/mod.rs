//! Engagements: starts (external systems and connectors), click-to-dial, agent and supervisor
//! commands, reads. One file per operation; every change goes through [`transition`] (the
//! state machine in `shared`, written once), saves, and appends its events in the same
//! transaction.
//!
//! Starts and commands run in the batches of `service::writer` (group commit): each operation
//! gets the batch's transaction, and its caller is answered once that batch committed.

mod commands;
mod dial;
mod placement;
mod read;
pub(crate) mod start;

pub use commands::{act, leave, message, receipt, Action, TransferTarget, MESSAGE_MAX_CHARS};
pub use dial::dial;
pub use read::{attached, get, list, message_by_id, messages, mine, notes, receipts};
pub use start::{start, Started};

use super::events::emit;
use super::routing_view::RoutingView;
use super::{Result, ServiceError};
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::Tx;
use shared::ids::{AccountId, AgentId, EngagementId};
use shared::payload::Detail;
use shared::{transition, Command};

fn not_found(id: EngagementId) -> ServiceError {
    ServiceError::NotFound(format!("no engagement {id}"))
}

/// The engagement as the batch sees it: the routing view's copy (committed, caught up when
/// the batch began) unless this transaction has changed it since, else the database's.
async fn load(
    tx: &mut Tx,
    view: &RoutingView,
    account: AccountId,
    id: EngagementId,
) -> Result<EngagementRecord> {
    if !tx.touched_engagement(id) {
        if let Some(rec) = view.engagement(id).filter(|r| r.account == account) {
            return Ok(rec.clone());
        }
    }
    eng::get(tx.conn().await?, account, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Who an engagement's event goes to and what it carries beside the engagement.
pub(crate) struct Emit<'a> {
    /// Agents it is still ringing for (shown in the engagement's `offered_to`).
    pub offered_to: &'a [AgentId],
    /// The agent the event concerns (their feed receives it).
    pub agent: Option<AgentId>,
    /// What the event adds to the engagement.
    pub detail: Detail,
}

/// Tell each of `agents` that `rec` no longer rings for them (`reason` says why).
async fn rescind(
    tx: &mut Tx,
    rec: &EngagementRecord,
    agents: impl IntoIterator<Item = AgentId>,
    reason: &str,
) -> Result<()> {
    for agent in agents {
        emit(
            tx,
            rec,
            &[],
            shared::events::EventKind::EngagementOfferRescinded,
            Some(agent),
            Detail::Reason {
                reason: reason.to_string(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The one step every command ends with: apply `command`'s transition to `rec`, save it, and
/// append one event per kind the state machine names.
async fn apply(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    command: Command,
    emit_to: Emit<'_>,
) -> Result<()> {
    apply_each(tx, rec, command, [emit_to]).await
}

/// [`apply`] for a change that concerns several agents at once (an offer rings each, a ring
/// timeout ends each one's offer): the transition once, its event once per agent. The
/// routing pass (`service::dispatch`) changes engagements through this too.
pub(crate) async fn apply_each<'a>(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    command: Command,
    emit_to: impl IntoIterator<Item = Emit<'a>>,
) -> Result<()> {
    advance_each(tx, rec, command, emit_to).await?;
    tx.save_engagement(rec);
    Ok(())
}

/// [`apply`] without the save, for a command that passes through a state on its way (close
/// from connected goes through wrap-up) and saves once at the end.
async fn advance(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    command: Command,
    emit_to: Emit<'_>,
) -> Result<()> {
    advance_each(tx, rec, command, [emit_to]).await
}

async fn advance_each<'a>(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    command: Command,
    emit_to: impl IntoIterator<Item = Emit<'a>>,
) -> Result<()> {
    let t = transition(rec.state, command)?;
    rec.state = t.to;
    if rec.state == shared::EngagementState::Queued {
        rec.offered_at_ms = None;
    }
    for to in emit_to {
        emit(tx, rec, to.offered_to, t.event, to.agent, to.detail).await?;
    }
    Ok(())
}
