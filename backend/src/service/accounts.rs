//! Sign-in and credentials: bootstrap admin, agent passwords, API clients, embed tokens, and
//! turning a bearer token into a [`Principal`].

use super::audit::{self, Change};
use super::sessions;
use super::throttle::{self, Attempt};
use super::{invalid, refused, validate, Ctx, Result, ServiceError};
use crate::auth::token::{Claims, TokenKind};
use crate::auth::{password, Principal, Scope};
use crate::store::agents::{self, AgentRecord};
use crate::store::auth::SessionKind;
use crate::store::config::{self as cfg, ApiClientRecord};
use crate::store::NewEvent;
use serde::{Deserialize, Serialize};
use shared::config::{Agent, AgentStatus, Role};
use shared::events::EventKind;
use shared::ids::AgentId;
use std::net::IpAddr;

/// Agent session length.
pub const AGENT_TOKEN_SECS: i64 = 12 * 3600;
/// API-client token length.
pub const CLIENT_TOKEN_SECS: i64 = 3600;
/// Embed tokens only need to survive the trip from the host's backend to the widget.
pub const EMBED_TOKEN_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
}

fn now_secs(ctx: &Ctx) -> i64 {
    ctx.clock.now_ms() / 1000
}

/// Verify a bearer token and its session (see [`super::sessions`]).
pub async fn authenticate(ctx: &Ctx, bearer: &str) -> Result<Principal> {
    super::sessions::authenticate(ctx, bearer).await
}

/// Open an agent session and sign its token; `agent.logged_in` is logged with it.
async fn agent_token(ctx: &Ctx, record: &AgentRecord) -> Result<TokenResponse> {
    let now_ms = ctx.clock.now_ms();
    let exp = now_ms / 1000 + AGENT_TOKEN_SECS;
    let agent = record.agent.agent_id;
    let mut tx = ctx.store.begin_for(record.account).await?;
    let sid = sessions::open(
        &mut tx,
        record.account,
        SessionKind::Agent,
        &agent.to_string(),
        now_ms,
        exp * 1000,
    )
    .await?;
    tx.append(NewEvent {
        account_id: record.account,
        kind: EventKind::AgentLoggedIn,
        engagement_id: None,
        agent_id: Some(agent),
        data: shared::Payload::Session {
            agent_id: agent,
            session_id: Some(sid.to_string()),
            reason: None,
        },
    })
    .await?;
    tx.commit().await?;
    let claims = Claims {
        kind: TokenKind::Agent,
        sub: agent.to_string(),
        acc: record.account.to_string(),
        role: Some(record.agent.role),
        scopes: vec![],
        exp,
        sid: Some(sid),
    };
    Ok(TokenResponse {
        access_token: ctx.signer.sign(&claims),
        token_type: "bearer".into(),
        expires_in: AGENT_TOKEN_SECS,
        scope: None,
        agent: Some(record.agent.clone()),
    })
}

/// Email + password → agent token. The same error for an unknown email and a wrong password.
/// Throttled per email and per client address.
pub async fn login(
    ctx: &Ctx,
    email: &str,
    secret: &str,
    address: Option<IpAddr>,
) -> Result<TokenResponse> {
    validate::required("email", email, 320)?;
    validate::required("password", secret, 1024)?;
    let attempt = Attempt {
        identifier: Some(format!("login:{}", email.trim().to_lowercase())),
        address,
    };
    throttle::guarded(ctx, &attempt, async {
        let mut conn = ctx.store.read().await?;
        let record = agents::by_email(&mut conn, ctx.account, email.trim()).await?;
        drop(conn);
        let ok = record
            .as_ref()
            .and_then(|r| r.password_hash.as_deref())
            .is_some_and(|h| password::verify(secret, h));
        match record {
            Some(r) if ok => agent_token(ctx, &r).await,
            _ => Err(ServiceError::Unauthenticated(
                "wrong email or password".into(),
            )),
        }
    })
    .await
}

/// Client credentials → client token with the client's scopes. Throttled per client id and
/// per client address.
pub async fn client_token(
    ctx: &Ctx,
    client_id: &str,
    secret: &str,
    address: Option<IpAddr>,
) -> Result<TokenResponse> {
    validate::required("client_id", client_id, 200)?;
    let attempt = Attempt {
        identifier: Some(format!("client:{client_id}")),
        address,
    };
    throttle::guarded(ctx, &attempt, async {
        let mut conn = ctx.store.read().await?;
        let client = cfg::get_client(&mut conn, client_id).await?;
        drop(conn);
        let Some(client) = client.filter(|c| password::verify(secret, &c.secret_hash)) else {
            return Err(ServiceError::Unauthenticated(
                "unknown client or wrong secret".into(),
            ));
        };
        let account = client.account.unwrap_or(ctx.account);
        let now_ms = ctx.clock.now_ms();
        let exp = now_ms / 1000 + CLIENT_TOKEN_SECS;
        let mut tx = ctx.store.begin_for(account).await?;
        let sid = sessions::open(
            &mut tx,
            account,
            SessionKind::Client,
            &client.client_id,
            now_ms,
            exp * 1000,
        )
        .await?;
        tx.commit().await?;
        let claims = Claims {
            kind: TokenKind::Client,
            sub: client.client_id.clone(),
            acc: account.to_string(),
            role: None,
            scopes: client.scopes.clone(),
            exp,
            sid: Some(sid),
        };
        Ok(TokenResponse {
            access_token: ctx.signer.sign(&claims),
            token_type: "bearer".into(),
            expires_in: CLIENT_TOKEN_SECS,
            scope: Some(
                client
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            agent: None,
        })
    })
    .await
}

/// An API client mints a short-lived embed token for one of the account's agents or
/// supervisors. An admin's needs `embed_tokens:admin` as well: an embed token is a session, and
/// a CRM that signs its users into the widget must not be a way to become an admin.
pub async fn mint_embed_token(
    ctx: &Ctx,
    principal: &Principal,
    agent: AgentId,
) -> Result<TokenResponse> {
    principal.client_with(Scope::EmbedTokensWrite)?;
    let mut conn = ctx.store.read().await?;
    let record = agents::get(&mut conn, principal.account(), agent)
        .await?
        .ok_or_else(|| invalid("agent_id", format!("no agent {agent}")))?;
    if record.agent.role == Role::Admin && !principal.has_scope(Scope::EmbedTokensAdmin) {
        return Err(refused(
            "agent_id",
            format!("agent {agent} is an admin: an embed token for an admin needs the embed_tokens:admin scope as well"),
        ));
    }
    let claims = Claims {
        kind: TokenKind::Embed,
        sub: agent.to_string(),
        acc: record.account.to_string(),
        role: Some(record.agent.role),
        scopes: vec![],
        exp: now_secs(ctx) + EMBED_TOKEN_SECS,
        sid: None,
    };
    Ok(TokenResponse {
        access_token: ctx.signer.sign(&claims),
        token_type: "embed".into(),
        expires_in: EMBED_TOKEN_SECS,
        scope: None,
        agent: None,
    })
}

/// The widget trades an embed token for an agent session. Throttled per agent (when the
/// token names one) and per client address.
pub async fn exchange_embed_token(
    ctx: &Ctx,
    token: &str,
    address: Option<IpAddr>,
) -> Result<TokenResponse> {
    let verified = ctx.signer.verify(token, now_secs(ctx));
    let attempt = Attempt {
        identifier: verified.as_ref().ok().map(|c| format!("embed:{}", c.sub)),
        address,
    };
    throttle::guarded(ctx, &attempt, async {
        let claims = verified.map_err(|e| ServiceError::Unauthenticated(e.to_string()))?;
        if claims.kind != TokenKind::Embed {
            return Err(ServiceError::Unauthenticated(
                "this is not an embed token".into(),
            ));
        }
        let (Ok(account), Ok(agent)) = (claims.acc.parse(), claims.sub.parse()) else {
            return Err(ServiceError::Unauthenticated(
                "the token is malformed".into(),
            ));
        };
        let mut conn = ctx.store.read().await?;
        let record = agents::get(&mut conn, account, agent)
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("this agent no longer exists".into()))?;
        drop(conn);
        // Made an admin after the token was minted: the minter was not allowed that.
        if record.agent.role == Role::Admin && claims.role != Some(Role::Admin) {
            return Err(ServiceError::Unauthenticated(
                "this embed token was minted for a non-admin; the agent is now an admin".into(),
            ));
        }
        agent_token(ctx, &record).await
    })
    .await
}

/// A new API client; the secret is returned once and stored only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewClient {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

pub async fn create_client(
    ctx: &Ctx,
    principal: &Principal,
    name: &str,
    scopes: Vec<Scope>,
) -> Result<NewClient> {
    principal.admin_or(Scope::ConfigWrite)?;
    validate::required("name", name, 100)?;
    if scopes.is_empty() {
        return Err(invalid("scopes", "give the client at least one scope"));
    }
    let secret = password::generate_secret();
    let record = ApiClientRecord {
        client_id: format!("sbc_{}", uuid::Uuid::now_v7().simple()),
        name: name.trim().to_string(),
        scopes: scopes.clone(),
        account: Some(principal.account()),
        secret_hash: password::hash(&secret),
    };
    let mut tx = ctx.store.begin_for(principal.account()).await?;
    cfg::insert_client(tx.conn().await?, principal.account(), &record).await?;
    audit::record(
        &mut tx,
        principal,
        Change::put("api_client", &record.client_id, None, &record),
    )
    .await?;
    tx.commit().await?;
    Ok(NewClient {
        client_id: record.client_id,
        client_secret: secret,
        name: record.name,
        scopes,
    })
}

pub async fn list_clients(ctx: &Ctx, principal: &Principal) -> Result<Vec<ApiClientRecord>> {
    principal.admin_or(Scope::ConfigRead)?;
    let mut conn = ctx.store.read().await?;
    Ok(cfg::list_clients(&mut conn, principal.account()).await?)
}

fn no_client(client_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no API client {client_id}"))
}

/// Delete an API client; its tokens stop working at once (see [`sessions`]).
pub async fn delete_client(ctx: &Ctx, principal: &Principal, client_id: &str) -> Result<()> {
    principal.admin_or(Scope::ConfigWrite)?;
    let account = principal.account();
    let mut tx = ctx.store.begin_for(account).await?;
    let before = cfg::get_client(tx.conn().await?, client_id)
        .await?
        .filter(|c| c.account == Some(account))
        .ok_or_else(|| no_client(client_id))?;
    cfg::delete_client(tx.conn().await?, account, client_id)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => no_client(client_id),
            other => other.into(),
        })?;
    sessions::end_client_sessions(&mut tx, account, client_id, ctx.clock.now_ms()).await?;
    audit::record(
        &mut tx,
        principal,
        Change::deleted("api_client", client_id, Some(&before)),
    )
    .await?;
    tx.commit().await?;
    sessions::forget_subject(ctx, client_id);
    Ok(())
}

/// Give an API client a new secret (shown once); the old secret and every token issued
/// with it stop working at once.
pub async fn rotate_client_secret(
    ctx: &Ctx,
    principal: &Principal,
    client_id: &str,
) -> Result<NewClient> {
    principal.admin_or(Scope::ConfigWrite)?;
    let account = principal.account();
    let mut tx = ctx.store.begin_for(account).await?;
    let client = cfg::get_client(tx.conn().await?, client_id)
        .await?
        .filter(|c| c.account == Some(account))
        .ok_or_else(|| no_client(client_id))?;
    let secret = password::generate_secret();
    cfg::set_client_secret(
        tx.conn().await?,
        account,
        client_id,
        &password::hash(&secret),
    )
    .await?;
    sessions::end_client_sessions(&mut tx, account, client_id, ctx.clock.now_ms()).await?;
    audit::record(
        &mut tx,
        principal,
        Change::action("api_client", client_id, "secret_rotated"),
    )
    .await?;
    tx.commit().await?;
    sessions::forget_subject(ctx, client_id);
    Ok(NewClient {
        client_id: client.client_id,
        client_secret: secret,
        name: client.name,
        scopes: client.scopes,
    })
}

/// Create the first admin if no agent has this email yet (start-up, from configuration).
pub async fn bootstrap_admin(ctx: &Ctx, email: &str, secret: &str, name: &str) -> Result<bool> {
    validate::email("admin_email", email)?;
    if secret.chars().count() < 8 {
        return Err(invalid(
            "admin_password",
            "the admin password must have at least 8 characters",
        ));
    }
    let mut tx = ctx.store.begin_for(ctx.account).await?;
    if agents::by_email(tx.conn().await?, ctx.account, email)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let now = ctx.clock.now_ms();
    let record = AgentRecord {
        account: ctx.account,
        agent: Agent {
            agent_id: AgentId(uuid::Uuid::now_v7()),
            display_name: name.to_string(),
            email: email.to_string(),
            role: Role::Admin,
            status: AgentStatus::Offline,
            skills: vec![],
            queues: vec![],
            supervised_queue_ids: vec![],
            busy_rules: None,
        },
        password_hash: Some(password::hash(secret)),
        idle_since_ms: now,
        last_offer_ms: 0,
        consecutive_misses: 0,
    };
    agents::upsert(tx.conn().await?, &record).await?;
    tx.commit().await?;
    Ok(true)
}
