//! Canned responses (`canned_responses`): the team's (`owner_id = ''`) and each agent's own.

use super::config::from_json;
use super::{json, Result};
use shared::canned::CannedResponse;
use shared::ids::{AccountId, AgentId, CannedResponseId};
use sqlx::{AnyConnection, Row};

fn owner_key(r: &CannedResponse) -> String {
    r.owner_id.map(|a| a.to_string()).unwrap_or_default()
}

/// Insert or replace; a shortcut taken among the same owner's is a `Conflict`.
pub async fn put(conn: &mut AnyConnection, account: AccountId, r: &CannedResponse) -> Result<()> {
    sqlx::query(
        "INSERT INTO canned_responses (canned_response_id, account_id, owner_id, shortcut, config)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (canned_response_id) DO UPDATE SET owner_id = excluded.owner_id, shortcut = excluded.shortcut, config = excluded.config",
    )
    .bind(r.canned_response_id.to_string())
    .bind(account.to_string())
    .bind(owner_key(r))
    .bind(&r.shortcut)
    .bind(json(r))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    account: AccountId,
    id: CannedResponseId,
) -> Result<Option<CannedResponse>> {
    let row = sqlx::query(
        "SELECT config FROM canned_responses WHERE canned_response_id = $1 AND account_id = $2",
    )
    .bind(id.to_string())
    .bind(account.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(|r| from_json("canned response", &r.try_get::<String, _>("config")?))
        .transpose()
}

/// The shared ones and, with `agent`, that agent's own: by shortcut, the agent's first.
pub async fn visible(
    conn: &mut AnyConnection,
    account: AccountId,
    agent: Option<AgentId>,
) -> Result<Vec<CannedResponse>> {
    let rows = sqlx::query(
        "SELECT config FROM canned_responses WHERE account_id = $1 AND (owner_id = '' OR owner_id = $2)
         ORDER BY shortcut, owner_id DESC",
    )
    .bind(account.to_string())
    .bind(agent.map(|a| a.to_string()).unwrap_or_else(|| "-".into()))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| from_json("canned response", &r.try_get::<String, _>("config")?))
        .collect()
}

pub async fn delete(
    conn: &mut AnyConnection,
    account: AccountId,
    id: CannedResponseId,
) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM canned_responses WHERE canned_response_id = $1 AND account_id = $2",
        &id.to_string(),
        &account.to_string(),
    )
    .await
}
