//! Flow callout deliveries (see `migrations/*/0005_callouts.sql`): the account's callout
//! secret and cursor over the event log, delivery rows with their rendered bodies, claims
//! under a lease, attempts (in `webhook_attempts`) and the per-flow log.

use super::events::{event_from_row, EVENT_COLUMNS};
use super::webhooks::AttemptRow;
use super::{parse, Backend, Result, Store, StoreError, Tx};
use shared::events::{Event, EventKind};
use shared::ids::{AccountId, DeliveryId, EventId, FlowId};
use shared::webhooks::DeliveryStatus;
use sqlx::{AnyConnection, Row};

/// A delivery to queue: one callout of one flow for one event.
#[derive(Debug, Clone)]
pub struct NewCalloutDelivery {
    pub account_id: AccountId,
    pub flow_id: FlowId,
    pub callout_index: usize,
    pub trigger: String,
    pub event: Event,
    pub url: String,
    pub body: String,
}

/// A claimed callout delivery, ready to send.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedCallout {
    #[sqlx(try_from = "String")]
    pub delivery_id: DeliveryId,
    #[sqlx(try_from = "String")]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub event_id: EventId,
    pub url: String,
    pub body: String,
    pub attempt_count: i64,
    pub schedule_pos: i64,
}

/// One callout delivery with its attempts, for the flow's callout log.
#[derive(Debug, Clone)]
pub struct CalloutDeliveryRow {
    pub delivery_id: DeliveryId,
    pub callout_index: i64,
    pub trigger: String,
    pub event_id: EventId,
    pub event_seq: i64,
    pub url: String,
    pub status: DeliveryStatus,
    pub next_attempt_ms: Option<i64>,
    pub attempts: Vec<AttemptRow>,
}

impl Store {
    /// The account's callout signing secret, created (with the cursor at the log's end) on
    /// first use.
    pub async fn callout_secret(&self, account: AccountId, fresh: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO callout_settings (account_id, secret, cursor_seq)
             VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) FROM events WHERE account_id = $1))
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account.to_string())
        .bind(fresh)
        .execute(&self.writer)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT secret FROM callout_settings WHERE account_id = $1")
                .bind(account.to_string())
                .fetch_one(&self.reader)
                .await?,
        )
    }

    /// Claim due callout deliveries of an account under a lease.
    pub async fn claim_due_callouts(
        &self,
        account: AccountId,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedCallout>> {
        self.claim_due_in(
            &super::outbox::CALLOUTS,
            &account.to_string(),
            now_ms,
            lease_until_ms,
            limit,
        )
        .await
    }

    /// When the account's next pending callout falls due.
    pub async fn next_callout_due_ms(&self, account: AccountId) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_ms) FROM callout_deliveries WHERE account_id = $1 AND status = 'pending'",
        )
        .bind(account.to_string())
        .fetch_one(&self.reader)
        .await?)
    }

    /// SQLite runs one process: claims left by a process that died are void at start-up.
    pub async fn release_stale_callout_leases(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("UPDATE callout_deliveries SET lease_until_ms = 0 WHERE status = 'pending' AND lease_until_ms > 0")
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }
}

impl Tx {
    /// Lock the account's callout cursor (`None`: another instance is queueing right now)
    /// and read the events after it, at most `limit`.
    /// The events after the account's callout cursor whose kind is one of `kinds` (the
    /// triggers some flow has), at most `limit`, locking the cursor (PostgreSQL); `None` when
    /// the account has no cursor row. With them, where the cursor may move: past the last of
    /// them when the page is full, else to the log's head as it was read (an event that
    /// commits later has a higher `seq`: the log's ordering guarantee). Events of other
    /// kinds are never read, so the log's payloads are parsed only for what can fire.
    pub async fn callout_events(
        &mut self,
        account: AccountId,
        kinds: &[EventKind],
        limit: i64,
    ) -> Result<Option<(Vec<Event>, i64)>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let cursor: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT cursor_seq FROM callout_settings WHERE account_id = $1{lock}"
        ))
        .bind(account.to_string())
        .fetch_optional(&mut *self.inner)
        .await?;
        let Some(cursor) = cursor else {
            return Ok(None);
        };
        let head: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events WHERE account_id = $1")
                .bind(account.to_string())
                .fetch_one(&mut *self.inner)
                .await?;
        if kinds.is_empty() || head <= cursor {
            return Ok(Some((Vec::new(), head.max(cursor))));
        }
        let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND seq > $2 AND seq <= $3
             AND kind IN ({}) ORDER BY seq LIMIT $4",
            names.join(", ")
        ))
        .bind(account.to_string())
        .bind(cursor)
        .bind(head)
        .bind(limit)
        .fetch_all(&mut *self.inner)
        .await?;
        let events: Vec<Event> = rows.iter().map(event_from_row).collect::<Result<_>>()?;
        let next = match events.last() {
            Some(last) if events.len() as i64 >= limit => last.seq,
            _ => head,
        };
        Ok(Some((events, next)))
    }

    pub async fn set_callout_cursor(&mut self, account: AccountId, seq: i64) -> Result<()> {
        sqlx::query("UPDATE callout_settings SET cursor_seq = $1 WHERE account_id = $2")
            .bind(seq)
            .bind(account.to_string())
            .execute(&mut *self.inner)
            .await?;
        Ok(())
    }

    pub async fn queue_callout(&mut self, d: &NewCalloutDelivery, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO callout_deliveries (delivery_id, account_id, flow_id, callout_index, trigger_name, event_seq, event_id, url, body, status, next_attempt_ms, committed_at_ms, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $10) ON CONFLICT DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(d.account_id.to_string())
        .bind(d.flow_id.to_string())
        .bind(d.callout_index as i64)
        .bind(&d.trigger)
        .bind(d.event.seq)
        .bind(d.event.id.to_string())
        .bind(&d.url)
        .bind(&d.body)
        .bind(now_ms)
        .bind((d.event.occurred_at.unix_timestamp_nanos() / 1_000_000) as i64)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Record one attempt and the delivery's new state.
    pub async fn record_callout_attempt(
        &mut self,
        r: &super::webhooks::AttemptRecord,
    ) -> Result<()> {
        super::webhooks::insert_attempts(&mut self.inner, std::slice::from_ref(r)).await?;
        super::webhooks::set_delivery_state(&mut self.inner, "callout_deliveries", r).await
    }
}

/// A flow's callout log, by event `seq`.
pub async fn deliveries(
    conn: &mut AnyConnection,
    account: AccountId,
    flow: FlowId,
    status: Option<DeliveryStatus>,
    after: i64,
    limit: i64,
) -> Result<Vec<CalloutDeliveryRow>> {
    let rows = sqlx::query(
        "SELECT delivery_id, callout_index, trigger_name, event_id, event_seq, url, status, next_attempt_ms FROM callout_deliveries
         WHERE account_id = $1 AND flow_id = $2 AND event_seq > $3 AND ($4 = '' OR status = $4)
         ORDER BY event_seq, callout_index LIMIT $5",
    )
    .bind(account.to_string())
    .bind(flow.to_string())
    .bind(after)
    .bind(status.map_or("", DeliveryStatus::as_str))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let status: String = row.try_get("status")?;
        out.push(CalloutDeliveryRow {
            delivery_id: parse("delivery id", &row.try_get::<String, _>("delivery_id")?)?,
            callout_index: row.try_get("callout_index")?,
            trigger: row.try_get("trigger_name")?,
            event_id: parse("event id", &row.try_get::<String, _>("event_id")?)?,
            event_seq: row.try_get("event_seq")?,
            url: row.try_get("url")?,
            status: DeliveryStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status:?}")))?,
            next_attempt_ms: row.try_get("next_attempt_ms")?,
            attempts: Vec::new(),
        });
    }
    let mut attempts =
        super::webhooks::attempts_for(conn, out.iter().map(|d| d.delivery_id)).await?;
    for d in &mut out {
        d.attempts = attempts.remove(&d.delivery_id).unwrap_or_default();
    }
    Ok(out)
}
