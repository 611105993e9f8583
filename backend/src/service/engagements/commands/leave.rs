//! The customer leaves their chat ("End chat" on the chat page). Before an agent answered it
//! is `abandon` — closed as abandoned, offers rescinded, counted against the queue's service
//! level like a caller hanging up; once an agent has it, `end` — the agent's conversation is
//! over and they go on to wrap-up.

use super::super::load;
use super::{cancel, end, Cmd};
use crate::service::{conflict, Ctx, Result};
use crate::store::engagements as eng;
use shared::engagement::Engagement;
use shared::ids::{AccountId, EngagementId};
use shared::{Command, EngagementState};

pub async fn run(ctx: &Ctx, account: AccountId, id: EngagementId) -> Result<Engagement> {
    ctx.writer
        .apply(true, move |tx, ctx| {
            Box::pin(async move {
                let rec = load(tx, account, id).await?;
                let offered = eng::agent_ids(&eng::offers_for(tx.conn(), id).await?);
                let mut c = Cmd {
                    tx,
                    rec,
                    offered,
                    actor: None,
                    account,
                    now: ctx.clock.now_ms(),
                };
                match c.rec.state {
                    EngagementState::Queued | EngagementState::Offered => {
                        cancel::withdraw(&mut c, Command::Abandon, "abandoned").await
                    }
                    EngagementState::Connected | EngagementState::Inactive => {
                        end::run(&mut c).await
                    }
                    EngagementState::WrapUp | EngagementState::Closed => {
                        Err(conflict("this chat has already ended"))
                    }
                }
            })
        })
        .await
}
