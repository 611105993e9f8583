//! Matching: which waiting engagements are offered to which agents, now.
//!
//! Engagements are taken in order of effective priority (higher first), then age (older first,
//! by `created_at`, which a decline, timeout or transfer keeps), then id. For each, the
//! eligible agents are those that are ready, opted into its queue, hold every required skill at
//! the required proficiency, have not declined or missed it already, and are under their
//! busy-agent limits given everything they hold (offers included). The queue's distribution
//! picks one (or, for ring-all, offers to all of them). Capacity reserved by an offer counts
//! for the engagements after it, so one pass never over-commits an agent.
//!
//! The pass is work-conserving: when it returns, no waiting engagement has an eligible agent,
//! except one that is deliberately waiting for a preferred agent (consumer routing profiles).

use shared::config::{BusyAgentRules, Distribution, SkillRequirement};
use shared::ids::{AgentId, EngagementId, QueueId, SkillId};
use shared::Channel;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// What the planner needs to know about a queue.
#[derive(Debug, Clone)]
pub struct QueueView {
    pub id: QueueId,
    pub distribution: Distribution,
    pub ring_timeout_secs: u32,
}

/// What the planner needs to know about an agent.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub id: AgentId,
    pub ready: bool,
    pub skills: BTreeMap<SkillId, u8>,
    /// Queues the agent is a member of and opted into.
    pub queues: BTreeSet<QueueId>,
    /// One entry per engagement the agent holds: offered, connected, inactive or wrapping up.
    pub holding: Vec<Channel>,
    pub rules: Arc<BusyAgentRules>,
    /// Since when the agent has been idle (went ready, or last finished an engagement).
    pub idle_since_ms: i64,
    /// When the agent was last offered anything (round-robin order).
    pub last_offer_ms: i64,
}

/// A waiting engagement.
#[derive(Debug, Clone)]
pub struct WaitingView {
    pub id: EngagementId,
    pub queue: QueueId,
    pub channel: Channel,
    pub priority: i32,
    pub created_at_ms: i64,
    pub required_skills: Vec<SkillRequirement>,
    /// Agents who declined or let it ring out: offered to others first.
    pub excluded: BTreeSet<AgentId>,
    /// Offer only to this agent until the time given (last-agent / preferred-agent routing).
    pub preferred: Option<(AgentId, i64)>,
}

/// One decision: offer `engagement` to `agents` (several only for ring-all) until
/// `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub engagement: EngagementId,
    pub agents: Vec<AgentId>,
    pub expires_at_ms: i64,
}

/// Is `agent` eligible for `item` by everything but capacity?
pub fn qualifies(agent: &AgentView, item: &WaitingView) -> bool {
    agent.ready && !item.excluded.contains(&agent.id) && could_ever_take(agent, item)
}

/// Is `agent` a member of `item`'s queue with the skills it needs (ready or not)?
fn could_ever_take(agent: &AgentView, item: &WaitingView) -> bool {
    agent.queues.contains(&item.queue)
        && item.required_skills.iter().all(|req| {
            agent
                .skills
                .get(&req.skill_id)
                .is_some_and(|level| *level >= req.min_proficiency.get())
        })
}

/// Agents who declined or let an engagement ring out are passed over so it reaches someone
/// else. Once every agent who could ever take it (`everyone`: all agents, ready or not) is
/// among them, the exclusions are dropped: otherwise the work would wait forever (a ring-all
/// offer that rings out excludes every agent it rang at once).
pub fn lift_exhausted_exclusions(item: &mut WaitingView, everyone: &[AgentView]) {
    if !item.excluded.is_empty()
        && everyone
            .iter()
            .filter(|a| could_ever_take(a, item))
            .all(|a| item.excluded.contains(&a.id))
    {
        item.excluded.clear();
    }
}

/// Is `agent` eligible for `item` right now, capacity included?
pub fn eligible(agent: &AgentView, item: &WaitingView) -> bool {
    qualifies(agent, item) && agent.rules.can_offer(&agent.holding, item.channel)
}

/// Skill score for most-skilled: the sum of the agent's proficiency in the required skills.
fn skill_score(agent: &AgentView, item: &WaitingView) -> u32 {
    item.required_skills
        .iter()
        .map(|r| u32::from(agent.skills.get(&r.skill_id).copied().unwrap_or(0)))
        .sum()
}

/// The order engagements are considered in: priority (higher first), age, id.
fn order_cmp(a: &WaitingView, b: &WaitingView) -> std::cmp::Ordering {
    order_key(a.priority, a.created_at_ms, a.id).cmp(&order_key(b.priority, b.created_at_ms, b.id))
}

/// The routing order as a sortable key: smaller goes first.
pub fn order_key(
    priority: i32,
    created_at_ms: i64,
    id: EngagementId,
) -> (std::cmp::Reverse<i32>, i64, EngagementId) {
    (std::cmp::Reverse(priority), created_at_ms, id)
}

/// Sort `waiting` into routing order.
pub fn routing_order(waiting: &mut [WaitingView]) {
    waiting.sort_by(order_cmp);
}

/// Decide the offers for this moment. `agents` is updated in place: every offer adds the
/// engagement's channel to its agents' `holding` and sets `last_offer_ms`.
pub fn plan(
    queues: &HashMap<QueueId, QueueView>,
    agents: &mut [AgentView],
    waiting: &[WaitingView],
    now_ms: i64,
) -> Vec<Offer> {
    let mut order: Vec<&WaitingView> = waiting.iter().collect();
    order.sort_by(|a, b| order_cmp(a, b));
    let mut offers = Vec::new();
    for item in order {
        let Some(queue) = queues.get(&item.queue) else {
            continue;
        };
        let preferred = item
            .preferred
            .filter(|(_, until)| now_ms < *until)
            .map(|(agent, _)| agent);
        let candidates: Vec<usize> = agents
            .iter()
            .enumerate()
            .filter(|(_, a)| match preferred {
                // A preferred agent (direct transfer, last agent) needs only to be ready and
                // have room: queue membership and skills do not apply to them.
                Some(p) => a.id == p && a.ready && a.rules.can_offer(&a.holding, item.channel),
                None => eligible(a, item),
            })
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let chosen: Vec<usize> = match queue.distribution {
            Distribution::RingAll => candidates,
            Distribution::LongestIdle => {
                vec![pick(&candidates, agents, |a| (a.idle_since_ms, a.id))]
            }
            Distribution::RoundRobin => {
                vec![pick(&candidates, agents, |a| (a.last_offer_ms, a.id))]
            }
            Distribution::MostSkilled => vec![pick(&candidates, agents, |a| {
                (
                    std::cmp::Reverse(skill_score(a, item)),
                    a.idle_since_ms,
                    a.id,
                )
            })],
        };
        let mut ids = Vec::with_capacity(chosen.len());
        for i in chosen {
            let agent = &mut agents[i];
            agent.holding.push(item.channel);
            agent.last_offer_ms = now_ms;
            ids.push(agent.id);
        }
        offers.push(Offer {
            engagement: item.id,
            agents: ids,
            expires_at_ms: now_ms + i64::from(queue.ring_timeout_secs) * 1000,
        });
    }
    offers
}

/// The candidate with the smallest key.
fn pick<K: Ord>(
    candidates: &[usize],
    agents: &[AgentView],
    key: impl Fn(&AgentView) -> K,
) -> usize {
    *candidates
        .iter()
        .min_by_key(|i| key(&agents[**i]))
        .expect("candidates is not empty")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use shared::config::Proficiency;
    use uuid::Uuid;

    fn agent(n: u128, queues: &[QueueId]) -> AgentView {
        AgentView {
            id: AgentId(Uuid::from_u128(n)),
            ready: true,
            skills: BTreeMap::new(),
            queues: queues.iter().copied().collect(),
            holding: vec![],
            rules: Arc::new(BusyAgentRules::default()),
            idle_since_ms: 0,
            last_offer_ms: 0,
        }
    }

    fn item(n: u128, queue: QueueId, channel: Channel, priority: i32, created: i64) -> WaitingView {
        WaitingView {
            id: EngagementId(Uuid::from_u128(n)),
            queue,
            channel,
            priority,
            created_at_ms: created,
            required_skills: vec![],
            excluded: BTreeSet::new(),
            preferred: None,
        }
    }

    #[test]
    fn exclusions_are_dropped_once_everyone_who_could_take_it_is_excluded() {
        let q = queue(1, Distribution::LongestIdle);
        let mut a = agent(1, &[q.id]);
        let mut b = agent(2, &[q.id]);
        b.ready = false;
        let other_queue = agent(3, &[QueueId(Uuid::from_u128(99))]);
        let mut w = item(10, q.id, Channel::WorkItem, 0, 0);
        w.excluded.insert(a.id);
        // b (not ready now) has not been excluded: keep steering away from a.
        lift_exhausted_exclusions(&mut w, &[a.clone(), b.clone(), other_queue.clone()]);
        assert!(w.excluded.contains(&a.id));
        // Both members excluded (the agent in another queue does not count): lifted.
        w.excluded.insert(b.id);
        lift_exhausted_exclusions(&mut w, &[a.clone(), b.clone(), other_queue]);
        assert!(w.excluded.is_empty());
        let queues = HashMap::from([(q.id, q)]);
        let offers = plan(&queues, std::slice::from_mut(&mut a), &[w], 0);
        assert_eq!(offers.len(), 1, "the only ready member gets it again");
    }

    fn queue(n: u128, distribution: Distribution) -> QueueView {
        QueueView {
            id: QueueId(Uuid::from_u128(n)),
            distribution,
            ring_timeout_secs: 20,
        }
    }

    fn queues(list: &[QueueView]) -> HashMap<QueueId, QueueView> {
        list.iter().map(|q| (q.id, q.clone())).collect()
    }

    #[test]
    fn higher_priority_then_older_goes_first() {
        let q = queue(1, Distribution::LongestIdle);
        let mut agents = vec![agent(10, &[q.id])];
        agents[0].rules = Arc::new(BusyAgentRules {
            limits: BTreeMap::from([(Channel::Voice, 1)]),
            combinations: vec![],
        });
        let waiting = vec![
            item(1, q.id, Channel::Voice, 0, 100),
            item(2, q.id, Channel::Voice, 5, 300),
            item(3, q.id, Channel::Voice, 5, 200),
        ];
        let offers = plan(&queues(&[q]), &mut agents, &waiting, 1_000);
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].engagement, waiting[2].id, "priority 5, older");
        assert_eq!(offers[0].expires_at_ms, 21_000);
    }

    #[test]
    fn distributions_pick_the_right_agent() {
        let mk = |d| queue(1, d);
        let setup = |q: &QueueView| {
            let mut a = vec![agent(10, &[q.id]), agent(11, &[q.id]), agent(12, &[q.id])];
            a[0].idle_since_ms = 500;
            a[1].idle_since_ms = 100; // idle the longest
            a[2].idle_since_ms = 300;
            a[0].last_offer_ms = 50; // offered the longest ago
            a[1].last_offer_ms = 900;
            a[2].last_offer_ms = 400;
            let skill = SkillId(Uuid::from_u128(77));
            a[0].skills.insert(skill, 2);
            a[1].skills.insert(skill, 3);
            a[2].skills.insert(skill, 5); // most skilled
            (a, skill)
        };
        for (d, expect) in [
            (Distribution::LongestIdle, vec![11]),
            (Distribution::RoundRobin, vec![10]),
            (Distribution::MostSkilled, vec![12]),
            (Distribution::RingAll, vec![10, 11, 12]),
        ] {
            let q = mk(d);
            let (mut agents, skill) = setup(&q);
            let mut w = item(1, q.id, Channel::Chat, 0, 0);
            w.required_skills = vec![SkillRequirement {
                skill_id: skill,
                min_proficiency: Proficiency::MIN,
            }];
            let offers = plan(&queues(&[q]), &mut agents, &[w], 1_000);
            let got: Vec<u128> = offers[0].agents.iter().map(|a| a.0.as_u128()).collect();
            assert_eq!(got, expect, "{d:?}");
        }
    }

    #[test]
    fn skills_exclusions_and_opt_outs_are_respected() {
        let q = queue(1, Distribution::LongestIdle);
        let skill = SkillId(Uuid::from_u128(5));
        let mut agents = vec![
            agent(10, &[q.id]),
            agent(11, &[]),
            agent(12, &[q.id]),
            agent(13, &[q.id]),
        ];
        agents[0].skills.insert(skill, 2); // too low
        agents[1].skills.insert(skill, 5); // not opted in
        agents[2].skills.insert(skill, 4); // declined before
        agents[3].skills.insert(skill, 3);
        let mut w = item(1, q.id, Channel::WorkItem, 0, 0);
        w.required_skills = vec![SkillRequirement {
            skill_id: skill,
            min_proficiency: Proficiency::new(3).unwrap(),
        }];
        w.excluded.insert(agents[2].id);
        let offers = plan(&queues(&[q]), &mut agents, &[w], 0);
        assert_eq!(offers[0].agents, vec![agents[3].id]);
    }

    #[test]
    fn a_preferred_agent_is_waited_for_until_the_deadline() {
        let q = queue(1, Distribution::LongestIdle);
        let mut agents = vec![agent(10, &[q.id]), agent(11, &[q.id])];
        agents[1].ready = false;
        let mut w = item(1, q.id, Channel::Chat, 0, 0);
        w.preferred = Some((agents[1].id, 5_000));
        assert!(plan(
            &queues(std::slice::from_ref(&q)),
            &mut agents.clone(),
            &[w.clone()],
            1_000
        )
        .is_empty());
        let offers = plan(&queues(&[q]), &mut agents, &[w], 5_000);
        assert_eq!(
            offers[0].agents,
            vec![agents[0].id],
            "after the wait anyone may take it"
        );
    }

    // ---- randomized invariants -------------------------------------------------------------

    #[derive(Debug, Clone)]
    struct World {
        queues: Vec<QueueView>,
        agents: Vec<AgentView>,
        waiting: Vec<WaitingView>,
    }

    fn world() -> impl Strategy<Value = World> {
        let distribution = prop_oneof![
            Just(Distribution::LongestIdle),
            Just(Distribution::MostSkilled),
            Just(Distribution::RoundRobin),
            Just(Distribution::RingAll),
        ];
        let channel = proptest::sample::select(Channel::ALL.to_vec());
        (
            proptest::collection::vec(distribution, 1..4),
            proptest::collection::vec(
                (
                    any::<bool>(),
                    proptest::collection::vec(0u8..6, 3),
                    proptest::collection::vec(any::<bool>(), 3),
                    proptest::collection::vec(channel.clone(), 0..4),
                    0i64..1000,
                    0i64..1000,
                ),
                0..12,
            ),
            proptest::collection::vec(
                (
                    0usize..3,
                    channel,
                    -5i32..5,
                    0i64..1000,
                    proptest::collection::vec(0u8..4, 3),
                    proptest::collection::vec(0usize..12, 0..3),
                ),
                0..30,
            ),
        )
            .prop_map(|(dists, agent_specs, item_specs)| {
                let queues: Vec<QueueView> = dists
                    .iter()
                    .enumerate()
                    .map(|(i, d)| queue(i as u128 + 1, *d))
                    .collect();
                let skill = |s: usize| SkillId(Uuid::from_u128(100 + s as u128));
                let agents: Vec<AgentView> = agent_specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (ready, levels, member, holding, idle, last))| {
                        let mut a = agent(1000 + i as u128, &[]);
                        a.ready = ready;
                        for (s, level) in levels.iter().enumerate() {
                            if *level > 0 {
                                a.skills.insert(skill(s), *level);
                            }
                        }
                        for (qi, m) in member.iter().enumerate() {
                            if *m && qi < queues.len() {
                                a.queues.insert(queues[qi].id);
                            }
                        }
                        a.holding = holding;
                        a.idle_since_ms = idle;
                        a.last_offer_ms = last;
                        a
                    })
                    .collect();
                let waiting = item_specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (qi, channel, priority, created, reqs, excluded))| {
                        let q = queues[qi % queues.len()].id;
                        let mut w = item(i as u128 + 1, q, channel, priority, created);
                        for (s, level) in reqs.iter().enumerate() {
                            if *level > 0 {
                                w.required_skills.push(SkillRequirement {
                                    skill_id: skill(s),
                                    min_proficiency: Proficiency::new(*level).unwrap(),
                                });
                            }
                        }
                        for e in excluded {
                            if let Some(a) = agents.get(e) {
                                w.excluded.insert(a.id);
                            }
                        }
                        w
                    })
                    .collect();
                World {
                    queues,
                    agents,
                    waiting,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn planning_keeps_every_routing_invariant(w in world()) {
            let qmap = queues(&w.queues);
            let before = w.agents.clone();
            let mut agents = w.agents.clone();
            let offers = plan(&qmap, &mut agents, &w.waiting, 10_000);
            let by_id: HashMap<EngagementId, &WaitingView> = w.waiting.iter().map(|x| (x.id, x)).collect();

            // Each engagement offered at most once; single-agent unless ring-all.
            let mut seen = BTreeSet::new();
            for o in &offers {
                prop_assert!(seen.insert(o.engagement), "offered twice");
                let item = by_id[&o.engagement];
                let ring_all = qmap[&item.queue].distribution == Distribution::RingAll;
                prop_assert!(!o.agents.is_empty());
                prop_assert!(ring_all || o.agents.len() == 1);
            }

            // Replaying the offers in order from the starting holdings, every agent qualified
            // and had capacity at that moment: nobody is ever over capacity.
            let mut replay = before.clone();
            for o in &offers {
                let item = by_id[&o.engagement];
                for id in &o.agents {
                    let a = replay.iter_mut().find(|a| a.id == *id).unwrap();
                    prop_assert!(eligible(a, item), "offered to an ineligible agent");
                    a.holding.push(item.channel);
                }
            }
            for (a, r) in agents.iter().zip(&replay) {
                prop_assert_eq!(&a.holding, &r.holding);
            }

            // Work-conserving: nothing left waiting has an eligible agent.
            for item in &w.waiting {
                if !seen.contains(&item.id) {
                    prop_assert!(!agents.iter().any(|a| eligible(a, item)), "an eligible agent sits idle");
                }
            }

            // Priority order within a queue: if an earlier engagement was left waiting, no
            // later one of the same queue and channel went to an agent who qualified for it.
            let mut order = w.waiting.clone();
            routing_order(&mut order);
            for (i, a) in order.iter().enumerate() {
                if seen.contains(&a.id) { continue; }
                for b in &order[i + 1..] {
                    if b.queue != a.queue || b.channel != a.channel { continue; }
                    if let Some(o) = offers.iter().find(|o| o.engagement == b.id) {
                        for id in &o.agents {
                            let agent = before.iter().find(|x| x.id == *id).unwrap();
                            prop_assert!(!qualifies(agent, a), "a later engagement jumped the queue");
                        }
                    }
                }
            }
        }
    }
}
