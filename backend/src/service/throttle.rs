//! Sign-in throttling for `/v1/auth/login`, `/v1/oauth/token` and `/v1/auth/embed`.
//!
//! Failures are counted per account identifier (the email, the client id, or the agent an
//! embed token names) and per client address, in the database, so every instance on one
//! PostgreSQL shares the counts. The policy itself is `auth::throttle`.

use super::{Ctx, Result, ServiceError};
use crate::auth::throttle::{refusal_message, verdict, Limit, Verdict};
use crate::store::auth as store;
use std::future::Future;
use std::net::IpAddr;

/// Limits per account identifier and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub per_identifier: Limit,
    pub per_address: Limit,
}

/// One sign-in attempt: what it names and where it comes from.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// `login:<email>`, `client:<client id>`, `embed:<agent id>`; None when the attempt names
    /// nothing readable (only the address counts then).
    pub identifier: Option<String>,
    pub address: Option<IpAddr>,
}

impl Attempt {
    /// The keys this attempt counts under, each with its limit; identifier first.
    fn keys(&self, policy: &Policy) -> Vec<(String, Limit)> {
        let id = self
            .identifier
            .as_ref()
            .map(|id| (format!("id:{id}"), policy.per_identifier));
        let addr = self
            .address
            .map(|a| (format!("addr:{a}"), policy.per_address));
        id.into_iter().chain(addr).collect()
    }
}

/// Run a sign-in under the throttle: refused with [`ServiceError::Throttled`] while any of
/// its keys is over its limit; a wrong credential (`Unauthenticated`) counts a failure under
/// every key; a success clears the identifier's count (not the address's: one good password
/// must not reset an attacker's address).
pub async fn guarded<T, F>(ctx: &Ctx, attempt: &Attempt, sign_in: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let keys = attempt.keys(&ctx.throttle);
    let now = ctx.clock.now_ms();
    {
        let mut conn = ctx.store.read().await?;
        for (key, limit) in &keys {
            let f = store::failures(&mut conn, key).await?;
            if let Verdict::Refused { retry_after_secs } =
                verdict(*limit, f.map(|f| (f.count, f.window_start_ms)), now)
            {
                tracing::warn!(%key, retry_after_secs, "sign-in refused: too many failures");
                return Err(ServiceError::Throttled {
                    message: refusal_message(retry_after_secs),
                    retry_after_secs,
                });
            }
        }
    }
    let outcome = sign_in.await;
    match &outcome {
        Err(ServiceError::Unauthenticated(_)) => {
            let mut tx = ctx.store.begin().await?;
            for (key, limit) in &keys {
                store::record_failure(tx.conn().await?, key, now, limit.window_ms).await?;
            }
            tx.commit().await?;
        }
        Ok(_) => {
            if let (Some(_), Some((key, _))) = (&attempt.identifier, keys.first()) {
                let mut tx = ctx.store.begin().await?;
                store::clear_failures(tx.conn().await?, key).await?;
                tx.commit().await?;
            }
        }
        Err(_) => {}
    }
    outcome
}
