//! `add_message`: the agent (or a supervisor who barged in) writes in the conversation of a
//! chat or SMS engagement. The message is stored and carried whole by its
//! `engagement.message_added` event, so the agent's socket delivers it and resumes by `seq`.

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::{conflict, Result};
use crate::store::{agents, messages};
use shared::engagement::{AuthorKind, Engagement, MessageAuthor, MessageRecord};
use shared::ids::MessageId;
use shared::payload::Detail;
use shared::{Channel, Command};

pub(super) async fn run(c: &mut Cmd<'_>, body: String) -> Result<Engagement> {
    if !matches!(c.rec.channel, Channel::Chat | Channel::Sms) {
        return Err(conflict(format!(
            "messages belong to chat and SMS engagements; this one is {}",
            c.rec.channel.as_str()
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
    messages::insert(c.tx.conn(), &message).await?;
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Message { message },
    };
    apply(c.tx, &mut c.rec, Command::AddMessage, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
