//! The native dialect (`/widget/`): every message an [`Envelope`]. Messages that mirror the
//! event log carry the event's `id` and `seq`, so a host can dedupe them against webhooks and
//! polling.

use super::{api_failed, audio_gate, command, dial, not_signed_in, obj, post, Failure};
use crate::browser::now_ms;
use crate::client;
use crate::model::{Change, Item};
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use shared::api::DialRequest;
use shared::events::{Event, EventKind};
use shared::ids::EngagementId;
use shared::post_message::{self as pm, zcc::Record, Envelope, HostRequest, ProtocolError};
use shared::Engagement;

// The host-record features of the zcc dialect have no native counterpart: a native host pops
// its own records from `engagement.ringing` and dials with `click_to_dial`.

/// Host records matching an engagement's caller (zcc only; never filled here).
#[derive(Clone, Copy)]
pub struct Matches(pub RwSignal<Vec<(EngagementId, Vec<Record>)>>);

pub fn matches() -> Option<Matches> {
    None
}

pub fn contact_results() -> RwSignal<Vec<Record>> {
    RwSignal::new(Vec::new())
}

pub fn search_contacts(_key: &str) -> bool {
    false
}

pub fn pick(_id: EngagementId, _record: Record) {}

/// The name of the host record matched to an engagement: native hosts pop their own records.
pub fn host_name(_id: EngagementId) -> Option<String> {
    None
}

pub(super) fn remember_record(_id: EngagementId, _record: Record) {}

/// What this dialect remembers while linked to its host.
pub(super) struct HostState {
    /// The last id given to a message that mirrors no event.
    next_id: u64,
}

impl HostState {
    pub(super) fn new() -> HostState {
        HostState { next_id: 0 }
    }
}

/// A native message; `event` gives it the mirrored log entry's id, seq and engagement.
fn send(kind: &str, data: Value, event: Option<&Event>, request_id: Option<String>) {
    let id = match event {
        Some(e) => e.id.to_string(),
        None => {
            let n = super::with_host(|h| {
                h.next_id += 1;
                h.next_id
            })
            .unwrap_or_default();
            format!("w{}-{n}", now_ms() as i64)
        }
    };
    let mut envelope = Envelope::new(kind, id, now_ms() as i64, data);
    envelope.seq = event.map(|e| e.seq);
    envelope.engagement_id = event.and_then(|e| e.engagement_id);
    envelope.request_id = request_id;
    if let Ok(v) = serde_json::to_value(&envelope) {
        post(&v);
    }
}

fn error_data(code: String, message: String) -> Value {
    obj(&mut [("code", code.into()), ("message", message.into())])
}

fn reply(request_id: Option<String>, result: Result<Value, Failure>) {
    match (result, request_id.is_some()) {
        (Ok(v), _) => send(
            pm::widget::REPLY,
            obj(&mut [("ok", true.into()), ("result", v)]),
            None,
            request_id,
        ),
        (Err((code, message)), true) => send(
            pm::widget::REPLY,
            obj(&mut [("ok", false.into()), ("error", error_data(code, message))]),
            None,
            request_id,
        ),
        (Err((code, message)), false) => {
            send(pm::widget::ERROR, error_data(code, message), None, None)
        }
    }
}

pub(super) fn announce(session: Session) {
    send(
        pm::widget::READY,
        obj(&mut [
            ("protocol", "native".into()),
            ("version", pm::VERSION.into()),
            ("widgetVersion", env!("CARGO_PKG_VERSION").into()),
            ("authenticated", session.signed_in().into()),
        ]),
        None,
        None,
    );
}

pub(super) fn logged_in(s: &Session) {
    let agent = s.model.with_untracked(|m| m.agent.clone());
    send(
        pm::widget::AGENT_LOGGED_IN,
        json!({ "agent": agent }),
        None,
        None,
    );
}

pub(super) fn logged_out() {
    send(pm::widget::AGENT_LOGGED_OUT, obj(&mut []), None, None);
}

pub(super) fn resized(width: i64, height: i64) {
    send(
        pm::widget::RESIZED,
        obj(&mut [("width", width.into()), ("height", height.into())]),
        None,
        None,
    );
}

fn closed_data(item: &Item) -> Value {
    let (name, code) = item.disposition.clone().unzip();
    json!({
        "engagement": item.engagement,
        "durationSecs": item.duration_secs(),
        "notes": item.notes,
        "disposition": name,
        "dispositionCode": code.flatten(),
    })
}

pub(super) fn publish(event: &Event, change: &Change) {
    let item = match change {
        Change::Status(status) => {
            send(
                pm::widget::AGENT_STATUS_CHANGED,
                json!({ "status": status }),
                Some(event),
                None,
            );
            return;
        }
        Change::Device(_) => {
            send(
                pm::widget::ACTIVE_CHANGED,
                obj(&mut [(
                    "active",
                    super::session().is_some_and(|s| s.is_active()).into(),
                )]),
                Some(event),
                None,
            );
            return;
        }
        Change::Recording { item, url } => {
            send(
                pm::widget::RECORDING_READY,
                json!({ "engagement": item.engagement, "recordingUrl": url }),
                Some(event),
                None,
            );
            return;
        }
        Change::Engagement { item, .. } => item,
    };
    let e = &item.engagement;
    let kind = match event.kind {
        EventKind::EngagementOffered => {
            send(
                pm::widget::ENGAGEMENT_RINGING,
                json!({ "engagement": e, "launchUrl": item.launch_url }),
                Some(event),
                None,
            );
            if let Some(url) = &item.launch_url {
                send(
                    pm::widget::SCREEN_POP,
                    json!({ "url": url, "variables": e.variables }),
                    Some(event),
                    None,
                );
            }
            return;
        }
        EventKind::EngagementClosed => {
            send(
                pm::widget::ENGAGEMENT_CLOSED,
                closed_data(item),
                Some(event),
                None,
            );
            return;
        }
        EventKind::EngagementOfferDeclined
        | EventKind::EngagementOfferTimedOut
        | EventKind::EngagementOfferRescinded => {
            let (reason, _) = pm::not_connected_reason(event.kind);
            send(
                pm::widget::ENGAGEMENT_NOT_CONNECTED,
                json!({ "engagement": e, "reason": reason }),
                Some(event),
                None,
            );
            return;
        }
        EventKind::EngagementConnected => pm::widget::ENGAGEMENT_CONNECTED,
        EventKind::EngagementInactive => pm::widget::ENGAGEMENT_INACTIVE,
        EventKind::EngagementResumed => pm::widget::ENGAGEMENT_RESUMED,
        EventKind::EngagementTransferred => pm::widget::ENGAGEMENT_TRANSFERRED,
        EventKind::EngagementWrapUpStarted => pm::widget::ENGAGEMENT_WRAP_UP_STARTED,
        EventKind::EngagementNoteAdded => pm::widget::ENGAGEMENT_NOTE_ADDED,
        EventKind::EngagementDispositionAdded => pm::widget::ENGAGEMENT_DISPOSITION_ADDED,
        EventKind::EngagementMessageAdded => {
            if event.data["message"]["author"]["kind"] == "consumer" {
                pm::widget::ENGAGEMENT_MESSAGE_RECEIVED
            } else {
                pm::widget::ENGAGEMENT_MESSAGE_SENT
            }
        }
        _ => return,
    };
    let mut data = event.data.clone();
    if let Some(obj) = data.as_object_mut() {
        obj.insert(
            "engagement".into(),
            serde_json::to_value(e).unwrap_or_default(),
        );
    }
    send(kind, data, Some(event), None);
}

/// `engagement.ringing` again, for an offer that rang while another instance was active (not
/// a log event of its own: `seq` null).
pub(super) fn ringing_again(item: &Item) {
    send(
        pm::widget::ENGAGEMENT_RINGING,
        json!({ "engagement": item.engagement, "launchUrl": item.launch_url }),
        None,
        None,
    );
}

fn snapshot(s: &Session) -> Value {
    s.model.with_untracked(|m| {
        let engagements: Vec<&Engagement> = m.active.iter().map(|i| &i.engagement).collect();
        json!({
            "authenticated": s.signed_in(),
            "online": s.online.get_untracked(),
            "agent": m.agent,
            "engagements": engagements,
        })
    })
}

pub(super) fn handle(s: Session, value: Value) {
    let request_id = value
        .get("requestId")
        .and_then(|r| r.as_str())
        .map(str::to_string);
    let request = match HostRequest::parse(&value) {
        // Host pages carry other libraries' messages too: not ours, not answered.
        Err(ProtocolError::NotSwitchboard) => return,
        Err(err) => return reply(request_id, Err((err.code().into(), err.to_string()))),
        Ok((_, r)) => r,
    };
    spawn_local(async move {
        let done = |r: Result<(), Failure>| r.map(|()| obj(&mut []));
        let outcome: Result<Value, Failure> = match request {
            HostRequest::SnapshotRequest => Ok(snapshot(&s)),
            HostRequest::AuthToken { token } => match s.exchange(token).await {
                Ok(()) => Ok(snapshot(&s)),
                Err(e) => Err(api_failed(e)),
            },
            _ if !s.signed_in() => Err(not_signed_in()),
            HostRequest::ClickToDial {
                phone,
                name,
                record_id,
            } => dial(
                s,
                DialRequest {
                    phone,
                    display_name: name,
                    external_id: record_id,
                },
            )
            .await
            .map(|e| json!({ "engagement": e })),
            HostRequest::SetStatus { status } => match audio_gate(&status) {
                Err(e) => Err(e),
                Ok(()) => s
                    .set_status(status)
                    .await
                    .map(|()| json!({ "agent": s.model.with_untracked(|m| m.agent.clone()) }))
                    .map_err(api_failed),
            },
            HostRequest::AddNote {
                engagement_id,
                text,
            } => s
                .add_note(engagement_id, text)
                .await
                .map(|_| obj(&mut []))
                .map_err(api_failed),
            HostRequest::SetVariables {
                engagement_id,
                variables,
            } => s
                .call(client::set_variables(
                    engagement_id,
                    serde_json::to_value(variables).unwrap_or_default(),
                ))
                .await
                .map(|_| obj(&mut []))
                .map_err(api_failed),
            HostRequest::EndEngagement { engagement_id } => {
                done(command(s, engagement_id, client::act(engagement_id, "end")).await)
            }
            HostRequest::CloseEngagement { engagement_id } => {
                done(command(s, engagement_id, client::act(engagement_id, "close")).await)
            }
            HostRequest::SetDisposition {
                engagement_id,
                disposition,
            } => done(super::set_disposition(s, engagement_id, &disposition).await),
            HostRequest::OpenEngagement { engagement_id } => {
                if s.model.with_untracked(|m| m.find(engagement_id).is_some()) {
                    s.selected.set(Some(engagement_id));
                    Ok(obj(&mut []))
                } else {
                    Err((
                        "not_found".into(),
                        "This agent has no such engagement.".into(),
                    ))
                }
            }
        };
        reply(request_id, outcome);
    });
}
