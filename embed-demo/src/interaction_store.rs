//! The CRM's records of interaction data (notes, dispositions, recordings, transcripts), the
//! events applied (the dedupe table) and the reconciliation runs.

use crate::store::{Result, Store};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub note_id: String,
    pub engagement_id: String,
    pub body: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Disposition {
    pub engagement_id: String,
    pub name: String,
    pub code: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    pub recording_id: String,
    pub engagement_id: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub duration_secs: i64,
    pub started_at: String,
    pub download_url: String,
    pub local_path: Option<String>,
    pub transcript: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    pub engagement_id: String,
    pub content_type: String,
    pub body: String,
    pub source: String,
}

/// Where an engagement's data belongs here: the ticket (work item id) and/or contact.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    pub ticket_id: Option<String>,
    pub contact_id: Option<String>,
}

/// Everything stored for one ticket.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TicketData {
    pub notes: Vec<Note>,
    pub dispositions: Vec<Disposition>,
    pub recordings: Vec<Recording>,
    pub transcripts: Vec<Transcript>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReconcileRun {
    pub run_id: i64,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub after_seq: i64,
    pub up_to_seq: Option<i64>,
    pub seen: i64,
    pub applied: i64,
    pub error: Option<String>,
    pub trigger: String,
}

impl Store {
    /// Record that an event was applied; `false` if it already was (a duplicate).
    pub async fn mark_applied(
        &self,
        event_id: &str,
        seq: i64,
        event: &str,
        source: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO applied_events (event_id, seq, event, source, applied_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(event_id)
        .bind(seq)
        .bind(event)
        .bind(source)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn is_applied(&self, event_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applied_events WHERE event_id = ?")
            .bind(event_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn save_note(
        &self,
        n: &Note,
        owner: &Owner,
        agent_id: Option<&str>,
        created_at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO notes (note_id, engagement_id, ticket_id, contact_id, body, agent_id, created_at_ms, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&n.note_id)
        .bind(&n.engagement_id)
        .bind(&owner.ticket_id)
        .bind(&owner.contact_id)
        .bind(&n.body)
        .bind(agent_id)
        .bind(created_at_ms)
        .bind(&n.source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn save_disposition(&self, d: &Disposition, owner: &Owner) -> Result<()> {
        sqlx::query(
            "INSERT INTO dispositions (engagement_id, ticket_id, contact_id, name, code, source) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (engagement_id) DO UPDATE SET name = excluded.name, code = excluded.code",
        )
        .bind(&d.engagement_id)
        .bind(&owner.ticket_id)
        .bind(&owner.contact_id)
        .bind(&d.name)
        .bind(&d.code)
        .bind(&d.source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn save_recording(&self, r: &Recording, owner: &Owner) -> Result<()> {
        sqlx::query(
            "INSERT INTO recordings (recording_id, engagement_id, ticket_id, contact_id, content_type, size_bytes, duration_secs, started_at, download_url, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&r.recording_id)
        .bind(&r.engagement_id)
        .bind(&owner.ticket_id)
        .bind(&owner.contact_id)
        .bind(&r.content_type)
        .bind(r.size_bytes)
        .bind(r.duration_secs)
        .bind(&r.started_at)
        .bind(&r.download_url)
        .bind(&r.source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_recording_file(&self, recording_id: &str, path: &str) -> Result<()> {
        sqlx::query("UPDATE recordings SET local_path = ? WHERE recording_id = ?")
            .bind(path)
            .bind(recording_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_recording_transcript(&self, recording_id: &str, text: &str) -> Result<()> {
        sqlx::query("UPDATE recordings SET transcript = ? WHERE recording_id = ?")
            .bind(text)
            .bind(recording_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn recording(&self, recording_id: &str) -> Result<Option<Recording>> {
        let row = sqlx::query(
            "SELECT recording_id, engagement_id, content_type, size_bytes, duration_secs, started_at, download_url, local_path, transcript, source
             FROM recordings WHERE recording_id = ?",
        )
        .bind(recording_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| recording_from(&r)).transpose()
    }

    pub async fn save_transcript(&self, t: &Transcript, owner: &Owner) -> Result<()> {
        sqlx::query(
            "INSERT INTO transcripts (engagement_id, ticket_id, contact_id, content_type, body, source) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (engagement_id) DO UPDATE SET content_type = excluded.content_type, body = excluded.body",
        )
        .bind(&t.engagement_id)
        .bind(&owner.ticket_id)
        .bind(&owner.contact_id)
        .bind(&t.content_type)
        .bind(&t.body)
        .bind(&t.source)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The transcripts stored on a contact (a web chat names its customer by email).
    pub async fn contact_transcripts(&self, contact_id: &str) -> Result<Vec<Transcript>> {
        self.transcripts_where("contact_id", contact_id).await
    }

    async fn transcripts_where(&self, column: &'static str, id: &str) -> Result<Vec<Transcript>> {
        sqlx::query(&format!(
            "SELECT engagement_id, content_type, body, source FROM transcripts WHERE {column} = ?"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Transcript {
                engagement_id: r.try_get("engagement_id")?,
                content_type: r.try_get("content_type")?,
                body: r.try_get("body")?,
                source: r.try_get("source")?,
            })
        })
        .collect()
    }

    /// Notes, dispositions, recordings and transcripts stored for a ticket.
    pub async fn ticket_data(&self, ticket_id: &str) -> Result<TicketData> {
        let notes = sqlx::query("SELECT note_id, engagement_id, body, source FROM notes WHERE ticket_id = ? ORDER BY created_at_ms, note_id")
            .bind(ticket_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(Note {
                    note_id: r.try_get("note_id")?,
                    engagement_id: r.try_get("engagement_id")?,
                    body: r.try_get("body")?,
                    source: r.try_get("source")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let dispositions = sqlx::query(
            "SELECT engagement_id, name, code, source FROM dispositions WHERE ticket_id = ?",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Disposition {
                engagement_id: r.try_get("engagement_id")?,
                name: r.try_get("name")?,
                code: r.try_get("code")?,
                source: r.try_get("source")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let recordings = sqlx::query(
            "SELECT recording_id, engagement_id, content_type, size_bytes, duration_secs, started_at, download_url, local_path, transcript, source
             FROM recordings WHERE ticket_id = ? ORDER BY started_at",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(recording_from)
        .collect::<Result<Vec<_>>>()?;
        let transcripts = self.transcripts_where("ticket_id", ticket_id).await?;
        Ok(TicketData {
            notes,
            dispositions,
            recordings,
            transcripts,
        })
    }

    pub async fn start_run(&self, after_seq: i64, trigger: &str, now_ms: i64) -> Result<i64> {
        let done = sqlx::query(
            "INSERT INTO reconcile_runs (started_at_ms, after_seq, trigger) VALUES (?, ?, ?)",
        )
        .bind(now_ms)
        .bind(after_seq)
        .bind(trigger)
        .execute(&self.pool)
        .await?;
        Ok(done.last_insert_rowid())
    }

    pub async fn finish_run(
        &self,
        run_id: i64,
        up_to_seq: i64,
        seen: i64,
        applied: i64,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE reconcile_runs SET finished_at_ms = ?, up_to_seq = ?, seen = ?, applied = ?, error = ? WHERE run_id = ?")
            .bind(now_ms)
            .bind(up_to_seq)
            .bind(seen)
            .bind(applied)
            .bind(error)
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn last_run(&self) -> Result<Option<ReconcileRun>> {
        let row = sqlx::query(
            "SELECT run_id, started_at_ms, finished_at_ms, after_seq, up_to_seq, seen, applied, error, trigger
             FROM reconcile_runs ORDER BY run_id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ReconcileRun {
                run_id: r.try_get("run_id")?,
                started_at_ms: r.try_get("started_at_ms")?,
                finished_at_ms: r.try_get("finished_at_ms")?,
                after_seq: r.try_get("after_seq")?,
                up_to_seq: r.try_get("up_to_seq")?,
                seen: r.try_get("seen")?,
                applied: r.try_get("applied")?,
                error: r.try_get("error")?,
                trigger: r.try_get("trigger")?,
            })
        })
        .transpose()
    }
}

fn recording_from(r: &sqlx::sqlite::SqliteRow) -> Result<Recording> {
    Ok(Recording {
        recording_id: r.try_get("recording_id")?,
        engagement_id: r.try_get("engagement_id")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        duration_secs: r.try_get("duration_secs")?,
        started_at: r.try_get("started_at")?,
        download_url: r.try_get("download_url")?,
        local_path: r.try_get("local_path")?,
        transcript: r.try_get("transcript")?,
        source: r.try_get("source")?,
    })
}
