//! The customer leaves their chat ("End chat" on the chat page). Before an agent answered it
//! is `abandon` — closed as abandoned, offers rescinded, counted against the queue's service
//! level like a caller hanging up; once an agent has it, `end` — the agent's conversation is
//! over and they go on to wrap-up. [`abandon_if_waiting`] is the customer who went away
//! without a word (`service::chat::presence`).

use super::super::load;
use super::{cancel, end, Cmd};
use crate::service::{conflict, Ctx, Result};
use shared::engagement::Engagement;
use shared::ids::{AccountId, EngagementId};
use shared::{Command, EngagementState};

/// "End chat": abandoned while it waits, ended once answered; `409` once over.
pub async fn run(ctx: &Ctx, account: AccountId, id: EngagementId) -> Result<Engagement> {
    leave(ctx, account, id, false)
        .await?
        .ok_or_else(|| conflict("this chat has already ended"))
}

/// Close the chat as abandoned if it still waits for an agent; whether it did.
pub async fn abandon_if_waiting(ctx: &Ctx, account: AccountId, id: EngagementId) -> Result<bool> {
    Ok(leave(ctx, account, id, true).await?.is_some())
}

async fn leave(
    ctx: &Ctx,
    account: AccountId,
    id: EngagementId,
    only_waiting: bool,
) -> Result<Option<Engagement>> {
    ctx.writer
        .apply(true, move |tx, ctx, view| {
            Box::pin(async move {
                let rec = load(tx, view, account, id).await?;
                let offered = super::ringing_for(tx, view, &rec).await?;
                let mut c = Cmd {
                    tx,
                    view,
                    rec,
                    offered,
                    actor: None,
                    account,
                    now: ctx.clock.now_ms(),
                };
                match c.rec.state {
                    EngagementState::Queued | EngagementState::Offered => Ok(Some(
                        cancel::withdraw(&mut c, Command::Abandon, "abandoned").await?,
                    )),
                    EngagementState::Connected | EngagementState::Inactive if !only_waiting => {
                        Ok(Some(end::run(&mut c).await?))
                    }
                    _ => Ok(None),
                }
            })
        })
        .await
}
