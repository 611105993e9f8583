//! `cancel`: a supervisor or the system that started it withdraws an engagement that has not
//! been answered; whoever it was ringing for is told. [`withdraw`] is shared with the customer
//! leaving a chat before anyone answered (`abandon`, see [`super::leave`]).

use super::super::{apply, rescind, Emit};
use super::Cmd;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    withdraw(c, Command::Cancel, "cancelled").await
}

/// Close an unanswered engagement with `reason` (`cancelled`, `abandoned`), rescinding its
/// offers in the same transaction.
pub(super) async fn withdraw(
    c: &mut Cmd<'_>,
    command: Command,
    reason: &str,
) -> Result<Engagement> {
    c.rec.closed_at_ms = Some(c.now);
    c.rec.close_reason = Some(reason.into());
    c.tx.delete_offers(c.rec.id);
    rescind(c.tx, &c.rec, c.offered.iter().copied(), reason).await?;
    let emit_to = Emit {
        offered_to: &[],
        agent: c.rec.agent_id,
        detail: Detail::Reason {
            reason: reason.into(),
        },
    };
    apply(c.tx, &mut c.rec, command, emit_to).await?;
    Ok(c.rec.to_api(&[])?)
}
