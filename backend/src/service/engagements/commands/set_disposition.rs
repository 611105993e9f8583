//! `set_disposition`: the outcome code, from the queue's disposition set when it has one.

use super::super::placement::load_queue;
use super::super::{apply, Emit};
use super::Cmd;
use crate::service::{invalid, unknown, Result};
use crate::store::config as cfg;
use shared::engagement::Engagement;
use shared::ids::DispositionId;
use shared::payload::Detail;
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>, d: DispositionId) -> Result<Engagement> {
    let allowed: Vec<DispositionId> = match c.rec.queue_id {
        Some(q) => load_queue(c.tx, c.account, q)
            .await?
            .map(|q| q.disposition_ids)
            .unwrap_or_default(),
        None => vec![],
    };
    let all = cfg::list_dispositions(c.tx.conn().await?, c.account).await?;
    let Some(found) = all.iter().find(|x| x.disposition_id == d) else {
        return Err(unknown(
            "disposition_id",
            format!("disposition {d} does not exist"),
        ));
    };
    if !allowed.is_empty() && !allowed.contains(&d) {
        return Err(invalid(
            "disposition_id",
            "this disposition is not in the queue's disposition set",
        ));
    }
    let detail = Detail::Disposition {
        disposition: found.clone(),
    };
    c.rec.disposition_id = Some(d);
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail,
    };
    apply(c.tx, &mut c.rec, Command::SetDisposition, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
