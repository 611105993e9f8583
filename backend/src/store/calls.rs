//! Where web calls' media lives when several instances share one database
//! (`migrations/*/0015_call_media.sql`): which instance holds each live call, and the offers
//! that reached another instance — written here for the holder, answered here by it. On
//! PostgreSQL a `NOTIFY switchboard_calls` wakes the instances ([`Store::watch_call_signals`]);
//! each also looks on its own every few seconds, so a lost notification only delays.

use super::{now_ms, Backend, Result, Store};
use shared::ids::{AgentId, EngagementId};
use sqlx::Row;
use tokio::sync::watch;

/// PostgreSQL NOTIFY channel: a call signal was written or answered.
pub(super) const CALLS_CHANNEL: &str = "switchboard_calls";

/// Who sent an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offerer {
    /// The visitor, from their chat socket.
    Caller,
    /// An agent or a supervisor, from their agent socket (`device`: the widget it names).
    Agent {
        agent_id: AgentId,
        role: shared::config::Role,
        device: Option<String>,
    },
}

/// An offer for the holder of `call`.
#[derive(Debug, Clone)]
pub struct CallSignal {
    pub signal_id: String,
    pub call: EngagementId,
    pub from: Offerer,
    pub sdp: String,
}

fn role_name(role: shared::config::Role) -> &'static str {
    match role {
        shared::config::Role::Agent => "agent",
        shared::config::Role::Supervisor => "supervisor",
        shared::config::Role::Admin => "admin",
    }
}

fn role_named(name: &str) -> Option<shared::config::Role> {
    serde_json::from_value(serde_json::Value::String(name.into())).ok()
}

impl Store {
    /// The instance that holds `call`: `instance` if nobody did.
    pub async fn claim_call(&self, call: EngagementId, instance: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO call_media (engagement_id, instance_id, opened_ms) VALUES ($1, $2, $3)
             ON CONFLICT (engagement_id) DO NOTHING",
        )
        .bind(call.to_string())
        .bind(instance)
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(self
            .call_holder(call)
            .await?
            .unwrap_or_else(|| instance.to_string()))
    }

    /// At start: with SQLite this is the only instance there is, so the calls an earlier run
    /// held are nobody's now (a visitor's offer then opens the call here at once, instead of
    /// waiting for a holder that is gone). With PostgreSQL other instances may hold calls.
    pub async fn forget_calls_if_alone(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("DELETE FROM call_media")
                .execute(&self.writer)
                .await?;
            sqlx::query("DELETE FROM call_signals")
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// The instance that holds `call`, if one does.
    pub async fn call_holder(&self, call: EngagementId) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT instance_id FROM call_media WHERE engagement_id = $1")
                .bind(call.to_string())
                .fetch_optional(&self.writer)
                .await?,
        )
    }

    /// `instance` takes `call` over from `from` (which stopped answering); false if someone
    /// else already did.
    pub async fn take_over_call(
        &self,
        call: EngagementId,
        from: &str,
        instance: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE call_media SET instance_id = $1, opened_ms = $2
             WHERE engagement_id = $3 AND instance_id = $4",
        )
        .bind(instance)
        .bind(now_ms())
        .bind(call.to_string())
        .bind(from)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `instance` no longer holds `call` (it ended).
    pub async fn release_call(&self, call: EngagementId, instance: &str) -> Result<()> {
        sqlx::query("DELETE FROM call_media WHERE engagement_id = $1 AND instance_id = $2")
            .bind(call.to_string())
            .bind(instance)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Hand `signal` to `holder`.
    pub async fn send_call_signal(&self, holder: &str, signal: &CallSignal) -> Result<()> {
        let (party, agent, role, device) = match &signal.from {
            Offerer::Caller => ("caller", None, None, None),
            Offerer::Agent {
                agent_id,
                role,
                device,
            } => (
                "agent",
                Some(agent_id.to_string()),
                Some(role_name(*role)),
                device.clone(),
            ),
        };
        sqlx::query(
            "INSERT INTO call_signals
               (signal_id, instance_id, engagement_id, party, agent_id, role, device, sdp, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&signal.signal_id)
        .bind(holder)
        .bind(signal.call.to_string())
        .bind(party)
        .bind(agent)
        .bind(role)
        .bind(device)
        .bind(&signal.sdp)
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        self.notify_calls().await
    }

    /// The signals waiting for `instance` to answer, oldest first.
    pub async fn pending_call_signals(&self, instance: &str) -> Result<Vec<CallSignal>> {
        let rows = sqlx::query(
            "SELECT signal_id, engagement_id, party, agent_id, role, device, sdp FROM call_signals
             WHERE instance_id = $1 AND answer IS NULL AND error IS NULL ORDER BY created_ms",
        )
        .bind(instance)
        .fetch_all(&self.writer)
        .await?;
        let mut signals = Vec::with_capacity(rows.len());
        for row in rows {
            let party: String = row.try_get("party")?;
            let from = match party.as_str() {
                "caller" => Offerer::Caller,
                _ => {
                    let agent: Option<String> = row.try_get("agent_id")?;
                    let role: Option<String> = row.try_get("role")?;
                    let (Some(agent_id), Some(role)) = (
                        agent.and_then(|a| a.parse().ok()),
                        role.as_deref().and_then(role_named),
                    ) else {
                        continue;
                    };
                    Offerer::Agent {
                        agent_id,
                        role,
                        device: row.try_get("device")?,
                    }
                }
            };
            let call: String = row.try_get("engagement_id")?;
            let Ok(call) = call.parse() else {
                continue;
            };
            signals.push(CallSignal {
                signal_id: row.try_get("signal_id")?,
                call,
                from,
                sdp: row.try_get("sdp")?,
            });
        }
        Ok(signals)
    }

    /// The holder's outcome for a signal: the answer SDP, or a message saying why not.
    pub async fn answer_call_signal(
        &self,
        signal_id: &str,
        outcome: &std::result::Result<String, String>,
    ) -> Result<()> {
        let (answer, error) = match outcome {
            Ok(sdp) => (Some(sdp.as_str()), None),
            Err(message) => (None, Some(message.as_str())),
        };
        sqlx::query("UPDATE call_signals SET answer = $1, error = $2 WHERE signal_id = $3")
            .bind(answer)
            .bind(error)
            .bind(signal_id)
            .execute(&self.writer)
            .await?;
        self.notify_calls().await
    }

    /// The outcome of a signal this instance sent, once the holder gave it (the row then goes).
    pub async fn take_call_signal_outcome(
        &self,
        signal_id: &str,
    ) -> Result<Option<std::result::Result<String, String>>> {
        let row = sqlx::query("SELECT answer, error FROM call_signals WHERE signal_id = $1")
            .bind(signal_id)
            .fetch_optional(&self.writer)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (answer, error): (Option<String>, Option<String>) =
            (row.try_get("answer")?, row.try_get("error")?);
        let outcome = match (answer, error) {
            (Some(sdp), _) => Ok(sdp),
            (None, Some(message)) => Err(message),
            (None, None) => return Ok(None),
        };
        self.drop_call_signal(signal_id).await?;
        Ok(Some(outcome))
    }

    /// Forget a signal (answered and read, or given up on).
    pub async fn drop_call_signal(&self, signal_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM call_signals WHERE signal_id = $1")
            .bind(signal_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Forget signals older than `max_age_ms` (their sender gave up long ago, or died before
    /// reading the answer).
    pub async fn sweep_call_signals(&self, max_age_ms: i64) -> Result<()> {
        sqlx::query("DELETE FROM call_signals WHERE created_ms < $1")
            .bind(now_ms() - max_age_ms)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Changes whenever a call signal is written or answered (by any instance, on
    /// PostgreSQL).
    pub fn watch_call_signals(&self) -> watch::Receiver<u64> {
        self.call_signals.subscribe()
    }

    async fn notify_calls(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 FROM pg_notify($1, '')")
                .bind(CALLS_CHANNEL)
                .execute(&self.writer)
                .await?;
        }
        self.call_signals.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }
}
