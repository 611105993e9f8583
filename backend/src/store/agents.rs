//! Agents: profile, credentials, status and the routing bookkeeping (idle since, last offer,
//! missed offers in a row).

use super::config::{from_json, parse_id};
use super::{Result, StoreError};
use shared::config::{Agent, AgentSkill, AgentStatus, BusyAgentRules, QueueMembership, Role};
use shared::ids::{AccountId, AgentId, QueueId};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub account: AccountId,
    pub agent: Agent,
    pub password_hash: Option<String>,
    pub idle_since_ms: i64,
    pub last_offer_ms: i64,
    pub consecutive_misses: i64,
}

const COLUMNS: &str = "agent_id, account_id, email, display_name, role, password_hash, status, status_reason, \
                       skills, queues, supervised_queue_ids, busy_rules, idle_since_ms, last_offer_ms, consecutive_misses";

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

fn parse_role(s: &str) -> Result<Role> {
    match s {
        "agent" => Ok(Role::Agent),
        "supervisor" => Ok(Role::Supervisor),
        "admin" => Ok(Role::Admin),
        other => Err(StoreError::Corrupt(format!("role {other:?}"))),
    }
}

fn status_parts(status: &AgentStatus) -> (&'static str, Option<&str>) {
    match status {
        AgentStatus::Offline => ("offline", None),
        AgentStatus::Ready => ("ready", None),
        AgentStatus::NotReady { reason } => ("not_ready", Some(reason.as_str())),
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<AgentRecord> {
    let status: String = r.try_get("status")?;
    let reason: Option<String> = r.try_get("status_reason")?;
    let busy: Option<String> = r.try_get("busy_rules")?;
    Ok(AgentRecord {
        account: parse_id(&r.try_get::<String, _>("account_id")?)?,
        agent: Agent {
            agent_id: parse_id(&r.try_get::<String, _>("agent_id")?)?,
            display_name: r.try_get("display_name")?,
            email: r.try_get("email")?,
            role: parse_role(&r.try_get::<String, _>("role")?)?,
            status: match status.as_str() {
                "offline" => AgentStatus::Offline,
                "ready" => AgentStatus::Ready,
                "not_ready" => AgentStatus::NotReady {
                    reason: reason.unwrap_or_default(),
                },
                other => return Err(StoreError::Corrupt(format!("status {other:?}"))),
            },
            skills: from_json::<Vec<AgentSkill>>("skills", &r.try_get::<String, _>("skills")?)?,
            queues: from_json::<Vec<QueueMembership>>(
                "queues",
                &r.try_get::<String, _>("queues")?,
            )?,
            supervised_queue_ids: from_json::<Vec<QueueId>>(
                "supervised_queue_ids",
                &r.try_get::<String, _>("supervised_queue_ids")?,
            )?,
            busy_rules: busy
                .as_deref()
                .map(|b| from_json::<BusyAgentRules>("busy_rules", b))
                .transpose()?,
        },
        password_hash: r.try_get("password_hash")?,
        idle_since_ms: r.try_get("idle_since_ms")?,
        last_offer_ms: r.try_get("last_offer_ms")?,
        consecutive_misses: r.try_get("consecutive_misses")?,
    })
}

use super::json;

/// Insert or update everything but the routing bookkeeping.
pub async fn upsert(conn: &mut AnyConnection, rec: &AgentRecord) -> Result<()> {
    let (status, reason) = status_parts(&rec.agent.status);
    sqlx::query(
        "INSERT INTO agents (agent_id, account_id, email, display_name, role, password_hash, status, status_reason,
                             skills, queues, busy_rules, idle_since_ms, last_offer_ms, consecutive_misses, created_at_ms,
                             supervised_queue_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $12, $15)
         ON CONFLICT (agent_id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name,
             role = excluded.role, password_hash = excluded.password_hash, skills = excluded.skills,
             queues = excluded.queues, busy_rules = excluded.busy_rules,
             supervised_queue_ids = excluded.supervised_queue_ids",
    )
    .bind(rec.agent.agent_id.to_string())
    .bind(rec.account.to_string())
    .bind(&rec.agent.email)
    .bind(&rec.agent.display_name)
    .bind(role_str(rec.agent.role))
    .bind(rec.password_hash.clone())
    .bind(status)
    .bind(reason.map(str::to_string))
    .bind(json(&rec.agent.skills))
    .bind(json(&rec.agent.queues))
    .bind(rec.agent.busy_rules.as_ref().map(json))
    .bind(rec.idle_since_ms)
    .bind(rec.last_offer_ms)
    .bind(rec.consecutive_misses)
    .bind(json(&rec.agent.supervised_queue_ids))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    account: AccountId,
    id: AgentId,
) -> Result<Option<AgentRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM agents WHERE agent_id = $1 AND account_id = $2");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// These agents of the account (missing ones are left out).
pub async fn get_many(
    conn: &mut AnyConnection,
    account: AccountId,
    ids: &[AgentId],
) -> Result<Vec<AgentRecord>> {
    let select = format!("SELECT {COLUMNS} FROM agents WHERE account_id = $1 AND agent_id IN");
    super::fetch_in(conn, &select, &[account.to_string()], ids, from_row).await
}

pub async fn by_email(
    conn: &mut AnyConnection,
    account: AccountId,
    email: &str,
) -> Result<Option<AgentRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM agents WHERE account_id = $1 AND lower(email) = lower($2)");
    let row = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(email)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<AgentRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agents WHERE account_id = $1 ORDER BY LOWER(display_name), agent_id"
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(conn: &mut AnyConnection, account: AccountId, id: AgentId) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM agents WHERE agent_id = $1 AND account_id = $2",
        &id.to_string(),
        &account.to_string(),
    )
    .await
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: AgentId,
    status: &AgentStatus,
    idle_since_ms: Option<i64>,
) -> Result<()> {
    let (status, reason) = status_parts(status);
    sqlx::query(
        "UPDATE agents SET status = $2, status_reason = $3, idle_since_ms = COALESCE($4, idle_since_ms),
                consecutive_misses = CASE WHEN $2 = 'ready' THEN 0 ELSE consecutive_misses END
         WHERE agent_id = $1",
    )
    .bind(id.to_string())
    .bind(status)
    .bind(reason.map(str::to_string))
    .bind(idle_since_ms)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_queues(
    conn: &mut AnyConnection,
    id: AgentId,
    queues: &[QueueMembership],
) -> Result<()> {
    sqlx::query("UPDATE agents SET queues = $2 WHERE agent_id = $1")
        .bind(id.to_string())
        .bind(json(&queues))
        .execute(conn)
        .await?;
    Ok(())
}

/// Count a missed (declined or timed-out) offer; returns the misses in a row.
pub async fn record_miss(conn: &mut AnyConnection, id: AgentId) -> Result<i64> {
    sqlx::query(
        "UPDATE agents SET consecutive_misses = consecutive_misses + 1 WHERE agent_id = $1",
    )
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    let n: i64 = sqlx::query_scalar("SELECT consecutive_misses FROM agents WHERE agent_id = $1")
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// What the routing path changes on an agent's row, merged per agent (see `store::pending`):
/// `None` leaves a column as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentPatch {
    /// When they were last offered something (round robin).
    pub last_offer_ms: Option<i64>,
    /// Idle from then (longest idle).
    pub idle_since_ms: Option<i64>,
    /// Their missed offers in a row start again from zero (they accepted one).
    pub reset_misses: bool,
}

/// Agent rows one [`patch_many`] statement changes (4 parameters each).
const PATCHES_PER_STATEMENT: usize = 1000;

/// Apply patches, one per agent: one `UPDATE … FROM (VALUES …)` per [`PATCHES_PER_STATEMENT`].
pub async fn patch_many(
    conn: &mut AnyConnection,
    patches: &[(AgentId, AgentPatch)],
) -> Result<usize> {
    let mut statements = 0;
    for chunk in patches.chunks(PATCHES_PER_STATEMENT) {
        // `VALUES` columns are `column1…` on both stores; the casts type the parameters for
        // PostgreSQL, which cannot infer them inside `VALUES`.
        let mut sql = String::from(
            "UPDATE agents SET last_offer_ms = COALESCE(v.column2, agents.last_offer_ms),
                 idle_since_ms = COALESCE(v.column3, agents.idle_since_ms),
                 consecutive_misses = CASE WHEN v.column4 = 1 THEN 0 ELSE agents.consecutive_misses END
             FROM (VALUES ",
        );
        let mut params = super::Params::for_conn(conn);
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(CAST({} AS TEXT), CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT))",
                params.next(),
                params.next(),
                params.next(),
                params.next()
            ));
        }
        sql.push_str(") AS v WHERE agents.agent_id = v.column1");
        let mut query = sqlx::query(&sql);
        for (id, p) in chunk {
            query = query
                .bind(id.to_string())
                .bind(p.last_offer_ms)
                .bind(p.idle_since_ms)
                .bind(i64::from(p.reset_misses));
        }
        query.execute(&mut *conn).await?;
        statements += 1;
    }
    Ok(statements)
}

// ---- the active device ---------------------------------------------------------------------

/// The agent's active device (widget instance), if any.
pub async fn active_device(conn: &mut AnyConnection, id: AgentId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT active_device FROM agents WHERE agent_id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row.and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()))
}

/// Make `device` the active one — only if none is, with `only_if_free` — and note `at_ms` as
/// its last sign of life. Returns whether the active device changed.
pub async fn claim_device(
    conn: &mut AnyConnection,
    id: AgentId,
    device: &str,
    at_ms: i64,
    only_if_free: bool,
) -> Result<bool> {
    let before = active_device(conn, id).await?;
    if before.as_deref() == Some(device) {
        touch_device(conn, id, device, at_ms).await?;
        return Ok(false);
    }
    if only_if_free && before.is_some() {
        return Ok(false);
    }
    let changed = sqlx::query(
        "UPDATE agents SET active_device = $2, active_device_at_ms = $3
         WHERE agent_id = $1 AND (active_device IS NULL OR NOT $4)",
    )
    .bind(id.to_string())
    .bind(device)
    .bind(at_ms)
    .bind(only_if_free)
    .execute(conn)
    .await?;
    Ok(changed.rows_affected() > 0)
}

/// `device` (still the active one) connected again at `at_ms`.
pub async fn touch_device(
    conn: &mut AnyConnection,
    id: AgentId,
    device: &str,
    at_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE agents SET active_device_at_ms = $3 WHERE agent_id = $1 AND active_device = $2",
    )
    .bind(id.to_string())
    .bind(device)
    .bind(at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Free the active device if it is still `device` and has not connected again since
/// `closed_at_ms`. Returns whether it was freed.
pub async fn release_device(
    conn: &mut AnyConnection,
    id: AgentId,
    device: &str,
    closed_at_ms: i64,
) -> Result<bool> {
    let freed = sqlx::query(
        "UPDATE agents SET active_device = NULL, active_device_at_ms = NULL
         WHERE agent_id = $1 AND active_device = $2 AND active_device_at_ms <= $3",
    )
    .bind(id.to_string())
    .bind(device)
    .bind(closed_at_ms)
    .execute(conn)
    .await?;
    Ok(freed.rows_affected() > 0)
}
