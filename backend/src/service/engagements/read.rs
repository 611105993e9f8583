//! Reading engagements: one, its notes, the agent's own, a list.

use super::not_found;
use crate::auth::{Denied, Principal, Scope};
use crate::service::{Ctx, Result, ServiceError};
use crate::store::engagements::{self as eng, EngagementRecord, NoteRecord};
use shared::config::Role;
use shared::engagement::{Engagement, MessageReceipt, MessageRecord};
use shared::ids::{AgentId, EngagementId, MessageId};
use shared::EngagementState;

/// Who may see an engagement: supervisors/admins, clients with `engagements:read`, and the
/// agents it is offered or assigned to.
async fn visible(
    tx_or_conn: &mut sqlx::AnyConnection,
    p: &Principal,
    rec: &EngagementRecord,
) -> Result<Vec<AgentId>> {
    let offered = eng::agent_ids(&eng::offers_for(tx_or_conn, rec.id).await?);
    match p {
        Principal::Agent {
            role: Role::Agent,
            agent,
            ..
        } => {
            if rec.agent_id != Some(*agent) && !offered.contains(agent) {
                return Err(Denied::NotYours.into());
            }
        }
        Principal::Agent { .. } => {}
        Principal::Client { .. } => p
            .client_with(Scope::EngagementsRead)
            .or_else(|_| p.client_with(Scope::EngagementsWrite))?,
    }
    Ok(offered)
}

pub async fn get(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Engagement> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let offered = visible(&mut conn, p, &rec).await?;
    Ok(rec.to_api(&offered)?)
}

pub async fn notes(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Vec<NoteRecord>> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    visible(&mut conn, p, &rec).await?;
    Ok(eng::notes(&mut conn, id).await?)
}

/// A chat or SMS conversation, oldest first (whoever may read the engagement).
pub async fn messages(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Vec<MessageRecord>> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    visible(&mut conn, p, &rec).await?;
    Ok(crate::store::messages::for_engagement(&mut conn, id).await?)
}

/// One message of the engagement (whoever may read the engagement); 404 for another
/// engagement's message.
pub async fn message_by_id(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    message: MessageId,
) -> Result<MessageRecord> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    visible(&mut conn, p, &rec).await?;
    crate::store::messages::get(&mut conn, id, message)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no message {message} in this engagement")))
}

/// One message of the engagement that carries a file (whoever may read the engagement);
/// 404 for another engagement's message or one without a file.
pub async fn attached(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    message: MessageId,
) -> Result<MessageRecord> {
    let found = message_by_id(ctx, p, id, message).await?;
    if found.attachment.is_none() {
        return Err(ServiceError::NotFound(format!(
            "no file with message {message} in this engagement"
        )));
    }
    Ok(found)
}

/// How far each side has received and read the other side's messages (at most one receipt
/// per reader and status).
pub async fn receipts(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<Vec<MessageReceipt>> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| not_found(id))?;
    visible(&mut conn, p, &rec).await?;
    Ok(crate::store::messages::receipts(&mut conn, id).await?)
}

/// The engagements an agent holds or is being offered (the widget's resync).
pub async fn mine(ctx: &Ctx, p: &Principal) -> Result<Vec<Engagement>> {
    let (agent, _) = p.agent()?;
    let mut conn = ctx.store.snapshot().await?;
    let list = eng::for_agent(&mut conn, p.account(), agent).await?;
    let mut out = Vec::with_capacity(list.len());
    for rec in list {
        let offered = eng::agent_ids(&eng::offers_for(&mut conn, rec.id).await?);
        out.push(rec.to_api(&offered)?);
    }
    Ok(out)
}

pub async fn list(
    ctx: &Ctx,
    p: &Principal,
    state: Option<EngagementState>,
    limit: i64,
) -> Result<Vec<Engagement>> {
    if let Principal::Client { .. } = p {
        p.client_with(Scope::EngagementsRead)?;
    } else {
        p.supervisor_or(Scope::EngagementsRead)?;
    }
    let mut conn = ctx.store.snapshot().await?;
    let list = eng::list(&mut conn, p.account(), state, limit.clamp(1, 500)).await?;
    let mut out = Vec::with_capacity(list.len());
    for rec in list {
        let offered = eng::agent_ids(&eng::offers_for(&mut conn, rec.id).await?);
        out.push(rec.to_api(&offered)?);
    }
    Ok(out)
}
