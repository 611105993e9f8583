//! Sessions: every agent and API-client token names one (`sid`), so a token can be ended
//! before it expires — by signing out, by an admin revoking an agent's sessions, or by
//! deleting an API client or rotating its secret.
//!
//! Checking a token stays cheap: the signature is checked in memory, and the session (with
//! the agent's role) is read from the database at most once per [`SessionCache`] period per
//! session and instance. The instance that ends a session forgets it at once; every other
//! instance notices within that period (`--session-check-secs`, default 5 s), which is the
//! worst-case revocation delay documented in `docs/api.md`. Agent WebSockets are closed at once
//! on every instance: ending an agent's session appends `agent.logged_out` to the log, which
//! each instance's feed reads.

use super::{Ctx, Result, ServiceError};
use crate::auth::token::{Claims, TokenKind};
use crate::auth::{Principal, Scope};
use crate::store::auth::{self as store, Session, SessionKind};
use crate::store::config as cfg;
use crate::store::{agents, NewEvent, Tx};
use shared::config::Role;
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId};
use std::collections::HashMap;
use std::sync::Mutex;

/// What a session check found, remembered for a short while.
#[derive(Debug, Clone)]
struct Checked {
    at_ms: i64,
    subject: String,
    /// The agent's role (agents), or why the session no longer works.
    outcome: std::result::Result<Option<Role>, String>,
}

/// Recent session checks of this instance.
pub struct SessionCache {
    period_ms: i64,
    entries: Mutex<HashMap<String, Checked>>,
}

/// Entries kept before stale ones are swept.
const CACHE_SWEEP_AT: usize = 20_000;

impl SessionCache {
    pub fn new(period_ms: i64) -> SessionCache {
        SessionCache {
            period_ms,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Checked>> {
        // A panic while holding this lock leaves only a cache behind: keep using it.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, sid: &str, now_ms: i64) -> Option<Checked> {
        self.lock()
            .get(sid)
            .filter(|c| now_ms - c.at_ms < self.period_ms)
            .cloned()
    }

    fn remember(&self, sid: &str, checked: Checked) {
        let mut entries = self.lock();
        if entries.len() >= CACHE_SWEEP_AT {
            let cutoff = checked.at_ms - self.period_ms;
            entries.retain(|_, c| c.at_ms > cutoff);
        }
        entries.insert(sid.to_string(), checked);
    }

    fn forget(&self, sid: &str) {
        self.lock().remove(sid);
    }

    fn forget_subject(&self, subject: &str) {
        self.lock().retain(|_, c| c.subject != subject);
    }
}

const ENDED: &str = "this session has ended (signed out or revoked); sign in again";

/// Open a session for a new token; returns its id.
pub(crate) async fn open(
    tx: &mut Tx,
    account: AccountId,
    kind: SessionKind,
    subject: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<String> {
    let session_id = uuid::Uuid::now_v7().simple().to_string();
    store::insert_session(
        tx.conn().await?,
        &Session {
            session_id: session_id.clone(),
            account,
            kind,
            subject: subject.to_string(),
            expires_at_ms,
            revoked_at_ms: None,
        },
        now_ms,
    )
    .await?;
    Ok(session_id)
}

/// Check a verified token's session; `Ok(Some(role))` for a live agent session.
async fn check(ctx: &Ctx, claims: &Claims, sid: &str, now_ms: i64) -> Result<Option<Role>> {
    if let Some(c) = ctx.sessions.fresh(sid, now_ms) {
        return c.outcome.map_err(ServiceError::Unauthenticated);
    }
    let mut conn = ctx.store.read().await?;
    let session = store::session(&mut conn, sid).await?;
    let outcome = match session {
        None => Err(ENDED.to_string()),
        Some(s) if s.revoked_at_ms.is_some() || s.subject != claims.sub => Err(ENDED.to_string()),
        Some(s) if s.expires_at_ms <= now_ms => Err("the token has expired".to_string()),
        Some(s) => match s.kind {
            SessionKind::Agent => {
                let agent: Option<AgentId> = claims.sub.parse().ok();
                match agent {
                    Some(a) => match agents::get(&mut conn, s.account, a).await? {
                        Some(r) => Ok(Some(r.agent.role)),
                        None => Err("this agent no longer exists".to_string()),
                    },
                    None => Err("the token is malformed".to_string()),
                }
            }
            SessionKind::Client => match cfg::get_client(&mut conn, &claims.sub).await? {
                Some(_) => Ok(None),
                None => Err("this API client no longer exists".to_string()),
            },
        },
    };
    ctx.sessions.remember(
        sid,
        Checked {
            at_ms: now_ms,
            subject: claims.sub.clone(),
            outcome: outcome.clone(),
        },
    );
    outcome.map_err(ServiceError::Unauthenticated)
}

/// Verify a bearer token and its session.
pub async fn authenticate(ctx: &Ctx, bearer: &str) -> Result<Principal> {
    let now_ms = ctx.clock.now_ms();
    let claims = ctx
        .signer
        .verify(bearer, now_ms / 1000)
        .map_err(|e| ServiceError::Unauthenticated(e.to_string()))?;
    let account: AccountId = claims
        .acc
        .parse()
        .map_err(|_| ServiceError::Unauthenticated("the token is malformed".into()))?;
    if claims.kind == TokenKind::Chat {
        return Err(ServiceError::Unauthenticated(
            "a chat session token is good for /v1/chat/session only".into(),
        ));
    }
    if claims.kind == TokenKind::Wallboard {
        return Err(ServiceError::Unauthenticated(
            "a wallboard token is good for GET /v1/wallboards/{id}/view only".into(),
        ));
    }
    if claims.kind == TokenKind::Embed {
        return Err(ServiceError::Unauthenticated(
            "an embed token must be exchanged at POST /v1/auth/embed first".into(),
        ));
    }
    let sid = claims.sid.as_deref().ok_or_else(|| {
        ServiceError::Unauthenticated(
            "this token is from an older server version; sign in again".into(),
        )
    })?;
    let role = check(ctx, &claims, sid, now_ms).await?;
    match claims.kind {
        TokenKind::Client => Ok(Principal::Client {
            account,
            client_id: claims.sub,
            scopes: claims.scopes,
        }),
        _ => {
            let agent = claims
                .sub
                .parse()
                .map_err(|_| ServiceError::Unauthenticated("the token is malformed".into()))?;
            Ok(Principal::Agent {
                account,
                agent,
                role: role.unwrap_or(Role::Agent),
            })
        }
    }
}

/// The session a (valid) token belongs to.
pub fn session_id(ctx: &Ctx, bearer: &str) -> Option<String> {
    ctx.signer
        .verify(bearer, ctx.clock.now_ms() / 1000)
        .ok()
        .and_then(|c| c.sid)
}

/// Record that an agent's session(s) ended, so open WebSockets close on every instance.
async fn logged_out_event(
    tx: &mut Tx,
    account: AccountId,
    agent: AgentId,
    session_id: Option<&str>,
    reason: &str,
) -> Result<()> {
    tx.append(NewEvent {
        account_id: account,
        kind: EventKind::AgentLoggedOut,
        engagement_id: None,
        agent_id: Some(agent),
        data: shared::Payload::Session {
            agent_id: agent,
            session_id: session_id.map(str::to_string),
            reason: Some(reason.to_string()),
        },
    })
    .await?;
    Ok(())
}

/// `POST /v1/auth/logout`: end the session of this token. Ending an ended session is fine.
pub async fn logout(ctx: &Ctx, bearer: &str) -> Result<()> {
    let principal = authenticate(ctx, bearer).await?;
    let sid = session_id(ctx, bearer).unwrap_or_default();
    let mut tx = ctx.store.begin_for(principal.account()).await?;
    let ended = store::revoke_session(tx.conn().await?, &sid, ctx.clock.now_ms()).await?;
    if let (true, Some(agent)) = (ended, principal.agent_id()) {
        logged_out_event(
            &mut tx,
            principal.account(),
            agent,
            Some(&sid),
            "signed_out",
        )
        .await?;
    }
    tx.commit().await?;
    ctx.sessions.forget(&sid);
    Ok(())
}

/// End every session of an agent, inside the caller's transaction (revoke, delete). Returns
/// how many were open. Call [`forget_subject`] after the commit.
pub(crate) async fn end_agent_sessions(
    tx: &mut Tx,
    account: AccountId,
    agent: AgentId,
    now_ms: i64,
    reason: &str,
) -> Result<u64> {
    let ended = store::revoke_subject(
        tx.conn().await?,
        account,
        SessionKind::Agent,
        &agent.to_string(),
        now_ms,
    )
    .await?;
    if ended > 0 {
        logged_out_event(tx, account, agent, None, reason).await?;
    }
    Ok(ended)
}

/// End every session of an API client, inside the caller's transaction.
pub(crate) async fn end_client_sessions(
    tx: &mut Tx,
    account: AccountId,
    client_id: &str,
    now_ms: i64,
) -> Result<u64> {
    Ok(store::revoke_subject(
        tx.conn().await?,
        account,
        SessionKind::Client,
        client_id,
        now_ms,
    )
    .await?)
}

/// Forget this instance's cached checks of a subject's sessions (after ending them).
pub(crate) fn forget_subject(ctx: &Ctx, subject: &str) {
    ctx.sessions.forget_subject(subject);
}

/// What `POST /v1/agents/{id}/sessions/revoke` answers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Revoked {
    /// Sessions that were open and are now ended.
    pub revoked_sessions: u64,
}

/// `POST /v1/agents/{id}/sessions/revoke`: admins end all of an agent's sessions.
pub async fn revoke_agent(ctx: &Ctx, p: &Principal, agent: AgentId) -> Result<Revoked> {
    p.admin_or(Scope::ConfigWrite)?;
    let account = p.account();
    let mut tx = ctx.store.begin_for(account).await?;
    if agents::get(tx.conn().await?, account, agent)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound(format!("no agent {agent}")));
    }
    let n = end_agent_sessions(
        &mut tx,
        account,
        agent,
        ctx.clock.now_ms(),
        "sessions_revoked",
    )
    .await?;
    super::audit::record(
        &mut tx,
        p,
        super::audit::Change::action("agent_sessions", agent.to_string(), "revoked"),
    )
    .await?;
    tx.commit().await?;
    forget_subject(ctx, &agent.to_string());
    Ok(Revoked {
        revoked_sessions: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(at_ms: i64, subject: &str) -> Checked {
        Checked {
            at_ms,
            subject: subject.into(),
            outcome: Ok(None),
        }
    }

    #[test]
    fn the_cache_answers_only_within_its_period_and_forgets_on_revocation() {
        let cache = SessionCache::new(5_000);
        cache.remember("s1", checked(1_000, "a"));
        cache.remember("s2", checked(1_000, "a"));
        cache.remember("s3", checked(1_000, "b"));
        assert!(cache.fresh("s1", 5_999).is_some());
        assert!(cache.fresh("s1", 6_000).is_none(), "stale after the period");
        cache.forget("s1");
        assert!(cache.fresh("s1", 1_001).is_none());
        cache.forget_subject("a");
        assert!(cache.fresh("s2", 1_001).is_none());
        assert!(cache.fresh("s3", 1_001).is_some());
    }
}
