//! Appending engagement events: the payload every engagement event carries.

use super::Result;
use crate::store::engagements::EngagementRecord;
use crate::store::{NewEvent, Tx};
use shared::events::EventKind;
use shared::ids::AgentId;
use shared::payload::{Detail, Payload};

/// Append an engagement event: the engagement as it is now, and what `detail` adds.
pub(crate) async fn emit(
    tx: &mut Tx,
    rec: &EngagementRecord,
    offered_to: &[AgentId],
    kind: EventKind,
    agent: Option<AgentId>,
    detail: Detail,
) -> Result<()> {
    tx.append(NewEvent {
        account_id: rec.account,
        kind,
        engagement_id: Some(rec.id),
        agent_id: agent,
        data: Payload::engagement(rec.to_api(offered_to)?, detail),
    })
    .await?;
    Ok(())
}
