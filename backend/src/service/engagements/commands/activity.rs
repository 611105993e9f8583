//! `mark_inactive` / `resume`: the agent parks an engagement (waiting on the customer) and
//! picks it up again.

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>, command: Command) -> Result<Engagement> {
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Plain {},
    };
    apply(c.tx, &mut c.rec, command, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
