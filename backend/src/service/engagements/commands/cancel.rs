//! `cancel`: a supervisor or the system that started it withdraws an engagement that has not
//! been answered; whoever it was ringing for is told.

use super::super::{apply, rescind, Emit};
use super::Cmd;
use crate::service::Result;
use crate::store::engagements as eng;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    c.rec.closed_at_ms = Some(c.now);
    c.rec.close_reason = Some("cancelled".into());
    eng::delete_offers(c.tx.conn(), c.rec.id).await?;
    rescind(c.tx, &c.rec, c.offered.iter().copied(), "cancelled").await?;
    let emit_to = Emit {
        offered_to: &[],
        agent: c.rec.agent_id,
        detail: Detail::Reason {
            reason: "cancelled".into(),
        },
    };
    apply(c.tx, &mut c.rec, Command::Cancel, emit_to).await?;
    Ok(c.rec.to_api(&[])?)
}
