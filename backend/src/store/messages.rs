//! The messages of chat and SMS conversations (`messages`, migration 0010): written with their
//! `engagement.message_added` event in one transaction, read back for the history and the
//! transcript.

use super::config::parse_id;
use super::{ms_to_datetime, Result, StoreError};
use shared::engagement::{AuthorKind, MessageAuthor, MessageRecord};
use shared::ids::EngagementId;
use sqlx::{AnyConnection, Row};

fn kind_name(kind: AuthorKind) -> &'static str {
    match kind {
        AuthorKind::Consumer => "consumer",
        AuthorKind::Agent => "agent",
        AuthorKind::Supervisor => "supervisor",
    }
}

fn kind_from(name: &str) -> Result<AuthorKind> {
    Ok(match name {
        "consumer" => AuthorKind::Consumer,
        "agent" => AuthorKind::Agent,
        "supervisor" => AuthorKind::Supervisor,
        other => return Err(StoreError::Corrupt(format!("author kind {other:?}"))),
    })
}

pub async fn insert(conn: &mut AnyConnection, m: &MessageRecord) -> Result<()> {
    let at_ms = (m.created_at.unix_timestamp_nanos() / 1_000_000) as i64;
    sqlx::query(
        "INSERT INTO messages (message_id, engagement_id, author_kind, author_agent_id, author_name, body, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.message_id.to_string())
    .bind(m.engagement_id.to_string())
    .bind(kind_name(m.author.kind))
    .bind(m.author.agent_id.map(|a| a.to_string()))
    .bind(&m.author.display_name)
    .bind(&m.body)
    .bind(at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The engagement's messages, oldest first.
pub async fn for_engagement(
    conn: &mut AnyConnection,
    engagement: EngagementId,
) -> Result<Vec<MessageRecord>> {
    let rows = sqlx::query(
        "SELECT message_id, engagement_id, author_kind, author_agent_id, author_name, body, created_at_ms \
         FROM messages WHERE engagement_id = $1 ORDER BY created_at_ms, message_id",
    )
    .bind(engagement.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let agent: Option<String> = r.try_get("author_agent_id")?;
            Ok(MessageRecord {
                message_id: parse_id(&r.try_get::<String, _>("message_id")?)?,
                engagement_id: parse_id(&r.try_get::<String, _>("engagement_id")?)?,
                author: MessageAuthor {
                    kind: kind_from(&r.try_get::<String, _>("author_kind")?)?,
                    agent_id: agent.as_deref().map(parse_id).transpose()?,
                    display_name: r.try_get("author_name")?,
                },
                body: r.try_get("body")?,
                created_at: ms_to_datetime(r.try_get("created_at_ms")?)?,
            })
        })
        .collect()
}
