//! `decline`: an agent turns down an offer. With ring-all, the others keep ringing and the
//! engagement stays offered; otherwise it goes back to its queue. Either way the decliner is
//! not offered it again, and the miss counts towards going not ready.

use super::super::{apply, Emit};
use super::Cmd;
use crate::service::events::emit;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::events::EventKind;
use shared::ids::AgentId;
use shared::payload::Detail;
use shared::{transition, Command};

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    let me = c.agent()?;
    transition(c.rec.state, Command::Decline)?;
    c.tx.delete_offer(c.rec.id, me);
    let still_ringing: Vec<AgentId> = c.offered.iter().copied().filter(|a| *a != me).collect();
    if !c.rec.excluded_agents.contains(&me) {
        c.rec.excluded_agents.push(me);
    }
    crate::service::agents::note_miss(c.tx, c.account, me).await?;
    if !still_ringing.is_empty() {
        c.tx.save_engagement(&c.rec);
        emit(
            c.tx,
            &c.rec,
            &still_ringing,
            EventKind::EngagementOfferDeclined,
            Some(me),
            Detail::Plain {},
        )
        .await?;
        return Ok(c.rec.to_api(&still_ringing)?);
    }
    let emit_to = Emit {
        offered_to: &[],
        agent: Some(me),
        detail: Detail::Declined { declined_by: me },
    };
    apply(c.tx, &mut c.rec, Command::Decline, emit_to).await?;
    Ok(c.rec.to_api(&[])?)
}
