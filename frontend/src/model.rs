//! What the widget knows about its agent, as plain data: the agent, the engagements offered to
//! or held by them, and the recently closed ones. The agent feed's events are applied here,
//! one at a time, by a pure function that the native tests drive; the reactive session only
//! wraps it in a signal.

use shared::api::AgentProfile;
use shared::config::AgentStatus;
use shared::events::{Event, EventKind};
use shared::ids::{AgentId, EngagementId};
use shared::payload::{Detail, Payload};
use shared::{Engagement, EngagementState};

/// How many closed engagements the agent can revisit.
pub const RECENT_LIMIT: usize = 10;

/// One engagement as the agent's screen needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub engagement: Engagement,
    /// Note bodies, oldest first.
    pub notes: Vec<String>,
    /// The chosen disposition's name and code.
    pub disposition: Option<(String, Option<String>)>,
    /// The rendered screen-pop URL of the offer, when the queue has a template.
    pub launch_url: Option<String>,
    /// When the offer stops ringing, in this browser's clock (ms since the epoch).
    pub ring_deadline_ms: Option<f64>,
    /// The customer's chat messages that came while its panel was not in view.
    pub unread: u32,
}

impl Item {
    pub fn new(engagement: Engagement) -> Item {
        Item {
            engagement,
            notes: Vec::new(),
            disposition: None,
            launch_url: None,
            ring_deadline_ms: None,
            unread: 0,
        }
    }

    pub fn id(&self) -> EngagementId {
        self.engagement.engagement_id
    }

    /// A one-line title: the work item's name, the consumer, or the channel.
    pub fn title(&self) -> String {
        let e = &self.engagement;
        if let Some(w) = &e.work_item {
            return w.name.clone();
        }
        if let Some(c) = &e.consumer {
            if let Some(v) = c
                .display_name
                .as_ref()
                .or(c.phone.as_ref())
                .or(c.email.as_ref())
            {
                return v.clone();
            }
        }
        e.channel.as_str().replace('_', " ")
    }

    /// Seconds from connected (or created) to closed (or wrap-up).
    pub fn duration_secs(&self) -> u64 {
        let t = &self.engagement.timestamps;
        let start = t.connected_at.unwrap_or(t.created_at);
        let end = t.closed_at.or(t.wrap_up_at).unwrap_or(start);
        (end - start).whole_seconds().max(0) as u64
    }
}

/// Something the host page should hear about, produced by [`Model::apply`].
#[derive(Debug, Clone, PartialEq)]
// One `Change` exists at a time (the event being applied); boxing the item would add an
// allocation per event to save nothing measurable.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// An engagement changed; `kind` says how. The item is its state after the event.
    Engagement { kind: EventKind, item: Item },
    /// The agent's status changed.
    Status(AgentStatus),
    /// A recording of an engagement this agent holds or held can be downloaded at `url`
    /// (with API credentials).
    Recording { item: Item, url: String },
    /// Another widget instance of the agent's became the one that rings (`None`: none is).
    Device(Option<String>),
}

/// Milliseconds since the Unix epoch, in 64-bit arithmetic: `unix_timestamp_nanos() / 10⁶`
/// divides 128-bit numbers, which links a 1 KB division routine into the widget.
pub fn unix_ms(t: time::OffsetDateTime) -> i64 {
    t.unix_timestamp() * 1000 + i64::from(t.millisecond())
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub agent: Option<AgentProfile>,
    /// Offered or held, oldest first.
    pub active: Vec<Item>,
    /// Closed, newest first.
    pub recent: Vec<Item>,
    /// The last event `seq` applied; the WebSocket resumes after it.
    pub last_seq: i64,
    /// The agent's widget instance that rings (`None`: none, or not known yet).
    pub active_device: Option<String>,
    /// The reasons the agent may give for not being ready (the socket's hello says them).
    pub reasons: Vec<shared::config::NotReadyReason>,
    /// The STUN/TURN servers for web calls (the hello's `ice_servers`, as JSON).
    pub ice_servers: String,
}

impl Model {
    pub fn me(&self) -> Option<AgentId> {
        self.agent.as_ref().map(|a| a.agent_id)
    }

    pub fn find(&self, id: EngagementId) -> Option<&Item> {
        self.active
            .iter()
            .chain(self.recent.iter())
            .find(|i| i.id() == id)
    }

    /// An engagement the agent still has (offered or held).
    /// Count (`true`) or clear (`false`) the customer's messages unread in `id`'s panel.
    pub fn unread(&mut self, id: EngagementId, one_more: bool) {
        if let Some(i) = self.active.iter_mut().find(|i| i.id() == id) {
            i.unread = if one_more { i.unread + 1 } else { 0 };
        }
    }

    pub fn find_active(&self, id: EngagementId) -> Option<&Item> {
        self.active.iter().find(|i| i.id() == id)
    }

    pub fn ringing(&self) -> impl Iterator<Item = &Item> {
        self.active
            .iter()
            .filter(|i| i.engagement.state == EngagementState::Offered)
    }

    /// Replace the active list with what the server says the agent holds (sign-in, reload),
    /// keeping what was known locally about engagements still held.
    pub fn resync(&mut self, agent: AgentProfile, engagements: Vec<Engagement>) {
        let mut active = Vec::with_capacity(engagements.len());
        for e in engagements {
            let mut item = match self.active.iter().position(|i| i.id() == e.engagement_id) {
                Some(pos) => self.active.swap_remove(pos),
                None => Item::new(e.clone()),
            };
            item.engagement = e;
            active.push(item);
        }
        active.sort_by_key(|i| i.engagement.timestamps.created_at);
        self.active = active;
        self.agent = Some(agent);
    }

    /// Apply one event of the agent feed. Events at or below `last_seq` are ignored, so a
    /// replay after a reconnect changes nothing twice. `now_ms` is this browser's clock.
    pub fn apply(&mut self, event: &Event, now_ms: f64) -> Option<Change> {
        if event.seq <= self.last_seq {
            return None;
        }
        self.last_seq = event.seq;
        let me = self.me()?;
        match Payload::read_feed(event.kind, &event.data)? {
            Payload::AgentStatus {
                agent_id, status, ..
            } => {
                if agent_id != me || event.agent_id != Some(me) {
                    return None;
                }
                let agent = self.agent.as_mut()?;
                agent.status = status.clone();
                Some(Change::Status(status))
            }
            Payload::Engagement { engagement, detail } => {
                self.apply_engagement(event.kind, engagement, detail, event, now_ms, me)
            }
            Payload::Device {
                agent_id,
                device_id,
            } if agent_id == me => {
                self.active_device = device_id.clone();
                Some(Change::Device(device_id))
            }
            _ => None,
        }
    }

    fn apply_engagement(
        &mut self,
        kind: EventKind,
        engagement: Engagement,
        detail: Detail,
        event: &Event,
        now_ms: f64,
        me: AgentId,
    ) -> Option<Change> {
        let id = engagement.engagement_id;
        if let Detail::Recording { recording } = detail {
            let item = self.find(id)?.clone();
            return Some(Change::Recording {
                item,
                url: recording.download_url,
            });
        }
        let mine = engagement.agent_ids.contains(&me);
        let pos = self.active.iter().position(|i| i.id() == id);
        let leaves = match kind {
            EventKind::EngagementOfferRescinded
            | EventKind::EngagementOfferDeclined
            | EventKind::EngagementOfferTimedOut
            | EventKind::EngagementTransferred => true,
            EventKind::EngagementConnected => !mine,
            EventKind::EngagementClosed => {
                let mut item = match pos {
                    Some(p) => self.active.remove(p),
                    None => return None,
                };
                item.engagement = engagement;
                item.ring_deadline_ms = None;
                self.recent.retain(|i| i.id() != id);
                self.recent.insert(0, item.clone());
                self.recent.truncate(RECENT_LIMIT);
                return Some(Change::Engagement { kind, item });
            }
            _ => false,
        };
        if leaves {
            let mut item = self.active.remove(pos?);
            item.engagement = engagement;
            item.ring_deadline_ms = None;
            return Some(Change::Engagement { kind, item });
        }
        let item = match pos {
            Some(p) => &mut self.active[p],
            None if kind == EventKind::EngagementOffered && mine => {
                self.active.push(Item::new(engagement.clone()));
                self.active.last_mut()?
            }
            // Connected straight to me (click-to-dial, or an offer I missed while away).
            None if mine && engagement.state != EngagementState::Closed => {
                self.active.push(Item::new(engagement.clone()));
                self.active.last_mut()?
            }
            None => return None,
        };
        item.engagement = engagement;
        match detail {
            Detail::Offered {
                launch_url,
                expires_at_ms,
            } => {
                item.launch_url = launch_url;
                // The ring lasts (expiry − event time) by the server's clock; counting that
                // span from now in this browser's clock ignores skew between the two.
                let sent = unix_ms(event.occurred_at);
                item.ring_deadline_ms = Some(now_ms + (expires_at_ms - sent).max(0) as f64);
            }
            Detail::Note { note, .. } => item.notes.push(note.body),
            Detail::Disposition { disposition } => {
                item.disposition = Some((disposition.name, disposition.code));
            }
            _ if kind == EventKind::EngagementConnected => item.ring_deadline_ms = None,
            _ => {}
        }
        Some(Change::Engagement {
            kind,
            item: item.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::{Disposition, Role};
    use shared::engagement::NoteRecord;
    use shared::ids::{AccountId, DispositionId, EventId, NoteId};
    use shared::WorkItem;
    use time::OffsetDateTime;

    #[test]
    fn milliseconds_agree_with_the_wide_division() {
        for ms in [0i64, 1, 999, 1_796_115_600_123, -1, -1_500] {
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
            assert_eq!(
                unix_ms(t),
                (t.unix_timestamp_nanos() / 1_000_000) as i64,
                "{ms}"
            );
        }
    }

    fn agent(n: u128) -> AgentProfile {
        AgentProfile {
            agent_id: AgentId(uuid::Uuid::from_u128(n)),
            display_name: "Ada".into(),
            email: "ada@demo.test".into(),
            role: Role::Agent,
            status: AgentStatus::Ready,
            queues: vec![],
        }
    }

    fn engagement(state: EngagementState, agents: &[u128]) -> Engagement {
        Engagement {
            engagement_id: EngagementId(uuid::Uuid::from_u128(77)),
            state,
            agent_ids: agents
                .iter()
                .map(|a| AgentId(uuid::Uuid::from_u128(*a)))
                .collect(),
            work_item: Some(WorkItem {
                name: "Ticket 7".into(),
                ..WorkItem::default()
            }),
            ..Engagement::default()
        }
    }

    fn event(seq: i64, kind: EventKind, data: serde_json::Value) -> Event {
        Event {
            seq,
            id: EventId(uuid::Uuid::from_u128(seq as u128)),
            account_id: AccountId(uuid::Uuid::nil()),
            kind,
            engagement_id: None,
            agent_id: Some(AgentId(uuid::Uuid::from_u128(1))),
            occurred_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            data,
        }
    }

    /// An engagement event's `data` as the server writes it.
    fn data(e: Engagement, detail: Detail) -> serde_json::Value {
        serde_json::to_value(Payload::engagement(e, detail)).unwrap()
    }

    fn plain(e: Engagement) -> serde_json::Value {
        data(e, Detail::Plain {})
    }

    fn ringing(e: Engagement) -> serde_json::Value {
        data(
            e,
            Detail::Offered {
                launch_url: None,
                expires_at_ms: 1_800_000_030_000,
            },
        )
    }

    fn noted(e: Engagement, body: &str) -> serde_json::Value {
        let note = NoteRecord {
            note_id: NoteId(uuid::Uuid::from_u128(77)),
            engagement_id: e.engagement_id,
            agent_id: None,
            body: body.into(),
            created_at_ms: 0,
        };
        data(e, Detail::Note { note, author: None })
    }

    fn signed_in() -> Model {
        let mut m = Model::default();
        m.resync(agent(1), vec![]);
        m
    }

    #[test]
    fn an_offer_rings_then_connects_then_closes_into_recent() {
        let mut m = signed_in();
        let offered = event(
            1,
            EventKind::EngagementOffered,
            data(
                engagement(EngagementState::Offered, &[1]),
                Detail::Offered {
                    launch_url: Some("http://crm/t/7".into()),
                    expires_at_ms: 1_800_000_030_000,
                },
            ),
        );
        let change = m.apply(&offered, 5_000.0).unwrap();
        assert!(matches!(
            change,
            Change::Engagement {
                kind: EventKind::EngagementOffered,
                ..
            }
        ));
        assert_eq!(m.ringing().count(), 1);
        assert_eq!(m.active[0].ring_deadline_ms, Some(35_000.0));
        assert_eq!(m.active[0].launch_url.as_deref(), Some("http://crm/t/7"));
        assert_eq!(m.active[0].title(), "Ticket 7");

        m.apply(
            &event(
                2,
                EventKind::EngagementConnected,
                plain(engagement(EngagementState::Connected, &[1])),
            ),
            6_000.0,
        );
        assert_eq!(m.ringing().count(), 0);
        assert_eq!(m.active[0].ring_deadline_ms, None);
        m.apply(
            &event(
                3,
                EventKind::EngagementNoteAdded,
                noted(engagement(EngagementState::Connected, &[1]), "called back"),
            ),
            7_000.0,
        );
        m.apply(
            &event(
                4,
                EventKind::EngagementDispositionAdded,
                data(
                    engagement(EngagementState::Connected, &[1]),
                    Detail::Disposition {
                        disposition: Disposition {
                            disposition_id: DispositionId(uuid::Uuid::from_u128(5)),
                            name: "Resolved".into(),
                            code: Some("RESOLVED".into()),
                        },
                    },
                ),
            ),
            7_000.0,
        );
        let closed = m
            .apply(
                &event(
                    5,
                    EventKind::EngagementClosed,
                    plain(engagement(EngagementState::Closed, &[1])),
                ),
                8_000.0,
            )
            .unwrap();
        let Change::Engagement { item, .. } = closed else {
            panic!("expected an engagement change")
        };
        assert_eq!(item.notes, vec!["called back".to_string()]);
        assert_eq!(
            item.disposition,
            Some(("Resolved".into(), Some("RESOLVED".into())))
        );
        assert!(m.active.is_empty());
        assert_eq!(m.recent.len(), 1);
    }

    #[test]
    fn a_recording_of_a_closed_engagement_is_told_with_its_download_url() {
        let mut m = signed_in();
        let closed = engagement(EngagementState::Closed, &[1]);
        let recording = |e: &Engagement| shared::interactions::Recording {
            recording_id: uuid::Uuid::from_u128(9),
            engagement_id: e.engagement_id,
            agent_id: None,
            channel: shared::Channel::Voice,
            content_type: "audio/wav".into(),
            size_bytes: 10,
            recording_start_time: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            recording_end_time: OffsetDateTime::from_unix_timestamp(1_800_000_060).unwrap(),
            recording_duration: 60,
            download_url: "http://sb/v1/recordings/9".into(),
            transcript_url: None,
        };
        let done = |seq, e: Engagement| {
            let r = recording(&e);
            event(
                seq,
                EventKind::RecordingCompleted,
                data(e, Detail::Recording { recording: r }),
            )
        };
        // Not one of this agent's engagements: nothing to tell.
        assert_eq!(m.apply(&done(1, closed.clone()), 0.0), None);
        m.apply(
            &event(
                2,
                EventKind::EngagementConnected,
                plain(engagement(EngagementState::Connected, &[1])),
            ),
            0.0,
        );
        m.apply(
            &event(3, EventKind::EngagementClosed, plain(closed.clone())),
            0.0,
        );
        let Some(Change::Recording { item, url }) = m.apply(&done(4, closed), 0.0) else {
            panic!("expected a recording change")
        };
        assert_eq!(url, "http://sb/v1/recordings/9");
        assert_eq!(item.id(), EngagementId(uuid::Uuid::from_u128(77)));
    }

    #[test]
    fn declines_and_offers_taken_elsewhere_leave_the_list() {
        let mut m = signed_in();
        let offer = ringing(engagement(EngagementState::Offered, &[1, 2]));
        m.apply(&event(1, EventKind::EngagementOffered, offer), 0.0);
        assert_eq!(m.active.len(), 1);
        // Ring-all: agent 2 accepted.
        m.apply(
            &event(
                2,
                EventKind::EngagementConnected,
                plain(engagement(EngagementState::Connected, &[2])),
            ),
            0.0,
        );
        assert!(m.active.is_empty());
        assert!(m.recent.is_empty(), "never mine, so not in recent either");

        let offer = ringing(engagement(EngagementState::Offered, &[1]));
        m.apply(&event(3, EventKind::EngagementOffered, offer), 0.0);
        m.apply(
            &event(
                4,
                EventKind::EngagementOfferDeclined,
                plain(engagement(EngagementState::Queued, &[])),
            ),
            0.0,
        );
        assert!(m.active.is_empty());
    }

    #[test]
    fn replayed_events_change_nothing() {
        let mut m = signed_in();
        let note = event(
            9,
            EventKind::EngagementNoteAdded,
            noted(engagement(EngagementState::Connected, &[1]), "x"),
        );
        assert!(m.apply(&note, 0.0).is_some());
        assert!(m.apply(&note, 0.0).is_none());
        assert_eq!(m.active[0].notes.len(), 1);
        assert_eq!(m.last_seq, 9);
    }

    #[test]
    fn status_changes_of_other_agents_are_ignored() {
        let mut m = signed_in();
        let status = |seq: i64, agent: u128| {
            let agent_id = AgentId(uuid::Uuid::from_u128(agent));
            let mut e = event(
                seq,
                EventKind::AgentStatusChanged,
                serde_json::to_value(Payload::AgentStatus {
                    agent_id,
                    status: AgentStatus::NotReady {
                        reason: "Lunch".into(),
                    },
                    cause: "agent".into(),
                })
                .unwrap(),
            );
            e.agent_id = Some(agent_id);
            e
        };
        assert!(m.apply(&status(1, 2), 0.0).is_none());
        let e = status(2, 1);
        assert_eq!(
            m.apply(&e, 0.0),
            Some(Change::Status(AgentStatus::NotReady {
                reason: "Lunch".into()
            }))
        );
        assert!(!m.agent.as_ref().unwrap().status.is_ready());
    }

    #[test]
    fn resync_keeps_local_notes_of_held_engagements() {
        let mut m = signed_in();
        m.apply(
            &event(
                1,
                EventKind::EngagementNoteAdded,
                noted(engagement(EngagementState::Connected, &[1]), "kept"),
            ),
            0.0,
        );
        m.resync(agent(1), vec![engagement(EngagementState::Inactive, &[1])]);
        assert_eq!(m.active[0].notes, vec!["kept".to_string()]);
        assert_eq!(m.active[0].engagement.state, EngagementState::Inactive);
        m.resync(agent(1), vec![]);
        assert!(m.active.is_empty());
    }
}
