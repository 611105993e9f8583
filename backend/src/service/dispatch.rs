//! The routing driver: feeds the pure planner (`crate::routing`) from the database and
//! persists what it decides. It runs on every trigger (a new engagement, an agent becoming
//! ready or freeing capacity, configuration changes) and on timers (ring timeouts, overflow,
//! due-date steps, preferred-agent waits, wrap-up), all of which live in the database, so they
//! survive a restart. What a pass reads comes from the in-memory `RoutingView`, caught up
//! with the event log before each pass (see `service::routing_view`). Passes run inside the
//! batches of `service::writer`, which hold the account's write lock, so two instances on one
//! PostgreSQL database never offer the same engagement twice.

use super::engagements::{apply_each, Emit};
use super::events::emit;
use super::routing_view::RoutingView;
use super::{Ctx, Result};
use crate::routing::{self, priority, template, AgentView, QueueView, WaitingView};
use crate::store::agents::AgentPatch;
use crate::store::engagements::{EngagementRecord, OfferRecord};
use crate::store::Tx;
use shared::config::{OverflowAction, Queue};
use shared::events::EventKind;
use shared::ids::{AgentId, EngagementId, QueueId};
use shared::payload::{Detail, Overflow};
use shared::{Command, EngagementState};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Notify;

/// Wakes the dispatcher. Cheap to clone; pokes coalesce.
#[derive(Clone, Default)]
pub struct Trigger {
    notify: Arc<Notify>,
}

impl Trigger {
    pub fn poke(&self) {
        self.notify.notify_one();
    }

    /// Resolves at the next poke (or at once if one is pending).
    pub(super) async fn poked(&self) {
        self.notify.notified().await
    }
}

/// One pass, inside the caller's transaction (a batch of `service::writer`): expire offers,
/// apply overflow and wrap-up timers, then match. Reads come from `view` (caught up with the
/// log by the caller); what the pass writes is taken back into it before matching and at the
/// end, so the view always matches the transaction. Returns when the next timer is due.
pub async fn pass(ctx: &Ctx, tx: &mut Tx, view: &mut RoutingView) -> Result<Option<i64>> {
    let account = ctx.account;
    let now = ctx.clock.now_ms();
    let mut next: Option<i64> = None;
    let mut wake = |at: i64| next = Some(next.map_or(at, |n: i64| n.min(at)));
    let written_from = tx.pending_len();

    // 1. Ring timeouts.
    let expired: Vec<(EngagementId, Vec<OfferRecord>)> = view
        .offers
        .iter()
        .filter_map(|(id, offers)| {
            let expires = offers.iter().map(|o| o.expires_at_ms).max().unwrap_or(now);
            if expires > now {
                wake(expires);
                None
            } else {
                Some((*id, offers.clone()))
            }
        })
        .collect();
    for (id, offers) in expired {
        let Some(mut rec) = view.engagements.get(&id).cloned() else {
            continue;
        };
        tx.delete_offers(id);
        for o in &offers {
            if !rec.excluded_agents.contains(&o.agent) {
                rec.excluded_agents.push(o.agent);
            }
        }
        // Collected: an iterator's closure held across the awaits would make the pass's
        // future not `Send` for every lifetime.
        let each: Vec<Emit> = offers
            .iter()
            .map(|o| Emit {
                offered_to: &[],
                agent: Some(o.agent),
                detail: Detail::Plain {},
            })
            .collect();
        apply_each(tx, &mut rec, Command::RingTimeout, each).await?;
        for o in &offers {
            super::agents::note_miss(tx, account, o.agent).await?;
        }
    }

    // 2. Wrap-up that ran out: close it (only queues with a wrap-up time have any).
    let wrapping = if view.queues.values().any(|q| q.wrap_up_secs > 0) {
        view.in_state(EngagementState::WrapUp)
    } else {
        Vec::new()
    };
    for mut rec in wrapping {
        let secs = rec
            .queue_id
            .and_then(|q| view.queues.get(&q))
            .map_or(0, |q| q.wrap_up_secs);
        let (Some(started), true) = (rec.wrap_up_at_ms, secs > 0) else {
            continue;
        };
        let due = started + i64::from(secs) * 1000;
        if due > now {
            wake(due);
            continue;
        }
        rec.closed_at_ms = Some(now);
        rec.close_reason = Some("completed".into());
        if let Some(agent) = rec.agent_id {
            tx.patch_agent(
                agent,
                AgentPatch {
                    idle_since_ms: Some(now),
                    ..AgentPatch::default()
                },
            );
        }
        let to = Emit {
            offered_to: &[],
            agent: rec.agent_id,
            detail: Detail::Reason {
                reason: "wrap_up_timeout".into(),
            },
        };
        apply_each(tx, &mut rec, Command::Close, [to]).await?;
    }
    // Matching must see what the timers just changed (freed agents, agents set not ready).
    view.absorb(tx, written_from).await?;
    let written_from = tx.pending_len();

    // 3. Ready agents and what they hold. Without one who has room, matching cannot offer
    // anything, so the queue is looked at only when a timer on it is due.
    let mut holdings = view.holdings();
    let mut agents: Vec<_> = view.agents.values().collect();
    agents.sort_by_cached_key(|a| (a.agent.display_name.to_lowercase(), a.agent.agent_id));
    // Every agent, ready or not (for exclusions, below); the planner gets the ready ones.
    let everyone: Vec<AgentView> = agents
        .into_iter()
        .map(|a| AgentView {
            id: a.agent.agent_id,
            ready: a.agent.status.is_ready(),
            skills: a
                .agent
                .skills
                .iter()
                .map(|s| (s.skill_id, s.proficiency.get()))
                .collect(),
            queues: a
                .agent
                .queues
                .iter()
                .filter(|m| m.opted_in)
                .map(|m| m.queue_id)
                .collect(),
            holding: holdings.remove(&a.agent.agent_id).unwrap_or_default(),
            rules: a
                .agent
                .busy_rules
                .clone()
                .map(Arc::new)
                .unwrap_or_else(|| Arc::clone(&view.default_rules)),
            idle_since_ms: a.idle_since_ms,
            last_offer_ms: a.last_offer_ms,
        })
        .collect();
    let mut agent_views: Vec<AgentView> = everyone.iter().filter(|a| a.ready).cloned().collect();
    let any_room = agent_views.iter().any(|a| {
        !a.queues.is_empty()
            && shared::Channel::ALL
                .iter()
                .any(|c| a.rules.can_offer(&a.holding, *c))
    });
    let queue_timer = view.next_queue_timer();
    if !any_room && queue_timer.is_none_or(|at| at > now) {
        if let Some(at) = queue_timer {
            wake(at);
        }
        return Ok(next);
    }

    // 4. Overflow.
    let queues = &view.queues;
    let mut waiting_records = view.in_state(EngagementState::Queued);
    for rec in waiting_records.iter_mut() {
        let Some(at) = rec.overflow_at_ms else {
            continue;
        };
        if at > now {
            wake(at);
            continue;
        }
        overflow(tx, rec, queues, now).await?;
        if let Some(at) = rec.overflow_at_ms {
            wake(at);
        }
    }

    // 5. Match.
    let queue_views: HashMap<QueueId, QueueView> = queues
        .values()
        .map(|q| {
            (
                q.queue_id,
                QueueView {
                    id: q.queue_id,
                    distribution: q.distribution,
                    ring_timeout_secs: q.ring_timeout_secs,
                },
            )
        })
        .collect();
    let waiting: Vec<WaitingView> = waiting_records
        .iter()
        .filter_map(|r| {
            let queue = r.queue_id?;
            if let Some(at) = priority::next_boost_change(r.due_at_ms, now) {
                wake(at);
            }
            if let Some(until) = r.preferred_until_ms.filter(|u| *u > now) {
                wake(until);
            }
            let mut item = WaitingView {
                id: r.id,
                queue,
                channel: r.channel,
                priority: priority::effective(r.base_priority, r.due_at_ms, now),
                created_at_ms: r.created_at_ms,
                required_skills: r.required_skills.clone(),
                excluded: r
                    .excluded_agents
                    .iter()
                    .copied()
                    .collect::<BTreeSet<AgentId>>(),
                preferred: r.preferred_agent.zip(r.preferred_until_ms),
            };
            routing::plan::lift_exhausted_exclusions(&mut item, &everyone);
            Some(item)
        })
        .collect();
    let offers = routing::plan(&queue_views, &mut agent_views, &waiting, now);
    let mut records: HashMap<EngagementId, EngagementRecord> =
        waiting_records.into_iter().map(|r| (r.id, r)).collect();
    for offer in &offers {
        let Some(mut rec) = records.remove(&offer.engagement) else {
            continue;
        };
        rec.offered_at_ms = Some(now);
        let launch_url = rec
            .queue_id
            .and_then(|q| queues.get(&q))
            .and_then(|q| q.launch_url_template.as_deref())
            .map(|t| template::render_url(t, &rec.variables));
        for agent in &offer.agents {
            tx.insert_offer(
                account,
                &OfferRecord {
                    engagement: rec.id,
                    agent: *agent,
                    channel: rec.channel,
                    offered_at_ms: now,
                    expires_at_ms: offer.expires_at_ms,
                },
            );
            tx.patch_agent(
                *agent,
                AgentPatch {
                    last_offer_ms: Some(now),
                    ..AgentPatch::default()
                },
            );
        }
        let each: Vec<Emit> = offer
            .agents
            .iter()
            .map(|agent| Emit {
                offered_to: &offer.agents,
                agent: Some(*agent),
                detail: Detail::Offered {
                    launch_url: launch_url.clone(),
                    expires_at_ms: offer.expires_at_ms,
                },
            })
            .collect();
        apply_each(tx, &mut rec, Command::Offer, each).await?;
        wake(offer.expires_at_ms);
    }
    // Overflow and offers: take them back into the view.
    view.absorb(tx, written_from).await?;
    Ok(next)
}

async fn overflow(
    tx: &mut Tx,
    rec: &mut EngagementRecord,
    queues: &HashMap<QueueId, Queue>,
    now: i64,
) -> Result<()> {
    let Some(queue) = rec.queue_id.and_then(|q| queues.get(&q)) else {
        rec.overflow_at_ms = None;
        tx.save_engagement(rec);
        return Ok(());
    };
    let Some(rule) = &queue.overflow else {
        rec.overflow_at_ms = None;
        tx.save_engagement(rec);
        return Ok(());
    };
    let detail = match &rule.action {
        OverflowAction::ToQueue { queue_id } => match queues.get(queue_id) {
            Some(target) => {
                rec.queue_id = Some(target.queue_id);
                rec.required_skills = target.required_skills.clone();
                rec.skills_relaxed = false;
                rec.overflow_at_ms = target
                    .overflow
                    .as_ref()
                    .map(|o| now + i64::from(o.after_secs) * 1000);
                Overflow::ToQueue {
                    from_queue_id: queue.queue_id,
                    queue_id: target.queue_id,
                }
            }
            None => {
                rec.overflow_at_ms = None;
                Overflow::None {
                    reason: "overflow queue no longer exists".into(),
                }
            }
        },
        OverflowAction::RelaxSkills { skill_ids } => {
            if skill_ids.is_empty() {
                rec.required_skills.clear();
            } else {
                rec.required_skills
                    .retain(|r| !skill_ids.contains(&r.skill_id));
            }
            rec.skills_relaxed = true;
            rec.overflow_at_ms = None;
            Overflow::RelaxSkills {
                skill_ids: skill_ids.clone(),
            }
        }
    };
    tx.save_engagement(rec);
    emit(
        tx,
        rec,
        &[],
        EventKind::EngagementOverflowed,
        None,
        Detail::Overflowed(detail),
    )
    .await?;
    Ok(())
}
