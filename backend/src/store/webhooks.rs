//! Webhook subscriptions and their delivery outbox (see `migrations/*/0003_webhooks.sql`).
//!
//! The event log is the outbox. [`Store::fan_out`] turns the events after a subscription's
//! cursor into delivery rows and advances the cursor in one transaction; workers then
//! [`Store::claim_due`] rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
//! instances never send the same delivery at once) and [`Store::record_attempts`] the results.

use super::events::event_from_row;
use super::{parse, Backend, Result, Store, StoreError, Tx};
use shared::events::Event;
use shared::ids::{AccountId, DeliveryId, EventId, WebhookId};
use shared::webhooks::{DeliveryStatus, ValidationState};
use sqlx::{AnyConnection, Row};

/// Webhook delivery backlog for `/metrics`: (the lowest cursor of an enabled subscription,
/// deliveries still pending). The cursor is `None` without an enabled subscription.
pub async fn backlog(conn: &mut AnyConnection, account: AccountId) -> Result<(Option<i64>, i64)> {
    let cursor: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(cursor_seq) FROM webhooks WHERE account_id = $1 AND enabled = 1",
    )
    .bind(account.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhooks w ON w.webhook_id = d.webhook_id
         WHERE w.account_id = $1 AND d.status = 'pending'",
    )
    .bind(account.to_string())
    .fetch_one(conn)
    .await?;
    Ok((cursor, pending))
}

/// A subscription as stored, secret included.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub webhook_id: WebhookId,
    pub account_id: AccountId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub validation: ValidationState,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_ms: Option<i64>,
    pub cursor_seq: i64,
    pub failing_since_ms: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

const WEBHOOK_COLUMNS: &str = "webhook_id, account_id, url, events, description, enabled, validation, secret, previous_secret, previous_secret_expires_ms, cursor_seq, failing_since_ms, disabled_reason, created_at_ms, updated_at_ms";

fn webhook_from_row(row: &sqlx::any::AnyRow) -> Result<WebhookRow> {
    let events: String = row.try_get("events")?;
    let validation: String = row.try_get("validation")?;
    Ok(WebhookRow {
        webhook_id: parse("webhook id", &row.try_get::<String, _>("webhook_id")?)?,
        account_id: parse("account id", &row.try_get::<String, _>("account_id")?)?,
        url: row.try_get("url")?,
        events: serde_json::from_str(&events)
            .map_err(|e| StoreError::Corrupt(format!("webhook events: {e}")))?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        validation: ValidationState::parse(&validation)
            .ok_or_else(|| StoreError::Corrupt(format!("validation {validation:?}")))?,
        secret: row.try_get("secret")?,
        previous_secret: row.try_get("previous_secret")?,
        previous_secret_expires_ms: row.try_get("previous_secret_expires_ms")?,
        cursor_seq: row.try_get("cursor_seq")?,
        failing_since_ms: row.try_get("failing_since_ms")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, w: &WebhookRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(w.webhook_id.to_string())
    .bind(w.account_id.to_string())
    .bind(&w.url)
    .bind(super::json(&w.events))
    .bind(&w.description)
    .bind(i64::from(w.enabled))
    .bind(w.validation.as_str())
    .bind(&w.secret)
    .bind(&w.previous_secret)
    .bind(w.previous_secret_expires_ms)
    .bind(w.cursor_seq)
    .bind(w.failing_since_ms)
    .bind(&w.disabled_reason)
    .bind(w.created_at_ms)
    .bind(w.updated_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Save every field but the id, the account, the cursor and the creation time.
pub async fn update(conn: &mut AnyConnection, w: &WebhookRow) -> Result<()> {
    let done = sqlx::query(
        "UPDATE webhooks SET url = $1, events = $2, description = $3, enabled = $4, validation = $5, secret = $6,
             previous_secret = $7, previous_secret_expires_ms = $8, failing_since_ms = $9, disabled_reason = $10,
             updated_at_ms = $11
         WHERE webhook_id = $12 AND account_id = $13",
    )
    .bind(&w.url)
    .bind(super::json(&w.events))
    .bind(&w.description)
    .bind(i64::from(w.enabled))
    .bind(w.validation.as_str())
    .bind(&w.secret)
    .bind(&w.previous_secret)
    .bind(w.previous_secret_expires_ms)
    .bind(w.failing_since_ms)
    .bind(&w.disabled_reason)
    .bind(w.updated_at_ms)
    .bind(w.webhook_id.to_string())
    .bind(w.account_id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Move the cursor to the account's latest event: a subscription that is (re-)enabled starts
/// from now (`recover` brings back what happened while it was off).
pub async fn reset_cursor(conn: &mut AnyConnection, w: &WebhookRow) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET cursor_seq = (SELECT COALESCE(MAX(seq), 0) FROM events WHERE account_id = $1) WHERE webhook_id = $2",
    )
    .bind(w.account_id.to_string())
    .bind(w.webhook_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    account: AccountId,
    id: WebhookId,
) -> Result<Option<WebhookRow>> {
    let row = sqlx::query(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE webhook_id = $1 AND account_id = $2"
    ))
    .bind(id.to_string())
    .bind(account.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(webhook_from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<WebhookRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 ORDER BY created_at_ms, webhook_id"
    ))
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(webhook_from_row).collect()
}

/// Delete a subscription with its deliveries and their attempts.
pub async fn delete(conn: &mut AnyConnection, account: AccountId, id: WebhookId) -> Result<()> {
    let id = id.to_string();
    sqlx::query("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries WHERE webhook_id = $1)")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    super::delete_one(
        conn,
        "DELETE FROM webhooks WHERE webhook_id = $1 AND account_id = $2",
        &id,
        &account.to_string(),
    )
    .await
}

/// A delivery a worker claimed and now sends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    #[sqlx(try_from = "String")]
    pub delivery_id: DeliveryId,
    pub event_seq: i64,
    pub event_name: String,
    pub attempt_count: i64,
    pub schedule_pos: i64,
    pub committed_at_ms: i64,
}

/// The result of one attempt, and what follows from it.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: DeliveryId,
    pub attempt_no: i64,
    pub attempted_at_ms: i64,
    pub response_status: Option<u16>,
    pub latency_ms: i64,
    pub response_body: Option<String>,
    pub error: Option<String>,
    /// The delivery's state after this attempt.
    pub status: DeliveryStatus,
    pub next_attempt_ms: Option<i64>,
    pub schedule_pos: i64,
}

/// A delivery row with its attempts, for the delivery log.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub delivery_id: DeliveryId,
    pub event_id: EventId,
    pub event_seq: i64,
    pub event_name: String,
    pub status: DeliveryStatus,
    pub next_attempt_ms: Option<i64>,
    pub attempts: Vec<AttemptRow>,
}

#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub attempted_at_ms: i64,
    pub response_status: Option<u16>,
    pub latency_ms: i64,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl Tx {
    /// Queue deliveries for the events after the subscription's cursor (at most `limit`) and
    /// move the cursor past them. `select` names the webhook name an event is delivered under,
    /// or `None` to skip it. Returns how many events were read (a full page: call again), or
    /// `None` when another instance is fanning out this subscription right now.
    pub async fn fan_out(
        &mut self,
        webhook: WebhookId,
        limit: i64,
        now_ms: i64,
        select: impl Fn(&Event) -> Option<&'static str>,
    ) -> Result<Option<usize>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "SELECT account_id, cursor_seq FROM webhooks WHERE webhook_id = $1 AND enabled = 1{lock}"
        ))
        .bind(webhook.to_string())
        .fetch_optional(&mut *self.inner)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account: String = row.try_get("account_id")?;
        let cursor: i64 = row.try_get("cursor_seq")?;
        let events = sqlx::query(&format!(
            "SELECT {} FROM events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            super::events::EVENT_COLUMNS
        ))
        .bind(&account)
        .bind(cursor)
        .bind(limit)
        .fetch_all(&mut *self.inner)
        .await?;
        let Some(last) = events.last() else {
            return Ok(Some(0));
        };
        let last_seq: i64 = last.try_get("seq")?;
        let mut rows = Vec::with_capacity(events.len());
        for row in &events {
            let event = event_from_row(row)?;
            let Some(name) = select(&event) else { continue };
            rows.push(NewDelivery {
                webhook,
                event_seq: event.seq,
                event_id: event.id,
                event_name: name,
                committed_at_ms: (event.occurred_at.unix_timestamp_nanos() / 1_000_000) as i64,
            });
        }
        insert_deliveries(&mut self.inner, &rows, now_ms, "ON CONFLICT DO NOTHING").await?;
        sqlx::query("UPDATE webhooks SET cursor_seq = $1 WHERE webhook_id = $2")
            .bind(last_seq)
            .bind(webhook.to_string())
            .execute(&mut *self.inner)
            .await?;
        Ok(Some(events.len()))
    }

    /// Write attempts and the deliveries' new states.
    pub async fn record_attempts(&mut self, records: &[AttemptRecord]) -> Result<()> {
        insert_attempts(&mut self.inner, records).await?;
        // Successes (the common case) in one statement; the rest one by one.
        let succeeded: Vec<String> = records
            .iter()
            .filter(|r| r.status == DeliveryStatus::Succeeded)
            .map(|r| format!("'{}'", r.delivery_id))
            .collect();
        if !succeeded.is_empty() {
            sqlx::query(&format!(
                "UPDATE webhook_deliveries SET status = 'succeeded', attempt_count = attempt_count + 1, next_attempt_ms = NULL, lease_until_ms = 0
                 WHERE delivery_id IN ({})",
                succeeded.join(",")
            ))
            .execute(&mut *self.inner)
            .await?;
        }
        for r in records
            .iter()
            .filter(|r| r.status != DeliveryStatus::Succeeded)
        {
            set_delivery_state(&mut self.inner, "webhook_deliveries", r).await?;
        }
        Ok(())
    }

    /// Set the subscription's continuous-failure clock (`None` after a success).
    pub async fn set_failing_since(
        &mut self,
        webhook: WebhookId,
        since: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE webhooks SET failing_since_ms = $1 WHERE webhook_id = $2")
            .bind(since)
            .bind(webhook.to_string())
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    /// Disable a subscription because its endpoint is gone; `false` if it already was.
    pub async fn disable_webhook(
        &mut self,
        webhook: WebhookId,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE webhooks SET enabled = 0, disabled_reason = $1, updated_at_ms = $2 WHERE webhook_id = $3 AND enabled = 1",
        )
        .bind(reason)
        .bind(now_ms)
        .bind(webhook.to_string())
        .execute(&mut *self.inner)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

impl Store {
    /// Every enabled subscription, of every account (the delivery workers' list).
    pub async fn enabled_webhooks(&self) -> Result<Vec<WebhookRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE enabled = 1"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    /// One subscription by id, whatever its account (the delivery worker).
    pub async fn webhook(&self, id: WebhookId) -> Result<Option<WebhookRow>> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE webhook_id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(webhook_from_row).transpose()
    }

    /// Claim up to `limit` deliveries that are due, leasing them until `lease_until_ms`.
    pub async fn claim_due(
        &self,
        webhook: WebhookId,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>> {
        let mut claimed: Vec<Claimed> = self
            .claim_due_in(
                &super::outbox::WEBHOOKS,
                &webhook.to_string(),
                now_ms,
                lease_until_ms,
                limit,
            )
            .await?;
        claimed.sort_by_key(|c| c.event_seq);
        Ok(claimed)
    }

    /// When the subscription's next pending delivery falls due (`None`: nothing pending).
    pub async fn next_due_ms(&self, webhook: WebhookId) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_ms) FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'",
        )
        .bind(webhook.to_string())
        .fetch_one(&self.reader)
        .await?)
    }

    /// Events by `seq`, in order.
    pub async fn events_by_seq(&self, seqs: &[i64]) -> Result<Vec<Event>> {
        if seqs.is_empty() {
            return Ok(vec![]);
        }
        let list = seqs
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(&format!(
            "SELECT {} FROM events WHERE seq IN ({list}) ORDER BY seq",
            super::events::EVENT_COLUMNS
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// SQLite runs one process: leases left by a process that died are void at start-up.
    pub async fn release_stale_leases(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("UPDATE webhook_deliveries SET lease_until_ms = 0 WHERE status = 'pending' AND lease_until_ms > 0")
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }
}

/// The delivery log of one subscription, by event `seq`, with each delivery's attempts.
pub async fn deliveries(
    conn: &mut AnyConnection,
    webhook: WebhookId,
    status: Option<DeliveryStatus>,
    after: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let rows = sqlx::query(
        "SELECT delivery_id, event_id, event_seq, event_name, status, next_attempt_ms FROM webhook_deliveries
         WHERE webhook_id = $1 AND event_seq > $2 AND ($3 = '' OR status = $3) ORDER BY event_seq LIMIT $4",
    )
    .bind(webhook.to_string())
    .bind(after)
    .bind(status.map_or("", DeliveryStatus::as_str))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let status: String = row.try_get("status")?;
        out.push(DeliveryRow {
            delivery_id: parse("delivery id", &row.try_get::<String, _>("delivery_id")?)?,
            event_id: parse("event id", &row.try_get::<String, _>("event_id")?)?,
            event_seq: row.try_get("event_seq")?,
            event_name: row.try_get("event_name")?,
            status: DeliveryStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status:?}")))?,
            next_attempt_ms: row.try_get("next_attempt_ms")?,
            attempts: Vec::new(),
        });
    }
    let mut attempts = attempts_for(conn, out.iter().map(|d| d.delivery_id)).await?;
    for d in &mut out {
        d.attempts = attempts.remove(&d.delivery_id).unwrap_or_default();
    }
    Ok(out)
}

/// The attempts of some deliveries (webhooks or callouts), oldest first.
pub(super) async fn attempts_for(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = DeliveryId>,
) -> Result<std::collections::HashMap<DeliveryId, Vec<AttemptRow>>> {
    let list: Vec<String> = ids.map(|d| format!("'{d}'")).collect();
    let mut out: std::collections::HashMap<DeliveryId, Vec<AttemptRow>> = Default::default();
    if list.is_empty() {
        return Ok(out);
    }
    let rows = sqlx::query(&format!(
        "SELECT delivery_id, attempted_at_ms, response_status, latency_ms, response_body, error FROM webhook_attempts
         WHERE delivery_id IN ({}) ORDER BY attempt_no",
        list.join(",")
    ))
    .fetch_all(conn)
    .await?;
    for row in &rows {
        let id: DeliveryId = parse("delivery id", &row.try_get::<String, _>("delivery_id")?)?;
        let status: Option<i64> = row.try_get("response_status")?;
        out.entry(id).or_default().push(AttemptRow {
            attempted_at_ms: row.try_get("attempted_at_ms")?,
            response_status: status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: row.try_get("latency_ms")?,
            response_body: row.try_get("response_body")?,
            error: row.try_get("error")?,
        });
    }
    Ok(out)
}

/// Save a delivery's state after an attempt, in `table` (`webhook_deliveries` or
/// `callout_deliveries`: both outboxes share the columns), and end its lease.
pub(super) async fn set_delivery_state(
    conn: &mut AnyConnection,
    table: &'static str,
    r: &AttemptRecord,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE {table} SET status = $1, attempt_count = $2, schedule_pos = $3, next_attempt_ms = $4, lease_until_ms = 0
         WHERE delivery_id = $5"
    ))
    .bind(r.status.as_str())
    .bind(r.attempt_no)
    .bind(r.schedule_pos)
    .bind(r.next_attempt_ms)
    .bind(r.delivery_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows per multi-row `INSERT` (parameters stay under SQLite's 999).
const ROWS_PER_INSERT: usize = 100;

/// `$1, $2, …` groups for a multi-row `VALUES`.
fn values_list(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Write attempts to the shared attempt log (webhook and callout deliveries alike).
pub(super) async fn insert_attempts(
    conn: &mut AnyConnection,
    records: &[AttemptRecord],
) -> Result<()> {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO webhook_attempts (delivery_id, attempt_no, attempted_at_ms, response_status, latency_ms, response_body, error)
             VALUES {} ON CONFLICT DO NOTHING",
            values_list(chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.delivery_id.to_string())
                .bind(r.attempt_no)
                .bind(r.attempted_at_ms)
                .bind(r.response_status.map(i64::from))
                .bind(r.latency_ms)
                .bind(r.response_body.clone())
                .bind(r.error.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A delivery to queue.
struct NewDelivery {
    webhook: WebhookId,
    event_seq: i64,
    event_id: EventId,
    event_name: &'static str,
    committed_at_ms: i64,
}

/// Queue deliveries, due at `due_ms`, in multi-row inserts ending with `on_conflict`.
async fn insert_deliveries(
    conn: &mut AnyConnection,
    rows: &[NewDelivery],
    due_ms: i64,
    on_conflict: &str,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_seq, event_id, event_name, status, next_attempt_ms, committed_at_ms, created_at_ms)
             VALUES {} {on_conflict}",
            (0..chunk.len())
                .map(|r| {
                    let b = r * 7;
                    format!("(${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 6)
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(d.webhook.to_string())
                .bind(d.event_seq)
                .bind(d.event_id.to_string())
                .bind(d.event_name)
                .bind(due_ms)
                .bind(d.committed_at_ms);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Send one delivery again now, with a fresh retry schedule. `false`: no such delivery.
pub async fn redeliver(
    conn: &mut AnyConnection,
    webhook: WebhookId,
    delivery: DeliveryId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', schedule_pos = 0, next_attempt_ms = $1, lease_until_ms = 0
         WHERE delivery_id = $2 AND webhook_id = $3",
    )
    .bind(now_ms)
    .bind(delivery.to_string())
    .bind(webhook.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Queue every event the subscription selects that occurred at or after `since_ms` (up to its
/// cursor) for sending again now. Returns how many deliveries were queued.
pub async fn recover(
    conn: &mut AnyConnection,
    w: &WebhookRow,
    since_ms: i64,
    now_ms: i64,
    select: impl Fn(&Event) -> Option<&'static str>,
) -> Result<u64> {
    let mut queued = 0u64;
    let mut after = 0i64;
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM events WHERE account_id = $1 AND occurred_at_ms >= $2 AND seq > $3 AND seq <= $4 ORDER BY seq LIMIT 1000",
            super::events::EVENT_COLUMNS
        ))
        .bind(w.account_id.to_string())
        .bind(since_ms)
        .bind(after)
        .bind(w.cursor_seq)
        .fetch_all(&mut *conn)
        .await?;
        let mut batch = Vec::with_capacity(rows.len());
        for row in &rows {
            let event = event_from_row(row)?;
            after = event.seq;
            let Some(name) = select(&event) else { continue };
            batch.push(NewDelivery {
                webhook: w.webhook_id,
                event_seq: event.seq,
                event_id: event.id,
                event_name: name,
                committed_at_ms: now_ms,
            });
        }
        insert_deliveries(
            &mut *conn,
            &batch,
            now_ms,
            "ON CONFLICT (webhook_id, event_seq) DO UPDATE SET status = 'pending', schedule_pos = 0, next_attempt_ms = excluded.next_attempt_ms, lease_until_ms = 0",
        )
        .await?;
        queued += batch.len() as u64;
        if rows.len() < 1000 {
            return Ok(queued);
        }
    }
}
