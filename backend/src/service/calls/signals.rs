//! Offers between instances. A call is held by one instance — the one its visitor's first
//! offer reached (`call_media`); every leg of it must be answered there, because the answer
//! names that instance's media address and its engine relays the call. An offer that reaches
//! another instance (the agent's widget, a supervisor's, or the visitor's page after a reload,
//! connected to another instance behind the load balancer) is written to `call_signals` for the
//! holder, which answers it ([`answer_pending`], run by `delivery::call_signals`), and the
//! answer goes back on the socket the offer came on. The browser then sends its audio to the
//! holder's media address directly.
//!
//! A holder that does not answer within [`FORWARD_TIMEOUT`] is gone (an instance that restarts
//! is a new instance, holding nothing): a visitor's offer then takes the call over, so the call
//! goes on from there once the agent offers again; an agent's gets a `call_error`.

use super::{answer_agent, answer_caller};
use crate::delivery::hub::Hub;
use crate::service::{conflict, Ctx, Result, ServiceError};
use crate::store::calls::{CallSignal, Offerer};
use shared::ids::EngagementId;
use std::time::{Duration, Instant};

/// How long an offer waits for the call's holder to answer.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// Answer `sdp` from `from` for `call`, here or through the instance that holds the call.
pub(super) async fn offer(
    ctx: &Ctx,
    hub: &Hub,
    call: EngagementId,
    from: Offerer,
    sdp: String,
) -> Result<String> {
    let me = ctx.calls.instance.as_str();
    let holder = match from {
        Offerer::Caller => ctx.store.claim_call(call, me).await?,
        Offerer::Agent { .. } => ctx.store.call_holder(call).await?.ok_or_else(|| {
            conflict("the visitor's audio is not connected to this call yet: try again in a moment")
        })?,
    };
    if holder == me {
        return answer_here(ctx, hub, call, from, sdp).await;
    }
    match forward(ctx, &holder, call, from.clone(), sdp.clone()).await? {
        Some(Ok(answer)) => Ok(answer),
        Some(Err(message)) => Err(conflict(message)),
        None if from == Offerer::Caller && ctx.store.take_over_call(call, &holder, me).await? => {
            tracing::warn!(%call, gone = %holder, "the call's holder does not answer: this instance takes the call over");
            answer_here(ctx, hub, call, from, sdp).await
        }
        None => Err(conflict(
            "the server that holds this call's audio does not answer: try again in a moment",
        )),
    }
}

/// Answer an offer on this instance, the call's holder.
async fn answer_here(
    ctx: &Ctx,
    hub: &Hub,
    call: EngagementId,
    from: Offerer,
    sdp: String,
) -> Result<String> {
    match from {
        Offerer::Caller => answer_caller(ctx, hub, call, sdp).await,
        Offerer::Agent {
            agent_id,
            role,
            device,
        } => answer_agent(ctx, agent_id, role, device.as_deref(), call, sdp).await,
    }
}

/// Hand the offer to `holder` and wait for its outcome; `None` if it does not answer in time.
async fn forward(
    ctx: &Ctx,
    holder: &str,
    call: EngagementId,
    from: Offerer,
    sdp: String,
) -> Result<Option<std::result::Result<String, String>>> {
    let mut changes = ctx.store.watch_call_signals();
    let signal = CallSignal {
        signal_id: uuid::Uuid::now_v7().to_string(),
        call,
        from,
        sdp,
    };
    ctx.store.send_call_signal(holder, &signal).await?;
    let deadline = Instant::now() + FORWARD_TIMEOUT;
    loop {
        if let Some(outcome) = ctx
            .store
            .take_call_signal_outcome(&signal.signal_id)
            .await?
        {
            return Ok(Some(outcome));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            ctx.store.drop_call_signal(&signal.signal_id).await?;
            return Ok(None);
        }
        // A notification wakes this at once; reading again now and then covers a lost one.
        let _ = tokio::time::timeout(left.min(Duration::from_millis(250)), changes.changed()).await;
    }
}

/// Answer the offers other instances handed to this one; each outcome is written back for
/// its sender (`public`: the message a socket may show for an error).
pub async fn answer_pending(
    ctx: &Ctx,
    hub: &Hub,
    public: fn(ServiceError) -> String,
) -> Result<usize> {
    let pending = ctx.store.pending_call_signals(&ctx.calls.instance).await?;
    for signal in &pending {
        let outcome = answer_here(
            ctx,
            hub,
            signal.call,
            signal.from.clone(),
            signal.sdp.clone(),
        )
        .await
        .map_err(public);
        ctx.store
            .answer_call_signal(&signal.signal_id, &outcome)
            .await?;
    }
    Ok(pending.len())
}
