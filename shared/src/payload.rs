//! What each event carries in `data`: one [`Payload`] per shape, beside [`EventKind`].
//!
//! The server builds a `Payload` for every event it appends (never a loose JSON object), and
//! the log stores its serde form, which is what `GET /v1/events`, the agent feed, webhooks
//! and postMessage forward. The widget reads it back with [`Payload::read`], a plain reader in
//! the manner of [`crate::feed`] (the derived deserializers would cost the widget's size
//! budget); property tests check that it reads exactly what serde writes.

use crate::config::{AgentStatus, Disposition};
use crate::engagement::{
    AuthorKind, Engagement, MessageAttachment, MessageAuthor, MessageReceipt, MessageRecord,
    NoteRecord, Reader, ReceiptStatus, TransferTarget, Variables,
};
use crate::events::EventKind;
use crate::feed::{id, status, text, variables, when};
use crate::ids::{AgentId, DispositionId, QueueId, SkillId, WebhookId};
use crate::interactions::{Recording, Transcript};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event's `data`. (Written with serde; read with [`Payload::read`], which knows the kind.)
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
// One payload lives per event, built and written (or read and applied) at once: boxing the
// engagement would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Payload {
    /// Every `engagement.*` and `recording.*` event: the engagement as it is after the change,
    /// and what the event adds to it.
    Engagement {
        engagement: Engagement,
        #[serde(flatten)]
        detail: Detail,
    },
    /// `agent.status_changed`. `cause`: `agent` (the agent or their host page),
    /// `missed_offers` (the server, after missed offers in a row).
    AgentStatus {
        agent_id: AgentId,
        status: AgentStatus,
        cause: String,
    },
    /// `agent.logged_in` / `agent.logged_out` (`reason` on logout: `logout`, `revoked`, …).
    Session {
        agent_id: AgentId,
        session_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// `agent.device_changed`: the widget instance that rings now (`None`: none).
    Device {
        agent_id: AgentId,
        device_id: Option<String>,
    },
    /// `config.changed`: who changed which object, and the documents before and after.
    ConfigChanged {
        actor: Actor,
        object: String,
        object_id: String,
        /// `created`, `updated`, `deleted`, or an action such as `secret_rotated`.
        action: String,
        changed_fields: Vec<String>,
        before: Option<Value>,
        after: Option<Value>,
    },
    /// `webhook.endpoint_disabled`.
    WebhookDisabled {
        webhook_id: WebhookId,
        url: String,
        reason: String,
    },
}

/// What an engagement event adds to the engagement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// `engagement.offered`: the queue's launch URL for this engagement, and when the ring
    /// ends (milliseconds since the epoch, by the server's clock).
    Offered {
        launch_url: Option<String>,
        expires_at_ms: i64,
    },
    /// `engagement.note_added`; `author` is `null` for notes added by an API client.
    Note {
        note: NoteRecord,
        author: Option<Author>,
    },
    /// `engagement.disposition_added`.
    Disposition { disposition: Disposition },
    /// `engagement.variables_updated`: the variables changed (not all of them).
    Variables { variables: Variables },
    /// `engagement.transferred`.
    Transferred {
        target: TransferTarget,
        from_agent_id: Option<AgentId>,
    },
    /// `engagement.overflowed`.
    Overflowed(Overflow),
    /// `engagement.monitor_started`.
    Monitoring {
        supervisor_id: Option<AgentId>,
        mode: MonitorMode,
    },
    /// `engagement.offer_declined` when the decline sent it back to the queue.
    Declined { declined_by: AgentId },
    /// `engagement.closed` (`completed`, `cancelled`, `wrap_up_timeout`) and
    /// `engagement.offer_rescinded` (`accepted_elsewhere`, `cancelled`, `agent_unavailable`).
    Reason { reason: String },
    /// `recording.completed`.
    Recording { recording: Recording },
    /// `recording.transcript_completed`, `engagement.messaging_transcript_completed`.
    Transcript { transcript: Transcript },
    /// `engagement.message_added`.
    Message { message: MessageRecord },
    /// `engagement.message_receipt`.
    Receipt { receipt: MessageReceipt },
    /// `engagement.survey_completed`.
    Survey {
        survey: crate::survey::SurveyResponse,
    },
    /// Events whose engagement says it all.
    Plain {},
}

/// Who wrote a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub agent_id: AgentId,
    pub display_name: String,
    pub email: String,
}

/// What overflow did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Overflow {
    /// Moved to another queue.
    ToQueue {
        from_queue_id: QueueId,
        queue_id: QueueId,
    },
    /// Dropped these required skills (all of them when empty).
    RelaxSkills { skill_ids: Vec<SkillId> },
    /// Nothing could be done (`reason` says why).
    None { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorMode {
    Monitor,
    Barge,
}

/// Who made a configuration change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    Agent {
        agent_id: AgentId,
        role: crate::config::Role,
        display_name: Option<String>,
        email: Option<String>,
    },
    ApiClient {
        client_id: String,
    },
}

impl Payload {
    /// An engagement event's payload.
    pub fn engagement(engagement: Engagement, detail: Detail) -> Payload {
        Payload::Engagement { engagement, detail }
    }

    /// The engagement this payload carries, if it carries one.
    pub fn engagement_ref(&self) -> Option<&Engagement> {
        match self {
            Payload::Engagement { engagement, .. } => Some(engagement),
            _ => None,
        }
    }

    /// Read the `data` of an event of `kind` as the server writes it. Unreadable data (a
    /// newer server's shape, a corrupt value) is `None`.
    pub fn read(kind: EventKind, data: &Value) -> Option<Payload> {
        use EventKind as K;
        Some(match kind {
            K::ConfigChanged => Payload::ConfigChanged {
                actor: read_actor(data.get("actor")?)?,
                object: text(data, "object")?,
                object_id: text(data, "object_id")?,
                action: text(data, "action")?,
                changed_fields: crate::feed::list(data.get("changed_fields")?, |f| {
                    Some(f.as_str()?.to_string())
                })?,
                before: data.get("before").filter(|v| !v.is_null()).cloned(),
                after: data.get("after").filter(|v| !v.is_null()).cloned(),
            },
            K::WebhookEndpointDisabled => Payload::WebhookDisabled {
                webhook_id: id(data, "webhook_id")?,
                url: text(data, "url")?,
                reason: text(data, "reason")?,
            },
            K::RecordingTranscriptCompleted | K::EngagementMessagingTranscriptCompleted => {
                let t = data.get("transcript")?;
                Payload::Engagement {
                    engagement: Engagement::read(data.get("engagement")?)?,
                    detail: Detail::Transcript {
                        transcript: Transcript {
                            engagement_id: id(t, "engagement_id")?,
                            channel: crate::Channel::parse(t.get("channel")?.as_str()?)?,
                            content_type: text(t, "content_type")?,
                            size_bytes: t.get("size_bytes")?.as_i64()?,
                            completed_at: when(t, "completed_at")?,
                            transcript_url: text(t, "transcript_url")?,
                        },
                    },
                }
            }
            // Never in an agent's feed, so the widget needs no reader of its own: serde's.
            K::EngagementSurveyCompleted => Payload::Engagement {
                engagement: Engagement::read(data.get("engagement")?)?,
                detail: Detail::Survey {
                    survey: serde_json::from_value(data.get("survey")?.clone()).ok()?,
                },
            },
            kind => return Payload::read_feed(kind, data),
        })
    }

    /// [`Payload::read`] for the events an agent's feed carries: engagement changes, status
    /// sessions and recordings (`None` for the others: configuration, webhook and transcript
    /// events name no agent, so no feed receives them). The widget uses this one, so the readers of
    /// payloads it never sees stay out of its size budget.
    pub fn read_feed(kind: EventKind, data: &Value) -> Option<Payload> {
        use EventKind as K;
        Some(match kind {
            K::AgentStatusChanged => Payload::AgentStatus {
                agent_id: id(data, "agent_id")?,
                status: status(data.get("status")?)?,
                cause: text(data, "cause")?,
            },
            K::AgentDeviceChanged => Payload::Device {
                agent_id: id(data, "agent_id")?,
                device_id: match data.get("device_id")? {
                    Value::Null => None,
                    v => Some(v.as_str()?.to_string()),
                },
            },
            K::AgentLoggedIn | K::AgentLoggedOut => Payload::Session {
                agent_id: id(data, "agent_id")?,
                session_id: text(data, "session_id"),
                reason: text(data, "reason"),
            },
            K::ConfigChanged
            | K::WebhookEndpointDisabled
            | K::RecordingTranscriptCompleted
            | K::EngagementMessagingTranscriptCompleted
            | K::EngagementSurveyCompleted => return None,
            kind => Payload::Engagement {
                engagement: Engagement::read(data.get("engagement")?)?,
                detail: read_detail(kind, data)?,
            },
        })
    }
}

fn read_detail(kind: EventKind, data: &Value) -> Option<Detail> {
    use EventKind as K;
    Some(match kind {
        K::EngagementOffered => Detail::Offered {
            launch_url: text(data, "launch_url"),
            expires_at_ms: data.get("expires_at_ms")?.as_i64()?,
        },
        K::EngagementMessageAdded => {
            let m = data.get("message")?;
            let a = m.get("author")?;
            Detail::Message {
                message: MessageRecord {
                    message_id: id(m, "message_id")?,
                    engagement_id: id(m, "engagement_id")?,
                    author: MessageAuthor {
                        kind: match a.get("kind")?.as_str()? {
                            "consumer" => AuthorKind::Consumer,
                            "agent" => AuthorKind::Agent,
                            "supervisor" => AuthorKind::Supervisor,
                            _ => return None,
                        },
                        agent_id: id(a, "agent_id"),
                        display_name: text(a, "display_name")?,
                    },
                    body: text(m, "body")?,
                    created_at: when(m, "created_at")?,
                    attachment: match m.get("attachment") {
                        None | Some(Value::Null) => None,
                        Some(f) => Some(MessageAttachment {
                            file_name: text(f, "file_name")?,
                            content_type: text(f, "content_type")?,
                            size_bytes: f.get("size_bytes")?.as_u64()?,
                        }),
                    },
                },
            }
        }
        K::EngagementMessageReceipt => {
            let r = data.get("receipt")?;
            Detail::Receipt {
                receipt: MessageReceipt {
                    reader: match r.get("reader")?.as_str()? {
                        "consumer" => Reader::Consumer,
                        "agent" => Reader::Agent,
                        _ => return None,
                    },
                    status: match r.get("status")?.as_str()? {
                        "delivered" => ReceiptStatus::Delivered,
                        "read" => ReceiptStatus::Read,
                        _ => return None,
                    },
                    up_to: id(r, "up_to")?,
                },
            }
        }
        K::EngagementNoteAdded => {
            let note = data.get("note")?;
            Detail::Note {
                note: NoteRecord {
                    note_id: id(note, "note_id")?,
                    engagement_id: id(note, "engagement_id")?,
                    agent_id: id(note, "agent_id"),
                    body: text(note, "body")?,
                    created_at_ms: note.get("created_at_ms")?.as_i64()?,
                },
                author: match data.get("author") {
                    Some(a) if !a.is_null() => Some(Author {
                        agent_id: id(a, "agent_id")?,
                        display_name: text(a, "display_name")?,
                        email: text(a, "email")?,
                    }),
                    _ => None,
                },
            }
        }
        K::EngagementDispositionAdded => {
            let d = data.get("disposition")?;
            Detail::Disposition {
                disposition: Disposition {
                    disposition_id: id::<DispositionId>(d, "disposition_id")?,
                    name: text(d, "name")?,
                    code: text(d, "code"),
                },
            }
        }
        K::EngagementVariablesUpdated => Detail::Variables {
            variables: variables(data.get("variables")),
        },
        K::EngagementTransferred => {
            let t = data.get("target")?;
            Detail::Transferred {
                target: match t.get("to")?.as_str()? {
                    "queue" => TransferTarget::Queue {
                        queue_id: id(t, "queue_id")?,
                    },
                    "flow" => TransferTarget::Flow {
                        flow_id: id(t, "flow_id")?,
                    },
                    "agent" => TransferTarget::Agent {
                        agent_id: id(t, "agent_id")?,
                    },
                    _ => return None,
                },
                from_agent_id: id(data, "from_agent_id"),
            }
        }
        K::EngagementOverflowed => Detail::Overflowed(match data.get("action")?.as_str()? {
            "to_queue" => Overflow::ToQueue {
                from_queue_id: id(data, "from_queue_id")?,
                queue_id: id(data, "queue_id")?,
            },
            "relax_skills" => Overflow::RelaxSkills {
                skill_ids: crate::feed::list(data.get("skill_ids")?, |s| s.as_str()?.parse().ok())?,
            },
            "none" => Overflow::None {
                reason: text(data, "reason")?,
            },
            _ => return None,
        }),
        K::EngagementMonitorStarted => Detail::Monitoring {
            supervisor_id: id(data, "supervisor_id"),
            mode: match data.get("mode")?.as_str()? {
                "monitor" => MonitorMode::Monitor,
                "barge" => MonitorMode::Barge,
                _ => return None,
            },
        },
        K::RecordingCompleted => Detail::Recording {
            recording: read_recording(data.get("recording")?)?,
        },
        K::EngagementOfferDeclined if data.get("declined_by").is_some() => Detail::Declined {
            declined_by: id(data, "declined_by")?,
        },
        K::EngagementClosed | K::EngagementOfferRescinded if data.get("reason").is_some() => {
            Detail::Reason {
                reason: text(data, "reason")?,
            }
        }
        _ => Detail::Plain {},
    })
}

fn read_recording(r: &Value) -> Option<Recording> {
    Some(Recording {
        recording_id: id(r, "recording_id")?,
        engagement_id: id(r, "engagement_id")?,
        agent_id: id(r, "agent_id"),
        channel: crate::Channel::parse(r.get("channel")?.as_str()?)?,
        content_type: text(r, "content_type")?,
        size_bytes: r.get("size_bytes")?.as_i64()?,
        recording_start_time: when(r, "recording_start_time")?,
        recording_end_time: when(r, "recording_end_time")?,
        recording_duration: r.get("recording_duration")?.as_i64()?,
        download_url: text(r, "download_url")?,
        transcript_url: text(r, "transcript_url"),
    })
}

fn read_actor(a: &Value) -> Option<Actor> {
    Some(match a.get("type")?.as_str()? {
        "agent" => Actor::Agent {
            agent_id: id(a, "agent_id")?,
            role: match a.get("role")?.as_str()? {
                "agent" => crate::config::Role::Agent,
                "supervisor" => crate::config::Role::Supervisor,
                "admin" => crate::config::Role::Admin,
                _ => return None,
            },
            display_name: text(a, "display_name"),
            email: text(a, "email"),
        },
        "api_client" => Actor::ApiClient {
            client_id: text(a, "client_id")?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tests::{engagement, moment, uuid, words};
    use crate::ids::{EngagementId, FlowId, NoteId};
    use proptest::prelude::*;

    fn detail() -> impl Strategy<Value = Detail> {
        let text = "[a-zA-Z <>&\"'é]{0,12}";
        prop_oneof![
            (proptest::option::of(text), any::<i64>()).prop_map(|(launch_url, expires_at_ms)| {
                Detail::Offered {
                    launch_url,
                    expires_at_ms,
                }
            }),
            (
                uuid(),
                uuid(),
                proptest::option::of(uuid()),
                text,
                any::<i64>(),
                any::<bool>()
            )
                .prop_map(|(n, e, a, body, at, authored)| Detail::Note {
                    note: NoteRecord {
                        note_id: NoteId(n),
                        engagement_id: EngagementId(e),
                        agent_id: a.map(AgentId),
                        body: body.clone(),
                        created_at_ms: at,
                    },
                    author: authored.then(|| Author {
                        agent_id: AgentId(n),
                        display_name: body,
                        email: "a@example.test".into(),
                    }),
                }),
            (uuid(), text, words()).prop_map(|(d, name, code)| Detail::Disposition {
                disposition: Disposition {
                    disposition_id: DispositionId(d),
                    name,
                    code,
                },
            }),
            proptest::collection::btree_map("[a-z_]{1,8}", text, 0..3)
                .prop_map(|variables| Detail::Variables { variables }),
            (uuid(), 0..3u8, proptest::option::of(uuid())).prop_map(|(t, to, from)| {
                Detail::Transferred {
                    target: match to {
                        0 => TransferTarget::Queue {
                            queue_id: QueueId(t),
                        },
                        1 => TransferTarget::Flow { flow_id: FlowId(t) },
                        _ => TransferTarget::Agent {
                            agent_id: AgentId(t),
                        },
                    },
                    from_agent_id: from.map(AgentId),
                }
            }),
            (uuid(), uuid(), 0..3u8, text).prop_map(|(a, b, how, reason)| {
                Detail::Overflowed(match how {
                    0 => Overflow::ToQueue {
                        from_queue_id: QueueId(a),
                        queue_id: QueueId(b),
                    },
                    1 => Overflow::RelaxSkills {
                        skill_ids: vec![SkillId(a), SkillId(b)],
                    },
                    _ => Overflow::None { reason },
                })
            }),
            (proptest::option::of(uuid()), any::<bool>()).prop_map(|(s, barge)| {
                Detail::Monitoring {
                    supervisor_id: s.map(AgentId),
                    mode: if barge {
                        MonitorMode::Barge
                    } else {
                        MonitorMode::Monitor
                    },
                }
            }),
            uuid().prop_map(|a| Detail::Declined {
                declined_by: AgentId(a)
            }),
            text.prop_map(|reason| Detail::Reason { reason }),
            (
                uuid(),
                uuid(),
                proptest::option::of(uuid()),
                0..3u8,
                text,
                moment(),
                proptest::option::of((text, 1..20_000_000u64))
            )
                .prop_map(|(m, e, agent, kind, body, at, file)| Detail::Message {
                    message: MessageRecord {
                        message_id: crate::ids::MessageId(m),
                        engagement_id: EngagementId(e),
                        author: MessageAuthor {
                            kind: [
                                AuthorKind::Consumer,
                                AuthorKind::Agent,
                                AuthorKind::Supervisor
                            ][kind as usize],
                            agent_id: agent.map(AgentId),
                            display_name: body.clone(),
                        },
                        body,
                        created_at: at,
                        attachment: file.map(|(file_name, size_bytes)| MessageAttachment {
                            file_name,
                            content_type: "application/pdf".into(),
                            size_bytes,
                        }),
                    },
                }),
            (uuid(), any::<bool>(), any::<bool>()).prop_map(|(m, agent, read)| Detail::Receipt {
                receipt: MessageReceipt {
                    reader: if agent {
                        Reader::Agent
                    } else {
                        Reader::Consumer
                    },
                    status: if read {
                        ReceiptStatus::Read
                    } else {
                        ReceiptStatus::Delivered
                    },
                    up_to: crate::ids::MessageId(m),
                },
            }),
            (uuid(), uuid(), moment(), any::<u32>(), words()).prop_map(
                |(r, e, at, size, transcript_url)| Detail::Recording {
                    recording: Recording {
                        recording_id: r,
                        engagement_id: EngagementId(e),
                        agent_id: None,
                        channel: crate::Channel::Voice,
                        content_type: "audio/mpeg".into(),
                        size_bytes: i64::from(size),
                        recording_start_time: at,
                        recording_end_time: at,
                        recording_duration: 61,
                        download_url: format!("https://cc.example/{r}"),
                        transcript_url,
                    },
                }
            ),
            (uuid(), moment()).prop_map(|(e, at)| Detail::Transcript {
                transcript: Transcript {
                    engagement_id: EngagementId(e),
                    channel: crate::Channel::Chat,
                    content_type: "text/plain".into(),
                    size_bytes: 3,
                    completed_at: at,
                    transcript_url: "https://cc.example/t".into(),
                },
            }),
            (uuid(), moment(), 1u8..=5, words()).prop_map(|(e, at, rating, comment)| {
                Detail::Survey {
                    survey: crate::survey::SurveyResponse {
                        engagement_id: EngagementId(e),
                        entry_id: crate::ids::EntryId("web-chat".into()),
                        channel: crate::Channel::Chat,
                        queue_id: None,
                        agent_id: Some(AgentId(e)),
                        scale: crate::survey::SurveyScale::FivePoint,
                        question: "How did we do?".into(),
                        rating,
                        comment,
                        answered_at: at,
                    },
                }
            }),
            Just(Detail::Plain {}),
        ]
    }

    /// The kind an engagement detail travels under.
    fn kind_of(detail: &Detail) -> EventKind {
        match detail {
            Detail::Offered { .. } => EventKind::EngagementOffered,
            Detail::Note { .. } => EventKind::EngagementNoteAdded,
            Detail::Disposition { .. } => EventKind::EngagementDispositionAdded,
            Detail::Variables { .. } => EventKind::EngagementVariablesUpdated,
            Detail::Transferred { .. } => EventKind::EngagementTransferred,
            Detail::Overflowed(_) => EventKind::EngagementOverflowed,
            Detail::Monitoring { .. } => EventKind::EngagementMonitorStarted,
            Detail::Declined { .. } => EventKind::EngagementOfferDeclined,
            Detail::Reason { .. } => EventKind::EngagementClosed,
            Detail::Recording { .. } => EventKind::RecordingCompleted,
            Detail::Transcript { .. } => EventKind::RecordingTranscriptCompleted,
            Detail::Message { .. } => EventKind::EngagementMessageAdded,
            Detail::Receipt { .. } => EventKind::EngagementMessageReceipt,
            Detail::Survey { .. } => EventKind::EngagementSurveyCompleted,
            Detail::Plain {} => EventKind::EngagementConnected,
        }
    }

    proptest! {
        #[test]
        fn engagement_payloads_read_back_exactly_what_serde_writes(
            e in engagement(),
            detail in detail(),
        ) {
            let kind = kind_of(&detail);
            let payload = Payload::engagement(e, detail);
            let v = serde_json::to_value(&payload).unwrap();
            prop_assert_eq!(Payload::read(kind, &v), Some(payload));
        }

        #[test]
        fn agent_session_and_config_payloads_read_back(
            a in uuid(),
            reason in words(),
            session in words(),
            role in proptest::sample::select(vec![crate::config::Role::Agent, crate::config::Role::Admin]),
        ) {
            let status = Payload::AgentStatus {
                agent_id: AgentId(a),
                status: match reason.clone() {
                    Some(reason) => AgentStatus::NotReady { reason },
                    None => AgentStatus::Ready,
                },
                cause: "agent".into(),
            };
            let v = serde_json::to_value(&status).unwrap();
            prop_assert_eq!(Payload::read(EventKind::AgentStatusChanged, &v), Some(status));

            let device = Payload::Device { agent_id: AgentId(a), device_id: session.clone() };
            let v = serde_json::to_value(&device).unwrap();
            prop_assert_eq!(Payload::read_feed(EventKind::AgentDeviceChanged, &v), Some(device));

            let session = Payload::Session { agent_id: AgentId(a), session_id: session, reason };
            let v = serde_json::to_value(&session).unwrap();
            prop_assert_eq!(Payload::read(EventKind::AgentLoggedOut, &v), Some(session));

            let change = Payload::ConfigChanged {
                actor: Actor::Agent { agent_id: AgentId(a), role, display_name: Some("Ada".into()), email: None },
                object: "queue".into(),
                object_id: a.to_string(),
                action: "updated".into(),
                changed_fields: vec!["name".into()],
                before: Some(serde_json::json!({"name": "A"})),
                after: Some(serde_json::json!({"name": "B"})),
            };
            let v = serde_json::to_value(&change).unwrap();
            prop_assert_eq!(Payload::read(EventKind::ConfigChanged, &v), Some(change));
        }
    }

    #[test]
    fn the_wire_shapes_are_the_documented_ones() {
        use proptest::strategy::ValueTree;
        let e = engagement()
            .new_tree(&mut proptest::test_runner::TestRunner::default())
            .unwrap()
            .current();
        let offered = serde_json::to_value(Payload::engagement(
            e.clone(),
            Detail::Offered {
                launch_url: None,
                expires_at_ms: 5,
            },
        ))
        .unwrap();
        assert_eq!(offered["launch_url"], Value::Null);
        assert_eq!(offered["expires_at_ms"], 5);
        assert!(offered["engagement"].is_object());
        let plain = serde_json::to_value(Payload::engagement(e.clone(), Detail::Plain {})).unwrap();
        assert_eq!(plain.as_object().unwrap().len(), 1, "{plain}");
        let overflow = serde_json::to_value(Payload::engagement(
            e,
            Detail::Overflowed(Overflow::None {
                reason: "gone".into(),
            }),
        ))
        .unwrap();
        assert_eq!(overflow["action"], "none");
        assert_eq!(overflow["reason"], "gone");
        let client = serde_json::to_value(Actor::ApiClient {
            client_id: "crm".into(),
        })
        .unwrap();
        assert_eq!(
            client,
            serde_json::json!({"type": "api_client", "client_id": "crm"})
        );
    }
}
