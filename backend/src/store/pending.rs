//! Write-behind: the rows an engagement's life changes on the routing path (the engagement,
//! its offers, the agents' offer and idle times) are kept in the transaction and written
//! together, a few multi-row statements for a whole batch, rather than one statement each.
//!
//! They are written before anything else touches the connection ([`Tx::conn`] flushes first,
//! so a read inside the transaction sees them) and at commit, so they commit exactly when the
//! events that announce them do. An operation's savepoint ([`Tx::savepoint`]) is taken in
//! the database only when the operation first reaches the connection; until then rolling it
//! back is dropping its buffered rows. An operation that reads and writes only through the
//! buffer and the routing view (start, offer, accept, close) costs no statement of its own.

use super::agents::{self, AgentPatch};
use super::engagements::{self as eng, EngagementRecord, OfferRecord};
use super::{Result, Tx};
use shared::ids::{AccountId, AgentId, EngagementId};
use std::collections::HashMap;

/// A change to the live offers, in the order made.
#[derive(Debug, Clone)]
enum OfferWrite {
    Insert(AccountId, OfferRecord),
    /// Every offer of the engagement.
    DeleteAll(EngagementId),
    /// One agent's offer of the engagement.
    DeleteOne(EngagementId, AgentId),
}

/// Rows waiting to be written, in the order the transaction changed them.
#[derive(Debug, Default)]
pub(super) struct Writes {
    engagements: Vec<EngagementRecord>,
    offers: Vec<OfferWrite>,
    agents: Vec<(AgentId, AgentPatch)>,
}

/// How far each list of [`Writes`] reached (what a rollback returns to).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Marks {
    engagements: usize,
    offers: usize,
    agents: usize,
}

impl Writes {
    pub(super) fn marks(&self) -> Marks {
        Marks {
            engagements: self.engagements.len(),
            offers: self.offers.len(),
            agents: self.agents.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.engagements.is_empty() && self.offers.is_empty() && self.agents.is_empty()
    }

    pub(super) fn truncate(&mut self, m: Marks) {
        self.engagements.truncate(m.engagements);
        self.offers.truncate(m.offers);
        self.agents.truncate(m.agents);
    }

    /// Everything written after `m`, taken out.
    pub(super) fn split_off(&mut self, m: Marks) -> Writes {
        Writes {
            engagements: self
                .engagements
                .split_off(m.engagements.min(self.engagements.len())),
            offers: self.offers.split_off(m.offers.min(self.offers.len())),
            agents: self.agents.split_off(m.agents.min(self.agents.len())),
        }
    }

    /// Write everything; returns the statements it took.
    pub(super) async fn flush(self, conn: &mut sqlx::AnyConnection) -> Result<usize> {
        let mut statements = 0;
        // Engagements first: offers name them. The last write of each engagement, at the
        // place of its first (an engagement closed in the batch leaves its work-item key
        // before a later start takes the same key).
        let mut at: HashMap<EngagementId, usize> = HashMap::with_capacity(self.engagements.len());
        let mut latest: Vec<&EngagementRecord> = Vec::with_capacity(self.engagements.len());
        for rec in &self.engagements {
            match at.get(&rec.id) {
                Some(i) => latest[*i] = rec,
                None => {
                    at.insert(rec.id, latest.len());
                    latest.push(rec);
                }
            }
        }
        statements += eng::save_many(conn, &latest).await?;

        // Offers: runs of one kind of change in order, one statement per run.
        let mut rest = self.offers.as_slice();
        while let Some(first) = rest.first() {
            let run = rest
                .iter()
                .take_while(|w| std::mem::discriminant(*w) == std::mem::discriminant(first))
                .count();
            let (now, later) = rest.split_at(run);
            statements += match first {
                OfferWrite::Insert(..) => {
                    let rows: Vec<(AccountId, &OfferRecord)> = now
                        .iter()
                        .filter_map(|w| match w {
                            OfferWrite::Insert(account, o) => Some((*account, o)),
                            _ => None,
                        })
                        .collect();
                    eng::insert_offers(conn, &rows).await?
                }
                OfferWrite::DeleteAll(_) => {
                    let ids: Vec<EngagementId> = now
                        .iter()
                        .filter_map(|w| match w {
                            OfferWrite::DeleteAll(id) => Some(*id),
                            _ => None,
                        })
                        .collect();
                    eng::delete_offers_of(conn, &ids).await?
                }
                OfferWrite::DeleteOne(..) => {
                    for w in now {
                        if let OfferWrite::DeleteOne(id, agent) = w {
                            eng::delete_offer(conn, *id, *agent).await?;
                        }
                    }
                    now.len()
                }
            };
            rest = later;
        }

        // Agents: one merged patch each.
        let mut at: HashMap<AgentId, usize> = HashMap::new();
        let mut merged: Vec<(AgentId, AgentPatch)> = Vec::new();
        for (id, p) in &self.agents {
            let i = *at.entry(*id).or_insert_with(|| {
                merged.push((*id, AgentPatch::default()));
                merged.len() - 1
            });
            let m = &mut merged[i].1;
            m.last_offer_ms = p.last_offer_ms.or(m.last_offer_ms);
            m.idle_since_ms = p.idle_since_ms.or(m.idle_since_ms);
            m.reset_misses |= p.reset_misses;
        }
        statements += agents::patch_many(conn, &merged).await?;
        Ok(statements)
    }
}

/// An operation's savepoint: where its buffered rows start, and whether the database was
/// asked for a `SAVEPOINT` (only once the operation reached the connection).
#[derive(Debug, Clone, Copy)]
pub(super) struct OpMark {
    pub(super) writes: Marks,
    /// Length of [`Saved::log`] when the operation began.
    pub(super) saved: usize,
    pub(super) in_database: bool,
}

/// The engagements this transaction saved, exact across rollbacks: a start checks its
/// work-item key (`EngagementRecord::work_item_key`) against these and the routing view
/// instead of reading the database, and the view takes them in without reading them back.
#[derive(Debug, Default)]
pub(super) struct Saved {
    /// Every save in order.
    log: Vec<EngagementRecord>,
    /// Where in `log` each engagement's latest save is.
    latest: HashMap<EngagementId, usize>,
    /// Which engagement holds a work-item key now.
    owner: HashMap<String, EngagementId>,
}

impl Saved {
    fn note(&mut self, rec: EngagementRecord) {
        if let Some(old) = self
            .latest
            .get(&rec.id)
            .and_then(|i| self.log[*i].work_item_key())
        {
            if self.owner.get(&old) == Some(&rec.id) {
                self.owner.remove(&old);
            }
        }
        if let Some(key) = rec.work_item_key() {
            self.owner.insert(key, rec.id);
        }
        self.latest.insert(rec.id, self.log.len());
        self.log.push(rec);
    }

    pub(super) fn len(&self) -> usize {
        self.log.len()
    }

    /// Forget the saves after the first `len` (a rolled-back operation's).
    pub(super) fn truncate(&mut self, len: usize) {
        if len >= self.log.len() {
            return;
        }
        self.log.truncate(len);
        self.latest.clear();
        self.owner.clear();
        for rec in std::mem::take(&mut self.log) {
            self.note(rec);
        }
    }
}

impl Tx {
    /// Insert `rec` or write every column of it (the write is buffered: see the module).
    pub fn save_engagement(&mut self, rec: &EngagementRecord) {
        self.saved.note(rec.clone());
        self.writes.engagements.push(rec.clone());
    }

    /// Add a live offer.
    pub fn insert_offer(&mut self, account: AccountId, offer: &OfferRecord) {
        self.offers_touched.insert(offer.engagement);
        self.writes
            .offers
            .push(OfferWrite::Insert(account, offer.clone()));
    }

    /// Remove every live offer of `engagement`.
    pub fn delete_offers(&mut self, engagement: EngagementId) {
        self.offers_touched.insert(engagement);
        self.writes.offers.push(OfferWrite::DeleteAll(engagement));
    }

    /// Remove `agent`'s offer of `engagement`.
    pub fn delete_offer(&mut self, engagement: EngagementId, agent: AgentId) {
        self.offers_touched.insert(engagement);
        self.writes
            .offers
            .push(OfferWrite::DeleteOne(engagement, agent));
    }

    /// Change an agent's routing columns.
    pub fn patch_agent(&mut self, agent: AgentId, patch: AgentPatch) {
        self.writes.agents.push((agent, patch));
    }

    /// Has this transaction changed `id`'s row (so the routing view's copy is not current)?
    /// A save rolled back is forgotten: the row is then as committed again.
    pub fn touched_engagement(&self, id: EngagementId) -> bool {
        self.saved.latest.contains_key(&id)
    }

    /// Has this transaction changed `id`'s offers? Never forgotten on a rollback: that only
    /// makes a read go to the database.
    pub fn touched_offers(&self, id: EngagementId) -> bool {
        self.offers_touched.contains(&id)
    }

    /// Does an engagement this transaction saved hold `key` now?
    pub fn key_owner(&self, key: &str) -> Option<EngagementId> {
        self.saved.owner.get(key).copied()
    }

    /// The engagement as this transaction last saved it, if it did.
    pub fn saved(&self, id: EngagementId) -> Option<&EngagementRecord> {
        self.saved.latest.get(&id).map(|i| &self.saved.log[*i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use shared::engagement::WorkItem;
    use shared::{Channel, Direction, EngagementState};

    fn ticket(account: AccountId, id: &str) -> EngagementRecord {
        EngagementRecord {
            state: EngagementState::Queued,
            work_item: Some(WorkItem {
                name: "Ticket".into(),
                id: Some(id.into()),
                description: None,
                hyperlink: None,
                priority: None,
                due_date: None,
                origin: None,
                type_id: None,
            }),
            ..EngagementRecord::new(account, Channel::WorkItem, Direction::Inbound, 1_000)
        }
    }

    fn offer(engagement: EngagementId) -> OfferRecord {
        OfferRecord {
            engagement,
            agent: AgentId(uuid::Uuid::now_v7()),
            channel: Channel::WorkItem,
            offered_at_ms: 1_000,
            expires_at_ms: 61_000,
        }
    }

    async fn rows(tx: &mut Tx, account: AccountId, ids: &[EngagementId]) -> Vec<EngagementRecord> {
        let mut found = eng::get_many(tx.conn().await.unwrap(), account, ids)
            .await
            .unwrap();
        found.sort_by_key(|r| r.id);
        found
    }

    /// The batch writer's use of one transaction: operations that only buffer, one rolled
    /// back before it reached the connection, one rolled back after it did (a read in the
    /// middle sees the buffered rows), and a key released and taken again in one flush.
    #[tokio::test]
    async fn buffered_rows_follow_savepoints_and_reads_see_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        let account = AccountId(uuid::Uuid::now_v7());
        let mut tx = store.begin().await.unwrap();

        // Kept: a start and its offer, buffered.
        tx.savepoint();
        let a = ticket(account, "A-1");
        let a_offer = offer(a.id);
        tx.save_engagement(&a);
        tx.insert_offer(account, &a_offer);
        assert!(tx.touched_engagement(a.id) && tx.touched_offers(a.id));

        // Rolled back before reaching the connection: its key is free again.
        let undo = tx.savepoint();
        let b = ticket(account, "B-1");
        tx.save_engagement(&b);
        assert_eq!(tx.key_owner(&b.work_item_key().unwrap()), Some(b.id));
        tx.rollback_to(undo).await.unwrap();
        assert_eq!(tx.key_owner(&b.work_item_key().unwrap()), None);
        assert!(tx.saved(b.id).is_none());

        // Rolled back after reaching the connection: the read sees every buffered row (its
        // own too); the rollback undoes its rows written before and after the read only.
        let undo = tx.savepoint();
        let c = ticket(account, "C-1");
        tx.save_engagement(&c);
        assert_eq!(rows(&mut tx, account, &[a.id, b.id, c.id]).await.len(), 2);
        let mut c_later = c.clone();
        c_later.state = EngagementState::Offered;
        tx.save_engagement(&c_later);
        tx.rollback_to(undo).await.unwrap();
        assert_eq!(
            rows(&mut tx, account, &[a.id, b.id, c.id]).await,
            vec![a.clone()]
        );
        assert_eq!(
            eng::offers_of(tx.conn().await.unwrap(), &[a.id])
                .await
                .unwrap(),
            vec![a_offer]
        );

        // A closes (its key is released) and a new start takes the same key: both rows and
        // the offer's removal go out at commit, the close first.
        tx.savepoint();
        let mut a_closed = a.clone();
        a_closed.state = EngagementState::Closed;
        tx.save_engagement(&a_closed);
        tx.delete_offers(a.id);
        let key = a.work_item_key().unwrap();
        assert_eq!(tx.saved(a.id).unwrap().work_item_key(), None);
        assert_eq!(tx.key_owner(&key), None);
        let d = ticket(account, "A-1");
        tx.save_engagement(&d);
        assert_eq!(tx.key_owner(&key), Some(d.id));
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        let mut expected = vec![a_closed, d.clone()];
        expected.sort_by_key(|r| r.id);
        assert_eq!(rows(&mut tx, account, &[a.id, d.id]).await, expected);
        assert!(eng::offers_of(tx.conn().await.unwrap(), &[a.id])
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            eng::active_with_work_item(tx.conn().await.unwrap(), account, &key)
                .await
                .unwrap(),
            Some(d.id)
        );
    }

    /// A batch's rows are written together: a thousand starts cost a handful of statements.
    #[tokio::test]
    async fn a_thousand_saves_are_a_few_statements() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let store = Store::connect(&url).await.unwrap();
        let account = AccountId(uuid::Uuid::now_v7());
        let mut tx = store.begin().await.unwrap();
        let mut ids = Vec::new();
        for i in 0..1000 {
            tx.savepoint();
            let rec = ticket(account, &format!("T-{i}"));
            tx.insert_offer(account, &offer(rec.id));
            tx.save_engagement(&rec);
            ids.push(rec.id);
        }
        let writes = std::mem::take(&mut tx.writes);
        let statements = writes.flush(&mut tx.inner).await.unwrap();
        // 1,000 engagements at 400 a statement, 1,000 offers in one, no agent row.
        assert_eq!(statements, 3 + 1);
        assert_eq!(rows(&mut tx, account, &ids).await.len(), 1000);
    }
}
