//! Live statistics for supervisors: per queue and per agent now, the longest-waiting
//! engagements and each queue's last hours ([`shared::live`]). [`board`] computes the whole
//! account's picture once; callers cut it to what the caller may see (a supervisor's own queues
//! and their members only; see `reports::supervised`). The live-stats worker
//! (`delivery::live_stats`) pushes it to supervisors' sockets; wallboards read it too.

use super::reports::projector;
use super::{Ctx, Result};
use crate::auth::{Principal, Scope};
use crate::reports::figures::QueueBucket;
use crate::reports::projection::{bucket_of, ms_time, split_span, BUCKET_MS};
use crate::store::config::{self as cfg, DocTable};
use crate::store::engagements::{self as eng, EngagementRecord, OfferRecord};
use crate::store::{agents, reports as report_store};
use shared::config::{Queue, Role};
use shared::ids::{AccountId, AgentId, QueueId};
use shared::live::{
    LiveStats, QueueTrend, TrendPoint, WaitingEngagement, RECENT_SURVEY_HOURS, TREND_HOURS,
    WAITING_PER_QUEUE,
};
use shared::EngagementState;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use shared::live::{AgentStats, QueueStats};

/// The window service level is computed over.
const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// `GET /v1/stats/queues`.
pub async fn queues(ctx: &Ctx, p: &Principal) -> Result<Vec<QueueStats>> {
    p.supervisor_or(Scope::EngagementsRead)?;
    let scope = super::reports::supervised(ctx, p).await?;
    let at_ms = ctx.clock.now_ms();
    let mut conn = ctx.store.snapshot().await?;
    let live = live(&mut conn, p.account()).await?;
    let (queues, _) = queues_now(&mut conn, p.account(), &live, at_ms).await?;
    Ok(queues
        .into_iter()
        .filter(|q| scope.allows(q.queue_id))
        .collect())
}

/// `GET /v1/stats/agents`.
pub async fn agents(ctx: &Ctx, p: &Principal) -> Result<Vec<AgentStats>> {
    p.supervisor_or(Scope::EngagementsRead)?;
    let scope = super::reports::supervised(ctx, p).await?;
    let mut conn = ctx.store.snapshot().await?;
    let live = live(&mut conn, p.account()).await?;
    Ok(agents_now(&mut conn, p.account(), &live)
        .await?
        .into_iter()
        .filter(|a| match &scope {
            super::reports::QueueScope::All => true,
            super::reports::QueueScope::Only(set) => a.queue_ids.iter().any(|q| set.contains(q)),
        })
        .collect())
}

/// What of `all` the agent `agent` may see now: their supervised queues (everything for an
/// admin); `None` once they are neither supervisor nor admin (or gone).
pub async fn seen_by(
    ctx: &Ctx,
    account: AccountId,
    agent: AgentId,
    all: &LiveStats,
) -> Result<Option<LiveStats>> {
    let mut conn = ctx.store.read().await?;
    let Some(me) = agents::get(&mut conn, account, agent).await? else {
        return Ok(None);
    };
    Ok(match me.agent.role {
        Role::Admin => {
            let mut everything = all.clone();
            everything.surveys.truncate(shared::live::RECENT_SURVEYS);
            Some(everything)
        }
        Role::Supervisor => {
            let set: BTreeSet<QueueId> = me.agent.supervised_queue_ids.into_iter().collect();
            Some(all.only(|q| set.contains(&q)))
        }
        Role::Agent => None,
    })
}

/// The account's whole live picture, trends included.
pub async fn board(ctx: &Ctx, account: AccountId) -> Result<LiveStats> {
    let now = now(ctx, account).await?;
    let trend = trend(ctx, account, &now).await?;
    let since = now.at_ms - RECENT_SURVEY_HOURS * 3600 * 1000;
    let surveys = crate::store::interactions::recent_surveys(
        &mut *ctx.store.read().await?,
        account,
        since,
        RECENT_SURVEYS_READ,
    )
    .await?;
    Ok(LiveStats {
        as_of: ms_time(now.at_ms),
        queues: now.queues,
        agents: now.agents,
        waiting: now.waiting,
        trend,
        surveys,
    })
}

/// How many of the latest survey answers the whole picture holds: each person's cut keeps
/// the [`shared::live::RECENT_SURVEYS`] newest of their queues, so a supervisor of a quiet queue
/// beside busy ones may see fewer of the last day's than there were.
const RECENT_SURVEYS_READ: i64 = 200;

/// The picture now, from one snapshot of the store.
struct Now {
    at_ms: i64,
    queues: Vec<QueueStats>,
    agents: Vec<AgentStats>,
    waiting: Vec<WaitingEngagement>,
    /// Every engagement waiting (queued or ringing): their waits so far count in the trend.
    waiting_records: Vec<EngagementRecord>,
    /// Each queue's service-level and short-abandon thresholds.
    thresholds: HashMap<QueueId, (u32, u32)>,
}

async fn now(ctx: &Ctx, account: AccountId) -> Result<Now> {
    let at_ms = ctx.clock.now_ms();
    let mut conn = ctx.store.snapshot().await?;
    let live = live(&mut conn, account).await?;
    let (queues, thresholds) = queues_now(&mut conn, account, &live, at_ms).await?;
    let agents = agents_now(&mut conn, account, &live).await?;
    drop(conn);
    Ok(Now {
        at_ms,
        queues,
        agents,
        waiting: longest_waiting(&live, at_ms),
        waiting_records: live
            .into_iter()
            .filter(|e| matches!(e.state, EngagementState::Queued | EngagementState::Offered))
            .collect(),
        thresholds,
    })
}

/// The engagements under way: waiting, ringing or held.
async fn live(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<EngagementRecord>> {
    Ok(eng::in_states(
        conn,
        account,
        &[
            EngagementState::Queued,
            EngagementState::Offered,
            EngagementState::Connected,
            EngagementState::Inactive,
            EngagementState::WrapUp,
        ],
    )
    .await?)
}

/// Each queue now, by name, and each queue's service-level and short-abandon thresholds.
async fn queues_now(
    conn: &mut AnyConnection,
    account: AccountId,
    live: &[EngagementRecord],
    at_ms: i64,
) -> Result<(Vec<QueueStats>, HashMap<QueueId, (u32, u32)>)> {
    let mut queues: Vec<Queue> = cfg::list_docs(&mut *conn, DocTable::Queues, account).await?;
    queues.sort_by(|a, b| a.name.cmp(&b.name).then(a.queue_id.cmp(&b.queue_id)));
    let recent = eng::created_since(conn, account, at_ms - WINDOW_MS).await?;
    let thresholds = queues
        .iter()
        .map(|q| {
            let sl = &q.service_level;
            (q.queue_id, (sl.threshold_secs, sl.short_abandon_secs))
        })
        .collect();
    let stats = queues
        .iter()
        .map(|q| queue_now(q, live, &recent, at_ms))
        .collect();
    Ok((stats, thresholds))
}

/// Each agent now.
async fn agents_now(
    conn: &mut AnyConnection,
    account: AccountId,
    live: &[EngagementRecord],
) -> Result<Vec<AgentStats>> {
    let members = agents::list(&mut *conn, account).await?;
    let offers = eng::all_offers(conn, account).await?;
    Ok(members
        .into_iter()
        .map(|a| agent_now(a.agent, live, &offers))
        .collect())
}

fn queue_now(
    q: &Queue,
    live: &[EngagementRecord],
    recent: &[EngagementRecord],
    now: i64,
) -> QueueStats {
    let qid = q.queue_id;
    let count = |states: &[EngagementState]| {
        live.iter()
            .filter(|e| e.queue_id == Some(qid) && states.contains(&e.state))
            .count() as u64
    };
    let waiting: Vec<_> = live
        .iter()
        .filter(|e| e.queue_id == Some(qid) && e.state == EngagementState::Queued)
        .collect();
    let threshold = i64::from(q.service_level.threshold_secs) * 1000;
    let (mut answered, mut within, mut abandoned) = (0u64, 0u64, 0u64);
    for e in recent.iter().filter(|e| e.queue_id == Some(qid)) {
        match (e.connected_at_ms, e.state) {
            (Some(at), _) => {
                answered += 1;
                if at - e.created_at_ms <= threshold {
                    within += 1;
                }
            }
            (None, EngagementState::Closed) => abandoned += 1,
            _ => {}
        }
    }
    QueueStats {
        queue_id: qid,
        name: q.name.clone(),
        channel: q.channel,
        waiting: waiting.len() as u64,
        offered: count(&[EngagementState::Offered]),
        active: count(&[
            EngagementState::Connected,
            EngagementState::Inactive,
            EngagementState::WrapUp,
        ]),
        longest_wait_secs: waiting
            .iter()
            .map(|e| ((now - e.created_at_ms).max(0) / 1000) as u64)
            .max()
            .unwrap_or(0),
        service_level_percent: (answered + abandoned > 0)
            .then(|| 100.0 * within as f64 / (answered + abandoned) as f64),
        service_level_target_percent: q.service_level.target_percent,
        service_level_threshold_secs: q.service_level.threshold_secs,
        answered_24h: answered,
        abandoned_24h: abandoned,
    }
}

fn agent_now(
    agent: shared::config::Agent,
    live: &[EngagementRecord],
    offers: &[OfferRecord],
) -> AgentStats {
    let id = agent.agent_id;
    let mut holding = BTreeMap::new();
    for e in live.iter().filter(|e| {
        e.agent_id == Some(id)
            && matches!(
                e.state,
                EngagementState::Connected | EngagementState::Inactive | EngagementState::WrapUp
            )
    }) {
        *holding.entry(e.channel).or_insert(0) += 1;
    }
    AgentStats {
        agent_id: id,
        display_name: agent.display_name,
        status: agent.status,
        holding,
        ringing: offers.iter().filter(|o| o.agent == id).count() as u64,
        queue_ids: agent.queues.iter().map(|m| m.queue_id).collect(),
    }
}

/// When an engagement began waiting where it waits now.
fn waiting_since(e: &EngagementRecord) -> i64 {
    e.queued_at_ms.unwrap_or(e.created_at_ms)
}

/// Each queue's longest-waiting (queued) engagements, oldest first.
fn longest_waiting(live: &[EngagementRecord], now: i64) -> Vec<WaitingEngagement> {
    let mut queued: Vec<&EngagementRecord> = live
        .iter()
        .filter(|e| e.state == EngagementState::Queued && e.queue_id.is_some())
        .collect();
    queued.sort_by_key(|e| (waiting_since(e), e.id));
    let mut per_queue: HashMap<QueueId, usize> = HashMap::new();
    queued
        .into_iter()
        .filter_map(|e| {
            let queue = e.queue_id?;
            let n = per_queue.entry(queue).or_default();
            *n += 1;
            (*n <= WAITING_PER_QUEUE).then(|| {
                let since = waiting_since(e);
                WaitingEngagement {
                    engagement_id: e.id,
                    queue_id: queue,
                    channel: e.channel,
                    title: e
                        .work_item
                        .as_ref()
                        .map(|w| w.name.clone())
                        .or_else(|| e.consumer.as_ref().and_then(|c| c.display_name.clone())),
                    waiting_since: ms_time(since),
                    waited_secs: ((now - since).max(0) / 1000) as u64,
                }
            })
        })
        .collect()
}

/// Each queue's last [`TREND_HOURS`] in 15-minute points, from the report buckets (caught up
/// first) plus the waits still under way.
async fn trend(ctx: &Ctx, account: AccountId, now: &Now) -> Result<Vec<QueueTrend>> {
    projector::catch_up(ctx, account).await?;
    let current = bucket_of(now.at_ms);
    let from = current - (TREND_HOURS * 4 - 1) * BUCKET_MS;
    let buckets = {
        let mut conn = ctx.store.read().await?;
        report_store::queue_buckets(&mut conn, account, from, current + BUCKET_MS).await?
    };
    let mut by_queue: HashMap<(QueueId, i64), QueueBucket> = HashMap::new();
    for (queue, at, bucket) in buckets {
        by_queue.entry((queue, at)).or_default().merge(&bucket);
    }
    for e in &now.waiting_records {
        let Some(queue) = e.queue_id else { continue };
        split_span(waiting_since(e).max(from), now.at_ms, |at, ms| {
            by_queue.entry((queue, at)).or_default().waiting_ms += ms;
        });
    }
    Ok(now
        .queues
        .iter()
        .map(|q| {
            let (threshold, short) = now.thresholds[&q.queue_id];
            let mut hours = QueueBucket::default();
            let points = (0..TREND_HOURS * 4)
                .map(|i| {
                    let start = from + i * BUCKET_MS;
                    let bucket = by_queue.remove(&(q.queue_id, start)).unwrap_or_default();
                    hours.merge(&bucket);
                    let f = bucket.figures(threshold, short);
                    let elapsed = (now.at_ms.min(start + BUCKET_MS) - start).max(1);
                    TrendPoint {
                        start: ms_time(start),
                        service_level_percent: f.service_level_percent,
                        average_waiting: f.waiting_ms as f64 / elapsed as f64,
                        offered: f.offered,
                        answered: f.answered,
                        abandoned: f.abandoned,
                    }
                })
                .collect();
            let f = hours.figures(threshold, short);
            QueueTrend {
                queue_id: q.queue_id,
                points,
                satisfaction: f.satisfaction,
            }
        })
        .collect())
}
