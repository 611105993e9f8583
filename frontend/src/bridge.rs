//! The bridge to the host page, in both dialects.
//!
//! Out: `postMessage` to `window.parent` with the validated host origin as the explicit target
//! origin (never `"*"`). In: a `message` listener that accepts only that origin *and* the parent
//! window; anything else is ignored without a reply. Native messages that mirror the event log
//! carry the event's `id` and `seq`, so a host can dedupe them against webhooks and polling.

use crate::model::{Change, Item};
use crate::session::{now_ms, Session};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use shared::api::DialRequest;
use shared::events::{Event, EventKind};
use shared::ids::EngagementId;
use shared::post_message::{self as pm, zcc, Dialect, Envelope, HostRequest, ProtocolError};
use shared::{Direction, Engagement};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

struct Link {
    origin: String,
    dialect: Dialect,
    parent: web_sys::Window,
    session: Session,
    next_id: u64,
    /// zcc: when the host wants its screen pop (`zcc-init-config-response`).
    pop_on: zcc::ScreenPopEvent,
    /// zcc: the engagement the last `zcc-incomingPhone-request` asked about.
    pending_lookup: Option<EngagementId>,
    /// zcc: the host record of each engagement (picked match, or the click-to-dial record),
    /// echoed as `user` in `zcc-phone-call-log`.
    records: HashMap<EngagementId, zcc::Record>,
    /// zcc: the search key of the `zcc-contact-search-event` awaiting its response.
    pending_search: Option<String>,
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// Host records matching an engagement's caller, for the agent to pick from (zcc dialect).
#[derive(Clone, Copy)]
pub struct Matches(pub RwSignal<Vec<(EngagementId, Vec<zcc::Record>)>>);

thread_local! {
    /// The host's answer to the agent's last contact search (zcc dialect), shown by the dialer.
    static CONTACTS: RwSignal<Vec<zcc::Record>> = RwSignal::new(Vec::new());
}

pub fn contact_results() -> RwSignal<Vec<zcc::Record>> {
    CONTACTS.with(|c| *c)
}

/// Ask the host for contacts matching `key` (`zcc-contact-search-event {searchKey}`); the
/// answer fills [`contact_results`]. `false` where the host speaks no contact search (the
/// native dialect, standalone).
pub fn search_contacts(key: &str) -> bool {
    if dialect() != Some(Dialect::Zcc) {
        return false;
    }
    LINK.with(|l| {
        if let Some(l) = l.borrow_mut().as_mut() {
            l.pending_search = Some(key.to_string());
        }
    });
    send_zcc(zcc::CONTACT_SEARCH_EVENT, json!({ "searchKey": key }));
    true
}

/// Is this document inside a frame?
pub fn is_framed(window: &web_sys::Window) -> bool {
    match window.parent() {
        Ok(Some(parent)) => !js_sys::Object::is(parent.as_ref(), window.as_ref()),
        _ => false,
    }
}

pub fn is_framed_here() -> bool {
    web_sys::window().is_some_and(|w| is_framed(&w))
}

pub fn dialect() -> Option<Dialect> {
    LINK.with(|l| l.borrow().as_ref().map(|l| l.dialect))
}

/// Connect to the parent window at `origin` (already checked against the allow-list), start
/// listening and announce the widget.
pub fn install(
    window: &web_sys::Window,
    origin: String,
    dialect: Dialect,
    session: Session,
) -> bool {
    let Some(parent) = window.parent().ok().flatten() else {
        return false;
    };
    LINK.with(|l| {
        *l.borrow_mut() = Some(Link {
            origin,
            dialect,
            parent,
            session,
            next_id: 0,
            pop_on: zcc::ScreenPopEvent::Ringing,
            pending_lookup: None,
            records: HashMap::new(),
            pending_search: None,
        })
    });
    let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_message);
    let _ = window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
    handler.forget();
    match dialect {
        Dialect::Native => send(
            pm::widget::READY,
            json!({
                "protocol": "native",
                "version": pm::VERSION,
                "widgetVersion": env!("CARGO_PKG_VERSION"),
                "authenticated": session.signed_in(),
            }),
            None,
            None,
        ),
        Dialect::Zcc => send_zcc(zcc::INIT_CONFIG_REQUEST, json!({})),
    }
    true
}

fn post(message: &Value) {
    LINK.with(|l| {
        let l = l.borrow();
        let Some(link) = l.as_ref() else { return };
        let Ok(js) = js_sys::JSON::parse(&message.to_string()) else {
            return;
        };
        // The browser drops the message if the parent navigated to another origin.
        let _ = link.parent.post_message(&js, &link.origin);
    });
}

/// A native message; `event` gives it the mirrored log entry's id, seq and engagement.
fn send(kind: &str, data: Value, event: Option<&Event>, request_id: Option<String>) {
    let Some(Dialect::Native) = dialect() else {
        return;
    };
    let id = match event {
        Some(e) => e.id.to_string(),
        None => LINK.with(|l| {
            let mut l = l.borrow_mut();
            let link = l.as_mut().expect("dialect() saw the link");
            link.next_id += 1;
            format!("w{}-{}", now_ms() as i64, link.next_id)
        }),
    };
    let mut envelope = Envelope::new(kind, id, now_ms() as i64, data);
    envelope.seq = event.map(|e| e.seq);
    envelope.engagement_id = event.and_then(|e| e.engagement_id);
    envelope.request_id = request_id;
    if let Ok(v) = serde_json::to_value(&envelope) {
        post(&v);
    }
}

fn send_zcc(kind: &str, data: Value) {
    post(&json!({ "type": kind, "data": data }));
}

fn reply(request_id: Option<String>, result: Result<Value, (String, String)>) {
    match (result, request_id.is_some()) {
        (Ok(v), _) => send(
            pm::widget::REPLY,
            json!({"ok": true, "result": v}),
            None,
            request_id,
        ),
        (Err((code, message)), true) => send(
            pm::widget::REPLY,
            json!({"ok": false, "error": {"code": code, "message": message}}),
            None,
            request_id,
        ),
        (Err((code, message)), false) => send(
            pm::widget::ERROR,
            json!({"code": code, "message": message}),
            None,
            None,
        ),
    }
}

fn session() -> Option<Session> {
    LINK.with(|l| l.borrow().as_ref().map(|l| l.session))
}

// ---- widget → host -------------------------------------------------------------------------

pub fn logged_in(s: &Session) {
    let agent = s.model.with_untracked(|m| m.agent.clone());
    match dialect() {
        Some(Dialect::Native) => send(
            pm::widget::AGENT_LOGGED_IN,
            json!({ "agent": agent }),
            None,
            None,
        ),
        Some(Dialect::Zcc) => {
            if let Some(a) = agent {
                send_zcc(zcc::AGENT_STATUS_NOTIFICATION, zcc_status(&a.status));
            }
        }
        None => {}
    }
}

pub fn logged_out() {
    match dialect() {
        Some(Dialect::Native) => send(pm::widget::AGENT_LOGGED_OUT, json!({}), None, None),
        Some(Dialect::Zcc) => send_zcc(
            zcc::AGENT_STATUS_NOTIFICATION,
            json!({"status": "Offline", "reason": ""}),
        ),
        None => {}
    }
}

fn zcc_status(status: &shared::config::AgentStatus) -> Value {
    use shared::config::AgentStatus as S;
    let (name, reason) = match status {
        S::Ready => ("Ready", ""),
        S::NotReady { reason } => ("Not Ready", reason.as_str()),
        S::Offline => ("Offline", ""),
    };
    // `subReason` and `statusCode` as Smart Embed hosts read them; `reason` for older pages.
    json!({"status": name, "statusCode": zcc::status_code(status), "subReason": reason, "reason": reason})
}

/// The other party's address and ours, as zcc's `from`/`to`.
fn parties(e: &Engagement) -> (String, String) {
    let them = e
        .consumer
        .as_ref()
        .and_then(|c| {
            c.phone
                .clone()
                .or(c.email.clone())
                .or(c.display_name.clone())
        })
        .or_else(|| e.work_item.as_ref().and_then(|w| w.id.clone()))
        .unwrap_or_default();
    let us = e
        .channel_source
        .clone()
        .unwrap_or_else(|| "switchboard".into());
    match e.direction {
        Direction::Inbound => (them, us),
        Direction::Outbound => (us, them),
    }
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

/// Tell the host what an applied event changed.
pub fn publish(event: &Event, change: &Change) {
    match dialect() {
        Some(Dialect::Native) => publish_native(event, change),
        Some(Dialect::Zcc) => publish_zcc(change),
        None => {}
    }
}

fn publish_native(event: &Event, change: &Change) {
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
        EventKind::EngagementConnected => pm::widget::ENGAGEMENT_CONNECTED,
        EventKind::EngagementInactive => pm::widget::ENGAGEMENT_INACTIVE,
        EventKind::EngagementResumed => pm::widget::ENGAGEMENT_RESUMED,
        EventKind::EngagementTransferred => pm::widget::ENGAGEMENT_TRANSFERRED,
        EventKind::EngagementNoteAdded => pm::widget::ENGAGEMENT_NOTE_ADDED,
        EventKind::EngagementDispositionAdded => pm::widget::ENGAGEMENT_DISPOSITION_ADDED,
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

fn publish_zcc(change: &Change) {
    let (kind, item) = match change {
        Change::Status(status) => {
            send_zcc(zcc::AGENT_STATUS_NOTIFICATION, zcc_status(status));
            return;
        }
        Change::Engagement { kind, item } => (*kind, item),
    };
    let e = &item.engagement;
    let (from, to) = parties(e);
    let direction = if e.direction == Direction::Outbound {
        "outbound"
    } else {
        "inbound"
    };
    let call = json!({
        "engagementId": e.engagement_id, "from": from, "to": to, "channel": e.channel.as_str(),
        "direction": direction,
        "createTs": (e.timestamps.created_at.unix_timestamp_nanos() / 1_000_000) as i64,
    });
    let pop_on = LINK.with(|l| l.borrow().as_ref().map(|l| l.pop_on));
    let lookup = |link_pop: zcc::ScreenPopEvent| {
        if pop_on == Some(link_pop) && e.direction == Direction::Inbound {
            LINK.with(|l| {
                if let Some(l) = l.borrow_mut().as_mut() {
                    l.pending_lookup = Some(e.engagement_id);
                }
            });
            let number = if from.is_empty() {
                to.clone()
            } else {
                from.clone()
            };
            send_zcc(
                zcc::INCOMING_PHONE_REQUEST,
                json!({"incomingPhoneNumber": number, "engagementId": e.engagement_id, "channel": e.channel.as_str()}),
            );
        }
    };
    match kind {
        EventKind::EngagementOffered => {
            send_zcc(zcc::CALL_RINGING, call);
            lookup(zcc::ScreenPopEvent::Ringing);
        }
        EventKind::EngagementConnected => {
            send_zcc(zcc::CALL_CONNECTED, call);
            lookup(zcc::ScreenPopEvent::Connected);
        }
        EventKind::EngagementWrapUpStarted => send_zcc(zcc::CALL_ENDED, call),
        EventKind::EngagementClosed => {
            let record = LINK.with(|l| {
                l.borrow_mut()
                    .as_mut()
                    .and_then(|l| l.records.remove(&e.engagement_id))
            });
            let t = &e.timestamps;
            let rfc = |t: Option<time::OffsetDateTime>| {
                t.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default()
            };
            let disposition_code = item
                .disposition
                .as_ref()
                .map(|(n, c)| c.clone().unwrap_or(n.clone()))
                .unwrap_or_default();
            // Hosts read `user.id` unconditionally: without a record (nothing popped, a bare
            // number dialed) `user` still comes, with the other party's number and no id.
            let them = if e.direction == Direction::Outbound {
                &to
            } else {
                &from
            };
            let user = record.unwrap_or_else(|| zcc::Record {
                phone: them.clone(),
                ..zcc::Record::default()
            });
            // The shape `zcc::PhoneCallLog` pins (and tests); built with `json!` because the
            // derived serializer costs the widget ~1 KB of its first-load budget.
            let log = json!({
                "engagementId": e.engagement_id,
                "objectRecord": {
                    "type": zcc::record_type(e.channel),
                    "callType": direction,
                    "from": from, "to": to,
                    "callDuration": zcc::duration_text(item.duration_secs()),
                    "callStartTime": rfc(t.connected_at.or(Some(t.created_at))),
                    "callEndTime": rfc(t.closed_at),
                    "notes": item.notes.join("\n"),
                    "dispositionCode": disposition_code,
                },
                "user": user,
            });
            send_zcc(zcc::PHONE_CALL_LOG, log);
            send_zcc(
                zcc::END_POST_ENGAGEMENT,
                json!({"engagementId": e.engagement_id, "dispositionCode": disposition_code}),
            );
        }
        _ => {}
    }
}

// ---- host → widget -------------------------------------------------------------------------

fn on_message(event: web_sys::MessageEvent) {
    let trusted = LINK.with(|l| {
        let l = l.borrow();
        let Some(link) = l.as_ref() else { return false };
        event.origin() == link.origin
            && event
                .source()
                .is_some_and(|s| js_sys::Object::is(&s, link.parent.as_ref()))
    });
    if !trusted {
        return;
    }
    let Some(value) = js_sys::JSON::stringify(&event.data())
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
    else {
        return;
    };
    let Some(session) = session() else { return };
    match dialect() {
        Some(Dialect::Native) => handle_native(session, value),
        Some(Dialect::Zcc) => handle_zcc(session, value),
        None => {}
    }
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

type Outcome = Result<Value, (String, String)>;

fn not_signed_in() -> (String, String) {
    (
        "not_authenticated".into(),
        "No agent is signed in to the widget yet.".into(),
    )
}

fn api_failed(e: crate::api::ApiError) -> (String, String) {
    let code = if e.code.is_empty() {
        "request_failed".into()
    } else {
        e.code
    };
    (code, e.message)
}

/// Go ready only after a user gesture unlocked audio, so a ring is never silently blocked.
fn audio_gate(status: &shared::config::AgentStatus) -> Result<(), (String, String)> {
    if status.is_ready() && !crate::sound::unlocked() {
        return Err((
            "audio_locked".into(),
            "The agent must click in the widget (to allow the ring sound) before going ready."
                .into(),
        ));
    }
    Ok(())
}

/// Dial `phone` for the agent. `record` is the host record being called (zcc: echoed as
/// `user` in the call log; its name and id also label the call).
pub async fn call(
    s: Session,
    phone: String,
    record: Option<zcc::Record>,
) -> Result<(), (String, String)> {
    let req = DialRequest {
        phone,
        display_name: record
            .as_ref()
            .map(|r| r.name.clone())
            .filter(|n| !n.is_empty()),
        external_id: record
            .as_ref()
            .map(|r| r.id.clone())
            .filter(|i| !i.is_empty()),
    };
    let e = dial(s, req).await?;
    if let Some(record) = record {
        LINK.with(|l| {
            if let Some(l) = l.borrow_mut().as_mut() {
                l.records.insert(e.engagement_id, record);
            }
        });
    }
    Ok(())
}

async fn dial(s: Session, req: DialRequest) -> Result<Engagement, (String, String)> {
    if !s.signed_in() {
        return Err(not_signed_in());
    }
    let text = s
        .call("POST", "/v1/agents/me/calls".into(), crate::api::body(&req))
        .await
        .map_err(api_failed)?;
    crate::api::parse(&text, Engagement::read)
        .ok_or_else(|| ("unreadable".into(), "unreadable answer".into()))
}

fn handle_native(s: Session, value: Value) {
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
        let outcome: Outcome = match request {
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
                .map(|_| json!({}))
                .map_err(api_failed),
            HostRequest::SetVariables {
                engagement_id,
                variables,
            } => s
                .call(
                    "PATCH",
                    format!("/v1/engagements/{engagement_id}/variables"),
                    Some(json!({ "variables": variables }).to_string()),
                )
                .await
                .map(|_| json!({}))
                .map_err(api_failed),
            HostRequest::OpenEngagement { engagement_id } => {
                if s.model.with_untracked(|m| m.find(engagement_id).is_some()) {
                    s.selected.set(Some(engagement_id));
                    Ok(json!({}))
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

fn zcc_error(code: &str, message: &str) {
    send_zcc(zcc::ERROR, json!({ "code": code, "message": message }));
}

fn handle_zcc(s: Session, value: Value) {
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_string();
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    match kind.as_str() {
        zcc::INIT_CONFIG_RESPONSE => {
            let config = zcc::InitConfig::read(&data);
            LINK.with(|l| {
                if let Some(l) = l.borrow_mut().as_mut() {
                    l.pop_on = config.phone.screen_pop_event;
                }
            });
        }
        _ if !s.signed_in() && (kind.starts_with("zcc-") || kind == zcc::CLICK_TO_ACT) => {
            zcc_error("agent-not-authenticated", "No agent is signed in.")
        }
        zcc::INCOMING_PHONE_RESPONSE => {
            let Some(records) = zcc::Record::read_list(&data) else {
                return zcc_error(
                    "invalid-data",
                    "zcc-incomingPhone-response data must be an array of records",
                );
            };
            let Some(id) = LINK.with(|l| {
                l.borrow_mut()
                    .as_mut()
                    .and_then(|l| l.pending_lookup.take())
            }) else {
                return;
            };
            if records.len() == 1 {
                pick(id, records[0].clone());
            } else if !records.is_empty() {
                if let Some(m) = matches() {
                    m.0.update(|v| {
                        v.retain(|(e, _)| *e != id);
                        v.push((id, records));
                    });
                }
            }
        }
        zcc::CLICK_TO_ACT => {
            let Some(act) = zcc::ClickToAct::read(&data) else {
                return zcc_error(
                    "invalid-data",
                    "onclicktoact needs {phone} (or a record with one)",
                );
            };
            // A bare `{phone}` dials without a record to echo in the call log.
            let record = act.id.map(|id| zcc::Record {
                id,
                name: act.name,
                phone: act.phone.clone(),
                email: act.email,
                entity: act.user_entity,
            });
            spawn_local(async move {
                if let Err((code, message)) = call(s, act.phone, record).await {
                    zcc_error(&code, &message);
                }
            });
        }
        zcc::CONTACT_SEARCH_RESPONSE => {
            let Some(key) = LINK.with(|l| {
                l.borrow_mut()
                    .as_mut()
                    .and_then(|l| l.pending_search.take())
            }) else {
                return;
            };
            let Some(records) = zcc::Record::read_list(&data) else {
                s.notice.set(Some(
                    "The page answered the contact search with something unreadable.".into(),
                ));
                return zcc_error(
                    "invalid-data",
                    "zcc-contact-search-response data must be an array of records",
                );
            };
            if records.is_empty() {
                s.notice
                    .set(Some(format!("No contact matches \u{201c}{key}\u{201d}.")));
            }
            contact_results().set(records);
        }
        zcc::ENGAGEMENT_STATUS_REQUEST => {
            let list: Vec<Value> = s.model.with_untracked(|m| {
                m.active
                    .iter()
                    .map(|i| {
                        let e = &i.engagement;
                        json!({"engagementId": e.engagement_id, "status": e.state.as_str(),
                               "channel": e.channel.as_str(), "direction": e.direction})
                    })
                    .collect()
            });
            send_zcc(
                zcc::ENGAGEMENT_STATUS_RESPONSE,
                json!({ "engagements": list }),
            );
        }
        zcc::GET_VARIABLES => {
            let id = data.get("engagementId").and_then(|v| v.as_str());
            let found = id
                .and_then(|id| id.parse().ok())
                .and_then(|id| s.model.with_untracked(|m| m.find(id).cloned()));
            let Some(item) = found else {
                return zcc_error(
                    "engagement-not-found",
                    "zcc-get-variables: data.engagementId names no engagement of this agent",
                );
            };
            let variables: Vec<Value> = item
                .engagement
                .variables
                .iter()
                .map(|(k, v)| json!({"globalVariableDisplayName": k, "value": v}))
                .collect();
            send_zcc(
                zcc::GET_VARIABLES_RESPONSE,
                json!({"engagementId": id, "variables": variables}),
            );
        }
        _ => {}
    }
}

thread_local! {
    static MATCHES: RefCell<Option<Matches>> = const { RefCell::new(None) };
}

/// The pending match lists (created once, shown by the engagement panel).
pub fn matches() -> Option<Matches> {
    MATCHES.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_none() {
            *m = Some(Matches(RwSignal::new(Vec::new())));
        }
        *m
    })
}

/// The agent (or a single match) chose the host record for an engagement: tell the host to
/// pop it and remember it for the call log.
pub fn pick(id: EngagementId, record: zcc::Record) {
    send_zcc(zcc::SCREEN_POP, json!({ "id": record.id }));
    LINK.with(|l| {
        if let Some(l) = l.borrow_mut().as_mut() {
            l.records.insert(id, record);
        }
    });
    if let Some(m) = matches() {
        m.0.update(|v| v.retain(|(e, _)| *e != id));
    }
}
