//! `transfer`: the engagement leaves its agent for a queue, a flow or a colleague. The agent
//! who had it learns it left; the next owner learns through their offer. The agent who had it
//! is not offered it again, except by a transfer straight back to them.

use super::super::placement::{load_queue, place_in_queue, route_through_flow};
use super::super::{apply, Emit};
use super::{Cmd, TransferTarget};
use crate::service::{invalid, unknown, Result};
use crate::store::agents;
use crate::store::agents::AgentPatch;
use shared::engagement::Engagement;
use shared::payload::Detail;
use shared::Command;

/// How long a direct transfer rings only the chosen colleague before anyone in the queue may
/// take it.
const DIRECT_TRANSFER_WAIT_MS: i64 = 120_000;

pub(super) async fn run(c: &mut Cmd<'_>, target: TransferTarget) -> Result<Engagement> {
    let now = c.now;
    let from = c.rec.agent_id;
    let rec = &mut c.rec;
    rec.agent_id = None;
    rec.excluded_agents = from.into_iter().collect();
    rec.preferred_agent = None;
    rec.preferred_until_ms = None;
    rec.connected_at_ms = None;
    match &target {
        TransferTarget::Queue { queue_id } => {
            let queue = load_queue(c.tx, c.account, *queue_id)
                .await?
                .ok_or_else(|| unknown("queue_id", format!("queue {queue_id} does not exist")))?;
            if queue.channel != rec.channel {
                return Err(invalid(
                    "queue_id",
                    format!(
                        "queue {:?} takes {}, not {}",
                        queue.name, queue.channel, rec.channel
                    ),
                ));
            }
            place_in_queue(rec, &queue, vec![], 0, now);
        }
        TransferTarget::Flow { flow_id } => {
            route_through_flow(c.view, rec, *flow_id, "flow_id", now)?;
        }
        TransferTarget::Agent { agent_id } => {
            if agents::get(c.tx.conn().await?, c.account, *agent_id)
                .await?
                .is_none()
            {
                return Err(unknown(
                    "agent_id",
                    format!("agent {agent_id} does not exist"),
                ));
            }
            if Some(*agent_id) == from {
                return Err(invalid("agent_id", "the engagement is already yours"));
            }
            rec.excluded_agents.clear();
            rec.preferred_agent = Some(*agent_id);
            rec.preferred_until_ms = Some(now + DIRECT_TRANSFER_WAIT_MS);
            rec.queued_at_ms = Some(now);
        }
    }
    if let Some(agent) = from {
        c.tx.patch_agent(
            agent,
            AgentPatch {
                idle_since_ms: Some(now),
                ..AgentPatch::default()
            },
        );
    }
    let emit_to = Emit {
        offered_to: &[],
        agent: from,
        detail: Detail::Transferred {
            target,
            from_agent_id: from,
        },
    };
    apply(c.tx, &mut c.rec, Command::Transfer, emit_to).await?;
    Ok(c.rec.to_api(&[])?)
}
