//! The routing view: what a routing pass reads (configured queues and busy rules, agents,
//! engagements in routing's care, live offers), kept in memory by the batch writer between
//! passes instead of re-read from the database for each one.
//!
//! **The log is the truth.** The view is built from the database, then kept current from the
//! event log: when a batch begins (`service::writer`) it reads what the events after its `seq`
//! are about (committed by anyone — this instance's other paths or another instance on the
//! same PostgreSQL) and re-reads only those engagements (with their offers) and agents, so the
//! batch's operations can read it instead of the database. Before and during the pass it takes
//! in what the batch's own events name: the engagements as the transaction saved them (not
//! read back), their offers and the agents named, read again. The writer then moves `seq` past
//! the batch's own events once it committed, and drops the view when a batch fails to (the
//! next batch builds it again). An operation never trusts the view for an engagement its own
//! transaction has changed (`Tx::touched_engagement`, `Tx::touched_offers`).
//!
//! Why reading after `seq` misses nothing: every event append takes the account's lock
//! (`Tx::lock_account`) and the batch holds it, so the account's events commit in `seq` order
//! and nothing commits while the pass runs. Every change routing depends on comes with an
//! event naming its engagement or agent (an engagement's re-read also re-reads the agents it
//! names, whose idle time or offer time may have moved with it); as a safety net against a
//! change that does not, the view is rebuilt from scratch every [`REBUILD_EVERY_MS`].

use super::Result;
use crate::store::config::EntryRecord;
use crate::store::config::{self as cfg, DocTable};
use crate::store::engagements::{self as eng, EngagementRecord, OfferRecord};
use crate::store::{agents, agents::AgentRecord, log, Tx};
use shared::config::{BusyAgentRules, ConsumerRoutingProfile, Flow, Queue};
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId, EngagementId, FlowId, QueueId, RoutingProfileId};
use shared::{Channel, EngagementState};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The longest a view lives before it is built again from the database.
pub const REBUILD_EVERY_MS: i64 = 60_000;

pub struct RoutingView {
    account: AccountId,
    /// Events up to this `seq` are reflected.
    seq: i64,
    built_at_ms: i64,
    pub queues: HashMap<QueueId, Queue>,
    /// Entry points by id, flows and consumer routing profiles: what a start reads.
    pub entries: HashMap<String, EntryRecord>,
    pub flows: HashMap<FlowId, Flow>,
    pub profiles: HashMap<RoutingProfileId, ConsumerRoutingProfile>,
    pub default_rules: Arc<BusyAgentRules>,
    pub agents: HashMap<AgentId, AgentRecord>,
    /// Engagements queued, ringing, connected, inactive or in wrap-up.
    pub engagements: HashMap<EngagementId, EngagementRecord>,
    /// Live offers by engagement.
    pub offers: HashMap<EngagementId, Vec<OfferRecord>>,
    /// Which engagement of `engagements` holds each work-item key (the duplicate check).
    by_work_item: HashMap<String, EngagementId>,
}

/// What changed since the view last looked.
#[derive(Default)]
struct Touched {
    config: bool,
    engagements: BTreeSet<EngagementId>,
    agents: BTreeSet<AgentId>,
}

impl Touched {
    fn note(&mut self, kind: EventKind, engagement: Option<EngagementId>, agent: Option<AgentId>) {
        if kind == EventKind::ConfigChanged {
            self.config = true;
        }
        self.engagements.extend(engagement);
        self.agents.extend(agent);
    }
}

impl RoutingView {
    /// Read everything, inside `tx` (which holds the account's lock).
    pub async fn build(tx: &mut Tx, account: AccountId, now_ms: i64) -> Result<RoutingView> {
        let seq = log::max_seq(tx, account).await?;
        let mut view = RoutingView {
            account,
            seq,
            built_at_ms: now_ms,
            queues: HashMap::new(),
            entries: HashMap::new(),
            flows: HashMap::new(),
            profiles: HashMap::new(),
            default_rules: Arc::new(BusyAgentRules::default()),
            agents: HashMap::new(),
            engagements: HashMap::new(),
            offers: HashMap::new(),
            by_work_item: HashMap::new(),
        };
        view.reload_config(tx).await?;
        for rec in eng::routable(tx.conn().await?, account).await? {
            view.put(rec);
        }
        for offer in eng::all_offers(tx.conn().await?, account).await? {
            view.offers.entry(offer.engagement).or_default().push(offer);
        }
        Ok(view)
    }

    pub fn is_due_for_rebuild(&self, now_ms: i64) -> bool {
        now_ms - self.built_at_ms >= REBUILD_EVERY_MS
    }

    /// Bring the view up to date with the log and with the batch's own events (from position
    /// `pending_from` of the transaction's pending events).
    pub async fn catch_up(&mut self, tx: &mut Tx, pending_from: usize) -> Result<()> {
        let mut touched = Touched::default();
        for (seq, kind, engagement, agent) in
            log::subjects_after(tx, self.account, self.seq).await?
        {
            self.seq = seq;
            touched.note(kind, engagement, agent);
        }
        self.apply(tx, touched, pending_from).await
    }

    /// Take in what the transaction's own events from position `from` on changed (the pass's
    /// writes), without looking at the log: nothing else commits while the batch holds the lock.
    /// Without such events it does nothing (no reads).
    pub async fn absorb(&mut self, tx: &mut Tx, from: usize) -> Result<()> {
        self.apply(tx, Touched::default(), from).await
    }

    /// The batch that ran the pass committed its events up to `seq`.
    pub fn committed(&mut self, seq: Option<i64>) {
        if let Some(seq) = seq {
            self.seq = self.seq.max(seq);
        }
    }

    async fn reload_config(&mut self, tx: &mut Tx) -> Result<()> {
        self.queues = cfg::list_docs::<Queue>(tx.conn().await?, DocTable::Queues, self.account)
            .await?
            .into_iter()
            .map(|q| (q.queue_id, q))
            .collect();
        self.entries = cfg::list_entries(tx.conn().await?, self.account)
            .await?
            .into_iter()
            .map(|e| (e.entry.entry_id.0.clone(), e))
            .collect();
        self.flows = cfg::list_docs::<Flow>(tx.conn().await?, DocTable::Flows, self.account)
            .await?
            .into_iter()
            .map(|f| (f.flow_id, f))
            .collect();
        self.profiles = cfg::list_docs::<ConsumerRoutingProfile>(
            tx.conn().await?,
            DocTable::RoutingProfiles,
            self.account,
        )
        .await?
        .into_iter()
        .map(|p| (p.profile_id, p))
        .collect();
        self.default_rules = Arc::new(cfg::busy_rules(tx.conn().await?, self.account).await?);
        self.agents = agents::list(tx.conn().await?, self.account)
            .await?
            .into_iter()
            .map(|a| (a.agent.agent_id, a))
            .collect();
        Ok(())
    }

    /// Re-read what `touched` and the transaction's pending events from `pending_from` name.
    async fn apply(
        &mut self,
        tx: &mut Tx,
        mut touched: Touched,
        pending_from: usize,
    ) -> Result<()> {
        for (kind, engagement, agent) in tx.pending_subjects(pending_from) {
            touched.note(kind, engagement, agent);
        }
        if touched.config {
            self.reload_config(tx).await?;
            touched.agents.clear();
        }
        if !touched.engagements.is_empty() {
            let ids: Vec<EngagementId> = touched.engagements.iter().copied().collect();
            // Agents named before and after: their holdings, idle time and offer time move.
            for id in &ids {
                if let Some(old) = self.take(*id) {
                    touched.agents.extend(old.agent_id);
                }
                for offer in self.offers.remove(id).unwrap_or_default() {
                    touched.agents.insert(offer.agent);
                }
            }
            // What this transaction saved is taken as saved; only the rest is read back.
            let mut unknown = Vec::new();
            let mut known = Vec::new();
            for id in &ids {
                match tx.saved(*id) {
                    Some(rec) => known.push(rec.clone()),
                    None => unknown.push(*id),
                }
            }
            if !unknown.is_empty() {
                known.extend(eng::get_many(tx.conn().await?, self.account, &unknown).await?);
            }
            for rec in known {
                if rec.state.is_active() {
                    touched.agents.extend(rec.agent_id);
                    self.put(rec);
                }
            }
            for offer in eng::offers_of(tx.conn().await?, &ids).await? {
                touched.agents.insert(offer.agent);
                self.offers.entry(offer.engagement).or_default().push(offer);
            }
        }
        if !touched.agents.is_empty() && !touched.config {
            let ids: Vec<AgentId> = touched.agents.iter().copied().collect();
            for id in &ids {
                self.agents.remove(id);
            }
            for rec in agents::get_many(tx.conn().await?, self.account, &ids).await? {
                self.agents.insert(rec.agent.agent_id, rec);
            }
        }
        Ok(())
    }

    /// Add an engagement in routing's care.
    fn put(&mut self, rec: EngagementRecord) {
        if let Some(key) = rec.work_item_key() {
            self.by_work_item.insert(key, rec.id);
        }
        self.engagements.insert(rec.id, rec);
    }

    /// Remove an engagement (it is re-read, or no longer in routing's care).
    fn take(&mut self, id: EngagementId) -> Option<EngagementRecord> {
        let rec = self.engagements.remove(&id)?;
        if let Some(key) = rec.work_item_key() {
            if self.by_work_item.get(&key) == Some(&id) {
                self.by_work_item.remove(&key);
            }
        }
        Some(rec)
    }

    /// The engagement in routing's care holding this work-item key, as committed.
    pub fn with_work_item(&self, key: &str) -> Option<EngagementId> {
        self.by_work_item.get(key).copied()
    }

    /// The engagement as committed, if it is in routing's care (else only the database
    /// knows it: closed, or not yet routed).
    pub fn engagement(&self, id: EngagementId) -> Option<&EngagementRecord> {
        self.engagements.get(&id)
    }

    /// What each agent holds: assigned engagements and live offers, by channel.
    pub fn holdings(&self) -> HashMap<AgentId, Vec<Channel>> {
        let mut held: HashMap<AgentId, Vec<Channel>> = HashMap::new();
        for e in self.engagements.values() {
            if let (Some(agent), true) = (
                e.agent_id,
                matches!(
                    e.state,
                    EngagementState::Connected
                        | EngagementState::Inactive
                        | EngagementState::WrapUp
                ),
            ) {
                held.entry(agent).or_default().push(e.channel);
            }
        }
        for offer in self.offers.values().flatten() {
            held.entry(offer.agent).or_default().push(offer.channel);
        }
        held
    }

    /// Engagements in `state`, oldest first (as the database lists them).
    pub fn in_state(&self, state: EngagementState) -> Vec<EngagementRecord> {
        let mut list: Vec<EngagementRecord> = self
            .engagements
            .values()
            .filter(|e| e.state == state)
            .cloned()
            .collect();
        // The id's byte order is its text order, the database's tie-break.
        list.sort_by_key(|e| (e.created_at_ms, e.id));
        list
    }

    /// The earliest overflow or preferred-agent timer on a waiting engagement.
    pub fn next_queue_timer(&self) -> Option<i64> {
        self.engagements
            .values()
            .filter(|e| e.state == EngagementState::Queued)
            .flat_map(|e| [e.overflow_at_ms, e.preferred_until_ms])
            .flatten()
            .min()
    }
}
