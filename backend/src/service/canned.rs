//! Canned responses ([`shared::canned`]): admins (and clients with `config:write`) keep the
//! team's, every agent keeps their own. An agent lists the team's and their own; for an
//! engagement they may read, [`for_engagement`] gives those its queue offers, filled for it.

use super::audit::Change;
use super::{conflict, invalid, validate, Ctx, Result, ServiceError};
use crate::auth::{Denied, Principal, Scope};
use crate::store::canned as store;
use crate::store::{agents, StoreError};
use shared::canned::{
    fill, is_known, is_shortcut, placeholders, CannedResponse, CannedResponseInput, FilledResponse,
    Ownership,
};
use shared::config::Role;
use shared::ids::{AgentId, CannedResponseId, EngagementId, QueueId};
use std::collections::BTreeSet;

/// Check an input: title, shortcut, body and its placeholders, and queues that exist (a
/// queue listed twice is kept once).
async fn check(
    ctx: &Ctx,
    p: &Principal,
    mut input: CannedResponseInput,
) -> Result<CannedResponseInput> {
    input.title = input.title.trim().to_string();
    validate::required("title", &input.title, 100)?;
    if !is_shortcut(&input.shortcut) {
        return Err(invalid(
            "shortcut",
            "shortcut must be 1 to 32 of a-z, 0-9, '-' and '_' (typed after /)",
        ));
    }
    validate::required("body", &input.body, 4000)?;
    if let Some(unknown) = placeholders(&input.body).iter().find(|p| !is_known(p.key)) {
        return Err(invalid(
            "body",
            format!(
                "{{{{{}}}}} is not a placeholder: use {{{{consumer.name}}}}, {{{{consumer.email}}}}, {{{{consumer.phone}}}}, {{{{agent.display_name}}}}, {{{{work_item.name}}}}, {{{{work_item.id}}}} or {{{{variables.<name>}}}}",
                unknown.key
            ),
        ));
    }
    validate::at_most("queue_ids", &input.queue_ids, 100)?;
    let mut seen = BTreeSet::new();
    input.queue_ids.retain(|q| seen.insert(*q));
    let queues = super::config::queue_map(&mut *ctx.store.read().await?, p.account()).await?;
    validate::all_exist("queue_ids", "queue", &input.queue_ids, |q| {
        queues.contains_key(q)
    })?;
    Ok(input)
}

/// The response `id` as a checked input describes it.
fn response(
    id: CannedResponseId,
    ownership: Ownership,
    owner_id: Option<AgentId>,
    input: CannedResponseInput,
) -> CannedResponse {
    CannedResponse {
        canned_response_id: id,
        ownership,
        owner_id,
        title: input.title,
        shortcut: input.shortcut,
        body: input.body,
        queue_ids: input.queue_ids,
    }
}

/// May `p` change `r`? The team's: admins and `config:write`; an agent's own: that agent.
fn may_change(p: &Principal, r: &CannedResponse) -> Result<()> {
    match r.ownership {
        Ownership::Shared => Ok(p.admin_or(Scope::ConfigWrite)?),
        Ownership::Personal if r.owner_id.is_some() && r.owner_id == p.agent_id() => Ok(()),
        Ownership::Personal => Err(ServiceError::NotFound(format!(
            "no canned response {}",
            r.canned_response_id
        ))),
    }
}

async fn save(
    ctx: &Ctx,
    p: &Principal,
    r: &CannedResponse,
    before: Option<&CannedResponse>,
) -> Result<()> {
    let mut tx = ctx.store.begin_for(p.account()).await?;
    store::put(tx.conn().await?, p.account(), r)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => conflict(match r.ownership {
                Ownership::Shared => {
                    format!("a shared canned response /{} already exists", r.shortcut)
                }
                Ownership::Personal => {
                    format!("you already have a canned response /{}", r.shortcut)
                }
            }),
            other => other.into(),
        })?;
    super::audit::record(
        &mut tx,
        p,
        Change::put("canned_response", r.canned_response_id, before, r),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /v1/canned-responses`.
pub async fn create(
    ctx: &Ctx,
    p: &Principal,
    input: CannedResponseInput,
) -> Result<CannedResponse> {
    let admin = matches!(
        p,
        Principal::Agent {
            role: Role::Admin,
            ..
        }
    );
    let ownership = input.ownership.unwrap_or(match p {
        Principal::Client { .. } => Ownership::Shared,
        _ if admin => Ownership::Shared,
        _ => Ownership::Personal,
    });
    let owner_id = match ownership {
        Ownership::Shared => {
            p.admin_or(Scope::ConfigWrite)?;
            None
        }
        Ownership::Personal => Some(p.agent()?.0),
    };
    let input = check(ctx, p, input).await?;
    let id = CannedResponseId(uuid::Uuid::now_v7());
    let r = response(id, ownership, owner_id, input);
    save(ctx, p, &r, None).await?;
    Ok(r)
}

async fn existing(ctx: &Ctx, p: &Principal, id: CannedResponseId) -> Result<CannedResponse> {
    let r = store::get(&mut *ctx.store.read().await?, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no canned response {id}")))?;
    may_change(p, &r)?;
    Ok(r)
}

/// `PUT /v1/canned-responses/{id}`. A new `ownership` moves it: an agent's own to the
/// team's (admins only), or the team's to the caller's own (by whoever may change the team's).
pub async fn update(
    ctx: &Ctx,
    p: &Principal,
    id: CannedResponseId,
    input: CannedResponseInput,
) -> Result<CannedResponse> {
    let before = existing(ctx, p, id).await?;
    let (ownership, owner_id) = match input.ownership {
        Some(Ownership::Shared) if before.ownership != Ownership::Shared => {
            p.admin_or(Scope::ConfigWrite)?;
            (Ownership::Shared, None)
        }
        Some(Ownership::Personal) if before.ownership != Ownership::Personal => {
            (Ownership::Personal, Some(p.agent()?.0))
        }
        _ => (before.ownership, before.owner_id),
    };
    let input = check(ctx, p, input).await?;
    let r = response(id, ownership, owner_id, input);
    save(ctx, p, &r, Some(&before)).await?;
    Ok(r)
}

/// `DELETE /v1/canned-responses/{id}`.
pub async fn delete(ctx: &Ctx, p: &Principal, id: CannedResponseId) -> Result<()> {
    let before = existing(ctx, p, id).await?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    store::delete(tx.conn().await?, p.account(), id).await?;
    super::audit::record(
        &mut tx,
        p,
        Change::deleted("canned_response", id, Some(&before)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /v1/canned-responses?queue_id=`: the team's and the caller's own (clients: the
/// team's, with `config:read`), those a queue offers when one is named.
pub async fn list(ctx: &Ctx, p: &Principal, queue: Option<QueueId>) -> Result<Vec<CannedResponse>> {
    if p.agent_id().is_none() {
        p.admin_or(Scope::ConfigRead).map_err(ServiceError::from)?;
    }
    let all = store::visible(&mut *ctx.store.read().await?, p.account(), p.agent_id()).await?;
    Ok(all
        .into_iter()
        .filter(|r| queue.is_none_or(|q| r.queue_ids.is_empty() || r.queue_ids.contains(&q)))
        .collect())
}

/// `GET /v1/engagements/{id}/canned-responses`: what the engagement's queue offers the
/// calling agent (their own first when a shortcut is both theirs and the team's), filled for
/// it.
pub async fn for_engagement(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
) -> Result<Vec<FilledResponse>> {
    let (agent, _) = p.agent().map_err(|_| Denied::AgentsOnly)?;
    let engagement = super::engagements::get(ctx, p, id).await?;
    let me = agents::get(&mut *ctx.store.read().await?, p.account(), agent)
        .await?
        .map(|a| a.agent.display_name);
    let offered = list(ctx, p, engagement.queue_id).await?;
    let mut shortcuts = BTreeSet::new();
    let consumer = engagement.consumer.clone().unwrap_or_default();
    let value = |key: &str| -> Option<String> {
        match key {
            "consumer.name" => consumer.display_name.clone(),
            "consumer.email" => consumer.email.clone(),
            "consumer.phone" => consumer.phone.clone(),
            "agent.display_name" => me.clone(),
            "work_item.name" => engagement.work_item.as_ref().map(|w| w.name.clone()),
            "work_item.id" => engagement.work_item.as_ref().and_then(|w| w.id.clone()),
            _ => key
                .strip_prefix("variables.")
                .and_then(|name| engagement.variables.get(name).cloned()),
        }
    };
    Ok(offered
        .into_iter()
        .filter(|r| shortcuts.insert(r.shortcut.clone()))
        .map(|r| {
            let (text, missing) = fill(&r.body, value);
            FilledResponse {
                canned_response_id: r.canned_response_id,
                ownership: r.ownership,
                title: r.title,
                shortcut: r.shortcut,
                text,
                missing,
            }
        })
        .collect())
}
