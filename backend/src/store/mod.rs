//! Storage: the only module that talks to the database.
//!
//! One query text serves both stores: SQLite (the embedded default, zero set-up) and
//! PostgreSQL (production, any number of instances). Both are reached through sqlx's `Any`
//! driver, so columns use portable types only: `TEXT` ids and JSON, `BIGINT` milliseconds.
//! Each store has its own migration folder (`migrations/sqlite`, `migrations/postgres`).
//!
//! SQLite allows one writer at a time, so writes go through a one-connection pool (no
//! `SQLITE_BUSY` upgrade failures) while reads use a small pool of their own; the database is
//! in WAL mode so readers never block the writer. PostgreSQL uses one pool for both.

pub mod agents;
pub mod auth;
pub mod blobs;
pub mod callouts;
pub mod calls;
pub mod canned;
pub mod chats;
pub mod config;
pub mod engagements;
mod events;
pub mod interactions;
pub mod messages;
mod outbox;
mod pending;
pub mod reports;
pub mod webhooks;

pub use events::NewEvent;

/// Statements this process has sent through write transactions ([`Tx`]), for `/metrics`
/// (`switchboard_store_write_statements_total`): the benchmark divides it by work items.
static WRITE_STATEMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn count_statements(n: usize) {
    WRITE_STATEMENTS.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
}

/// Statements sent through write transactions so far (see [`WRITE_STATEMENTS`]).
pub fn write_statements() -> u64 {
    WRITE_STATEMENTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads of the event log inside a write transaction (the routing view's catch-up).
pub mod log {
    pub use super::events::{max_seq, subjects_after};
}

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL NOTIFY channel announcing committed event `seq`s to other instances.
const NOTIFY_CHANNEL: &str = "switchboard_events";

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything that can go wrong in storage. Mapped once to HTTP in `http::error`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write (e.g. a duplicate active work item).
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("not found")]
    NotFound,
    /// The database URL could not be understood.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("migrations failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A row held something the code cannot read: a bug or a manual edit.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database is unreachable or failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A batch (see `service::writer`) could not be committed; nothing in it was kept.
    #[error("the database did not commit the change: {0}")]
    CommitFailed(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let Some(db) = err.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict {
                    constraint: db.constraint().unwrap_or("unique").to_string(),
                };
            }
        }
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            // A `FromRow` struct could not read a column (an id that is not a UUID, say).
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            other => StoreError::Database(other),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Read a stored text as `T` (an id, a channel); `what` names it when the row is corrupt.
pub(crate) fn parse<T: FromStr>(what: &str, value: &str) -> Result<T> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {value:?}")))
}

/// A handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Pool for reads.
    reader: AnyPool,
    /// Pool for writes (the same pool as `reader` on PostgreSQL; one connection on SQLite).
    writer: AnyPool,
    /// The highest committed event `seq` this process knows of; watchers wake on change.
    committed: watch::Sender<i64>,
    /// Bumped whenever a web call's signal is written or answered ([`calls`]).
    call_signals: watch::Sender<u64>,
}

/// Turn what a user typed into a database URL: `postgres://…` and `sqlite:…` URLs pass
/// through; anything else is taken as a path to a SQLite file (created if missing).
pub fn normalize_database_url(input: &str) -> Result<(Backend, String)> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(StoreError::InvalidUrl("the database URL is empty".into()));
    }
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        return Ok((Backend::Postgres, trimmed.to_string()));
    }
    if let Some(rest) = trimmed.strip_prefix("sqlite:") {
        let rest = rest.trim_start_matches("//");
        if rest.is_empty() {
            return Err(StoreError::InvalidUrl("sqlite: URL names no file".into()));
        }
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = if rest.contains("mode=") {
            format!("sqlite://{rest}")
        } else {
            format!("sqlite://{rest}{sep}mode=rwc")
        };
        return Ok((Backend::Sqlite, url));
    }
    if trimmed.contains("://") {
        return Err(StoreError::InvalidUrl(format!(
            "unsupported database URL scheme {:?} (the URL itself is not shown: it may hold a password): use sqlite:<path> or postgres://",
            trimmed.split("://").next().unwrap_or_default()
        )));
    }
    Ok((Backend::Sqlite, format!("sqlite://{trimmed}?mode=rwc")))
}

impl Store {
    /// Connect, configure and migrate. `database_url` is a `postgres://` URL, a `sqlite:` URL
    /// or a plain file path.
    pub async fn connect(database_url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_database_url(database_url)?;
        let options =
            AnyConnectOptions::from_str(&url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?;

        let (reader, writer) = match backend {
            Backend::Sqlite => {
                let writer = sqlite_pool(1).connect_with(options.clone()).await?;
                let reader = sqlite_pool(4).connect_with(options).await?;
                (reader, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
        };

        let store = Store {
            backend,
            reader,
            writer,
            committed: watch::Sender::new(0),
            call_signals: watch::Sender::new(0),
        };
        store.migrate().await?;
        let latest = store.latest_seq().await?;
        store.committed.send_replace(latest);
        if backend == Backend::Postgres {
            store.listen_for_other_instances(&url).await?;
        }
        Ok(store)
    }

    /// PostgreSQL: other instances announce commits with `NOTIFY switchboard_events, '<seq>'`;
    /// wake local watchers (agent WebSockets) so they read the shared log at once. Web calls'
    /// signals between instances are announced on `switchboard_calls` ([`calls`]).
    async fn listen_for_other_instances(&self, url: &str) -> Result<()> {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener
            .listen_all([NOTIFY_CHANNEL, calls::CALLS_CHANNEL])
            .await?;
        let committed = self.committed.clone();
        let call_signals = self.call_signals.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(note) if note.channel() == calls::CALLS_CHANNEL => {
                        call_signals.send_modify(|n| *n = n.wrapping_add(1));
                    }
                    Ok(note) => {
                        if let Ok(seq) = note.payload().parse::<i64>() {
                            committed.send_if_modified(|latest| {
                                let newer = seq > *latest;
                                if newer {
                                    *latest = seq;
                                }
                                newer
                            });
                        }
                    }
                    // PgListener reconnects by itself; a closed pool ends the task.
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "event notification listener");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                if committed.is_closed() {
                    return;
                }
            }
        });
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pool use for `/metrics`: per pool, (open connections, idle ones, the maximum). SQLite
    /// has a read pool and a one-connection write pool; PostgreSQL one pool for both.
    pub fn pools(&self) -> Vec<(&'static str, u32, u32, u32)> {
        let reading = |pool: &AnyPool| {
            (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                pool.options().get_max_connections(),
            )
        };
        match self.backend {
            Backend::Sqlite => {
                let (r, w) = (reading(&self.reader), reading(&self.writer));
                vec![("read", r.0, r.1, r.2), ("write", w.0, w.1, w.2)]
            }
            Backend::Postgres => {
                let p = reading(&self.writer);
                vec![("shared", p.0, p.1, p.2)]
            }
        }
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.reader.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// A read-only transaction on the read pool that sees one consistent snapshot across
    /// several statements (REPEATABLE READ on PostgreSQL; a WAL read transaction on SQLite).
    /// Reads that combine rows (an engagement and its offers) use this so they never see a
    /// half-applied change.
    pub async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.reader.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A connection from the read pool.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.reader.acquire().await?)
    }

    /// Start a write transaction and take the account's write lock (PostgreSQL: a
    /// transaction-scoped advisory lock; SQLite: the single writer connection already is one).
    /// Everything that changes an account's engagements, agents or configuration goes through
    /// here, so reads inside the transaction see a state nobody else is changing.
    pub async fn begin_for(&self, account: shared::ids::AccountId) -> Result<Tx> {
        let mut tx = self.begin().await?;
        tx.lock_account(account).await?;
        Ok(tx)
    }

    /// Start a write transaction. Append events with [`Tx::append`]; commit with
    /// [`Tx::commit`], which wakes the event-log watchers after the data is durable.
    pub async fn begin(&self) -> Result<Tx> {
        count_statements(1);
        Ok(Tx {
            inner: self.writer.begin().await?,
            backend: self.backend,
            locked_accounts: Vec::new(),
            appended_up_to: None,
            pending_events: Vec::new(),
            pending_messages: Vec::new(),
            writes: pending::Writes::default(),
            op: None,
            offers_touched: std::collections::HashSet::new(),
            saved: pending::Saved::default(),
            broken: None,
            committed: self.committed.clone(),
        })
    }

    /// Watch the highest committed `seq` (changes after every commit that appended events).
    pub fn watch_committed(&self) -> watch::Receiver<i64> {
        self.committed.subscribe()
    }

    /// Wake the log's watchers without a new event (a redelivery queued work for them).
    pub fn poke_watchers(&self) {
        self.committed.send_modify(|_| {});
    }

    /// Close both pools (graceful shutdown).
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL: readers never block the writer and a crash loses no committed write.
                // NORMAL is durable in WAL mode against process crashes (kill -9).
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA busy_timeout = 10000",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA temp_store = MEMORY",
                    "PRAGMA cache_size = -32768",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls everything back, including
/// the events appended to it: an event exists if and only if its change does.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    /// Accounts whose event-log lock this transaction holds (PostgreSQL).
    locked_accounts: Vec<shared::ids::AccountId>,
    appended_up_to: Option<i64>,
    /// Events appended and not yet written (see [`Tx::append`]).
    pending_events: Vec<events::PendingEvent>,
    /// Chat and SMS messages added and not yet written (see [`Tx::add_message`]).
    pending_messages: Vec<shared::engagement::MessageRecord>,
    /// Engagement, offer and agent rows not yet written (`pending`).
    writes: pending::Writes,
    /// The savepoint of the operation in progress, if one was taken.
    op: Option<pending::OpMark>,
    /// Engagements whose offers this transaction changed (see `Tx::touched_offers`).
    offers_touched: std::collections::HashSet<shared::ids::EngagementId>,
    saved: pending::Saved,
    /// Buffered rows of earlier operations failed to write: nothing of this transaction may
    /// commit (their callers were told they succeeded).
    broken: Option<String>,
    committed: watch::Sender<i64>,
}

impl Tx {
    /// The connection, for queries that belong to the same transaction. The buffered rows
    /// are written first (so the query sees them), and the operation in progress gets its
    /// database savepoint (see `pending`).
    pub async fn conn(&mut self) -> Result<&mut sqlx::AnyConnection> {
        self.flush_writes().await?;
        count_statements(1);
        Ok(&mut self.inner)
    }

    /// Write the buffered rows. Those of earlier operations go before the current
    /// operation's savepoint, its own after it, so rolling it back undoes only its own.
    async fn flush_writes(&mut self) -> Result<()> {
        if let Some(op) = self.op.as_mut().filter(|op| !op.in_database) {
            let mine = self.writes.split_off(op.writes);
            op.in_database = true;
            op.writes = pending::Marks::default();
            let earlier = std::mem::take(&mut self.writes);
            if !earlier.is_empty() {
                match earlier.flush(&mut self.inner).await {
                    Ok(n) => count_statements(n),
                    Err(e) => {
                        self.broken = Some(e.to_string());
                        return Err(e);
                    }
                }
            }
            if let Err(e) = sqlx::query("SAVEPOINT batch_item")
                .execute(&mut *self.inner)
                .await
            {
                self.broken = Some(e.to_string());
                return Err(e.into());
            }
            count_statements(1);
            self.writes = mine;
        }
        if !self.writes.is_empty() {
            let writes = std::mem::take(&mut self.writes);
            let result = writes.flush(&mut self.inner).await;
            match result {
                Ok(n) => count_statements(n),
                // Inside an operation's savepoint: that operation fails and is rolled back.
                Err(e) if self.op.is_some() => return Err(e),
                Err(e) => {
                    self.broken = Some(e.to_string());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        self.commit_at().await.map(|_| ())
    }

    /// Commit; returns the highest `seq` this transaction appended, if it appended any.
    pub async fn commit_at(mut self) -> Result<Option<i64>> {
        if let Some(cause) = self.broken.take() {
            return Err(StoreError::CommitFailed(cause));
        }
        // No operation is in progress any more: its rows need no savepoint.
        self.op = None;
        self.flush_writes().await?;
        let messages = std::mem::take(&mut self.pending_messages);
        if !messages.is_empty() {
            count_statements(1);
        }
        messages::insert_many(&mut self.inner, &messages).await?;
        self.flush_events().await?;
        if let (Backend::Postgres, Some(seq)) = (self.backend, self.appended_up_to) {
            // Delivered to listeners on other instances when (and only if) this commits.
            sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(seq.to_string())
                .execute(&mut *self.inner)
                .await?;
            count_statements(1);
        }
        count_statements(1);
        self.inner.commit().await?;
        if let Some(seq) = self.appended_up_to {
            self.committed.send_if_modified(|latest| {
                if seq > *latest {
                    *latest = seq;
                    true
                } else {
                    false
                }
            });
        }
        Ok(self.appended_up_to)
    }

    pub async fn rollback(self) -> Result<()> {
        self.inner.rollback().await?;
        Ok(())
    }

    /// Mark a point to which [`Tx::rollback_to`] can return, so one failed operation in a
    /// batch (see `service::writer`) undoes only its own writes and events.
    ///
    /// The database's `SAVEPOINT` is taken only when the operation first reaches the
    /// connection ([`Tx::conn`]); an operation that only buffers rows and appends events
    /// costs no statement, and rolling it back is dropping what it buffered.
    ///
    /// Savepoints are never released one by one: each operation's nests inside the previous
    /// one's and the commit ends them all, which costs one statement per operation instead of
    /// two. `ROLLBACK TO` returns to the newest savepoint of the name, the failed operation's.
    pub fn savepoint(&mut self) -> Savepoint {
        self.op = Some(pending::OpMark {
            writes: self.writes.marks(),
            saved: self.saved.len(),
            in_database: false,
        });
        Savepoint {
            pending_events: self.pending_events.len(),
            pending_messages: self.pending_messages.len(),
        }
    }

    /// Undo everything written since `savepoint`, events included.
    pub async fn rollback_to(&mut self, savepoint: Savepoint) -> Result<()> {
        if let Some(op) = self.op.take() {
            if op.in_database {
                count_statements(1);
                sqlx::query("ROLLBACK TO SAVEPOINT batch_item")
                    .execute(&mut *self.inner)
                    .await?;
            }
            self.writes.truncate(op.writes);
            self.saved.truncate(op.saved);
        }
        self.pending_events.truncate(savepoint.pending_events);
        self.pending_messages.truncate(savepoint.pending_messages);
        Ok(())
    }

    /// Add a message to the conversation: written with the transaction's other messages in a
    /// few multi-row statements at commit (like events: a batch of a thousand chats' messages
    /// is not a thousand round trips), so it commits exactly when they do. A message added
    /// here is not read back by this transaction.
    pub fn add_message(&mut self, message: shared::engagement::MessageRecord) {
        self.pending_messages.push(message);
    }
}

/// A point inside a [`Tx`] (see [`Tx::savepoint`]).
pub struct Savepoint {
    /// Events appended before it (later ones are dropped by a rollback to it).
    pending_events: usize,
    /// Messages added before it, likewise.
    pending_messages: usize,
}

/// `$from, $from+1, …` for `count` parameters (an `IN (…)` list).
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parameters of a statement with many of them (a batch's multi-row writes), in order.
///
/// PostgreSQL numbers them (`$1, $2, …`). SQLite gets anonymous `?`s: it keeps named
/// parameters (`$1` is a name to it) in a list that the driver searches once per parameter
/// as it binds, which made a 400-row statement's binding quadratic (a quarter of the
/// server's CPU under load, seen with `perf`); anonymous ones are bound by position.
pub(crate) struct Params {
    sqlite: bool,
    next: usize,
}

impl Params {
    pub(crate) fn for_conn(conn: &sqlx::AnyConnection) -> Params {
        Params {
            sqlite: conn.backend_name().eq_ignore_ascii_case("sqlite"),
            next: 0,
        }
    }

    pub(crate) fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    /// The next parameter's placeholder.
    pub(crate) fn next(&mut self) -> std::borrow::Cow<'static, str> {
        self.next += 1;
        if self.sqlite {
            "?".into()
        } else {
            format!("${}", self.next).into()
        }
    }

    /// `count` placeholders separated by commas (an `IN (…)` list).
    pub(crate) fn list(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| self.next())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `rows` parenthesised rows of `columns` placeholders (`($1, $2), ($3, $4)`), for a
    /// multi-row `INSERT … VALUES`.
    pub(crate) fn push_rows(&mut self, sql: &mut String, rows: usize, columns: usize) {
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            sql.push_str(&self.list(columns));
            sql.push(')');
        }
    }
}

/// Ids per `IN (…)` list: well under every driver's parameter limit.
const IDS_PER_QUERY: usize = 500;

/// Rows whose id is one of `ids`: `select` ends in `IN` and takes `leading` (bound first, as
/// `$1…`) before the list; run once per [`IDS_PER_QUERY`] ids.
pub(crate) async fn fetch_in<I: ToString, T>(
    conn: &mut sqlx::AnyConnection,
    select: &str,
    leading: &[String],
    ids: &[I],
    read: fn(&sqlx::any::AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let sql = format!(
            "{select} ({})",
            placeholders(leading.len() + 1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for value in leading {
            query = query.bind(value.clone());
        }
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push(read(&row)?);
        }
    }
    Ok(found)
}

/// Run a `DELETE` with two text parameters; `NotFound` when it removed nothing.
pub(crate) async fn delete_one(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    first: &str,
    second: &str,
) -> Result<()> {
    let done = sqlx::query(sql)
        .bind(first)
        .bind(second)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// JSON text for a column. Every stored type serializes (no maps with non-string keys).
pub(crate) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("stored types serialize to JSON")
}

/// Current time in milliseconds since the Unix epoch, as stored.
pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn ms_to_datetime(ms: i64) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            normalize_database_url("switchboard.db").unwrap(),
            (Backend::Sqlite, "sqlite://switchboard.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_database_url("sqlite:///tmp/x.db").unwrap(),
            (Backend::Sqlite, "sqlite:///tmp/x.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_database_url("sqlite://data/x.db?mode=ro")
                .unwrap()
                .1,
            "sqlite://data/x.db?mode=ro"
        );
        assert_eq!(
            normalize_database_url("postgres://u@h/db").unwrap(),
            (Backend::Postgres, "postgres://u@h/db".into())
        );
        assert!(matches!(
            normalize_database_url("mysql://x"),
            Err(StoreError::InvalidUrl(_))
        ));
        assert!(matches!(
            normalize_database_url("  "),
            Err(StoreError::InvalidUrl(_))
        ));
    }
}
