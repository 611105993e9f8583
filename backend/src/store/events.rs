//! The durable event log: one ordered table that every downstream path reads (WebSocket
//! pushes, webhooks, polling, callouts, reports).
//!
//! **Ordering.** A reader that has seen `seq = n` must never later find a committed event with
//! `seq < n` for the same account, or it would skip it. SQLite gives this for free (one writer).
//! On PostgreSQL, identity values are handed out before commit, so two concurrent transactions
//! could commit out of order; [`Tx::append`] therefore takes a per-account transaction-scoped
//! advisory lock before its first insert. Appends for one account commit in `seq` order; other
//! accounts are not blocked.

use super::{ms_to_datetime, now_ms, parse, Backend, Result, Store, StoreError, Tx};
use shared::events::{Event, EventKind};
use shared::ids::{AccountId, AgentId, EngagementId, EventId};
use sqlx::Row;

/// An event to append. `seq`, `id` and `occurred_at` are assigned by the log.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub account_id: AccountId,
    pub kind: EventKind,
    pub engagement_id: Option<EngagementId>,
    pub agent_id: Option<AgentId>,
    pub data: shared::Payload,
}

pub(super) const EVENT_COLUMNS: &str =
    "seq, event_id, account_id, kind, engagement_id, agent_id, occurred_at_ms, data";

/// Upper bound on one page of [`Store::events_after`].
pub const MAX_PAGE: i64 = 1000;

/// A stable 64-bit key for the per-account advisory lock (FNV-1a of the account id).
fn advisory_key(account: &AccountId) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in account.as_uuid().as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

impl Tx {
    /// Take the account's write lock for the rest of the transaction (no-op on SQLite, whose
    /// single writer connection serialises every write already). Re-entrant.
    pub async fn lock_account(&mut self, account: AccountId) -> Result<()> {
        if self.backend == Backend::Postgres && !self.locked_accounts.contains(&account) {
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
                .bind(advisory_key(&account))
                .execute(&mut *self.inner)
                .await?;
            super::count_statements(1);
            self.locked_accounts.push(account);
        }
        Ok(())
    }

    /// Append `event` to the log inside this transaction. Events are written together, in
    /// the order appended, when the transaction commits (one multi-row `INSERT` per
    /// [`EVENTS_PER_INSERT`] events rather than one statement each), so they share its fate:
    /// an event exists if and only if its change does.
    pub async fn append(&mut self, event: NewEvent) -> Result<()> {
        self.lock_account(event.account_id).await?;
        let data = serde_json::to_string(&event.data)
            .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?;
        self.pending_events.push(PendingEvent {
            id: EventId(uuid::Uuid::now_v7()),
            account_id: event.account_id,
            kind: event.kind,
            engagement_id: event.engagement_id,
            agent_id: event.agent_id,
            occurred_at_ms: now_ms(),
            data,
        });
        Ok(())
    }

    /// How many events this transaction has appended and not yet written.
    pub fn pending_len(&self) -> usize {
        self.pending_events.len()
    }

    /// What the pending events from position `from` on are about: (kind, engagement, agent).
    pub fn pending_subjects(
        &self,
        from: usize,
    ) -> Vec<(EventKind, Option<EngagementId>, Option<AgentId>)> {
        self.pending_events
            .get(from..)
            .unwrap_or_default()
            .iter()
            .map(|e| (e.kind, e.engagement_id, e.agent_id))
            .collect()
    }

    /// Write the appended events (called by [`Tx::commit`]).
    pub(super) async fn flush_events(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending_events);
        for chunk in pending.chunks(EVENTS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO events (event_id, account_id, kind, engagement_id, agent_id, occurred_at_ms, data) VALUES ",
            );
            super::Params::for_conn(&self.inner).push_rows(&mut sql, chunk.len(), 7);
            sql.push_str(" RETURNING seq");
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for e in chunk {
                query = query
                    .bind(e.id.to_string())
                    .bind(e.account_id.to_string())
                    .bind(e.kind.as_str())
                    .bind(e.engagement_id.map(|x| x.to_string()))
                    .bind(e.agent_id.map(|x| x.to_string()))
                    .bind(e.occurred_at_ms)
                    .bind(e.data.clone());
            }
            let seqs = query.fetch_all(&mut *self.inner).await?;
            super::count_statements(1);
            if let Some(max) = seqs.into_iter().max() {
                self.appended_up_to = Some(self.appended_up_to.map_or(max, |s| s.max(max)));
            }
        }
        Ok(())
    }
}

/// The most events one `INSERT` writes (7 parameters each; SQLite takes up to 32,766).
const EVENTS_PER_INSERT: usize = 500;

/// An appended event waiting for its transaction's commit.
#[derive(Debug)]
pub(super) struct PendingEvent {
    id: EventId,
    account_id: AccountId,
    kind: EventKind,
    engagement_id: Option<EngagementId>,
    agent_id: Option<AgentId>,
    occurred_at_ms: i64,
    data: String,
}

impl Store {
    /// The account's events with `seq > after`, oldest first, at most `limit` (capped at
    /// [`MAX_PAGE`]).
    pub async fn events_after(
        &self,
        account: AccountId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(after)
            .bind(limit.clamp(1, MAX_PAGE))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Like [`Store::events_after`], narrowed to some kinds (none given: every kind) and/or
    /// one engagement. Kinds are from a closed set, so they are written into the query.
    pub async fn events_filtered(
        &self,
        account: AccountId,
        after: i64,
        limit: i64,
        kinds: &[EventKind],
        engagement: Option<EngagementId>,
    ) -> Result<Vec<Event>> {
        let mut sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND seq > $2");
        if !kinds.is_empty() {
            let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
            sql.push_str(&format!(" AND kind IN ({})", list.join(",")));
        }
        if engagement.is_some() {
            sql.push_str(" AND engagement_id = $4");
        }
        sql.push_str(" ORDER BY seq LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(after)
            .bind(limit.clamp(1, MAX_PAGE));
        let rows = match engagement {
            Some(e) => rows.bind(e.to_string()),
            None => rows,
        };
        let rows = rows.fetch_all(&self.reader).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Events concerning one agent (offers, their engagements, their status), `seq > after`.
    pub async fn agent_events_after(
        &self,
        account: AccountId,
        agent: AgentId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND agent_id = $2 AND seq > $3 ORDER BY seq LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(account.to_string())
            .bind(agent.to_string())
            .bind(after)
            .bind(limit.clamp(1, MAX_PAGE))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// One engagement's events, oldest first.
    pub async fn engagement_events(&self, engagement: EngagementId) -> Result<Vec<Event>> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE engagement_id = $1 ORDER BY seq");
        let rows = sqlx::query(&sql)
            .bind(engagement.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The highest `seq` in the log (0 when empty).
    pub async fn latest_seq(&self) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(seq.unwrap_or(0))
    }
}

/// What the account's events after `after` are about, oldest first, inside `tx` (so an
/// instance holding the account's lock sees everything committed before it):
/// (seq, kind, engagement, agent).
pub async fn subjects_after(
    tx: &mut Tx,
    account: AccountId,
    after: i64,
) -> Result<Vec<(i64, EventKind, Option<EngagementId>, Option<AgentId>)>> {
    let rows = sqlx::query(
        "SELECT seq, kind, engagement_id, agent_id FROM events WHERE account_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(account.to_string())
    .bind(after)
    .fetch_all(tx.conn().await?)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let engagement: Option<String> = row.try_get("engagement_id")?;
            let agent: Option<String> = row.try_get("agent_id")?;
            Ok((
                row.try_get("seq")?,
                EventKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind:?}")))?,
                engagement
                    .as_deref()
                    .map(|e| parse("engagement id", e))
                    .transpose()?,
                agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
            ))
        })
        .collect()
}

/// The account's highest `seq` (0 with no events), inside `tx`.
pub async fn max_seq(tx: &mut Tx, account: AccountId) -> Result<i64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_one(tx.conn().await?)
        .await?;
    Ok(seq.unwrap_or(0))
}

pub(super) fn event_from_row(row: &sqlx::any::AnyRow) -> Result<Event> {
    let kind: String = row.try_get("kind")?;
    let data: String = row.try_get("data")?;
    let engagement: Option<String> = row.try_get("engagement_id")?;
    let agent: Option<String> = row.try_get("agent_id")?;
    Ok(Event {
        seq: row.try_get("seq")?,
        id: parse("event id", &row.try_get::<String, _>("event_id")?)?,
        account_id: parse("account id", &row.try_get::<String, _>("account_id")?)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind:?}")))?,
        engagement_id: engagement
            .as_deref()
            .map(|e| parse("engagement id", e))
            .transpose()?,
        agent_id: agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
        occurred_at: ms_to_datetime(row.try_get("occurred_at_ms")?)?,
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
    })
}
