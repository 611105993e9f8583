//! `end`: the conversation is over; the engagement enters wrap-up (notes, disposition).

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    c.rec.wrap_up_at_ms = Some(c.now);
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Plain {},
    };
    apply(c.tx, &mut c.rec, Command::End, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
