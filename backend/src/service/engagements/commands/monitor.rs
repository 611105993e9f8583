//! `monitor` / `barge`: a supervisor joins an engagement. Nothing about the engagement
//! changes; the event tells the agent (and the log) who is listening.

use super::Cmd;
use crate::service::events::emit;
use crate::service::Result;
use shared::engagement::Engagement;
use shared::payload::{Detail, MonitorMode};
use shared::{transition, Command};

pub(super) async fn run(c: &mut Cmd<'_>, barge: bool) -> Result<Engagement> {
    let t = transition(c.rec.state, Command::Monitor)?;
    let detail = Detail::Monitoring {
        supervisor_id: c.actor,
        mode: if barge {
            MonitorMode::Barge
        } else {
            MonitorMode::Monitor
        },
    };
    for kind in t.events {
        emit(c.tx, &c.rec, &[], kind, c.rec.agent_id, detail.clone()).await?;
    }
    Ok(c.rec.to_api(&[])?)
}
