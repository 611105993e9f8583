//! The outbox claim webhooks and callouts share. Both keep their deliveries as rows with a
//! `status`, the time the next attempt is due and a lease; a worker claims the due ones it may
//! send by moving their lease forward in one statement, so several instances never send one
//! delivery at once (PostgreSQL skips rows another claim holds; SQLite has one writer), and a
//! claim whose worker died is taken over when its lease ends.

use super::{Backend, Result, Store};
use sqlx::any::AnyRow;

/// One outbox table and how its claims read.
pub(crate) struct Outbox {
    table: &'static str,
    /// The column that names whose deliveries they are (a subscription, an account).
    owner: &'static str,
    /// Which due deliveries go first.
    order: &'static str,
    /// The columns a claim returns (the claimed row type's fields).
    returning: &'static str,
}

pub(crate) const WEBHOOKS: Outbox = Outbox {
    table: "webhook_deliveries",
    owner: "webhook_id",
    order: "next_attempt_ms, event_seq",
    returning: "delivery_id, event_seq, event_name, attempt_count, schedule_pos, committed_at_ms",
};

pub(crate) const CALLOUTS: Outbox = Outbox {
    table: "callout_deliveries",
    owner: "account_id",
    order: "next_attempt_ms",
    returning: "delivery_id, account_id, event_id, url, body, attempt_count, schedule_pos",
};

impl Store {
    /// Claim up to `limit` of `owner`'s pending deliveries due at `now_ms` whose lease has
    /// ended, leasing them until `lease_until_ms`.
    pub(crate) async fn claim_due_in<R>(
        &self,
        outbox: &Outbox,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let Outbox {
            table,
            owner: owner_column,
            order,
            returning,
        } = outbox;
        let claimed = sqlx::query_as(&format!(
            "UPDATE {table} SET lease_until_ms = $1
             WHERE delivery_id IN (
                 SELECT delivery_id FROM {table}
                 WHERE {owner_column} = $2 AND status = 'pending' AND next_attempt_ms <= $3 AND lease_until_ms < $3
                 ORDER BY {order} LIMIT $4{lock})
             RETURNING {returning}"
        ))
        .bind(lease_until_ms)
        .bind(owner)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        Ok(claimed)
    }
}
