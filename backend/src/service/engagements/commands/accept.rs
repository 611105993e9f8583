//! `accept`: an agent takes an engagement that is ringing for them; it stops ringing for
//! everyone else.

use super::super::{apply, rescind, Emit};
use super::Cmd;
use crate::service::Result;
use crate::store::agents::AgentPatch;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    let me = c.agent()?;
    c.rec.agent_id = Some(me);
    c.rec.connected_at_ms = Some(c.now);
    c.tx.delete_offers(c.rec.id);
    c.tx.patch_agent(
        me,
        AgentPatch {
            reset_misses: true,
            ..AgentPatch::default()
        },
    );
    let others = c.offered.iter().copied().filter(|a| *a != me);
    rescind(c.tx, &c.rec, others, "accepted_by_another").await?;
    let emit_to = Emit {
        offered_to: &[],
        agent: Some(me),
        detail: Detail::Plain {},
    };
    apply(c.tx, &mut c.rec, Command::Accept, emit_to).await?;
    Ok(c.rec.to_api(&[])?)
}
