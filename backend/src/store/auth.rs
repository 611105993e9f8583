//! Sign-in failures (throttling) and sessions (revocable tokens).

use super::Result;
use shared::ids::AccountId;
use sqlx::{AnyConnection, Row};

/// Failed sign-ins counted under one key since `window_start_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub window_start_ms: i64,
}

/// The failures recorded under `key`, if any.
pub async fn failures(conn: &mut AnyConnection, key: &str) -> Result<Option<Failures>> {
    let row = sqlx::query(
        "SELECT failures, window_start_ms FROM signin_failures WHERE throttle_key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Failures {
            count: r.try_get("failures")?,
            window_start_ms: r.try_get("window_start_ms")?,
        })
    })
    .transpose()
}

/// Count one more failure under `key`, atomically (instances may race). A window older than
/// `window_ms` starts again at `now_ms` with this failure.
pub async fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    now_ms: i64,
    window_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO signin_failures (throttle_key, failures, window_start_ms) VALUES ($1, 1, $2)
         ON CONFLICT (throttle_key) DO UPDATE SET
             failures = CASE WHEN signin_failures.window_start_ms <= $3 THEN 1
                             ELSE signin_failures.failures + 1 END,
             window_start_ms = CASE WHEN signin_failures.window_start_ms <= $3 THEN $2
                                    ELSE signin_failures.window_start_ms END",
    )
    .bind(key)
    .bind(now_ms)
    .bind(now_ms - window_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget the failures under `key` (a successful sign-in).
pub async fn clear_failures(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM signin_failures WHERE throttle_key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Agent,
    Client,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Agent => "agent",
            SessionKind::Client => "client",
        }
    }
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_id: String,
    pub account: AccountId,
    pub kind: SessionKind,
    /// The agent id or the client id.
    pub subject: String,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// Store a new session, and drop sessions that expired long ago (a day of grace keeps them
/// readable for support questions).
pub async fn insert_session(conn: &mut AnyConnection, s: &Session, now_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM auth_sessions WHERE expires_at_ms < $1")
        .bind(now_ms - 86_400_000)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO auth_sessions (session_id, account_id, principal_kind, subject, created_at_ms, expires_at_ms, revoked_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(&s.session_id)
    .bind(s.account.to_string())
    .bind(s.kind.as_str())
    .bind(&s.subject)
    .bind(now_ms)
    .bind(s.expires_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The session `session_id`, if it exists.
pub async fn session(conn: &mut AnyConnection, session_id: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT session_id, account_id, principal_kind, subject, expires_at_ms, revoked_at_ms
         FROM auth_sessions WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let kind = match r.try_get::<String, _>("principal_kind")?.as_str() {
        "agent" => SessionKind::Agent,
        "client" => SessionKind::Client,
        other => {
            return Err(super::StoreError::Corrupt(format!(
                "session kind {other:?}"
            )))
        }
    };
    Ok(Some(Session {
        session_id: r.try_get("session_id")?,
        account: super::config::parse_id(&r.try_get::<String, _>("account_id")?)?,
        kind,
        subject: r.try_get("subject")?,
        expires_at_ms: r.try_get("expires_at_ms")?,
        revoked_at_ms: r.try_get("revoked_at_ms")?,
    }))
}

/// End one session. Returns whether it was still open.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    session_id: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at_ms = $2 WHERE session_id = $1 AND revoked_at_ms IS NULL",
    )
    .bind(session_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// End every open session of one agent or client. Returns how many were open.
pub async fn revoke_subject(
    conn: &mut AnyConnection,
    account: AccountId,
    kind: SessionKind,
    subject: &str,
    now_ms: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at_ms = $4
         WHERE account_id = $1 AND principal_kind = $2 AND subject = $3 AND revoked_at_ms IS NULL",
    )
    .bind(account.to_string())
    .bind(kind.as_str())
    .bind(subject)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
