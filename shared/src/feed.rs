//! Readers for what the widget decodes: on every event of the agent feed [`Engagement`] and
//! [`Event`]; at sign-in and on each status change [`AgentProfile`]; the queue, flow and
//! agent lists its pickers offer ([`QueueSummary`], [`FlowSummary`], [`Colleague`]). Each
//! reads an already parsed `serde_json::Value`.
//!
//! The wire format is the one the serde derives on those types define (the backend writes it
//! with them). The widget reads it with these few plain functions instead of the derived
//! deserializers because the derived code for these two types alone was ~20 KB of the widget's
//! WASM, whose first load has a budget (BENCHMARKS.md). They cannot drift apart unnoticed: the
//! struct literals below name every field (a new field does not compile until it is read
//! here), and the tests read randomized values that serde wrote.
//!
//! The readers are lenient where serde is strict only about optional fields of the wrong type
//! (read as absent); a missing or malformed required field makes the whole value `None`.

use crate::api::{AgentProfile, Colleague, FlowSummary, QueueSummary};
use crate::config::{AgentStatus, QueueMembership, Role};
use crate::engagement::{Consumer, Engagement, Timestamps, Variables, WorkItem};
use crate::events::{Event, EventKind};
use crate::ids::EntryId;
use crate::{Channel, Direction, EngagementState};
use serde_json::Value;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A string field; `None` when absent or not a string.
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    Some(v.get(key)?.as_str()?.to_string())
}

pub(crate) fn int32(v: &Value, key: &str) -> Option<i32> {
    i32::try_from(v.get(key)?.as_i64()?).ok()
}

pub(crate) fn id<T: FromStr>(v: &Value, key: &str) -> Option<T> {
    v.get(key)?.as_str()?.parse().ok()
}

pub(crate) fn when(v: &Value, key: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(v.get(key)?.as_str()?, &Rfc3339).ok()
}

fn consumer(v: &Value) -> Option<Consumer> {
    v.is_object().then(|| Consumer {
        display_name: text(v, "display_name"),
        email: text(v, "email"),
        phone: text(v, "phone"),
        external_id: text(v, "external_id"),
    })
}

fn work_item(v: &Value) -> Option<WorkItem> {
    Some(WorkItem {
        name: text(v, "name")?,
        id: text(v, "id"),
        description: text(v, "description"),
        hyperlink: text(v, "hyperlink"),
        priority: int32(v, "priority"),
        due_date: when(v, "due_date"),
        origin: text(v, "origin"),
        type_id: text(v, "type_id"),
    })
}

pub(crate) fn variables(v: Option<&Value>) -> Variables {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl Engagement {
    /// Read an engagement as the API and the agent feed send it.
    pub fn read(v: &Value) -> Option<Engagement> {
        Some(Engagement {
            engagement_id: id(v, "engagement_id")?,
            channel: Channel::parse(v.get("channel")?.as_str()?)?,
            channel_source: text(v, "channel_source"),
            entry_address: text(v, "entry_address"),
            direction: match v.get("direction")?.as_str()? {
                "inbound" => Direction::Inbound,
                "outbound" => Direction::Outbound,
                _ => return None,
            },
            state: EngagementState::parse(v.get("state")?.as_str()?)?,
            flow_entry_id: text(v, "flow_entry_id").map(EntryId),
            flow_id: id(v, "flow_id"),
            queue_id: id(v, "queue_id"),
            priority: int32(v, "priority").unwrap_or(0),
            agent_ids: match v.get("agent_ids").and_then(Value::as_array) {
                Some(ids) => ids
                    .iter()
                    .map(|i| i.as_str()?.parse().ok())
                    .collect::<Option<_>>()?,
                None => Vec::new(),
            },
            consumer: v.get("consumer").and_then(consumer),
            work_item: v.get("work_item").and_then(work_item),
            variables: variables(v.get("variables")),
            timestamps: Timestamps {
                created_at: when(v, "created_at")?,
                queued_at: when(v, "queued_at"),
                offered_at: when(v, "offered_at"),
                connected_at: when(v, "connected_at"),
                wrap_up_at: when(v, "wrap_up_at"),
                closed_at: when(v, "closed_at"),
            },
        })
    }

    /// Read a JSON array of engagements; `None` if any of them is unreadable.
    pub fn read_list(v: &Value) -> Option<Vec<Engagement>> {
        list(v, Engagement::read)
    }
}

impl Event {
    /// Read one event-log entry as the agent feed and `GET /v1/events` send it.
    pub fn read(v: &Value) -> Option<Event> {
        Some(Event {
            seq: v.get("seq")?.as_i64()?,
            id: id(v, "id")?,
            account_id: id(v, "account_id")?,
            kind: EventKind::parse(v.get("event")?.as_str()?)?,
            engagement_id: id(v, "engagement_id"),
            agent_id: id(v, "agent_id"),
            occurred_at: when(v, "occurred_at")?,
            data: v.get("data")?.clone(),
        })
    }
}

/// Every element of a JSON array read by `read`; `None` if it is not an array or any element
/// is unreadable.
pub(crate) fn list<T>(v: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(read).collect()
}

/// A `#[serde(default)]` array field: absent is empty, present must be readable.
fn list_field<T>(v: &Value, key: &str, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    match v.get(key) {
        None => Some(Vec::new()),
        Some(items) => list(items, read),
    }
}

/// `{"status":"not_ready","reason":"Lunch"}`.
pub(crate) fn status(v: &Value) -> Option<AgentStatus> {
    AgentStatus::from_parts(v.get("status")?.as_str()?, text(v, "reason")).ok()
}

impl Colleague {
    /// Read the agent directory (`GET /v1/agents/directory`).
    pub fn read_list(v: &Value) -> Option<Vec<Colleague>> {
        list(v, |c| {
            Some(Colleague {
                agent_id: id(c, "agent_id")?,
                display_name: text(c, "display_name")?,
                status: status(c.get("status")?)?,
            })
        })
    }
}

impl AgentProfile {
    /// Read the agent as `GET /v1/agents/me`, status changes and the socket's hello send it.
    pub fn read(v: &Value) -> Option<AgentProfile> {
        Some(AgentProfile {
            agent_id: id(v, "agent_id")?,
            display_name: text(v, "display_name")?,
            email: text(v, "email")?,
            role: match v.get("role")?.as_str()? {
                "agent" => Role::Agent,
                "supervisor" => Role::Supervisor,
                "admin" => Role::Admin,
                _ => return None,
            },
            status: status(v.get("status")?)?,
            queues: list_field(v, "queues", |m| {
                Some(QueueMembership {
                    queue_id: id(m, "queue_id")?,
                    opted_in: match m.get("opted_in") {
                        None => true,
                        Some(b) => b.as_bool()?,
                    },
                })
            })?,
        })
    }
}

impl QueueSummary {
    /// Read `GET /v1/queues`.
    pub fn read_list(v: &Value) -> Option<Vec<QueueSummary>> {
        list(v, |q| {
            Some(QueueSummary {
                queue_id: id(q, "queue_id")?,
                name: text(q, "name")?,
                channel: Channel::parse(q.get("channel")?.as_str()?)?,
                disposition_ids: list_field(q, "disposition_ids", |d| d.as_str()?.parse().ok())?,
                launch_open: match q.get("launch_open") {
                    None | Some(Value::Null) => Default::default(),
                    Some(v) => crate::config::LaunchOpen::parse(v.as_str()?)?,
                },
                app_ids: list_field(q, "app_ids", |a| a.as_str()?.parse().ok())?,
            })
        })
    }
}

impl crate::api::ErrorDetail {
    /// Read an error answer (`{"error": {code, message, field?, engagement_id?}}`).
    pub fn read_body(v: &Value) -> Option<crate::api::ErrorDetail> {
        let e = v.get("error")?;
        Some(crate::api::ErrorDetail {
            code: text(e, "code")?,
            message: text(e, "message")?,
            field: text(e, "field"),
            engagement_id: text(e, "engagement_id"),
        })
    }
}

impl FlowSummary {
    /// Read `GET /v1/flows`.
    pub fn read_list(v: &Value) -> Option<Vec<FlowSummary>> {
        list(v, |f| {
            Some(FlowSummary {
                flow_id: id(f, "flow_id")?,
                name: text(f, "name")?,
            })
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::{AccountId, AgentId, EngagementId, EventId, FlowId, QueueId};
    use proptest::prelude::*;
    use serde_json::json;

    pub(crate) fn uuid() -> impl Strategy<Value = uuid::Uuid> {
        any::<u128>().prop_map(uuid::Uuid::from_u128)
    }

    pub(crate) fn moment() -> impl Strategy<Value = OffsetDateTime> {
        // Whole and fractional seconds across 1970–2100, in UTC as the backend writes them.
        (0i64..4_102_444_800, 0u32..1_000_000_000).prop_map(|(s, n)| {
            OffsetDateTime::from_unix_timestamp(s)
                .unwrap()
                .replace_nanosecond(n)
                .unwrap()
        })
    }

    pub(crate) fn words() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[a-zA-Z0-9 <>&\"'é/:.-]{0,12}")
    }

    prop_compose! {
        pub(crate) fn engagement()(
            ids in (uuid(), proptest::option::of(uuid()), proptest::option::of(uuid()),
                    proptest::collection::vec(uuid(), 0..3)),
            channel in proptest::sample::select(Channel::ALL.to_vec()),
            outbound in any::<bool>(),
            state in proptest::sample::select(vec![
                EngagementState::Queued, EngagementState::Offered, EngagementState::Connected,
                EngagementState::Inactive, EngagementState::WrapUp, EngagementState::Closed]),
            texts in (words(), words(), words(), words(), words()),
            priority in any::<i32>(),
            consumer in proptest::option::of((words(), words(), words(), words())),
            work in proptest::option::of((
                "[a-zA-Z0-9 <>]{1,12}", words(), words(), words(),
                proptest::option::of(any::<i32>()), proptest::option::of(moment()),
                words(), words())),
            variables in proptest::collection::btree_map("[a-z_]{1,8}", "[a-zA-Z0-9 ]{0,8}", 0..4),
            times in (moment(), proptest::option::of(moment()), proptest::option::of(moment()),
                      proptest::option::of(moment()), proptest::option::of(moment()),
                      proptest::option::of(moment())),
        ) -> Engagement {
            Engagement {
                engagement_id: EngagementId(ids.0),
                channel,
                channel_source: texts.0,
                direction: if outbound { Direction::Outbound } else { Direction::Inbound },
                state,
                flow_entry_id: texts.1.clone().map(EntryId),
                entry_address: texts.1,
                flow_id: ids.1.map(FlowId),
                queue_id: ids.2.map(QueueId),
                priority,
                agent_ids: ids.3.into_iter().map(AgentId).collect(),
                consumer: consumer.map(|(display_name, email, phone, external_id)| Consumer {
                    display_name, email, phone, external_id,
                }),
                work_item: work.map(|(name, id, description, hyperlink, priority, due_date,
                                      origin, type_id)| WorkItem {
                    name, id, description, hyperlink, priority, due_date, origin, type_id,
                }),
                variables,
                timestamps: Timestamps {
                    created_at: times.0,
                    queued_at: times.1,
                    offered_at: times.2,
                    connected_at: times.3,
                    wrap_up_at: times.4,
                    closed_at: times.5,
                },
            }
        }
    }

    proptest! {
        #[test]
        fn engagements_read_back_exactly_what_serde_writes(e in engagement()) {
            let v = serde_json::to_value(&e).unwrap();
            prop_assert_eq!(Engagement::read(&v), Some(e.clone()));
            let list = serde_json::to_value(vec![e.clone(), e.clone()]).unwrap();
            prop_assert_eq!(Engagement::read_list(&list), Some(vec![e.clone(), e]));
        }

        #[test]
        fn colleagues_read_back_exactly_what_serde_writes(
            people in proptest::collection::vec(
                (uuid(), "[a-zA-Z <>&\"'é]{0,12}", proptest::option::of(words())),
                0..4,
            ),
        ) {
            let list: Vec<Colleague> = people
                .into_iter()
                .map(|(agent, display_name, status)| Colleague {
                    agent_id: AgentId(agent),
                    display_name,
                    status: match status {
                        None => AgentStatus::Offline,
                        Some(None) => AgentStatus::Ready,
                        Some(Some(reason)) => AgentStatus::NotReady { reason },
                    },
                })
                .collect();
            let v = serde_json::to_value(&list).unwrap();
            prop_assert_eq!(Colleague::read_list(&v), Some(list));
        }

        #[test]
        fn agents_queues_and_flows_read_back_exactly_what_serde_writes(
            ids in proptest::collection::vec(uuid(), 4),
            name in "[a-zA-Z <>&\"'é]{0,12}",
            role in proptest::sample::select(vec![Role::Agent, Role::Supervisor, Role::Admin]),
            reason in proptest::option::of(words()),
            opted in proptest::collection::vec(any::<bool>(), 0..3),
            channel in proptest::sample::select(Channel::ALL.to_vec()),
        ) {
            let agent = AgentProfile {
                agent_id: AgentId(ids[0]),
                display_name: name.clone(),
                email: format!("{}@example.test", ids[1]),
                role,
                status: match reason {
                    None => AgentStatus::Offline,
                    Some(None) => AgentStatus::Ready,
                    Some(Some(reason)) => AgentStatus::NotReady { reason },
                },
                queues: opted
                    .iter()
                    .map(|o| QueueMembership { queue_id: QueueId(ids[2]), opted_in: *o })
                    .collect(),
            };
            let v = serde_json::to_value(&agent).unwrap();
            prop_assert_eq!(AgentProfile::read(&v), Some(agent));

            let queues = vec![QueueSummary {
                queue_id: QueueId(ids[2]),
                name: name.clone(),
                channel,
                disposition_ids: opted.iter().map(|_| crate::ids::DispositionId(ids[3])).collect(),
                launch_open: [
                    crate::config::LaunchOpen::Never,
                    crate::config::LaunchOpen::OnRing,
                    crate::config::LaunchOpen::OnConnect,
                ][opted.len() % 3],
                app_ids: opted.iter().map(|_| crate::ids::AppId(ids[1])).collect(),
            }];
            let v = serde_json::to_value(&queues).unwrap();
            prop_assert_eq!(QueueSummary::read_list(&v), Some(queues));

            let flows = vec![FlowSummary { flow_id: FlowId(ids[3]), name }];
            let v = serde_json::to_value(&flows).unwrap();
            prop_assert_eq!(FlowSummary::read_list(&v), Some(flows));
        }

        #[test]
        fn events_read_back_exactly_what_serde_writes(
            seq in any::<i64>(),
            ids in (uuid(), uuid(), proptest::option::of(uuid()), proptest::option::of(uuid())),
            kind in proptest::sample::select(EventKind::ALL.to_vec()),
            occurred_at in moment(),
            e in engagement(),
        ) {
            let event = Event {
                seq,
                id: EventId(ids.0),
                account_id: AccountId(ids.1),
                kind,
                engagement_id: ids.2.map(EngagementId),
                agent_id: ids.3.map(AgentId),
                occurred_at,
                data: json!({ "engagement": e }),
            };
            let v = serde_json::to_value(&event).unwrap();
            prop_assert_eq!(Event::read(&v), Some(event));
        }
    }

    #[test]
    fn defaults_match_serde() {
        // What the backend's full `Agent`/`Queue` documents omit reads as serde's defaults.
        let v = json!({"agent_id": uuid::Uuid::nil(), "display_name": "Ada", "email": "a@x",
                       "role": "agent", "status": {"status": "ready"},
                       "skills": [], "busy_rules": null});
        let agent = AgentProfile::read(&v).unwrap();
        assert!(agent.queues.is_empty());
        assert_eq!(Some(agent), serde_json::from_value(v).ok());
        let v = json!({"agent_id": uuid::Uuid::nil(), "display_name": "Ada", "email": "a@x",
                       "role": "agent", "status": {"status": "ready"},
                       "queues": [{"queue_id": uuid::Uuid::nil()}]});
        let agent = AgentProfile::read(&v).unwrap();
        assert!(agent.queues[0].opted_in);
        assert_eq!(Some(agent), serde_json::from_value(v).ok());
        let v = json!([{"queue_id": uuid::Uuid::nil(), "name": "Q", "channel": "voice",
                        "ring_timeout_secs": 30}]);
        let queues = QueueSummary::read_list(&v).unwrap();
        assert!(queues[0].disposition_ids.is_empty());
        assert_eq!(Some(queues), serde_json::from_value(v).ok());
        for broken in [
            json!({"role": "boss"}),
            json!({"status": {"status": "not_ready"}}),
            json!({"queues": [{"queue_id": "nope"}]}),
        ] {
            let mut v = serde_json::to_value(
                AgentProfile::read(&json!({
                "agent_id": uuid::Uuid::nil(), "display_name": "Ada", "email": "a@x",
                "role": "agent", "status": {"status": "ready"}}))
                .unwrap(),
            )
            .unwrap();
            for (k, x) in broken.as_object().unwrap() {
                v[k] = x.clone();
            }
            assert!(
                serde_json::from_value::<AgentProfile>(v.clone()).is_err(),
                "{v}"
            );
            assert_eq!(AgentProfile::read(&v), None, "{v}");
        }
    }

    #[test]
    fn what_serde_refuses_is_unreadable_here_too() {
        let e = serde_json::to_value(Engagement::default()).unwrap();
        for field in [
            "engagement_id",
            "channel",
            "direction",
            "state",
            "created_at",
        ] {
            let mut broken = e.clone();
            broken.as_object_mut().unwrap().remove(field);
            assert!(serde_json::from_value::<Engagement>(broken.clone()).is_err());
            assert_eq!(Engagement::read(&broken), None, "{field}");
        }
        let mut broken = e.clone();
        broken["state"] = json!("sleeping");
        assert_eq!(Engagement::read(&broken), None);
        broken = e;
        broken["agent_ids"] = json!(["not-a-uuid"]);
        assert_eq!(Engagement::read(&broken), None);
        assert_eq!(Engagement::read_list(&json!({"not": "a list"})), None);
        assert_eq!(Event::read(&json!({"seq": 1})), None);
    }
}
