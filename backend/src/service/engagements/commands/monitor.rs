//! `monitor` / `barge`: a supervisor joins an engagement. Nothing about the engagement
//! changes; the event tells the agent (and the log) who is listening.

use super::super::{advance, Emit};
use super::Cmd;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::payload::{Detail, MonitorMode};
use shared::Command;

pub(super) async fn run(c: &mut Cmd<'_>, barge: bool) -> Result<Engagement> {
    let detail = Detail::Monitoring {
        supervisor_id: c.actor,
        mode: if barge {
            MonitorMode::Barge
        } else {
            MonitorMode::Monitor
        },
    };
    let agent = c.rec.agent_id;
    let to = Emit {
        offered_to: &[],
        agent,
        detail,
    };
    // The state does not change: nothing to save.
    advance(c.tx, &mut c.rec, Command::Monitor, to).await?;
    Ok(c.rec.to_api(&[])?)
}
