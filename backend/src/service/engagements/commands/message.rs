//! `add_message`: the agent (or a supervisor, whose message is a barge) writes in the
//! conversation of a chat or SMS engagement; [`from_consumer`] is the customer's side. The
//! message is stored and carried whole by its `engagement.message_added` event, so the agent's
//! socket delivers it and resumes by `seq`.

use super::super::{apply, load, Emit};
use super::Cmd;
use crate::service::{conflict, Ctx, Result};
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::{agents, messages, Tx};
use shared::engagement::{AuthorKind, Engagement, MessageAuthor, MessageRecord};
use shared::ids::{AccountId, EngagementId, MessageId};
use shared::payload::Detail;
use shared::{Channel, Command, EngagementState};

pub(super) async fn run(c: &mut Cmd<'_>, body: String) -> Result<Engagement> {
    check_channel(&c.rec)?;
    if !matches!(
        c.rec.state,
        EngagementState::Connected | EngagementState::Inactive
    ) {
        return Err(conflict(format!(
            "the conversation is not live: the engagement is {}",
            c.rec.state.as_str()
        )));
    }
    let agent = c.agent()?;
    // Not the engagement's agent: a supervisor (authorized as such), marked so on both sides.
    let kind = if c.rec.agent_id == Some(agent) {
        AuthorKind::Agent
    } else {
        AuthorKind::Supervisor
    };
    let display_name = agents::get(c.tx.conn(), c.account, agent)
        .await?
        .map(|r| r.agent.display_name)
        .unwrap_or_default();
    let message = MessageRecord {
        message_id: MessageId(uuid::Uuid::now_v7()),
        engagement_id: c.rec.id,
        author: MessageAuthor {
            kind,
            agent_id: Some(agent),
            display_name,
        },
        body,
        created_at: crate::store::ms_to_datetime(c.now)?,
    };
    record(c.tx, &mut c.rec, &c.offered, message).await?;
    Ok(c.rec.to_api(&c.offered)?)
}

pub(super) fn check_channel(rec: &EngagementRecord) -> Result<()> {
    if matches!(rec.channel, Channel::Chat | Channel::Sms) {
        Ok(())
    } else {
        Err(conflict(format!(
            "messages belong to chat and SMS engagements; this one is {}",
            rec.channel.as_str()
        )))
    }
}

/// Store the message and append its event (to the engagement's agent's feed).
async fn record(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    offered: &[shared::ids::AgentId],
    message: MessageRecord,
) -> Result<()> {
    messages::insert(tx.conn(), &message).await?;
    let emit_to = Emit {
        offered_to: offered,
        agent: rec.agent_id,
        detail: Detail::Message { message },
    };
    apply(tx, rec, Command::AddMessage, emit_to).await
}

/// The customer writes in their chat (validated by the caller): from the start, while it
/// queues and rings, until it ends.
pub async fn from_consumer(
    ctx: &Ctx,
    account: AccountId,
    id: EngagementId,
    body: String,
) -> Result<MessageRecord> {
    ctx.writer
        .apply(false, move |tx, ctx| {
            Box::pin(async move {
                let mut rec = load(tx, account, id).await?;
                check_channel(&rec)?;
                if !matches!(
                    rec.state,
                    EngagementState::Queued
                        | EngagementState::Offered
                        | EngagementState::Connected
                        | EngagementState::Inactive
                ) {
                    return Err(conflict("this chat has ended"));
                }
                let offered = eng::agent_ids(&eng::offers_for(tx.conn(), id).await?);
                let message = MessageRecord {
                    message_id: MessageId(uuid::Uuid::now_v7()),
                    engagement_id: id,
                    author: MessageAuthor {
                        kind: AuthorKind::Consumer,
                        agent_id: None,
                        display_name: rec
                            .consumer
                            .as_ref()
                            .and_then(|c| c.display_name.clone())
                            .unwrap_or_else(|| "Customer".into()),
                    },
                    body,
                    created_at: crate::store::ms_to_datetime(ctx.clock.now_ms())?,
                };
                record(tx, &mut rec, &offered, message.clone()).await?;
                Ok(message)
            })
        })
        .await
}
