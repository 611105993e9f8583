//! Web chat customers' presence (`chat_presence`, migration 0013): when each was last seen,
//! and which waiting chats' customers are gone.

use super::config::parse_id;
use super::Result;
use shared::ids::{AccountId, EngagementId};
use sqlx::AnyConnection;

/// The customer of `chat` was seen at `now_ms`.
pub async fn touch(conn: &mut AnyConnection, chat: EngagementId, now_ms: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_presence (engagement_id, seen_at_ms) VALUES ($1, $2)
         ON CONFLICT (engagement_id) DO UPDATE SET seen_at_ms = $2",
    )
    .bind(chat.to_string())
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Web chats still waiting for an agent (queued or ringing) whose customer was last seen
/// before `before_ms` (never seen: counted from the chat's start), oldest first.
pub async fn gone_while_waiting(
    conn: &mut AnyConnection,
    account: AccountId,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<EngagementId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT e.engagement_id FROM engagements e
         LEFT JOIN chat_presence p ON p.engagement_id = e.engagement_id
         WHERE e.account_id = $1 AND e.channel = 'chat' AND e.state IN ('queued', 'offered')
           AND COALESCE(p.seen_at_ms, e.created_at_ms) < $2
         ORDER BY e.created_at_ms LIMIT $3",
    )
    .bind(account.to_string())
    .bind(before_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    ids.iter().map(|id| parse_id(id)).collect()
}
