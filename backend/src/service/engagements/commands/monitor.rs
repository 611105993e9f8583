//! `monitor` / `barge`: a supervisor joins an engagement. Nothing about the engagement
//! changes; the event tells the agent (and the log) who is listening.

use super::Cmd;
use crate::service::events::emit;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::{transition, Command};

pub(super) async fn run(c: &mut Cmd<'_>, barge: bool) -> Result<Engagement> {
    let t = transition(c.rec.state, Command::Monitor)?;
    let extra = serde_json::json!({
        "supervisor_id": c.actor,
        "mode": if barge { "barge" } else { "monitor" },
    });
    for kind in t.events {
        emit(c.tx, &c.rec, &[], kind, c.rec.agent_id, extra.clone()).await?;
    }
    Ok(c.rec.to_api(&[])?)
}
