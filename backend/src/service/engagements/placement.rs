//! Where an engagement waits: a flow's verdict (queue, skills, priority), a consumer routing
//! profile's rules, and the queue's timers.

use crate::routing::flow::{self as flows, Facts};
use crate::service::routing_view::RoutingView;
use crate::service::{conflict, Result};
use crate::store::config::{self as cfg, DocTable};
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::Tx;
use shared::config::{ConsumerRoutingProfile, ProfileEffect, Queue, SkillRequirement};
use shared::engagement::{Consumer, Variables, WorkItem};
use shared::ids::{AccountId, AgentId, FlowId, QueueId};
use shared::{Channel, EngagementState};
use std::collections::HashMap;

/// Work-item and consumer fields as variables and as flow facts.
fn facts_for(
    channel: Channel,
    consumer: &Option<Consumer>,
    work_item: &Option<WorkItem>,
    given: Variables,
) -> Facts {
    let mut facts = Facts {
        variables: given,
        fields: HashMap::new(),
    };
    let mut put = |var: &str, field: &str, value: Option<String>| {
        if let Some(v) = value {
            facts.variables.insert(var.to_string(), v.clone());
            facts.fields.insert(field.to_string(), v);
        }
    };
    put("channel", "channel", Some(channel.as_str().to_string()));
    if let Some(c) = consumer {
        put(
            "consumer_display_name",
            "consumer.display_name",
            c.display_name.clone(),
        );
        put("consumer_email", "consumer.email", c.email.clone());
        put("consumer_phone", "consumer.phone", c.phone.clone());
        put(
            "consumer_external_id",
            "consumer.external_id",
            c.external_id.clone(),
        );
    }
    if let Some(w) = work_item {
        put("work_item_name", "work_item.name", Some(w.name.clone()));
        put("work_item_id", "work_item.id", w.id.clone());
        put(
            "work_item_desc",
            "work_item.description",
            w.description.clone(),
        );
        put(
            "work_item_hyperlink",
            "work_item.hyperlink",
            w.hyperlink.clone(),
        );
        put(
            "work_item_priority",
            "work_item.priority",
            w.priority.map(|p| p.to_string()),
        );
        put("work_item_origin", "work_item.origin", w.origin.clone());
        put("work_item_type_id", "work_item.type_id", w.type_id.clone());
        put(
            "work_item_due_date",
            "work_item.due_date",
            w.due_date.and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        );
    }
    facts
}

pub(super) async fn load_queue(
    tx: &mut Tx,
    account: AccountId,
    id: QueueId,
) -> Result<Option<Queue>> {
    Ok(cfg::get_doc(tx.conn().await?, DocTable::Queues, account, &id.to_string()).await?)
}

/// Route `rec` through `flow` (new engagement or transfer): sets queue, skills, priority,
/// overflow timer and variables the flow set. Flows and queues come from the batch's
/// routing view (the configuration as committed).
pub(super) fn route_through_flow(
    view: &RoutingView,
    rec: &mut EngagementRecord,
    flow: FlowId,
    field: &str,
    now: i64,
) -> Result<Queue> {
    let all = &view.flows;
    let mut facts = facts_for(
        rec.channel,
        &rec.consumer,
        &rec.work_item,
        rec.variables.clone(),
    );
    let routed = flows::evaluate(all, flow, &mut facts).map_err(|e| {
        conflict(format!(
            "{field}: the flow cannot route this engagement: {e}"
        ))
    })?;
    // The routing configuration, not the request, is what refuses these: `409`.
    let queue = view.queues.get(&routed.queue).cloned().ok_or_else(|| {
        conflict(format!(
            "{field}: the flow routes to queue {} which no longer exists",
            routed.queue
        ))
    })?;
    if queue.channel != rec.channel {
        return Err(conflict(format!(
            "this entry point routes to queue {:?}, which takes {} engagements, not {}",
            queue.name, queue.channel, rec.channel
        )));
    }
    rec.variables = facts.variables;
    rec.flow_id = Some(routed.flow);
    place_in_queue(rec, &queue, routed.skills, routed.priority, now);
    Ok(queue)
}

pub(super) fn place_in_queue(
    rec: &mut EngagementRecord,
    queue: &Queue,
    extra: Vec<SkillRequirement>,
    flow_priority: i32,
    now: i64,
) {
    let mut skills = queue.required_skills.clone();
    for s in extra {
        if !skills.iter().any(|k| k.skill_id == s.skill_id) {
            skills.push(s);
        }
    }
    rec.queue_id = Some(queue.queue_id);
    rec.required_skills = skills;
    rec.skills_relaxed = false;
    rec.base_priority =
        flow_priority.saturating_add(rec.work_item.as_ref().and_then(|w| w.priority).unwrap_or(0));
    rec.overflow_at_ms = queue
        .overflow
        .as_ref()
        .map(|o| now + i64::from(o.after_secs) * 1000);
    rec.queued_at_ms = Some(now);
}

/// Apply a consumer routing profile's rules.
pub(super) async fn apply_profile(
    tx: &mut Tx,
    view: &RoutingView,
    rec: &mut EngagementRecord,
    profile: &ConsumerRoutingProfile,
    now: i64,
) -> Result<()> {
    let facts = facts_for(
        rec.channel,
        &rec.consumer,
        &rec.work_item,
        rec.variables.clone(),
    );
    for rule in &profile.rules {
        if !flows::holds(&rule.when, &facts) {
            continue;
        }
        match &rule.effect {
            ProfileEffect::RaisePriority { by } => {
                rec.base_priority = rec.base_priority.saturating_add(*by)
            }
            ProfileEffect::UseQueue { queue_id } => {
                if let Some(q) = view.queues.get(queue_id) {
                    if q.channel == rec.channel {
                        let skills = rec.required_skills.clone();
                        let prio = rec.base_priority
                            - rec.work_item.as_ref().and_then(|w| w.priority).unwrap_or(0);
                        place_in_queue(rec, q, skills, prio, now);
                    }
                }
            }
            ProfileEffect::PreferAgent {
                agent_id,
                wait_secs,
            } => {
                rec.preferred_agent = Some(*agent_id);
                rec.preferred_until_ms = Some(now + i64::from(*wait_secs) * 1000);
            }
            ProfileEffect::PreferLastAgent { wait_secs } => {
                if let Some(agent) = last_agent_for(tx, rec).await? {
                    rec.preferred_agent = Some(agent);
                    rec.preferred_until_ms = Some(now + i64::from(*wait_secs) * 1000);
                }
            }
        }
    }
    Ok(())
}

/// The agent who most recently served this consumer (same external id, email or phone).
async fn last_agent_for(tx: &mut Tx, rec: &EngagementRecord) -> Result<Option<AgentId>> {
    let Some(c) = &rec.consumer else {
        return Ok(None);
    };
    let closed = eng::list(
        tx.conn().await?,
        rec.account,
        Some(EngagementState::Closed),
        500,
    )
    .await?;
    let same = |o: &Consumer| {
        (c.external_id.is_some() && o.external_id == c.external_id)
            || (c.email.is_some() && o.email == c.email)
            || (c.phone.is_some() && o.phone == c.phone)
    };
    Ok(closed
        .iter()
        .find(|e| e.agent_id.is_some() && e.consumer.as_ref().is_some_and(same))
        .and_then(|e| e.agent_id))
}
