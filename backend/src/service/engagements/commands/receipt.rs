//! `receipt`: one side of a chat has received (or read) the other side's messages up to one —
//! the customer's page when an agent's message arrives or comes into view, the agent's widget
//! likewise for the customer's. Receipts only move forward (a late or repeated one changes
//! nothing and says nothing); each move is an `engagement.message_receipt` event, which the
//! sockets deliver so the writer's side can show ✓✓ and "Read". Reading implies delivery.

use super::super::load;
use super::message::check_channel;
use crate::auth::Denied;
use crate::service::events::emit;
use crate::service::{invalid, Ctx, Result};
use crate::store::engagements as eng;
use crate::store::messages;
use shared::engagement::{AuthorKind, MessageReceipt, NewReceipt, Reader, ReceiptStatus};
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId, EngagementId};
use shared::payload::Detail;

/// Record `reader`'s receipt in chat `id`; `agent` is the agent giving it (for
/// [`Reader::Agent`], who must be the chat's agent). Whether it moved anything.
pub async fn run(
    ctx: &Ctx,
    account: AccountId,
    id: EngagementId,
    reader: Reader,
    agent: Option<AgentId>,
    req: NewReceipt,
) -> Result<bool> {
    ctx.writer
        .apply(false, move |tx, _ctx, view| {
            Box::pin(async move {
                let rec = load(tx, view, account, id).await?;
                if reader == Reader::Agent && (agent.is_none() || rec.agent_id != agent) {
                    return Err(Denied::NotYours.into());
                }
                check_channel(&rec)?;
                let Some((author, at_ms)) =
                    messages::position(tx.conn().await?, id, req.message_id).await?
                else {
                    return Err(invalid(
                        "message_id",
                        "no such message in this conversation",
                    ));
                };
                let theirs = match reader {
                    Reader::Consumer => author != AuthorKind::Consumer,
                    Reader::Agent => author == AuthorKind::Consumer,
                };
                if !theirs {
                    return Err(invalid(
                        "message_id",
                        "that is a message of your own side; receipts are for the other side's",
                    ));
                }
                let delivered = messages::advance_receipt(
                    tx.conn().await?,
                    id,
                    reader,
                    ReceiptStatus::Delivered,
                    req.message_id,
                    at_ms,
                )
                .await?;
                let read = req.status == ReceiptStatus::Read
                    && messages::advance_receipt(
                        tx.conn().await?,
                        id,
                        reader,
                        ReceiptStatus::Read,
                        req.message_id,
                        at_ms,
                    )
                    .await?;
                // One event for the furthest move (a read covers the delivery).
                let status = match (delivered, read) {
                    (_, true) => ReceiptStatus::Read,
                    (true, false) => ReceiptStatus::Delivered,
                    (false, false) => return Ok(false),
                };
                let offered = eng::agent_ids(&eng::offers_for(tx.conn().await?, id).await?);
                let receipt = MessageReceipt {
                    reader,
                    status,
                    up_to: req.message_id,
                };
                emit(
                    tx,
                    &rec,
                    &offered,
                    EventKind::EngagementMessageReceipt,
                    rec.agent_id,
                    Detail::Receipt { receipt },
                )
                .await?;
                Ok(true)
            })
        })
        .await
}
