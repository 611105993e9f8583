//! Keeping a call's recording while it is made. The media engine hands over finished Ogg
//! pages about once a second; they are written to the blob store as numbered parts under
//! `calls/{engagement}/{recording}/{start_ms}/` at least every [`PART_SECS`], so a crash loses
//! at most those seconds. When the call ends the parts become one file,
//! `recordings/{engagement}/{recording}` (streamed, never whole in memory), recorded as the
//! engagement's recording with `recording.completed` (webhook and widget, like an uploaded
//! one), and the parts are removed. Parts a crash left behind are joined the same way when
//! the server starts again ([`Recordings::recover`]).

use crate::service::Ctx;
use crate::store::interactions::RecordingRow;
use bytes::Bytes;
use shared::ids::EngagementId;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

/// How long pages wait in memory before they are written as a part.
pub const PART_SECS: u64 = 5;
/// The media type of a recording.
const CONTENT_TYPE: &str = "audio/ogg";

struct Open {
    prefix: String,
    part: u32,
    buffer: Vec<u8>,
    last_write: Instant,
    started_ms: i64,
}

/// The recordings being made on this instance.
#[derive(Default)]
pub struct Recordings {
    open: HashMap<EngagementId, Open>,
}

fn part_key(prefix: &str, part: u32) -> String {
    format!("{prefix}/{part:08}")
}

impl Recordings {
    /// A recording starts: its header pages are written at once, so the file exists.
    pub async fn start(&mut self, ctx: &Ctx, call: EngagementId, at: SystemTime, header: Vec<u8>) {
        let started_ms = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let recording = uuid::Uuid::now_v7();
        let mut open = Open {
            prefix: format!("calls/{call}/{recording}/{started_ms}"),
            part: 0,
            buffer: header,
            last_write: Instant::now(),
            started_ms,
        };
        write_part(ctx, &mut open).await;
        self.open.insert(call, open);
    }

    /// More pages: written once [`PART_SECS`] have gathered.
    pub async fn append(&mut self, ctx: &Ctx, call: EngagementId, bytes: Vec<u8>) {
        let Some(open) = self.open.get_mut(&call) else {
            return;
        };
        open.buffer.extend(bytes);
        if open.last_write.elapsed() >= Duration::from_secs(PART_SECS) {
            write_part(ctx, open).await;
        }
    }

    /// The call ended: the last pages, then the file is joined and recorded.
    pub async fn finish(
        &mut self,
        ctx: &Ctx,
        call: EngagementId,
        bytes: Vec<u8>,
        duration: Duration,
    ) {
        let Some(mut open) = self.open.remove(&call) else {
            return;
        };
        open.buffer.extend(bytes);
        write_part(ctx, &mut open).await;
        let end_ms = open.started_ms + duration.as_millis() as i64;
        complete(ctx, call, &open.prefix, open.started_ms, end_ms).await;
    }

    /// Joins and records the parts an earlier run left behind (it stopped mid-call). The end
    /// time is read from the last page's granule position.
    pub async fn recover(&mut self, ctx: &Ctx) {
        let keys = match ctx.files.blobs.list("calls").await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for unfinished call recordings");
                return;
            }
        };
        let mut prefixes: Vec<String> = keys
            .iter()
            .filter_map(|k| k.rsplit_once('/').map(|(p, _)| p.to_string()))
            .collect();
        prefixes.dedup();
        for prefix in prefixes {
            let mut parts = prefix.split('/').skip(1);
            let (Some(call), Some(_), Some(start)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(call), Ok(started_ms)) = (call.parse::<EngagementId>(), start.parse::<i64>())
            else {
                continue;
            };
            let seconds = last_granule_seconds(ctx, &keys, &prefix)
                .await
                .unwrap_or(0.0);
            tracing::warn!(%call, seconds, "recovering a call recording an earlier run left unfinished");
            complete(
                ctx,
                call,
                &prefix,
                started_ms,
                started_ms + (seconds * 1000.0) as i64,
            )
            .await;
        }
    }
}

async fn write_part(ctx: &Ctx, open: &mut Open) {
    open.last_write = Instant::now();
    if open.buffer.is_empty() {
        return;
    }
    let key = part_key(&open.prefix, open.part);
    let bytes = Bytes::from(std::mem::take(&mut open.buffer));
    match ctx.files.blobs.put_bytes(&key, bytes.clone()).await {
        Ok(_) => open.part += 1,
        Err(e) => {
            // Kept for the next write: the pages are lost only if the store stays down.
            tracing::warn!(error = %e, %key, "a recording part was not written; retrying with the next");
            open.buffer = bytes.to_vec();
        }
    }
}

/// Joins the parts under `prefix` into the engagement's recording and records it.
async fn complete(ctx: &Ctx, call: EngagementId, prefix: &str, start_ms: i64, end_ms: i64) {
    let blobs = &ctx.files.blobs;
    let parts = match blobs.list(prefix).await {
        Ok(parts) if !parts.is_empty() => parts,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, %call, "cannot list a recording's parts");
            return;
        }
    };
    let recording_id = prefix
        .split('/')
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(uuid::Uuid::now_v7);
    let key = format!("recordings/{call}/{recording_id}");
    let size = match blobs.concat(&key, &parts).await {
        Ok(size) => size,
        Err(e) => {
            tracing::error!(error = %e, %call, "a call recording could not be joined; its parts stay for the next start");
            return;
        }
    };
    let found = async {
        let mut conn = ctx.store.read().await?;
        crate::store::engagements::get(&mut conn, ctx.account, call).await
    }
    .await;
    let rec = match found {
        Ok(Some(rec)) => rec,
        _ => {
            tracing::error!(%call, "a call recording's engagement is gone; the file stays at {key}");
            return;
        }
    };
    let row = RecordingRow {
        recording_id,
        account_id: ctx.account,
        engagement_id: call,
        agent_id: rec.agent_id,
        channel: rec.channel,
        content_type: CONTENT_TYPE.into(),
        size_bytes: size as i64,
        blob_key: key.clone(),
        recording_start_ms: start_ms,
        recording_end_ms: end_ms.max(start_ms),
        transcript_key: None,
        transcript_content_type: None,
        transcript_completed_ms: None,
        created_at_ms: ctx.clock.now_ms(),
    };
    match crate::service::interactions::save_recording(ctx, &rec, &row).await {
        Ok(_) => {
            for part in &parts {
                blobs.delete(part).await;
            }
        }
        Err(e) => {
            blobs.delete(&key).await;
            tracing::error!(error = %e, %call, "a call recording was not recorded; its parts stay for the next start");
        }
    }
}

/// The playing time up to the last complete Ogg page of the recording under `prefix`.
async fn last_granule_seconds(ctx: &Ctx, keys: &[String], prefix: &str) -> Option<f64> {
    let last = keys.iter().rfind(|k| k.starts_with(prefix))?;
    let download = ctx.files.blobs.get(last, None).await.ok()?;
    let chunks: Vec<Bytes> = futures_util::TryStreamExt::try_collect(download.body)
        .await
        .ok()?;
    let bytes = chunks.concat();
    let at = bytes.windows(4).rposition(|w| w == b"OggS")?;
    let granule = bytes.get(at + 6..at + 14)?;
    let samples = u64::from_le_bytes(granule.try_into().ok()?);
    Some(samples as f64 / 48_000.0)
}
