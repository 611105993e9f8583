//! `add_message`: the agent (or a supervisor, whose message is a barge) writes in the
//! conversation of a chat or SMS engagement; [`from_consumer`] is the customer's side. The
//! message is stored and carried whole by its `engagement.message_added` event, so the agent's
//! socket delivers it and resumes by `seq`.

use super::super::{advance, load, Emit};
use super::Cmd;
use crate::auth::Principal;
use crate::service::routing_view::RoutingView;
use crate::service::{conflict, validate, Ctx, Result};
use crate::store::engagements::EngagementRecord;
use crate::store::{agents, Tx};
use shared::engagement::{AuthorKind, Engagement, MessageAttachment, MessageAuthor, MessageRecord};
use shared::ids::{AccountId, EngagementId, MessageId};
use shared::payload::Detail;
use shared::{Channel, Command, EngagementState};

/// What a side writes: text, a file, or both. A file's bytes are already in the blob store
/// under [`attachment_key`]`(engagement, message_id)`, so the id is chosen before the upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub message_id: MessageId,
    pub body: String,
    pub attachment: Option<MessageAttachment>,
    /// The writing agent's display name, read by [`super::act`] before the batch (outside its
    /// one transaction, where every read waits for the ones before it); `None`: read inside.
    pub author_name: Option<String>,
}

impl Draft {
    /// A text message with a fresh id.
    pub fn text(body: String) -> Draft {
        Draft {
            message_id: MessageId(uuid::Uuid::now_v7()),
            body,
            attachment: None,
            author_name: None,
        }
    }

    /// A file alone, already stored under [`attachment_key`] for `message_id`.
    pub fn file(message_id: MessageId, attachment: MessageAttachment) -> Draft {
        Draft {
            message_id,
            body: String::new(),
            attachment: Some(attachment),
            author_name: None,
        }
    }
}

/// `POST /v1/engagements/{id}/messages`: the agent side writes text; answers the message as
/// stored (its id is what receipts and the customer's socket name).
pub async fn write_text(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    body: String,
) -> Result<MessageRecord> {
    let draft = Draft::text(body);
    let message_id = draft.message_id;
    super::act(ctx, p, id, super::Action::AddMessage(draft)).await?;
    super::super::message_by_id(ctx, p, id, message_id).await
}

/// Read the writing agent's display name before the batch (see [`Draft::author_name`]).
pub(super) async fn name_author(ctx: &Ctx, p: &Principal, draft: &mut Draft) -> Result<()> {
    if let (None, Some(agent)) = (&draft.author_name, p.agent_id()) {
        let mut conn = ctx.store.read().await?;
        draft.author_name = agents::get(&mut conn, p.account(), agent)
            .await?
            .map(|r| r.agent.display_name);
    }
    Ok(())
}

/// Check a draft before taking any lock: text of 1–4,000 characters, or a file with text of
/// up to that (a caption, possibly empty).
pub fn check(draft: &Draft) -> Result<()> {
    if draft.attachment.is_some() && draft.body.is_empty() {
        return Ok(());
    }
    validate::required("body", &draft.body, super::MESSAGE_MAX_CHARS)
}

/// Where a message's file lives in the blob store.
pub fn attachment_key(engagement: EngagementId, message: MessageId) -> String {
    format!("attachments/{engagement}/{message}")
}

pub(super) async fn run(c: &mut Cmd<'_>, draft: Draft) -> Result<Engagement> {
    check_channel(&c.rec)?;
    agent_may_write(c.rec.state)?;
    let agent = c.agent()?;
    // Not the engagement's agent: a supervisor (authorized as such), marked so on both sides.
    let kind = if c.rec.agent_id == Some(agent) {
        AuthorKind::Agent
    } else {
        AuthorKind::Supervisor
    };
    let display_name = match draft.author_name {
        Some(name) => name,
        None => agents::get(c.tx.conn().await?, c.account, agent)
            .await?
            .map(|r| r.agent.display_name)
            .unwrap_or_default(),
    };
    let message = MessageRecord {
        message_id: draft.message_id,
        engagement_id: c.rec.id,
        author: MessageAuthor {
            kind,
            agent_id: Some(agent),
            display_name,
        },
        body: draft.body,
        created_at: crate::store::ms_to_datetime(c.now)?,
        attachment: draft.attachment,
    };
    record(c.tx, &mut c.rec, &c.offered, message).await?;
    Ok(c.rec.to_api(&c.offered)?)
}

/// The agent side writes while the conversation is live: connected, or parked.
pub fn agent_may_write(state: EngagementState) -> Result<()> {
    if matches!(
        state,
        EngagementState::Connected | EngagementState::Inactive
    ) {
        Ok(())
    } else {
        Err(conflict(format!(
            "the conversation is not live: the engagement is {}",
            state.as_str()
        )))
    }
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

/// The customer writes from the start, while it queues and rings, until it ends.
pub fn consumer_may_write(rec: &EngagementRecord) -> Result<()> {
    check_channel(rec)?;
    if matches!(
        rec.state,
        EngagementState::Queued
            | EngagementState::Offered
            | EngagementState::Connected
            | EngagementState::Inactive
    ) {
        Ok(())
    } else {
        Err(conflict("this chat has ended"))
    }
}

/// Store the message and append its event (to the engagement's agent's feed). A message
/// leaves the engagement's state as it was, so the engagement row is not written again.
async fn record(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    offered: &[shared::ids::AgentId],
    message: MessageRecord,
) -> Result<()> {
    tx.add_message(message.clone());
    let emit_to = Emit {
        offered_to: offered,
        agent: rec.agent_id,
        detail: Detail::Message { message },
    };
    let before = rec.state;
    advance(tx, rec, Command::AddMessage, emit_to).await?;
    if rec.state != before {
        tx.save_engagement(rec);
    }
    Ok(())
}

/// The customer writes in their chat (validated by the caller): from the start, while it
/// queues and rings, until it ends.
pub async fn from_consumer(
    ctx: &Ctx,
    account: AccountId,
    id: EngagementId,
    draft: Draft,
) -> Result<MessageRecord> {
    ctx.writer
        .apply(false, move |tx, ctx, view| {
            Box::pin(add_from_consumer(tx, ctx, view, account, id, draft))
        })
        .await
}

/// The customer's message, inside a batch (a chat's start adds its first one in its own).
pub(crate) async fn add_from_consumer(
    tx: &mut Tx,
    ctx: &Ctx,
    view: &RoutingView,
    account: AccountId,
    id: EngagementId,
    draft: Draft,
) -> Result<MessageRecord> {
    let mut rec = load(tx, view, account, id).await?;
    consumer_may_write(&rec)?;
    let offered = super::ringing_for(tx, view, &rec).await?;
    let message = MessageRecord {
        message_id: draft.message_id,
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
        body: draft.body,
        created_at: crate::store::ms_to_datetime(ctx.clock.now_ms())?,
        attachment: draft.attachment,
    };
    record(tx, &mut rec, &offered, message.clone()).await?;
    Ok(message)
}
