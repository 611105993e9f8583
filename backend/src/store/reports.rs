//! Report projections (`migrations/*/0016_reports.sql`): the projector's transaction, which
//! reads the log after the account's cursor and writes back what it folded, and the queries
//! the reports API reads.
//!
//! One projector per account at a time: PostgreSQL locks the account's cursor row for the
//! transaction (another instance's projector waits, then reads the moved cursor); SQLite's
//! single writer connection already serialises them.

use super::interactions::{window_condition, EngagementTime, Window};
use super::{json, parse, Backend, Result, Store, StoreError};
use crate::reports::figures::{AgentBucket, QueueBucket};
use crate::reports::projection::{AgentState, EngagementEntry, Fact, FactData, Progress, KINDS};
use shared::ids::{AccountId, AgentId, EngagementId, QueueId};
use shared::reports::EngagementReport;
use shared::EventKind;
use sqlx::{AnyConnection, Row};

/// One event of the log as the projector reads it.
pub struct LoggedFact {
    pub seq: i64,
    pub engagement_id: Option<EngagementId>,
    pub fact: Fact,
}

/// The projector's transaction for one account.
pub struct ReportTx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    account: AccountId,
    pub cursor: i64,
}

impl Store {
    /// Begin projecting `account`'s log: take its cursor (locked on PostgreSQL).
    pub async fn begin_reports(&self, account: AccountId) -> Result<ReportTx> {
        let mut inner = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO report_cursors (account_id, seq) VALUES ($1, 0) ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account.to_string())
        .execute(&mut *inner)
        .await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let cursor: i64 = sqlx::query_scalar(&format!(
            "SELECT seq FROM report_cursors WHERE account_id = $1{lock}"
        ))
        .bind(account.to_string())
        .fetch_one(&mut *inner)
        .await?;
        Ok(ReportTx {
            inner,
            account,
            cursor,
        })
    }

    /// Tell the query planner what the report tables now hold. Run after a large catch-up (a
    /// server upgraded onto a long log folds all of it at once): until autovacuum's next
    /// analyze, PostgreSQL would plan against the empty tables' statistics and sort a whole
    /// window for every export page (BENCHMARKS.md, "Reports"). SQLite's planner needs none.
    pub async fn analyze_reports(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query(
                "ANALYZE report_engagements, report_queue_buckets, report_agent_buckets, report_agent_state",
            )
            .execute(&self.writer)
            .await?;
        }
        Ok(())
    }

    /// How far `account`'s reports have read the log.
    pub async fn report_cursor(&self, account: AccountId) -> Result<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM report_cursors WHERE account_id = $1")
                .bind(account.to_string())
                .fetch_optional(&self.reader)
                .await?;
        Ok(seq.unwrap_or(0))
    }
}

/// A window of the log, as [`ReportTx::facts`] read it.
pub struct Facts {
    pub facts: Vec<LoggedFact>,
    /// Where the cursor moves once they are folded.
    pub next: i64,
    /// Whether `next` is the log's head (as read in this transaction).
    pub at_head: bool,
}

impl ReportTx {
    /// The events reports read in the next `window` positions of the log after the cursor
    /// (at most up to its head), the position the cursor moves to once they are folded, and
    /// whether that is the head.
    ///
    /// A window of positions rather than `LIMIT` rows: the scan is bounded by the window
    /// whatever the planner believes about the table (a freshly bulk-loaded log without
    /// statistics made PostgreSQL read from the cursor to the head for every page, over a
    /// second per page at 4.7 million events — BENCHMARKS.md, "Reports").
    pub async fn facts(&mut self, window: i64) -> Result<Facts> {
        let account = self.account.to_string();
        let head: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events WHERE account_id = $1")
                .bind(&account)
                .fetch_one(&mut *self.inner)
                .await?;
        if head <= self.cursor {
            return Ok(Facts {
                facts: Vec::new(),
                next: self.cursor,
                at_head: true,
            });
        }
        let end = head.min(self.cursor.saturating_add(window));
        let kinds: Vec<String> = KINDS.iter().map(|k| format!("'{}'", k.as_str())).collect();
        let rows = sqlx::query(&format!(
            "SELECT seq, kind, engagement_id, agent_id, occurred_at_ms, data FROM events
             WHERE account_id = $1 AND seq > $2 AND seq <= $3 AND kind IN ({})
             ORDER BY seq",
            kinds.join(", ")
        ))
        .bind(&account)
        .bind(self.cursor)
        .bind(end)
        .fetch_all(&mut *self.inner)
        .await?;
        let mut facts = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let engagement: Option<String> = row.try_get("engagement_id")?;
            let agent: Option<String> = row.try_get("agent_id")?;
            let data: String = row.try_get("data")?;
            facts.push(LoggedFact {
                seq: row.try_get("seq")?,
                engagement_id: engagement
                    .as_deref()
                    .map(|e| parse("engagement id", e))
                    .transpose()?,
                fact: Fact {
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("event kind {kind:?}")))?,
                    at_ms: row.try_get("occurred_at_ms")?,
                    agent: agent.as_deref().map(|a| parse("agent id", a)).transpose()?,
                    // An event whose payload reports cannot read (a newer server's shape) adds
                    // nothing rather than stopping the projection.
                    data: serde_json::from_str::<FactData>(&data).unwrap_or_else(|e| {
                        tracing::warn!(%kind, error = %e, "reports: event data not readable");
                        FactData::default()
                    }),
                },
            });
        }
        Ok(Facts {
            facts,
            next: end,
            at_head: end == head,
        })
    }

    /// The rows (and progress) of these engagements, where they exist.
    pub async fn entries(&mut self, ids: &[EngagementId]) -> Result<Vec<EngagementEntry>> {
        super::fetch_in(
            &mut self.inner,
            "SELECT account_id, doc, progress FROM report_engagements WHERE engagement_id IN",
            &[],
            ids,
            entry_from_row,
        )
        .await
    }

    pub async fn agent_states(&mut self, ids: &[AgentId]) -> Result<Vec<(AgentId, AgentState)>> {
        super::fetch_in(
            &mut self.inner,
            "SELECT agent_id, doc FROM report_agent_state WHERE account_id = $1 AND agent_id IN",
            &[self.account.to_string()],
            ids,
            |row| {
                Ok((
                    parse("agent id", &row.try_get::<String, _>("agent_id")?)?,
                    from_doc("agent state", &row.try_get::<String, _>("doc")?)?,
                ))
            },
        )
        .await
    }

    pub async fn save_entry(&mut self, e: &EngagementEntry) -> Result<()> {
        let r = &e.row;
        sqlx::query(
            "INSERT INTO report_engagements (engagement_id, account_id, created_at_ms, closed_at_ms, channel,
                 first_queue_id, last_queue_id, first_agent_id, last_agent_id, outcome, doc, progress)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (engagement_id) DO UPDATE SET closed_at_ms = excluded.closed_at_ms,
                 first_queue_id = excluded.first_queue_id, last_queue_id = excluded.last_queue_id,
                 first_agent_id = excluded.first_agent_id, last_agent_id = excluded.last_agent_id,
                 outcome = excluded.outcome, doc = excluded.doc, progress = excluded.progress",
        )
        .bind(r.engagement_id.to_string())
        .bind(e.account.to_string())
        .bind(crate::reports::projection::millis(r.created_at))
        .bind(r.closed_at.map(crate::reports::projection::millis))
        .bind(r.channel.as_str())
        .bind(r.first_queue_id.map(|q| q.to_string()))
        .bind(r.last_queue_id.map(|q| q.to_string()))
        .bind(r.agent_ids.first().map(|a| a.to_string()))
        .bind(r.agent_ids.last().map(|a| a.to_string()))
        .bind(r.outcome.map(|o| o.as_str()))
        .bind(json(r))
        .bind(e.progress.as_ref().map(json))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    pub async fn save_agent_state(&mut self, agent: AgentId, state: &AgentState) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_agent_state (account_id, agent_id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (account_id, agent_id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(self.account.to_string())
        .bind(agent.to_string())
        .bind(json(state))
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Add `delta` to a queue's bucket.
    pub async fn add_queue_bucket(
        &mut self,
        queue: QueueId,
        bucket_ms: i64,
        delta: &QueueBucket,
    ) -> Result<()> {
        let mut doc: QueueBucket = self
            .bucket_doc(
                "report_queue_buckets",
                "queue_id",
                &queue.to_string(),
                bucket_ms,
            )
            .await?
            .unwrap_or_default();
        doc.merge(delta);
        self.put_bucket(
            "report_queue_buckets",
            "queue_id",
            &queue.to_string(),
            bucket_ms,
            &json(&doc),
        )
        .await
    }

    /// Add `delta` to an agent's bucket.
    pub async fn add_agent_bucket(
        &mut self,
        agent: AgentId,
        bucket_ms: i64,
        delta: &AgentBucket,
    ) -> Result<()> {
        let mut doc: AgentBucket = self
            .bucket_doc(
                "report_agent_buckets",
                "agent_id",
                &agent.to_string(),
                bucket_ms,
            )
            .await?
            .unwrap_or_default();
        doc.merge(delta);
        self.put_bucket(
            "report_agent_buckets",
            "agent_id",
            &agent.to_string(),
            bucket_ms,
            &json(&doc),
        )
        .await
    }

    async fn bucket_doc<T: serde::de::DeserializeOwned>(
        &mut self,
        table: &str,
        column: &str,
        id: &str,
        bucket_ms: i64,
    ) -> Result<Option<T>> {
        let doc: Option<String> = sqlx::query_scalar(&format!(
            "SELECT doc FROM {table} WHERE account_id = $1 AND bucket_ms = $2 AND {column} = $3"
        ))
        .bind(self.account.to_string())
        .bind(bucket_ms)
        .bind(id)
        .fetch_optional(&mut *self.inner)
        .await?;
        doc.map(|d| from_doc(table, &d)).transpose()
    }

    async fn put_bucket(
        &mut self,
        table: &str,
        column: &str,
        id: &str,
        bucket_ms: i64,
        doc: &str,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO {table} (account_id, bucket_ms, {column}, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, bucket_ms, {column}) DO UPDATE SET doc = excluded.doc"
        ))
        .bind(self.account.to_string())
        .bind(bucket_ms)
        .bind(id)
        .bind(doc)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// Move the cursor and commit.
    pub async fn commit(mut self, seq: i64) -> Result<()> {
        sqlx::query("UPDATE report_cursors SET seq = $1 WHERE account_id = $2")
            .bind(seq)
            .bind(self.account.to_string())
            .execute(&mut *self.inner)
            .await?;
        self.inner.commit().await?;
        Ok(())
    }
}

fn from_doc<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<EngagementEntry> {
    let progress: Option<String> = row.try_get("progress")?;
    Ok(EngagementEntry {
        account: parse("account id", &row.try_get::<String, _>("account_id")?)?,
        row: from_doc("report row", &row.try_get::<String, _>("doc")?)?,
        progress: progress
            .as_deref()
            .map(|p| from_doc::<Progress>("report progress", p))
            .transpose()?,
    })
}

/// What the engagement report is filtered by (besides the window).
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// First or last queue is one of these; `None`: any (an empty list matches nothing).
    pub queues: Option<Vec<QueueId>>,
    pub agent: Option<AgentId>,
    pub channel: Option<String>,
    pub outcome: Option<String>,
}

/// Report rows in the window, ordered by the window's time then id (keyset paging).
pub async fn engagement_rows(
    conn: &mut AnyConnection,
    account: AccountId,
    by: EngagementTime,
    w: &Window,
    f: &RowFilter,
) -> Result<Vec<(i64, EngagementReport)>> {
    let time = match by {
        EngagementTime::Start => "created_at_ms",
        EngagementTime::End => "closed_at_ms",
    };
    let mut binds: Vec<String> = Vec::new();
    let mut sql = format!(
        "SELECT {time} AS window_ms, doc FROM report_engagements WHERE account_id = $1{}",
        window_condition(time, "engagement_id", w)
    );
    // $4 is the limit; keyset values are $5/$6 when paging.
    let mut n = if w.after.is_some() { 6 } else { 4 };
    if let Some(queues) = &f.queues {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let mut list = Vec::new();
        for q in queues {
            n += 1;
            list.push(format!("${n}"));
            binds.push(q.to_string());
        }
        let list = list.join(", ");
        sql.push_str(&format!(
            " AND (first_queue_id IN ({list}) OR last_queue_id IN ({list}))"
        ));
    }
    if let Some(agent) = f.agent {
        n += 1;
        sql.push_str(&format!(
            " AND (first_agent_id = ${n} OR last_agent_id = ${n})"
        ));
        binds.push(agent.to_string());
    }
    for (column, value) in [("channel", &f.channel), ("outcome", &f.outcome)] {
        if let Some(value) = value {
            n += 1;
            sql.push_str(&format!(" AND {column} = ${n}"));
            binds.push(value.clone());
        }
    }
    sql.push_str(&format!(" ORDER BY {time}, engagement_id LIMIT $4"));
    let mut q = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(w.from_ms)
        .bind(w.to_ms)
        .bind(w.limit);
    if let Some((ms, id)) = &w.after {
        q = q.bind(*ms).bind(id.clone());
    }
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("window_ms")?,
                from_doc("report row", &row.try_get::<String, _>("doc")?)?,
            ))
        })
        .collect()
}

/// Queue buckets starting in `[from_ms, to_ms)`.
pub async fn queue_buckets(
    conn: &mut AnyConnection,
    account: AccountId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(QueueId, i64, QueueBucket)>> {
    let rows = sqlx::query(
        "SELECT queue_id, bucket_ms, doc FROM report_queue_buckets
         WHERE account_id = $1 AND bucket_ms >= $2 AND bucket_ms < $3",
    )
    .bind(account.to_string())
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                parse("queue id", &row.try_get::<String, _>("queue_id")?)?,
                row.try_get("bucket_ms")?,
                from_doc("queue bucket", &row.try_get::<String, _>("doc")?)?,
            ))
        })
        .collect()
}

/// Agent buckets starting in `[from_ms, to_ms)`.
pub async fn agent_buckets(
    conn: &mut AnyConnection,
    account: AccountId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(AgentId, i64, AgentBucket)>> {
    let rows = sqlx::query(
        "SELECT agent_id, bucket_ms, doc FROM report_agent_buckets
         WHERE account_id = $1 AND bucket_ms >= $2 AND bucket_ms < $3",
    )
    .bind(account.to_string())
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                parse("agent id", &row.try_get::<String, _>("agent_id")?)?,
                row.try_get("bucket_ms")?,
                from_doc("agent bucket", &row.try_get::<String, _>("doc")?)?,
            ))
        })
        .collect()
}

/// Every agent's state as of the cursor.
pub async fn all_agent_states(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<(AgentId, AgentState)>> {
    let rows = sqlx::query("SELECT agent_id, doc FROM report_agent_state WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                parse("agent id", &row.try_get::<String, _>("agent_id")?)?,
                from_doc("agent state", &row.try_get::<String, _>("doc")?)?,
            ))
        })
        .collect()
}
