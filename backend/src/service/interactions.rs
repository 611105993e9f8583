//! Interaction data: recordings and transcripts uploaded by connectors, their downloads, and
//! windowed lists of recordings, transcripts, notes and dispositions across engagements.

use super::reports::QueueScope;
use super::{invalid, Ctx, Result, ServiceError};
use crate::auth::{Principal, Scope};
use crate::store::blobs::{BlobError, Blobs, ByteRange, Download};
use crate::store::engagements as eng;
use crate::store::interactions::{
    self as store, EngagementTime, RecordingRow, TranscriptRow, Window,
};
use crate::store::ms_to_datetime;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use bytes::Bytes;
use futures_util::Stream;
use shared::events::EventKind;
use shared::ids::{EngagementId, QueueId};
use shared::interactions::{
    AssignedDisposition, NoteEntry, Page, Recording, SurveyEntry, Transcript,
};
use shared::payload::Detail;
use shared::Channel;
use time::OffsetDateTime;

/// Where files live and how they are addressed.
pub struct Files {
    pub blobs: Blobs,
    /// The server's public base URL (`download_url`, `transcript_url`), without a trailing `/`.
    pub public_url: String,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Largest file in a web chat, in bytes (`--chat-attachment-max-bytes`).
    pub max_attachment_bytes: u64,
}

/// Transcripts are text: read whole to check their format, so they get a tighter limit.
const MAX_TRANSCRIPT_BYTES: u64 = 20 * 1024 * 1024;
/// A window may span at most this long (as Zoom's List recordings).
const MAX_WINDOW_MS: i64 = 31 * 24 * 3600 * 1000;
const DEFAULT_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

pub(crate) fn blob_error(e: BlobError) -> ServiceError {
    match e {
        BlobError::TooLarge { limit } => ServiceError::TooLarge(format!(
            "the file is larger than this server accepts ({limit} bytes)"
        )),
        BlobError::Empty => invalid("body", "the upload is empty"),
        BlobError::Upload(m) => invalid("body", format!("the upload was cut off: {m}")),
        BlobError::Missing => {
            ServiceError::NotFound("the file is missing from the blob store".into())
        }
        BlobError::RangeNotSatisfiable { size } => ServiceError::RangeNotSatisfiable { size },
        BlobError::Store(e) => ServiceError::Store(crate::store::StoreError::Corrupt(format!(
            "blob store: {e}"
        ))),
        BlobError::Config(m) => ServiceError::Store(crate::store::StoreError::Corrupt(m)),
    }
}

fn recording_view(ctx: &Ctx, r: &RecordingRow) -> Result<Recording> {
    let base = &ctx.files.public_url;
    Ok(Recording {
        recording_id: r.recording_id,
        engagement_id: r.engagement_id,
        agent_id: r.agent_id,
        channel: r.channel,
        content_type: r.content_type.clone(),
        size_bytes: r.size_bytes,
        recording_start_time: ms_to_datetime(r.recording_start_ms)?,
        recording_end_time: ms_to_datetime(r.recording_end_ms)?,
        recording_duration: (r.recording_end_ms - r.recording_start_ms) / 1000,
        download_url: format!("{base}/v1/recordings/{}/download", r.recording_id),
        transcript_url: r
            .transcript_key
            .as_ref()
            .map(|_| format!("{base}/v1/recordings/{}/transcript", r.recording_id)),
    })
}

fn transcript_view(ctx: &Ctx, t: &TranscriptRow) -> Result<Transcript> {
    Ok(Transcript {
        engagement_id: t.engagement_id,
        channel: t.channel,
        content_type: t.content_type.clone(),
        size_bytes: t.size_bytes,
        completed_at: ms_to_datetime(t.completed_at_ms)?,
        transcript_url: format!(
            "{}/v1/engagements/{}/transcript",
            ctx.files.public_url, t.engagement_id
        ),
    })
}

async fn engagement(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<eng::EngagementRecord> {
    let mut conn = ctx.store.read().await?;
    eng::get(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no engagement {id}")))
}

/// A media type with its parameters dropped, lower-cased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `POST /v1/engagements/{id}/recordings`: stream the audio into the blob store, then record
/// it and log `recording.completed` in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn upload_recording<S, E>(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    start: OffsetDateTime,
    end: OffsetDateTime,
    content_type: &str,
    content_length: Option<u64>,
    body: S,
) -> Result<Recording>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    p.admin_or(Scope::RecordingsWrite)?;
    let media = essence(content_type);
    if !media.starts_with("audio/") || media.len() <= "audio/".len() {
        return Err(ServiceError::UnsupportedMedia(
            "a recording's Content-Type must be audio/* (e.g. audio/wav, audio/mpeg)".into(),
        ));
    }
    if end < start {
        return Err(invalid(
            "recording_end_time",
            "recording_end_time is before recording_start_time",
        ));
    }
    let limit = ctx.files.max_upload_bytes;
    if content_length.is_some_and(|n| n > limit) {
        return Err(ServiceError::TooLarge(format!(
            "the recording is larger than this server accepts ({limit} bytes)"
        )));
    }
    let rec = engagement(ctx, p, id).await?;
    let recording_id = uuid::Uuid::now_v7();
    let key = format!("recordings/{id}/{recording_id}");
    let size = ctx
        .files
        .blobs
        .put_stream(&key, body, limit)
        .await
        .map_err(blob_error)?;
    let now = ctx.clock.now_ms();
    let row = RecordingRow {
        recording_id,
        account_id: p.account(),
        engagement_id: id,
        agent_id: rec.agent_id,
        channel: rec.channel,
        content_type: media,
        size_bytes: size as i64,
        blob_key: key.clone(),
        recording_start_ms: (start.unix_timestamp_nanos() / 1_000_000) as i64,
        recording_end_ms: (end.unix_timestamp_nanos() / 1_000_000) as i64,
        transcript_key: None,
        transcript_content_type: None,
        transcript_completed_ms: None,
        created_at_ms: now,
    };
    let saved = save_recording(ctx, &rec, &row).await;
    if saved.is_err() {
        // No row points at the file: remove it rather than leave an orphan.
        ctx.files.blobs.delete(&key).await;
    }
    saved
}

/// Records a file already in the blob store as the engagement's recording and logs
/// `recording.completed` (webhook `contact_center.recording_completed`) in one transaction.
pub(crate) async fn save_recording(
    ctx: &Ctx,
    rec: &crate::store::engagements::EngagementRecord,
    row: &RecordingRow,
) -> Result<Recording> {
    let view = recording_view(ctx, row)?;
    let mut tx = ctx.store.begin_for(row.account_id).await?;
    store::insert_recording(tx.conn().await?, row).await?;
    super::events::emit(
        &mut tx,
        rec,
        &[],
        EventKind::RecordingCompleted,
        // The agent who handled it: their widget hears of the recording (zcc-call-recording).
        rec.agent_id,
        Detail::Recording {
            recording: view.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Check a transcript's format: WebVTT (`text/vtt`), JSON segments (`application/json`) or,
/// for messaging transcripts, plain text. Returns the media type stored.
fn check_transcript(content_type: &str, body: &[u8], allow_plain: bool) -> Result<String> {
    let media = essence(content_type);
    match media.as_str() {
        "text/vtt" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| invalid("body", "a WebVTT transcript must be UTF-8 text"))?;
            if !text.trim_start_matches('\u{feff}').starts_with("WEBVTT") {
                return Err(invalid(
                    "body",
                    "a WebVTT transcript must start with WEBVTT",
                ));
            }
        }
        "application/json" => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| invalid("body", format!("the transcript is not valid JSON: {e}")))?;
            let segments = value
                .as_array()
                .or_else(|| value.get("segments").and_then(|s| s.as_array()))
                .or_else(|| value.get("messages").and_then(|s| s.as_array()));
            if segments.is_none() {
                return Err(invalid(
                    "body",
                    "a JSON transcript is an array of segments, or an object with \"segments\" (or \"messages\")",
                ));
            }
        }
        "text/plain" if allow_plain => {
            std::str::from_utf8(body)
                .map_err(|_| invalid("body", "the transcript must be UTF-8 text"))?;
        }
        _ => {
            return Err(ServiceError::UnsupportedMedia(if allow_plain {
                "a transcript's Content-Type must be text/vtt, application/json or text/plain"
                    .into()
            } else {
                "a transcript's Content-Type must be text/vtt (WebVTT) or application/json (segments)".into()
            }))
        }
    }
    if body.is_empty() {
        return Err(invalid("body", "the transcript is empty"));
    }
    Ok(media)
}

fn check_transcript_size(len: usize) -> Result<()> {
    if len as u64 > MAX_TRANSCRIPT_BYTES {
        return Err(ServiceError::TooLarge(format!(
            "a transcript may be at most {MAX_TRANSCRIPT_BYTES} bytes"
        )));
    }
    Ok(())
}

/// `PUT /v1/recordings/{id}/transcript`.
pub async fn put_recording_transcript(
    ctx: &Ctx,
    p: &Principal,
    recording_id: uuid::Uuid,
    content_type: &str,
    body: Bytes,
) -> Result<Recording> {
    p.admin_or(Scope::RecordingsWrite)?;
    check_transcript_size(body.len())?;
    let media = check_transcript(content_type, &body, false)?;
    let mut row = recording_row(ctx, p, recording_id).await?;
    let rec = engagement(ctx, p, row.engagement_id).await?;
    let key = format!(
        "transcripts/recordings/{recording_id}/{}",
        uuid::Uuid::now_v7()
    );
    ctx.files
        .blobs
        .put_bytes(&key, body)
        .await
        .map_err(blob_error)?;
    let now = ctx.clock.now_ms();
    row.transcript_key = Some(key.clone());
    row.transcript_content_type = Some(media.clone());
    row.transcript_completed_ms = Some(now);
    let view = recording_view(ctx, &row)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    store::set_recording_transcript(tx.conn().await?, recording_id, &key, &media, now).await?;
    super::events::emit(
        &mut tx,
        &rec,
        &[],
        EventKind::RecordingTranscriptCompleted,
        None,
        Detail::Recording {
            recording: view.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// `PUT /v1/engagements/{id}/transcript`: a chat, SMS or email engagement's transcript.
pub async fn put_engagement_transcript(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    content_type: &str,
    body: Bytes,
) -> Result<Transcript> {
    p.admin_or(Scope::RecordingsWrite)?;
    check_transcript_size(body.len())?;
    let media = check_transcript(content_type, &body, true)?;
    let rec = engagement(ctx, p, id).await?;
    if !matches!(rec.channel, Channel::Chat | Channel::Sms | Channel::Email) {
        return Err(ServiceError::Conflict {
            message: format!(
                "engagement {id} is a {} engagement; transcripts here are for chat, sms and email (voice transcripts belong to a recording)",
                rec.channel.as_str()
            ),
            engagement_id: Some(id),
        });
    }
    let size = body.len() as i64;
    let key = format!("transcripts/engagements/{id}/{}", uuid::Uuid::now_v7());
    ctx.files
        .blobs
        .put_bytes(&key, body)
        .await
        .map_err(blob_error)?;
    let row = TranscriptRow {
        engagement_id: id,
        account_id: p.account(),
        channel: rec.channel,
        content_type: media,
        size_bytes: size,
        blob_key: key,
        completed_at_ms: ctx.clock.now_ms(),
    };
    let view = transcript_view(ctx, &row)?;
    let mut tx = ctx.store.begin_for(p.account()).await?;
    store::upsert_transcript(tx.conn().await?, &row).await?;
    announce_transcript(&mut tx, &rec, &view).await?;
    tx.commit().await?;
    Ok(view)
}

/// `engagement.messaging_transcript_completed` for `view`, in the transaction that stored it.
async fn announce_transcript(
    tx: &mut crate::store::Tx,
    rec: &eng::EngagementRecord,
    view: &Transcript,
) -> Result<()> {
    super::events::emit(
        tx,
        rec,
        &[],
        EventKind::EngagementMessagingTranscriptCompleted,
        None,
        Detail::Transcript {
            transcript: view.clone(),
        },
    )
    .await
}

/// Write a closed web chat's transcript (JSON: the conversation, oldest first) unless it has
/// one, and announce it (`engagement.messaging_transcript_completed`, whose `transcript_url`
/// needs API credentials). `None` when it had one already.
pub async fn write_chat_transcript(ctx: &Ctx, id: EngagementId) -> Result<Option<Transcript>> {
    let account = ctx.account;
    let (rec, messages) = {
        let mut conn = ctx.store.read().await?;
        let rec = eng::get(&mut conn, account, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no engagement {id}")))?;
        let messages = crate::store::messages::for_engagement(&mut conn, id).await?;
        (rec, messages)
    };
    let body = serde_json::to_vec(&serde_json::json!({
        "engagement_id": id,
        "channel": rec.channel,
        "consumer": rec.consumer,
        "messages": messages,
    }))
    .map_err(|e| {
        crate::store::StoreError::Corrupt(format!("a transcript did not serialize: {e}"))
    })?;
    let key = format!("transcripts/engagements/{id}/{}", uuid::Uuid::now_v7());
    let row = TranscriptRow {
        engagement_id: id,
        account_id: account,
        channel: rec.channel,
        content_type: "application/json".into(),
        size_bytes: body.len() as i64,
        blob_key: key.clone(),
        completed_at_ms: ctx.clock.now_ms(),
    };
    ctx.files
        .blobs
        .put_bytes(&key, Bytes::from(body))
        .await
        .map_err(blob_error)?;
    let view = transcript_view(ctx, &row)?;
    let stored = async {
        let mut tx = ctx.store.begin_for(account).await?;
        if !store::insert_transcript_if_absent(tx.conn().await?, &row).await? {
            return Ok(false);
        }
        announce_transcript(&mut tx, &rec, &view).await?;
        tx.commit().await?;
        Ok::<bool, ServiceError>(true)
    }
    .await;
    match stored {
        Ok(true) => Ok(Some(view)),
        other => {
            // Not (or no longer) pointed at by any row: remove the file.
            ctx.files.blobs.delete(&key).await;
            other.map(|_| None)
        }
    }
}

/// A file to send: its media type and the (ranged) stream.
pub struct FileDownload {
    pub content_type: String,
    pub download: Download,
}

async fn recording_row(ctx: &Ctx, p: &Principal, id: uuid::Uuid) -> Result<RecordingRow> {
    let mut conn = ctx.store.read().await?;
    store::get_recording(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no recording {id}")))
}

/// Stream a stored file (whole or a range).
async fn file(
    ctx: &Ctx,
    key: &str,
    content_type: String,
    range: Option<ByteRange>,
) -> Result<FileDownload> {
    let download = ctx.files.blobs.get(key, range).await.map_err(blob_error)?;
    Ok(FileDownload {
        content_type,
        download,
    })
}

pub async fn download_recording(
    ctx: &Ctx,
    p: &Principal,
    id: uuid::Uuid,
    range: Option<ByteRange>,
) -> Result<FileDownload> {
    p.admin_or(Scope::RecordingsRead)?;
    let row = recording_row(ctx, p, id).await?;
    file(ctx, &row.blob_key, row.content_type, range).await
}

pub async fn download_recording_transcript(
    ctx: &Ctx,
    p: &Principal,
    id: uuid::Uuid,
    range: Option<ByteRange>,
) -> Result<FileDownload> {
    p.admin_or(Scope::RecordingsRead)?;
    let row = recording_row(ctx, p, id).await?;
    let (Some(key), Some(media)) = (row.transcript_key, row.transcript_content_type) else {
        return Err(ServiceError::NotFound(format!(
            "recording {id} has no transcript yet"
        )));
    };
    file(ctx, &key, media, range).await
}

pub async fn download_engagement_transcript(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    range: Option<ByteRange>,
) -> Result<FileDownload> {
    p.admin_or(Scope::RecordingsRead)?;
    let mut conn = ctx.store.read().await?;
    let row = store::get_transcript(&mut conn, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("engagement {id} has no transcript")))?;
    drop(conn);
    file(ctx, &row.blob_key, row.content_type, range).await
}

// ---- windowed lists ------------------------------------------------------------------------

/// The query of every windowed list, as given.
#[derive(Debug, Clone, Default)]
pub struct WindowQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub query_date_type: Option<String>,
    pub page_size: Option<i64>,
    pub next_page_token: Option<String>,
}

/// `from`/`to`: RFC 3339, or a date (`2026-12-01`: from its start; as `to`, through its end).
pub(crate) fn parse_time(field: &str, value: &str, end_of_day: bool) -> Result<OffsetDateTime> {
    let value = value.trim();
    if let Ok(t) = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let bad = || {
        invalid(
            field,
            format!(
                "{field} must be an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)"
            ),
        )
    };
    let parts: Vec<&str> = value.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i32, u8, u8) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(y, month, d).map_err(|_| bad())?;
    let t = date.midnight().assume_utc();
    Ok(if end_of_day {
        t + time::Duration::days(1) - time::Duration::milliseconds(1)
    } else {
        t
    })
}

pub(crate) struct Resolved {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub window: Window,
}

pub(crate) fn resolve(ctx: &Ctx, q: &WindowQuery) -> Result<Resolved> {
    let now = ms_to_datetime(ctx.clock.now_ms())?;
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(t) => parse_time("to", t, true)?,
        None => now,
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(f) => parse_time("from", f, false)?,
        None => to - time::Duration::milliseconds(DEFAULT_WINDOW_MS),
    };
    if to < from {
        return Err(invalid("to", "to is before from"));
    }
    let ms = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
    if ms(to) - ms(from) > MAX_WINDOW_MS {
        return Err(invalid(
            "to",
            "from and to may be at most one month (31 days) apart",
        ));
    }
    let page_size = q.page_size.unwrap_or(30);
    if !(1..=300).contains(&page_size) {
        return Err(invalid("page_size", "page_size must be between 1 and 300"));
    }
    let after = match q.next_page_token.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(token) => Some(decode_token(token)?),
    };
    Ok(Resolved {
        from,
        to,
        window: Window {
            from_ms: ms(from),
            to_ms: ms(to),
            after,
            limit: page_size + 1,
        },
    })
}

fn encode_token(ms: i64, id: &str) -> String {
    B64.encode(format!("1:{ms}:{id}"))
}

fn decode_token(token: &str) -> Result<(i64, String)> {
    let bad = || {
        invalid(
            "next_page_token",
            "next_page_token is not one this server issued",
        )
    };
    let text = B64.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("1"), Some(ms), Some(id)) if !id.is_empty() => {
            Ok((ms.parse().map_err(|_| bad())?, id.to_string()))
        }
        _ => Err(bad()),
    }
}

/// Cut a fetched page (one row more than asked, to know whether another page exists) and
/// build the page with its token.
pub(crate) fn page<R, T>(
    r: &Resolved,
    mut rows: Vec<R>,
    key: impl Fn(&R) -> (i64, String),
    view: impl Fn(&R) -> Result<T>,
) -> Result<Page<T>> {
    let page_size = r.window.limit - 1;
    let more = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    let next_page_token = if more {
        rows.last().map(|last| {
            let (ms, id) = key(last);
            encode_token(ms, &id)
        })
    } else {
        None
    };
    Ok(Page {
        from: r.from,
        to: r.to,
        page_size,
        next_page_token,
        items: rows.iter().map(view).collect::<Result<Vec<_>>>()?,
    })
}

pub(crate) fn engagement_time(q: &WindowQuery) -> Result<EngagementTime> {
    match q.query_date_type.as_deref().unwrap_or("start_time") {
        "start_time" => Ok(EngagementTime::Start),
        "end_time" => Ok(EngagementTime::End),
        other => Err(invalid(
            "query_date_type",
            format!("query_date_type is start_time or end_time, not {other:?}"),
        )),
    }
}

pub async fn list_recordings(ctx: &Ctx, p: &Principal, q: &WindowQuery) -> Result<Page<Recording>> {
    p.admin_or(Scope::RecordingsRead)?;
    let by_end = match q
        .query_date_type
        .as_deref()
        .unwrap_or("recording_start_time")
    {
        "recording_start_time" => false,
        "recording_end_time" => true,
        other => {
            return Err(invalid(
                "query_date_type",
                format!(
                    "query_date_type is recording_start_time or recording_end_time, not {other:?}"
                ),
            ))
        }
    };
    let r = resolve(ctx, q)?;
    let mut conn = ctx.store.read().await?;
    let rows = store::list_recordings(&mut conn, p.account(), by_end, &r.window).await?;
    page(
        &r,
        rows,
        |row| {
            let ms = if by_end {
                row.recording_end_ms
            } else {
                row.recording_start_ms
            };
            (ms, row.recording_id.to_string())
        },
        |row| recording_view(ctx, row),
    )
}

pub async fn list_transcripts(
    ctx: &Ctx,
    p: &Principal,
    q: &WindowQuery,
) -> Result<Page<Transcript>> {
    p.admin_or(Scope::RecordingsRead)?;
    let by = engagement_time(q)?;
    let r = resolve(ctx, q)?;
    let mut conn = ctx.store.read().await?;
    let rows = store::list_transcripts(&mut conn, p.account(), by, &r.window).await?;
    page(
        &r,
        rows,
        |(t, ms)| (*ms, t.engagement_id.to_string()),
        |(t, _)| transcript_view(ctx, t),
    )
}

pub(crate) fn engagement_reader(p: &Principal) -> Result<()> {
    match p {
        Principal::Client { .. } => Ok(p.client_with(Scope::EngagementsRead)?),
        Principal::Agent { .. } => Ok(p.supervisor_or(Scope::EngagementsRead)?),
    }
}

pub async fn list_notes(ctx: &Ctx, p: &Principal, q: &WindowQuery) -> Result<Page<NoteEntry>> {
    engagement_reader(p)?;
    let by = engagement_time(q)?;
    let r = resolve(ctx, q)?;
    let mut conn = ctx.store.read().await?;
    let rows = store::list_notes(&mut conn, p.account(), by, &r.window).await?;
    page(
        &r,
        rows,
        |n| (n.window_ms, n.note_id.to_string()),
        |n| {
            Ok(NoteEntry {
                note_id: n.note_id,
                engagement_id: n.engagement_id,
                agent_id: n.agent_id,
                body: n.body.clone(),
                created_at: ms_to_datetime(n.created_at_ms)?,
                engagement_start_time: ms_to_datetime(n.engagement_start_ms)?,
                engagement_end_time: n.engagement_end_ms.map(ms_to_datetime).transpose()?,
            })
        },
    )
}

/// `GET /v1/surveys`: survey answers of engagements that started (or ended) in the window (a
/// supervisor's: about their supervised queues only).
pub async fn list_surveys(ctx: &Ctx, p: &Principal, q: &WindowQuery) -> Result<Page<SurveyEntry>> {
    engagement_reader(p)?;
    let by = engagement_time(q)?;
    let r = resolve(ctx, q)?;
    // A supervisor reads the answers about their own queues, as their reports.
    let queues: Option<Vec<QueueId>> = match super::reports::supervised(ctx, p).await? {
        QueueScope::All => None,
        QueueScope::Only(set) => Some(set.into_iter().collect()),
    };
    let mut conn = ctx.store.read().await?;
    let rows =
        store::list_surveys(&mut conn, p.account(), by, &r.window, queues.as_deref()).await?;
    page(
        &r,
        rows,
        |s| (s.window_ms, s.answer.engagement_id.to_string()),
        |s| {
            Ok(SurveyEntry {
                survey: s.answer.clone(),
                engagement_start_time: ms_to_datetime(s.engagement_start_ms)?,
                engagement_end_time: s.engagement_end_ms.map(ms_to_datetime).transpose()?,
            })
        },
    )
}

pub async fn list_dispositions(
    ctx: &Ctx,
    p: &Principal,
    q: &WindowQuery,
) -> Result<Page<AssignedDisposition>> {
    engagement_reader(p)?;
    let by = engagement_time(q)?;
    let r = resolve(ctx, q)?;
    let mut conn = ctx.store.read().await?;
    let rows = store::list_dispositions(&mut conn, p.account(), by, &r.window).await?;
    page(
        &r,
        rows,
        |d| (d.window_ms, d.engagement_id.to_string()),
        |d| {
            Ok(AssignedDisposition {
                engagement_id: d.engagement_id,
                disposition_id: d.disposition_id,
                name: d.name.clone(),
                code: d.code.clone(),
                agent_id: d.agent_id,
                engagement_start_time: ms_to_datetime(d.engagement_start_ms)?,
                engagement_end_time: d.engagement_end_ms.map(ms_to_datetime).transpose()?,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_forgeries() {
        let t = encode_token(1_700_000_000_000, "abc-def");
        assert_eq!(
            decode_token(&t).unwrap(),
            (1_700_000_000_000, "abc-def".into())
        );
        for bad in [
            "",
            "!!!",
            &B64.encode("2:1:x"),
            &B64.encode("1:x:y"),
            &B64.encode("1:5:"),
        ] {
            assert!(decode_token(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_rfc3339_or_dates() {
        let t = parse_time("from", "2026-12-01T10:00:00+01:00", false).unwrap();
        assert_eq!(t.unix_timestamp(), 1_796_115_600);
        let day = parse_time("from", "2026-12-01", false).unwrap();
        let end = parse_time("to", "2026-12-01", true).unwrap();
        assert_eq!((end - day).whole_milliseconds(), 86_400_000 - 1);
        assert!(parse_time("from", "yesterday", false).is_err());
    }

    #[test]
    fn transcripts_are_checked() {
        assert_eq!(
            check_transcript(
                "text/vtt; charset=utf-8",
                b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi",
                false
            )
            .unwrap(),
            "text/vtt"
        );
        assert!(check_transcript("text/vtt", b"hello", false).is_err());
        assert!(
            check_transcript("application/json", br#"[{"start":0,"text":"hi"}]"#, false).is_ok()
        );
        assert!(check_transcript("application/json", br#"{"segments":[]}"#, false).is_ok());
        assert!(check_transcript("application/json", br#"{"x":1}"#, false).is_err());
        assert!(matches!(
            check_transcript("text/plain", b"hi", false),
            Err(ServiceError::UnsupportedMedia(_))
        ));
        assert!(check_transcript("text/plain", b"hi", true).is_ok());
    }
}
