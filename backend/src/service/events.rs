//! Appending engagement events: the payload every engagement event carries.

use super::Result;
use crate::store::engagements::EngagementRecord;
use crate::store::{NewEvent, Tx};
use shared::events::EventKind;
use shared::ids::AgentId;

/// Append an engagement event whose payload is the engagement (plus `extra` fields).
pub(crate) async fn emit(
    tx: &mut Tx,
    rec: &EngagementRecord,
    offered_to: &[AgentId],
    kind: EventKind,
    agent: Option<AgentId>,
    extra: serde_json::Value,
) -> Result<()> {
    let mut data = serde_json::json!({ "engagement": rec.to_api(offered_to)? });
    if let (Some(obj), serde_json::Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    tx.append(NewEvent {
        account_id: rec.account,
        kind,
        engagement_id: Some(rec.id),
        agent_id: agent,
        data,
    })
    .await?;
    Ok(())
}
