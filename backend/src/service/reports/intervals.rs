//! `GET /v1/reports/queues` and `/v1/reports/agents`: figures per local interval (15 minutes,
//! an hour or a day in an IANA time zone) from the 15-minute buckets the projector keeps.

use super::{projector, queue_scope, visible_agents};
use crate::auth::{Denied, Principal};
use crate::reports::figures::{AgentBucket, QueueBucket};
use crate::reports::intervals::{label, local_midnight, next_local_midnight, spans, Span};
use crate::reports::projection::split_span;
use crate::service::{invalid, Ctx, Result, ServiceError};
use crate::store::config::{self as cfg, DocTable};
use crate::store::reports as store;
use jiff::tz::TimeZone;
use shared::config::Queue;
use shared::ids::{AgentId, QueueId};
use shared::reports::{AgentReport, Interval, IntervalFigures, IntervalReport, QueueReport};
use std::collections::HashMap;

/// At most 31 days (and the hour a daylight-saving change adds).
const MAX_WINDOW_MS: i64 = (31 * 24 + 1) * 3600 * 1000;

/// The query as given.
#[derive(Debug, Clone, Default)]
pub struct IntervalQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub time_zone: Option<String>,
    /// One queue (queue report) or agent (agent report) only.
    pub queue_id: Option<String>,
    pub agent_id: Option<String>,
}

struct Resolved {
    tz: TimeZone,
    tz_name: String,
    interval: Interval,
    spans: Vec<Span>,
    now_ms: i64,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `from`/`to`: a date (local midnight in the time zone; `to` through the end of that day) or
/// an RFC 3339 time. Default: today so far (without `from`: the day `to` ends in).
fn resolve(q: &IntervalQuery) -> Result<Resolved> {
    let tz_name = given(&q.time_zone).unwrap_or("UTC").to_string();
    let tz = TimeZone::get(&tz_name).map_err(|_| {
        invalid(
            "time_zone",
            format!("time_zone {tz_name:?} is not an IANA time zone (e.g. Europe/Berlin)"),
        )
    })?;
    let interval = match given(&q.interval) {
        None => Interval::Hour,
        Some(s) => Interval::parse(s)
            .ok_or_else(|| invalid("interval", format!("interval is 15m, 1h or 1d, not {s:?}")))?,
    };
    let now_ms = crate::store::now_ms();
    let time = |field: &str, value: &str, end: bool| -> Result<i64> {
        if let Ok(t) = value.parse::<jiff::Timestamp>() {
            return Ok(t.as_millisecond());
        }
        let day = if end {
            next_local_midnight(&tz, value)
        } else {
            local_midnight(&tz, value)
        };
        day.ok_or_else(|| {
            invalid(
                field,
                format!("{field} must be a date (2026-12-01) or an RFC 3339 time (2026-12-01T00:00:00Z)"),
            )
        })
    };
    let to = match given(&q.to) {
        Some(t) => time("to", t, true)?,
        None => now_ms,
    };
    let from = match given(&q.from) {
        Some(f) => time("from", f, false)?,
        // The start of the (local) day `to` ends in: today so far, or the day asked for.
        None => {
            let day = label(&tz, to - 1);
            local_midnight(&tz, &day[..10]).unwrap_or(to).min(to)
        }
    };
    if to < from {
        return Err(invalid("to", "to is before from"));
    }
    if to - from > MAX_WINDOW_MS {
        return Err(invalid("to", "from and to may be at most 31 days apart"));
    }
    Ok(Resolved {
        spans: spans(&tz, interval, from, to.max(from + 1)),
        tz,
        tz_name,
        interval,
        now_ms,
    })
}

impl Resolved {
    fn start_ms(&self) -> i64 {
        self.spans.first().map_or(0, |s| s.start_ms)
    }

    fn end_ms(&self) -> i64 {
        self.spans.last().map_or(0, |s| s.end_ms)
    }

    /// The interval a bucket starting at `bucket_ms` belongs to.
    fn index(&self, bucket_ms: i64) -> Option<usize> {
        let i = self.spans.partition_point(|s| s.start_ms <= bucket_ms);
        (i > 0 && bucket_ms < self.spans[i - 1].end_ms).then(|| i - 1)
    }

    fn report<R>(&self, items: Vec<R>) -> IntervalReport<R> {
        IntervalReport {
            from: label(&self.tz, self.start_ms()),
            to: label(&self.tz, self.end_ms()),
            interval: self.interval,
            time_zone: self.tz_name.clone(),
            as_of: crate::reports::projection::ms_time(self.now_ms),
            items,
        }
    }
}

/// The agent's bucket for the interval holding `bucket_ms`, if the window holds it.
fn slot<'a>(
    per_agent: &'a mut HashMap<AgentId, Vec<AgentBucket>>,
    r: &Resolved,
    agent: AgentId,
    bucket_ms: i64,
) -> Option<&'a mut AgentBucket> {
    let i = r.index(bucket_ms)?;
    Some(
        &mut per_agent
            .entry(agent)
            .or_insert_with(|| vec![AgentBucket::default(); r.spans.len()])[i],
    )
}

/// The account's queues by id.
pub(super) async fn queue_configs(ctx: &Ctx, p: &Principal) -> Result<HashMap<QueueId, Queue>> {
    let mut conn = ctx.store.read().await?;
    let queues: Vec<Queue> = cfg::list_docs(&mut conn, DocTable::Queues, p.account()).await?;
    Ok(queues.into_iter().map(|q| (q.queue_id, q)).collect())
}

pub async fn queue_report(
    ctx: &Ctx,
    p: &Principal,
    q: &IntervalQuery,
) -> Result<IntervalReport<QueueReport>> {
    let scope = queue_scope(ctx, p).await?;
    let r = resolve(q)?;
    let only = given(&q.queue_id)
        .map(|s| {
            s.parse::<QueueId>()
                .map_err(|_| invalid("queue_id", "queue_id is not a queue id"))
        })
        .transpose()?;
    if let Some(queue) = only {
        scope.check(queue)?;
    }
    let mut queues: Vec<Queue> = queue_configs(ctx, p)
        .await?
        .into_values()
        .filter(|queue| scope.allows(queue.queue_id) && only.is_none_or(|o| o == queue.queue_id))
        .collect();
    if let (Some(queue), true) = (only, queues.is_empty()) {
        return Err(ServiceError::NotFound(format!(
            "queue {queue} does not exist"
        )));
    }
    queues.sort_by(|a, b| a.name.cmp(&b.name).then(a.queue_id.cmp(&b.queue_id)));
    projector::catch_up(ctx, p.account()).await?;
    let mut conn = ctx.store.read().await?;
    let buckets = store::queue_buckets(&mut conn, p.account(), r.start_ms(), r.end_ms()).await?;
    let mut per_queue: HashMap<QueueId, Vec<QueueBucket>> = HashMap::new();
    for (queue, bucket_ms, bucket) in buckets {
        let Some(i) = r.index(bucket_ms) else {
            continue;
        };
        let slots = per_queue
            .entry(queue)
            .or_insert_with(|| vec![QueueBucket::default(); r.spans.len()]);
        slots[i].merge(&bucket);
    }
    let items = queues
        .into_iter()
        .map(|queue| {
            let sl = &queue.service_level;
            let slots = per_queue
                .remove(&queue.queue_id)
                .unwrap_or_else(|| vec![QueueBucket::default(); r.spans.len()]);
            let mut total = QueueBucket::default();
            let intervals = r
                .spans
                .iter()
                .zip(&slots)
                .map(|(span, b)| {
                    total.merge(b);
                    IntervalFigures {
                        start: span.start.clone(),
                        end: span.end.clone(),
                        figures: b.figures(sl.threshold_secs, sl.short_abandon_secs),
                    }
                })
                .collect();
            QueueReport {
                queue_id: queue.queue_id,
                name: queue.name.clone(),
                service_level_threshold_secs: sl.threshold_secs,
                short_abandon_secs: sl.short_abandon_secs,
                intervals,
                total: total.figures(sl.threshold_secs, sl.short_abandon_secs),
            }
        })
        .collect();
    Ok(r.report(items))
}

pub async fn agent_report(
    ctx: &Ctx,
    p: &Principal,
    q: &IntervalQuery,
) -> Result<IntervalReport<AgentReport>> {
    let scope = queue_scope(ctx, p).await?;
    let r = resolve(q)?;
    let only = given(&q.agent_id)
        .map(|s| {
            s.parse::<AgentId>()
                .map_err(|_| invalid("agent_id", "agent_id is not an agent id"))
        })
        .transpose()?;
    let all = visible_agents(ctx, p, &scope).await?;
    if let Some(agent) = only {
        match all.iter().find(|(id, _, _)| *id == agent) {
            None => {
                return Err(ServiceError::NotFound(format!(
                    "agent {agent} does not exist"
                )))
            }
            Some((_, _, false)) => {
                return Err(Denied::NotSupervised(format!("a queue of agent {agent}")).into())
            }
            Some(_) => {}
        }
    }
    let agents: Vec<(AgentId, String)> = all
        .into_iter()
        .filter(|(id, _, visible)| *visible && only.is_none_or(|o| o == *id))
        .map(|(id, name, _)| (id, name))
        .collect();
    projector::catch_up(ctx, p.account()).await?;
    let mut conn = ctx.store.read().await?;
    let buckets = store::agent_buckets(&mut conn, p.account(), r.start_ms(), r.end_ms()).await?;
    let states = store::all_agent_states(&mut conn, p.account()).await?;
    let mut per_agent: HashMap<AgentId, Vec<AgentBucket>> = HashMap::new();
    for (agent, bucket_ms, bucket) in buckets {
        if let Some(s) = slot(&mut per_agent, &r, agent, bucket_ms) {
            s.merge(&bucket);
        }
    }
    // Time still running: each agent's current status up to now.
    for (agent, state) in states {
        if state.status.is_none() {
            continue;
        }
        let from = state.since_ms.max(r.start_ms());
        let to = r.now_ms.min(r.end_ms());
        split_span(from, to, |bucket_ms, ms| {
            if let Some(s) = slot(&mut per_agent, &r, agent, bucket_ms) {
                s.add_time(&state, ms);
            }
        });
    }
    let items = agents
        .into_iter()
        .map(|(agent, display_name)| {
            let slots = per_agent
                .remove(&agent)
                .unwrap_or_else(|| vec![AgentBucket::default(); r.spans.len()]);
            let mut total = AgentBucket::default();
            let intervals = r
                .spans
                .iter()
                .zip(&slots)
                .map(|(span, b)| {
                    total.merge(b);
                    IntervalFigures {
                        start: span.start.clone(),
                        end: span.end.clone(),
                        figures: b.figures(),
                    }
                })
                .collect();
            AgentReport {
                agent_id: agent,
                display_name,
                intervals,
                total: total.figures(),
            }
        })
        .collect();
    Ok(r.report(items))
}
