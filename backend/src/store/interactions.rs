//! Interaction data rows: recordings, engagement transcripts, survey answers, and the windowed
//! lists of recordings, transcripts, notes, dispositions and survey answers across engagements.
//!
//! Lists page by key (`(time, id)` after the last row seen), so a page is stable while new
//! rows arrive and deep pages cost the same as the first.

use super::{parse, Result, StoreError};
use shared::ids::{AccountId, AgentId, DispositionId, EngagementId, NoteId, QueueId};
use shared::survey::SurveyResponse;
use shared::Channel;
use sqlx::{AnyConnection, FromRow, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingRow {
    pub recording_id: uuid::Uuid,
    pub account_id: AccountId,
    pub engagement_id: EngagementId,
    pub agent_id: Option<AgentId>,
    pub channel: Channel,
    pub content_type: String,
    pub size_bytes: i64,
    pub blob_key: String,
    pub recording_start_ms: i64,
    pub recording_end_ms: i64,
    pub transcript_key: Option<String>,
    pub transcript_content_type: Option<String>,
    pub transcript_completed_ms: Option<i64>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TranscriptRow {
    #[sqlx(try_from = "String")]
    pub engagement_id: EngagementId,
    #[sqlx(try_from = "String")]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub content_type: String,
    pub size_bytes: i64,
    pub blob_key: String,
    pub completed_at_ms: i64,
}

fn channel(value: &str) -> Result<Channel> {
    Channel::parse(value).ok_or_else(|| StoreError::Corrupt(format!("channel {value:?}")))
}

const RECORDING_COLUMNS: &str = "recording_id, account_id, engagement_id, agent_id, channel, content_type, size_bytes, blob_key, recording_start_ms, recording_end_ms, transcript_key, transcript_content_type, transcript_completed_ms, created_at_ms";

fn recording_from_row(row: &sqlx::any::AnyRow) -> Result<RecordingRow> {
    let agent: Option<String> = row.try_get("agent_id")?;
    Ok(RecordingRow {
        recording_id: parse("recording id", &row.try_get::<String, _>("recording_id")?)?,
        account_id: parse("account id", &row.try_get::<String, _>("account_id")?)?,
        engagement_id: parse("engagement id", &row.try_get::<String, _>("engagement_id")?)?,
        agent_id: agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
        channel: channel(&row.try_get::<String, _>("channel")?)?,
        content_type: row.try_get("content_type")?,
        size_bytes: row.try_get("size_bytes")?,
        blob_key: row.try_get("blob_key")?,
        recording_start_ms: row.try_get("recording_start_ms")?,
        recording_end_ms: row.try_get("recording_end_ms")?,
        transcript_key: row.try_get("transcript_key")?,
        transcript_content_type: row.try_get("transcript_content_type")?,
        transcript_completed_ms: row.try_get("transcript_completed_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

pub async fn insert_recording(conn: &mut AnyConnection, r: &RecordingRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO recordings ({RECORDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(r.recording_id.to_string())
    .bind(r.account_id.to_string())
    .bind(r.engagement_id.to_string())
    .bind(r.agent_id.map(|a| a.to_string()))
    .bind(r.channel.as_str())
    .bind(&r.content_type)
    .bind(r.size_bytes)
    .bind(&r.blob_key)
    .bind(r.recording_start_ms)
    .bind(r.recording_end_ms)
    .bind(&r.transcript_key)
    .bind(&r.transcript_content_type)
    .bind(r.transcript_completed_ms)
    .bind(r.created_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_recording(
    conn: &mut AnyConnection,
    account: AccountId,
    id: uuid::Uuid,
) -> Result<Option<RecordingRow>> {
    let row = sqlx::query(&format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE recording_id = $1 AND account_id = $2"
    ))
    .bind(id.to_string())
    .bind(account.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(recording_from_row).transpose()
}

pub async fn set_recording_transcript(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    key: &str,
    content_type: &str,
    completed_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE recordings SET transcript_key = $1, transcript_content_type = $2, transcript_completed_ms = $3 WHERE recording_id = $4",
    )
    .bind(key)
    .bind(content_type)
    .bind(completed_ms)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

const TRANSCRIPT_COLUMNS: &str =
    "t.engagement_id, t.account_id, t.channel, t.content_type, t.size_bytes, t.blob_key, t.completed_at_ms";

/// Save an engagement's transcript, replacing an earlier one.
pub async fn upsert_transcript(conn: &mut AnyConnection, t: &TranscriptRow) -> Result<()> {
    insert_transcript(
        conn,
        t,
        "DO UPDATE SET content_type = $4, size_bytes = $5, blob_key = $6, completed_at_ms = $7",
    )
    .await?;
    Ok(())
}

/// Store `t` unless the engagement has a transcript already (a connector's, or another
/// instance's); whether it was stored.
pub async fn insert_transcript_if_absent(
    conn: &mut AnyConnection,
    t: &TranscriptRow,
) -> Result<bool> {
    Ok(insert_transcript(conn, t, "DO NOTHING").await? == 1)
}

/// Insert `t`; `on_conflict` says what a second one for the engagement does. Rows written.
async fn insert_transcript(
    conn: &mut AnyConnection,
    t: &TranscriptRow,
    on_conflict: &'static str,
) -> Result<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO engagement_transcripts (engagement_id, account_id, channel, content_type, size_bytes, blob_key, completed_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (engagement_id) {on_conflict}"
    ))
    .bind(t.engagement_id.to_string())
    .bind(t.account_id.to_string())
    .bind(t.channel.as_str())
    .bind(&t.content_type)
    .bind(t.size_bytes)
    .bind(&t.blob_key)
    .bind(t.completed_at_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Closed web chats with no transcript yet, oldest first (at most `limit`).
pub async fn chats_without_transcript(
    conn: &mut AnyConnection,
    account: AccountId,
    limit: i64,
) -> Result<Vec<EngagementId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT e.engagement_id FROM engagements e
         LEFT JOIN engagement_transcripts t ON t.engagement_id = e.engagement_id
         WHERE e.account_id = $1 AND e.channel = 'chat' AND e.state = 'closed' AND t.engagement_id IS NULL
         ORDER BY e.closed_at_ms LIMIT $2",
    )
    .bind(account.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    ids.iter().map(|id| parse("engagement id", id)).collect()
}

pub async fn get_transcript(
    conn: &mut AnyConnection,
    account: AccountId,
    engagement: EngagementId,
) -> Result<Option<TranscriptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TRANSCRIPT_COLUMNS} FROM engagement_transcripts t WHERE t.engagement_id = $1 AND t.account_id = $2"
    ))
    .bind(engagement.to_string())
    .bind(account.to_string())
    .fetch_optional(conn)
    .await?)
}

/// A time window and a page position. `after` is the `(time, id)` of the last row of the
/// previous page.
#[derive(Debug, Clone)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// Which time of an engagement a window applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngagementTime {
    Start,
    End,
}

impl EngagementTime {
    fn column(self) -> &'static str {
        match self {
            EngagementTime::Start => "e.created_at_ms",
            EngagementTime::End => "e.closed_at_ms",
        }
    }
}

/// `AND <time> BETWEEN from AND to` plus the keyset condition, with parameters from `$2`
/// (`$4` is left for the limit; `$5`/`$6` are the keyset values when paging).
pub(super) fn window_condition(time: &str, id: &str, w: &Window) -> String {
    let mut sql = format!(" AND {time} >= $2 AND {time} <= $3");
    // `time >= $5` repeats what the OR implies so that the index range starts at the page,
    // not at the window's start (without it PostgreSQL re-read every earlier page: ~10,000
    // rows/s exporting a million rows).
    if w.after.is_some() {
        sql.push_str(&format!(
            " AND {time} >= $5 AND ({time} > $5 OR ({time} = $5 AND {id} > $6))"
        ));
    }
    sql
}

/// [`window_condition`], then the page's order and limit.
fn window_sql(time: &str, id: &str, w: &Window) -> String {
    let mut sql = window_condition(time, id, w);
    sql.push_str(&format!(" ORDER BY {time}, {id} LIMIT $4"));
    sql
}

async fn fetch_window(
    conn: &mut AnyConnection,
    sql: &str,
    account: AccountId,
    w: &Window,
) -> Result<Vec<sqlx::any::AnyRow>> {
    fetch_window_with(conn, sql, account, w, Vec::new()).await
}

/// [`fetch_window`], with `extra` bound after the window's parameters (from `$5`, or `$7`
/// when paging: see [`first_extra`]).
async fn fetch_window_with(
    conn: &mut AnyConnection,
    sql: &str,
    account: AccountId,
    w: &Window,
    extra: Vec<String>,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let q = sqlx::query(sql)
        .bind(account.to_string())
        .bind(w.from_ms)
        .bind(w.to_ms)
        .bind(w.limit);
    let mut q = match &w.after {
        Some((ms, id)) => q.bind(*ms).bind(id.clone()),
        None => q,
    };
    for value in extra {
        q = q.bind(value);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The number of the first parameter after a window's own.
fn first_extra(w: &Window) -> usize {
    if w.after.is_some() {
        7
    } else {
        5
    }
}

/// Recordings whose start (`by_end = false`) or end falls in the window.
pub async fn list_recordings(
    conn: &mut AnyConnection,
    account: AccountId,
    by_end: bool,
    w: &Window,
) -> Result<Vec<RecordingRow>> {
    let time = if by_end {
        "recording_end_ms"
    } else {
        "recording_start_ms"
    };
    let sql = format!(
        "SELECT {RECORDING_COLUMNS} FROM recordings WHERE account_id = $1{}",
        window_sql(time, "recording_id", w)
    );
    fetch_window(conn, &sql, account, w)
        .await?
        .iter()
        .map(recording_from_row)
        .collect()
}

/// Transcripts of engagements that started (or ended) in the window, with that time.
pub async fn list_transcripts(
    conn: &mut AnyConnection,
    account: AccountId,
    by: EngagementTime,
    w: &Window,
) -> Result<Vec<(TranscriptRow, i64)>> {
    let time = by.column();
    let sql = format!(
        "SELECT {TRANSCRIPT_COLUMNS}, {time} AS window_ms FROM engagement_transcripts t
         JOIN engagements e ON e.engagement_id = t.engagement_id
         WHERE t.account_id = $1{}",
        window_sql(time, "t.engagement_id", w)
    );
    fetch_window(conn, &sql, account, w)
        .await?
        .iter()
        .map(|row| Ok((TranscriptRow::from_row(row)?, row.try_get("window_ms")?)))
        .collect()
}

// ---- survey answers ----------------------------------------------------------------------

/// Store an engagement's survey answer; `false` when it has one already (answered once).
pub async fn insert_survey_if_absent(
    conn: &mut AnyConnection,
    account: AccountId,
    answer: &SurveyResponse,
    answered_at_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO survey_responses (engagement_id, account_id, queue_id, answered_at_ms, doc)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (engagement_id) DO NOTHING",
    )
    .bind(answer.engagement_id.to_string())
    .bind(account.to_string())
    .bind(answer.queue_id.map(|q| q.to_string()))
    .bind(answered_at_ms)
    .bind(serde_json::to_string(answer).expect("a survey answer serializes"))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn survey_from_doc(doc: &str) -> Result<SurveyResponse> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("survey answer: {e}")))
}

/// An engagement's survey answer, if the customer gave one.
pub async fn get_survey(
    conn: &mut AnyConnection,
    account: AccountId,
    engagement: EngagementId,
) -> Result<Option<SurveyResponse>> {
    let doc: Option<String> = sqlx::query_scalar(
        "SELECT doc FROM survey_responses WHERE account_id = $1 AND engagement_id = $2",
    )
    .bind(account.to_string())
    .bind(engagement.to_string())
    .fetch_optional(conn)
    .await?;
    doc.as_deref().map(survey_from_doc).transpose()
}

/// The latest survey answers given since `since_ms`, newest first (at most `limit`).
pub async fn recent_surveys(
    conn: &mut AnyConnection,
    account: AccountId,
    since_ms: i64,
    limit: i64,
) -> Result<Vec<SurveyResponse>> {
    let docs: Vec<String> = sqlx::query_scalar(
        "SELECT doc FROM survey_responses WHERE account_id = $1 AND answered_at_ms >= $2
         ORDER BY answered_at_ms DESC, engagement_id DESC LIMIT $3",
    )
    .bind(account.to_string())
    .bind(since_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    docs.iter().map(|d| survey_from_doc(d)).collect()
}

/// A survey answer with its engagement's times.
#[derive(Debug, Clone)]
pub struct SurveyListRow {
    pub answer: SurveyResponse,
    pub engagement_start_ms: i64,
    pub engagement_end_ms: Option<i64>,
    pub window_ms: i64,
}

/// Survey answers of engagements that started (or ended) in the window; with `queues`, only
/// those about one of them (an empty list: none).
pub async fn list_surveys(
    conn: &mut AnyConnection,
    account: AccountId,
    by: EngagementTime,
    w: &Window,
    queues: Option<&[QueueId]>,
) -> Result<Vec<SurveyListRow>> {
    let time = by.column();
    let mut only = String::new();
    let mut extra = Vec::new();
    if let Some(queues) = queues {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let first = first_extra(w);
        let list: Vec<String> = (first..first + queues.len())
            .map(|n| format!("${n}"))
            .collect();
        only = format!(" AND s.queue_id IN ({})", list.join(", "));
        extra = queues.iter().map(|q| q.to_string()).collect();
    }
    let sql = format!(
        "SELECT s.doc, e.created_at_ms AS engagement_start_ms, e.closed_at_ms AS engagement_end_ms, {time} AS window_ms
         FROM survey_responses s JOIN engagements e ON e.engagement_id = s.engagement_id
         WHERE s.account_id = $1{only}{}",
        window_sql(time, "s.engagement_id", w)
    );
    fetch_window_with(conn, &sql, account, w, extra)
        .await?
        .iter()
        .map(|row| {
            Ok(SurveyListRow {
                answer: survey_from_doc(&row.try_get::<String, _>("doc")?)?,
                engagement_start_ms: row.try_get("engagement_start_ms")?,
                engagement_end_ms: row.try_get("engagement_end_ms")?,
                window_ms: row.try_get("window_ms")?,
            })
        })
        .collect()
}

/// A note with its engagement's times.
#[derive(Debug, Clone)]
pub struct NoteListRow {
    pub note_id: NoteId,
    pub engagement_id: EngagementId,
    pub agent_id: Option<AgentId>,
    pub body: String,
    pub created_at_ms: i64,
    pub engagement_start_ms: i64,
    pub engagement_end_ms: Option<i64>,
    pub window_ms: i64,
}

/// Notes of engagements that started (or ended) in the window.
pub async fn list_notes(
    conn: &mut AnyConnection,
    account: AccountId,
    by: EngagementTime,
    w: &Window,
) -> Result<Vec<NoteListRow>> {
    let time = by.column();
    let sql = format!(
        "SELECT n.note_id, n.engagement_id, n.agent_id, n.body, n.created_at_ms,
                e.created_at_ms AS engagement_start_ms, e.closed_at_ms AS engagement_end_ms, {time} AS window_ms
         FROM notes n JOIN engagements e ON e.engagement_id = n.engagement_id
         WHERE e.account_id = $1{}",
        window_sql(time, "n.note_id", w)
    );
    fetch_window(conn, &sql, account, w)
        .await?
        .iter()
        .map(|row| {
            let agent: Option<String> = row.try_get("agent_id")?;
            Ok(NoteListRow {
                note_id: parse("note id", &row.try_get::<String, _>("note_id")?)?,
                engagement_id: parse("engagement id", &row.try_get::<String, _>("engagement_id")?)?,
                agent_id: agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
                body: row.try_get("body")?,
                created_at_ms: row.try_get("created_at_ms")?,
                engagement_start_ms: row.try_get("engagement_start_ms")?,
                engagement_end_ms: row.try_get("engagement_end_ms")?,
                window_ms: row.try_get("window_ms")?,
            })
        })
        .collect()
}

/// An engagement's disposition with its engagement's times.
#[derive(Debug, Clone)]
pub struct DispositionListRow {
    pub engagement_id: EngagementId,
    pub disposition_id: DispositionId,
    pub name: String,
    pub code: Option<String>,
    pub agent_id: Option<AgentId>,
    pub engagement_start_ms: i64,
    pub engagement_end_ms: Option<i64>,
    pub window_ms: i64,
}

/// Dispositions given to engagements that started (or ended) in the window.
pub async fn list_dispositions(
    conn: &mut AnyConnection,
    account: AccountId,
    by: EngagementTime,
    w: &Window,
) -> Result<Vec<DispositionListRow>> {
    let time = by.column();
    let sql = format!(
        "SELECT e.engagement_id, e.disposition_id, d.name, d.code, e.agent_id,
                e.created_at_ms AS engagement_start_ms, e.closed_at_ms AS engagement_end_ms, {time} AS window_ms
         FROM engagements e JOIN dispositions d ON d.disposition_id = e.disposition_id
         WHERE e.account_id = $1{}",
        window_sql(time, "e.engagement_id", w)
    );
    fetch_window(conn, &sql, account, w)
        .await?
        .iter()
        .map(|row| {
            let agent: Option<String> = row.try_get("agent_id")?;
            Ok(DispositionListRow {
                engagement_id: parse("engagement id", &row.try_get::<String, _>("engagement_id")?)?,
                disposition_id: parse(
                    "disposition id",
                    &row.try_get::<String, _>("disposition_id")?,
                )?,
                name: row.try_get("name")?,
                code: row.try_get("code")?,
                agent_id: agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
                engagement_start_ms: row.try_get("engagement_start_ms")?,
                engagement_end_ms: row.try_get("engagement_end_ms")?,
                window_ms: row.try_get("window_ms")?,
            })
        })
        .collect()
}
