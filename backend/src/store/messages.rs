//! The messages of chat and SMS conversations (`messages`, migration 0010): written with their
//! `engagement.message_added` event in one transaction (gathered by `Tx::add_message`, written
//! at commit), read back for the history and the transcript (with the name, kind and size of a
//! file sent, migration 0014); and how far each side has received and read them
//! (`message_receipts`, 0012).

use super::config::parse_id;
use super::{ms_to_datetime, Result, StoreError};
use shared::engagement::{
    AuthorKind, MessageAttachment, MessageAuthor, MessageReceipt, MessageRecord, Reader,
    ReceiptStatus,
};
use shared::ids::{EngagementId, MessageId};
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

/// Messages per `INSERT`: 10 parameters each, well under every driver's limit.
const MESSAGES_PER_INSERT: usize = 200;

/// Write `messages` (called by `Tx::commit` for what `Tx::add_message` gathered).
pub(super) async fn insert_many(
    conn: &mut AnyConnection,
    messages: &[MessageRecord],
) -> Result<()> {
    for chunk in messages.chunks(MESSAGES_PER_INSERT) {
        let mut sql = format!("INSERT INTO messages ({COLUMNS}) VALUES ");
        super::Params::for_conn(conn).push_rows(&mut sql, chunk.len(), 10);
        let mut query = sqlx::query(&sql);
        for m in chunk {
            let file = m.attachment.as_ref();
            query = query
                .bind(m.message_id.to_string())
                .bind(m.engagement_id.to_string())
                .bind(kind_name(m.author.kind))
                .bind(m.author.agent_id.map(|a| a.to_string()))
                .bind(m.author.display_name.clone())
                .bind(m.body.clone())
                .bind((m.created_at.unix_timestamp_nanos() / 1_000_000) as i64)
                .bind(file.map(|a| a.file_name.clone()))
                .bind(file.map(|a| a.content_type.clone()))
                .bind(file.map(|a| a.size_bytes as i64));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

const COLUMNS: &str =
    "message_id, engagement_id, author_kind, author_agent_id, author_name, body, \
     created_at_ms, attachment_name, attachment_type, attachment_size";

fn from_row(r: &sqlx::any::AnyRow) -> Result<MessageRecord> {
    let agent: Option<String> = r.try_get("author_agent_id")?;
    let file_name: Option<String> = r.try_get("attachment_name")?;
    let attachment = match file_name {
        None => None,
        Some(file_name) => Some(MessageAttachment {
            file_name,
            content_type: r
                .try_get::<Option<String>, _>("attachment_type")?
                .unwrap_or_default(),
            size_bytes: r
                .try_get::<Option<i64>, _>("attachment_size")?
                .unwrap_or_default()
                .max(0) as u64,
        }),
    };
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
        attachment,
    })
}

/// One message of `engagement`.
pub async fn get(
    conn: &mut AnyConnection,
    engagement: EngagementId,
    message: MessageId,
) -> Result<Option<MessageRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM messages WHERE engagement_id = $1 AND message_id = $2"
    ))
    .bind(engagement.to_string())
    .bind(message.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The engagement's messages, oldest first.
pub async fn for_engagement(
    conn: &mut AnyConnection,
    engagement: EngagementId,
) -> Result<Vec<MessageRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM messages WHERE engagement_id = $1 ORDER BY created_at_ms, message_id"
    ))
    .bind(engagement.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One message's author and place in the conversation, `(author kind, created_at_ms)`, if it
/// belongs to `engagement`.
pub async fn position(
    conn: &mut AnyConnection,
    engagement: EngagementId,
    message: MessageId,
) -> Result<Option<(AuthorKind, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT author_kind, created_at_ms FROM messages WHERE engagement_id = $1 AND message_id = $2",
    )
    .bind(engagement.to_string())
    .bind(message.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(|(kind, at)| Ok((kind_from(&kind)?, at)))
        .transpose()
}

/// Move `reader`'s `status` receipt in `engagement` to `message` (written at `at_ms`) if that
/// is further than it was; whether it moved. Messages are ordered by `(created_at_ms, id)`.
pub async fn advance_receipt(
    conn: &mut AnyConnection,
    engagement: EngagementId,
    reader: Reader,
    status: ReceiptStatus,
    message: MessageId,
    at_ms: i64,
) -> Result<bool> {
    let reader = match reader {
        Reader::Consumer => "consumer",
        Reader::Agent => "agent",
    };
    let status = match status {
        ReceiptStatus::Delivered => "delivered",
        ReceiptStatus::Read => "read",
    };
    let current: Option<(String, i64)> = sqlx::query_as(
        "SELECT up_to_message_id, up_to_ms FROM message_receipts \
         WHERE engagement_id = $1 AND reader = $2 AND status = $3",
    )
    .bind(engagement.to_string())
    .bind(reader)
    .bind(status)
    .fetch_optional(&mut *conn)
    .await?;
    let id = message.to_string();
    if let Some((current_id, current_ms)) = &current {
        if (at_ms, id.as_str()) <= (*current_ms, current_id.as_str()) {
            return Ok(false);
        }
    }
    let sql = if current.is_some() {
        "UPDATE message_receipts SET up_to_message_id = $4, up_to_ms = $5 \
         WHERE engagement_id = $1 AND reader = $2 AND status = $3"
    } else {
        "INSERT INTO message_receipts (engagement_id, reader, status, up_to_message_id, up_to_ms) \
         VALUES ($1, $2, $3, $4, $5)"
    };
    sqlx::query(sql)
        .bind(engagement.to_string())
        .bind(reader)
        .bind(status)
        .bind(id)
        .bind(at_ms)
        .execute(conn)
        .await?;
    Ok(true)
}

/// The receipts of `engagement`: how far each side has received and read.
pub async fn receipts(
    conn: &mut AnyConnection,
    engagement: EngagementId,
) -> Result<Vec<MessageReceipt>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT reader, status, up_to_message_id FROM message_receipts WHERE engagement_id = $1 \
         ORDER BY reader, status",
    )
    .bind(engagement.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(reader, status, up_to)| {
            Ok(MessageReceipt {
                reader: match reader.as_str() {
                    "consumer" => Reader::Consumer,
                    "agent" => Reader::Agent,
                    other => return Err(StoreError::Corrupt(format!("receipt reader {other:?}"))),
                },
                status: match status.as_str() {
                    "delivered" => ReceiptStatus::Delivered,
                    "read" => ReceiptStatus::Read,
                    other => return Err(StoreError::Corrupt(format!("receipt status {other:?}"))),
                },
                up_to: parse_id(&up_to)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::engagement::{AuthorKind, MessageAttachment, MessageAuthor};

    fn message(engagement: EngagementId, body: &str, file: Option<&str>) -> MessageRecord {
        MessageRecord {
            message_id: MessageId(uuid::Uuid::now_v7()),
            engagement_id: engagement,
            author: MessageAuthor {
                kind: AuthorKind::Consumer,
                agent_id: None,
                display_name: "Alan".into(),
            },
            body: body.into(),
            created_at: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            attachment: file.map(|name| MessageAttachment {
                file_name: name.into(),
                content_type: "application/pdf".into(),
                size_bytes: 1234,
            }),
        }
    }

    /// Messages are written at commit, many to a statement; one added in a savepoint that is
    /// rolled back is never written; files' facts come back as written.
    #[tokio::test]
    async fn messages_are_written_at_commit_and_follow_savepoints() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let store = super::super::Store::connect(&url).await.unwrap();
        let chat = EngagementId(uuid::Uuid::now_v7());
        let kept: Vec<MessageRecord> = (0..450)
            .map(|i| message(chat, &format!("m{i}"), (i == 7).then_some("terms.pdf")))
            .collect();
        let mut tx = store.begin().await.unwrap();
        for m in &kept {
            tx.savepoint();
            tx.add_message(m.clone());
        }
        let undone = tx.savepoint();
        tx.add_message(message(chat, "rolled back", None));
        tx.rollback_to(undone).await.unwrap();
        assert!(
            for_engagement(tx.conn().await.unwrap(), chat)
                .await
                .unwrap()
                .is_empty(),
            "not before commit"
        );
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let read = for_engagement(&mut conn, chat).await.unwrap();
        assert_eq!(read.len(), 450);
        let mut expected = kept.clone();
        expected.sort_by_key(|m| m.message_id.to_string());
        let mut got = read.clone();
        got.sort_by_key(|m| m.message_id.to_string());
        assert_eq!(got, expected);
        assert_eq!(
            get(&mut conn, chat, kept[7].message_id).await.unwrap(),
            Some(kept[7].clone())
        );
    }
}
