//! Wallboards (admin): read-only views of some queues for a screen on the wall. Creating one
//! mints its token — a signed `wallboard` token naming the wallboard and a token id kept with
//! it — shown once. The token is good for [`view`] only (`sessions::authenticate` refuses it
//! everywhere else); deleting the wallboard revokes it, as its row is checked on every read.
//! A view holds the named queues' numbers now and their last hours, and the signed-in members
//! of those queues by display name and presence: nothing about customers.

use super::audit::Change;
use super::{conflict, invalid, validate, Ctx, Result, ServiceError};
use crate::auth::token::{Claims, TokenKind};
use crate::auth::{Principal, Scope};
use crate::reports::projection::ms_time;
use crate::store::config::{self as cfg, DocTable};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use shared::config::AgentStatus;
use shared::ids::WallboardId;
use shared::live::LiveStats;
use shared::wallboard::{
    MintedWallboard, NewWallboard, Presence, Wallboard, WallboardAgent, WallboardQueue,
    WallboardView, MAX_QUEUES,
};
use std::collections::BTreeSet;

/// A wallboard token's lifetime: a screen on a wall is not signed in again; deleting the
/// wallboard is how it ends sooner.
const TOKEN_SECS: i64 = 5 * 365 * 24 * 3600;

/// The row: the wallboard and the id its token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    wallboard: Wallboard,
    token_id: String,
}

/// `POST /v1/wallboards`.
pub async fn create(ctx: &Ctx, p: &Principal, new: NewWallboard) -> Result<MintedWallboard> {
    p.admin_or(Scope::ConfigWrite)?;
    let name = new.name.trim().to_string();
    validate::required("name", &name, 100)?;
    if new.queue_ids.is_empty() {
        return Err(invalid("queue_ids", "name at least one queue"));
    }
    validate::at_most("queue_ids", &new.queue_ids, MAX_QUEUES)?;
    // A queue listed twice is shown once (like a queue's app_ids).
    let mut seen = BTreeSet::new();
    let mut new = new;
    new.queue_ids.retain(|q| seen.insert(*q));
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let queues = super::config::queue_map(tx.conn().await?, p.account()).await?;
    validate::all_exist("queue_ids", "queue", &new.queue_ids, |q| {
        queues.contains_key(q)
    })?;
    let wallboard = Wallboard {
        wallboard_id: WallboardId(uuid::Uuid::now_v7()),
        name,
        queue_ids: new.queue_ids,
        created_at: ms_time(ctx.clock.now_ms()),
    };
    let stored = Stored {
        wallboard: wallboard.clone(),
        token_id: uuid::Uuid::new_v4().simple().to_string(),
    };
    let id = wallboard.wallboard_id;
    cfg::put_doc(
        tx.conn().await?,
        DocTable::Wallboards,
        p.account(),
        &id.to_string(),
        &wallboard.name,
        &stored,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict { .. } => conflict(format!(
            "a wallboard named {:?} already exists",
            wallboard.name
        )),
        other => other.into(),
    })?;
    super::audit::record(&mut tx, p, Change::put("wallboard", id, None, &wallboard)).await?;
    tx.commit().await?;
    let token = ctx.signer.sign(&Claims {
        kind: TokenKind::Wallboard,
        sub: id.to_string(),
        acc: p.account().to_string(),
        role: None,
        scopes: vec![],
        exp: ctx.clock.now_ms() / 1000 + TOKEN_SECS,
        sid: Some(stored.token_id),
    });
    Ok(MintedWallboard {
        url: format!("/wallboard/{id}#token={token}"),
        token,
        wallboard,
    })
}

/// `GET /v1/wallboards`.
pub async fn list(ctx: &Ctx, p: &Principal) -> Result<Vec<Wallboard>> {
    p.admin_or(Scope::ConfigRead)?;
    let rows: Vec<Stored> = cfg::list_docs(
        &mut *ctx.store.read().await?,
        DocTable::Wallboards,
        p.account(),
    )
    .await?;
    Ok(rows.into_iter().map(|s| s.wallboard).collect())
}

/// `DELETE /v1/wallboards/{id}`: its token stops working at once.
pub async fn delete(ctx: &Ctx, p: &Principal, id: WallboardId) -> Result<()> {
    p.admin_or(Scope::ConfigWrite)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    let before: Stored = cfg::get_doc(
        tx.conn().await?,
        DocTable::Wallboards,
        p.account(),
        &id.to_string(),
    )
    .await?
    .ok_or_else(|| ServiceError::NotFound(format!("no wallboard {id}")))?;
    cfg::delete_doc(
        tx.conn().await?,
        DocTable::Wallboards,
        p.account(),
        &id.to_string(),
    )
    .await?;
    super::audit::record(
        &mut tx,
        p,
        Change::deleted("wallboard", id, Some(&before.wallboard)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The wallboard a token opens: it must be a wallboard token for `id` whose wallboard still
/// exists with the same token id.
async fn check(ctx: &Ctx, id: WallboardId, bearer: &str) -> Result<Wallboard> {
    let unauthenticated = |m: &str| ServiceError::Unauthenticated(m.to_string());
    let claims = ctx
        .signer
        .verify(bearer, ctx.clock.now_ms() / 1000)
        .map_err(|e| ServiceError::Unauthenticated(e.to_string()))?;
    if claims.kind != TokenKind::Wallboard {
        return Err(unauthenticated("this is not a wallboard token"));
    }
    if claims.sub != id.to_string() {
        return Err(unauthenticated("this token is for another wallboard"));
    }
    let account = claims
        .acc
        .parse()
        .map_err(|_| unauthenticated("the token is malformed"))?;
    let revoked = || unauthenticated("this wallboard was deleted; ask an admin for a new one");
    let stored: Stored = cfg::get_doc(
        &mut *ctx.store.read().await?,
        DocTable::Wallboards,
        account,
        &id.to_string(),
    )
    .await?
    .ok_or_else(revoked)?;
    if claims.sid.as_deref() != Some(stored.token_id.as_str()) {
        return Err(revoked());
    }
    Ok(stored.wallboard)
}

/// `GET /v1/wallboards/{id}/view` with the wallboard's token. `latest`: the live statistics
/// the hub last published, used when they are fresh (no second computation per screen).
pub async fn view(
    ctx: &Ctx,
    id: WallboardId,
    bearer: &str,
    latest: Option<std::sync::Arc<LiveStats>>,
) -> Result<WallboardView> {
    let wallboard = check(ctx, id, bearer).await?;
    let now = ctx.clock.now_ms();
    let fresh = latest.filter(|s| {
        let age = now - crate::reports::projection::millis(s.as_of);
        age <= crate::delivery::live_stats::HEARTBEAT.as_millis() as i64 + 1000
    });
    let stats = match fresh {
        Some(s) => s,
        None => std::sync::Arc::new(super::stats::board(ctx, ctx.account).await?),
    };
    Ok(compose(&wallboard, &stats))
}

/// The wallboard's part of the live statistics.
fn compose(wallboard: &Wallboard, stats: &LiveStats) -> WallboardView {
    let queues = wallboard
        .queue_ids
        .iter()
        .filter_map(|id| {
            let now = stats.queues.iter().find(|q| q.queue_id == *id)?;
            let trend = stats.trend.iter().find(|t| t.queue_id == *id)?;
            Some(WallboardQueue {
                now: now.clone(),
                trend: trend.clone(),
            })
        })
        .collect();
    let mut agents: Vec<WallboardAgent> = stats
        .agents
        .iter()
        .filter(|a| a.queue_ids.iter().any(|q| wallboard.queue_ids.contains(q)))
        .filter_map(|a| {
            let presence = match &a.status {
                AgentStatus::Offline => return None,
                _ if a.ringing > 0 || a.holding.values().any(|n| *n > 0) => Presence::Busy,
                AgentStatus::Ready => Presence::Ready,
                AgentStatus::NotReady { .. } => Presence::NotReady,
            };
            Some(WallboardAgent {
                display_name: a.display_name.clone(),
                presence,
            })
        })
        .collect();
    agents.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    WallboardView {
        wallboard_id: wallboard.wallboard_id,
        name: wallboard.name.clone(),
        as_of: stats.as_of,
        queues,
        agents,
    }
}
