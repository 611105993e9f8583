//! `close`: the engagement is done. From connected or inactive it passes through wrap-up
//! first (an `ended` event, then `closed`), so every closed engagement has both. The agent
//! is idle from now (longest-idle routing).

use super::super::{advance, apply, Emit};
use super::Cmd;
use crate::service::Result;
use crate::store::agents::AgentPatch;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::{Command, EngagementState};

pub(super) async fn run(c: &mut Cmd<'_>) -> Result<Engagement> {
    if matches!(
        c.rec.state,
        EngagementState::Connected | EngagementState::Inactive
    ) {
        c.rec.wrap_up_at_ms = Some(c.now);
        let emit_to = Emit {
            offered_to: &[],
            agent: c.rec.agent_id,
            detail: Detail::Plain {},
        };
        advance(c.tx, &mut c.rec, Command::End, emit_to).await?;
    }
    c.rec.closed_at_ms = Some(c.now);
    c.rec.close_reason = Some("completed".into());
    if let Some(agent) = c.rec.agent_id {
        c.tx.patch_agent(
            agent,
            AgentPatch {
                idle_since_ms: Some(c.now),
                ..AgentPatch::default()
            },
        );
    }
    let emit_to = Emit {
        offered_to: &c.offered,
        agent: c.rec.agent_id,
        detail: Detail::Reason {
            reason: "completed".into(),
        },
    };
    apply(c.tx, &mut c.rec, Command::Close, emit_to).await?;
    Ok(c.rec.to_api(&c.offered)?)
}
