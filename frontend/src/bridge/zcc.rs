//! The Zoom-compatible dialect (`/zcc/`): `{type, data}` messages with the names and field
//! shapes Zoom Contact Center Smart Embed hosts use (`../shared/SMART-EMBED-HOSTS.md`,
//! `docs/embedding.md`). Only `{type: string, data}` objects are ever posted: one public host
//! throws on anything else.

use super::{api_failed, audio_gate, call, command, not_signed_in, obj, post, Failure};
use crate::client;
use crate::model::{Change, Item};
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use shared::config::AgentStatus;
use shared::events::{Event, EventKind};
use shared::ids::EngagementId;
use shared::post_message::zcc::Record;
use shared::post_message::{not_connected_reason, zcc};
use shared::{Channel, Direction, Engagement, EngagementState};

#[derive(Default)]
struct State {
    /// When the host wants its screen pop (`zcc-init-config-response`; RINGING without one).
    pop_on: zcc::ScreenPopEvent,
    /// The engagement the last `zcc-incomingPhone-request`/`-Email-request` asked about.
    pending_lookup: Option<EngagementId>,
    /// The host record of each engagement (picked match, or the click-to-dial record),
    /// echoed as `user` in `zcc-phone-call-log`.
    /// (A handful at a time: a list costs the WASM less than a map.)
    records: Vec<(EngagementId, Record)>,
    /// The search key of the `zcc-contact-search-event` awaiting its response.
    pending_search: Option<String>,
    /// The status last told to the host (code and reason), so occupancy changes are told once.
    told_status: Option<(&'static str, String)>,
    /// Outbound calls whose `zcc-outbound-call-started` went out.
    started: Vec<EngagementId>,
}

/// What this dialect remembers while linked to its host.
pub(super) struct HostState {
    state: State,
    /// The host's answer to the agent's last contact search, shown by the dialer.
    contacts: RwSignal<Vec<Record>>,
    matches: Matches,
}

impl HostState {
    pub(super) fn new() -> HostState {
        HostState {
            state: State::default(),
            contacts: RwSignal::new(Vec::new()),
            matches: Matches(RwSignal::new(Vec::new())),
        }
    }
}

fn state<T: Default>(f: impl FnOnce(&mut State) -> T) -> T {
    super::with_host(|h| f(&mut h.state)).unwrap_or_default()
}

/// Host records matching an engagement's caller, for the agent to pick from.
#[derive(Clone, Copy)]
pub struct Matches(pub RwSignal<Vec<(EngagementId, Vec<Record>)>>);

/// The pending match lists (shown by the engagement panel).
pub fn matches() -> Option<Matches> {
    super::with_host(|h| h.matches)
}

pub fn contact_results() -> RwSignal<Vec<Record>> {
    super::with_host(|h| h.contacts).unwrap_or_else(|| RwSignal::new(Vec::new()))
}

/// The name of the host record matched to an engagement, for its ringing card. Not a signal
/// of its own (each signal type costs the first load): remembering one touches the model,
/// which the card follows.
pub fn host_name(id: EngagementId) -> Option<String> {
    remembered(id)
        .map(|r| r.name)
        .filter(|name| !name.is_empty())
}

/// The host record remembered here for an engagement.
fn remembered(id: EngagementId) -> Option<Record> {
    state(|st| {
        st.records
            .iter()
            .find(|(e, _)| *e == id)
            .map(|(_, r)| r.clone())
    })
}

/// An engagement id as hosts get it: a string.
fn id_of(id: EngagementId) -> Value {
    Value::String(id.to_string())
}

fn send(kind: &str, data: Value) {
    post(&obj(&mut [("type", kind.into()), ("data", data)]));
}

fn error(code: &str, message: &str, request: Option<&Value>) {
    let mut data = obj(&mut [("code", code.into()), ("message", message.into())]);
    // Echo what the host sent to correlate (B sends `requestId` with its commands).
    if let Some(request) = request {
        for key in ["requestId", "engagementId"] {
            if let Some(v) = request.get(key) {
                data[key] = v.clone();
            }
        }
    }
    send(zcc::ERROR, data);
}

/// Ask the host for contacts matching `key` (`zcc-contact-search-event`); the answer fills
/// [`contact_results`].
pub fn search_contacts(key: &str) -> bool {
    state(|s| s.pending_search = Some(key.to_string()));
    // `query` is what hosts read; `searchKey` for pages written against our first version.
    send(
        zcc::CONTACT_SEARCH_EVENT,
        obj(&mut [("query", key.into()), ("searchKey", key.into())]),
    );
    true
}

/// The agent (or a single match) chose the host record for an engagement: tell the host to
/// pop it and remember it for the call log. Hosts disagree on `zcc-screen-pop` (one reads
/// `data.id`, one treats `data` as a phone string); we send Zoom's documented object
/// `{id, phone, name, entity}` (docs/embedding.md).
pub fn pick(id: EngagementId, record: Record) {
    send(
        zcc::SCREEN_POP,
        obj(&mut [
            ("id", record.id.as_str().into()),
            ("phone", record.phone.as_str().into()),
            ("name", record.name.as_str().into()),
            ("entity", record.entity.as_str().into()),
            ("engagementId", id_of(id)),
        ]),
    );
    remember_record(id, record);
    if let Some(m) = matches() {
        m.0.update(|v| v.retain(|(e, _)| *e != id));
    }
}

pub(super) fn remember_record(id: EngagementId, record: Record) {
    if let Some(s) = super::session() {
        let live = s.model.with_untracked(|m| {
            m.find(id)
                .is_some_and(|i| i.engagement.state != EngagementState::Offered)
        });
        if live {
            keep_on_server(s, id, &record);
        }
        // The ringing card shows the record's name.
        s.model.update(|_| {});
    }
    state(|s| {
        s.records.retain(|(e, _)| *e != id);
        s.records.push((id, record));
    });
}

/// Keep the host's record with the engagement on the server (the variable
/// [`zcc::RECORD_VARIABLE`]), so the call log names it after a reload of the host page or
/// the widget. Only once the engagement is the agent's (connected or later): a ringing one is
/// kept when it connects ([`publish_engagement`]).
fn keep_on_server(s: Session, id: EngagementId, record: &Record) {
    let kept = crate::api::text(&obj(&mut [
        ("id", record.id.as_str().into()),
        ("name", record.name.as_str().into()),
        ("phone", record.phone.as_str().into()),
        ("email", record.email.as_str().into()),
        ("entity", record.entity.as_str().into()),
    ]));
    let call = client::set_variables(id, obj(&mut [(zcc::RECORD_VARIABLE, kept.into())]));
    spawn_local(async move {
        let _ = command(s, id, call).await;
    });
}

/// The host record of an engagement: the one remembered here, else the one kept with the
/// engagement on the server.
fn record_of(e: &Engagement) -> Option<Record> {
    remembered(e.engagement_id).or_else(|| zcc::record_from_variables(&e.variables))
}

pub(super) fn announce(_session: Session) {
    send(zcc::INIT_CONFIG_REQUEST, obj(&mut []));
}

// ---- agent status --------------------------------------------------------------------------

/// Ready with an engagement in hand reads as occupied (`"3"`), as Zoom reports it.
fn occupied(s: &Session) -> bool {
    s.model.with_untracked(|m| {
        m.active.iter().any(|i| {
            matches!(
                i.engagement.state,
                EngagementState::Connected | EngagementState::Inactive | EngagementState::WrapUp
            )
        })
    })
}

/// Tell the host the agent's status if it differs from what it was last told (`force`: always).
fn tell_status(s: &Session, force: bool) {
    let Some(status) = s
        .model
        .with_untracked(|m| m.agent.as_ref().map(|a| a.status.clone()))
    else {
        return;
    };
    let code = zcc::status_code(&status, occupied(s));
    let reason = match &status {
        AgentStatus::NotReady { reason } => reason.clone(),
        _ => String::new(),
    };
    let told = Some((code, reason.clone()));
    if !force && state(|st| st.told_status == told) {
        return;
    }
    state(|st| st.told_status = told);
    send(zcc::AGENT_STATUS_NOTIFICATION, status_data(code, &reason));
}

/// `zcc-agent-status-notification` data.
fn status_data(code: &'static str, reason: &str) -> Value {
    obj(&mut [
        ("status", zcc::status_name(code).into()),
        ("statusCode", code.into()),
        ("parentStatusCode", code.into()),
        ("subReason", reason.into()),
        // For pages written against our first version.
        ("reason", reason.into()),
    ])
}

pub(super) fn logged_in(s: &Session) {
    tell_status(s, true);
}

pub(super) fn logged_out() {
    state(|st| st.told_status = Some((zcc::OFFLINE, String::new())));
    send(
        zcc::AGENT_STATUS_NOTIFICATION,
        status_data(zcc::OFFLINE, ""),
    );
}

pub(super) fn resized(width: i64, height: i64) {
    send(
        zcc::RESIZE,
        obj(&mut [
            ("widthInPixels", width.into()),
            ("heightInPixels", height.into()),
        ]),
    );
}

// ---- engagements ---------------------------------------------------------------------------

fn ms(t: time::OffsetDateTime) -> i64 {
    crate::model::unix_ms(t)
}

/// ISO 8601 in UTC (`2026-12-05T09:00:00.000Z`), `""` when unknown. The browser's `Date`
/// writes it: the `time` crate's formatter would cost this build ~1 KB for three fields.
fn rfc(t: Option<time::OffsetDateTime>) -> String {
    t.map(|t| {
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms(t) as f64))
            .to_iso_string()
            .into()
    })
    .unwrap_or_default()
}

/// The customer's address: phone, else email, else name, else the work item's id.
fn customer(e: &Engagement) -> String {
    e.consumer
        .as_ref()
        .and_then(|c| {
            c.phone
                .clone()
                .or(c.email.clone())
                .or(c.display_name.clone())
        })
        .or_else(|| e.work_item.as_ref().and_then(|w| w.id.clone()))
        .unwrap_or_default()
}

/// The address the customer reached (inbound) or called from (outbound): the entry point's
/// `address`, else the engagement's channel source when it is a number or an email address —
/// never a connector's name.
fn our_address(e: &Engagement) -> String {
    e.entry_address
        .clone()
        .or_else(|| {
            e.channel_source
                .clone()
                .filter(|s| shared::api::DialRequest::is_dialable(s) || s.contains('@'))
        })
        .unwrap_or_default()
}

/// zcc's `from`/`to`.
fn parties(e: &Engagement) -> (String, String) {
    let (them, us) = (customer(e), our_address(e));
    match e.direction {
        Direction::Inbound => (them, us),
        Direction::Outbound => (us, them),
    }
}

fn direction(e: &Engagement) -> &'static str {
    match e.direction {
        Direction::Outbound => "outbound",
        Direction::Inbound => "inbound",
    }
}

fn queue_name(s: &Session, e: &Engagement) -> String {
    e.queue_id
        .and_then(|q| {
            s.queues
                .with_untracked(|qs| qs.iter().find(|x| x.queue_id == q).map(|x| x.name.clone()))
        })
        .unwrap_or_default()
}

/// The fields every engagement message carries.
fn common(s: &Session, e: &Engagement) -> Value {
    let (from, to) = parties(e);
    let consumer = e.consumer.clone().unwrap_or_default();
    obj(&mut [
        ("engagementId", id_of(e.engagement_id)),
        ("channel", e.channel.as_str().into()),
        ("direction", direction(e).into()),
        ("from", from.into()),
        ("to", to.into()),
        ("queueId", e.queue_id.map(|q| q.to_string()).into()),
        ("queueName", queue_name(s, e).into()),
        ("createTs", ms(e.timestamps.created_at).into()),
        (
            "customerName",
            consumer.display_name.unwrap_or_default().into(),
        ),
        ("customerEmail", consumer.email.unwrap_or_default().into()),
        (
            "incomingPhoneNumber",
            consumer.phone.unwrap_or_default().into(),
        ),
    ])
}

/// Ask the host which of its records the customer is (email for chat and email when there
/// is no number; the phone otherwise). The answer may pop the record.
fn look_up(e: &Engagement) {
    if e.direction != Direction::Inbound {
        return;
    }
    state(|st| st.pending_lookup = Some(e.engagement_id));
    let consumer = e.consumer.clone().unwrap_or_default();
    let email_first =
        matches!(e.channel, Channel::Email | Channel::Chat) && consumer.phone.is_none();
    match consumer.email {
        Some(email) if email_first => send(
            zcc::INCOMING_EMAIL_REQUEST,
            obj(&mut [
                ("email", email.into()),
                ("engagementId", id_of(e.engagement_id)),
                ("channel", e.channel.as_str().into()),
            ]),
        ),
        _ => {
            let (from, to) = parties(e);
            let number = if from.is_empty() { to } else { from };
            send(
                zcc::INCOMING_PHONE_REQUEST,
                obj(&mut [
                    ("incomingPhoneNumber", number.into()),
                    ("engagementId", id_of(e.engagement_id)),
                    ("channel", e.channel.as_str().into()),
                ]),
            );
        }
    }
}

pub(super) fn publish(_event: &Event, change: &Change) {
    let Some(s) = super::session() else { return };
    match change {
        Change::Status(_) => tell_status(&s, false),
        // Zoom's dialect has no such message: an inactive widget just stays quiet.
        Change::Device(_) => {}
        Change::Recording { item, url } => send(
            zcc::CALL_RECORDING,
            obj(&mut [
                ("engagementId", id_of(item.engagement.engagement_id)),
                ("channel", item.engagement.channel.as_str().into()),
                ("recordingUrl", url.as_str().into()),
            ]),
        ),
        Change::Engagement { kind, item } => {
            publish_engagement(&s, *kind, item);
            // Connecting or closing may change occupancy.
            tell_status(&s, false);
        }
    }
}

pub(super) fn ringing_again(item: &Item) {
    if let Some(s) = super::session() {
        publish_engagement(&s, EventKind::EngagementOffered, item);
    }
}

fn publish_engagement(s: &Session, kind: EventKind, item: &Item) {
    let e = &item.engagement;
    let id = e.engagement_id;
    let family = zcc::family(e.channel);
    let outbound_voice = e.channel == Channel::Voice && e.direction == Direction::Outbound;
    let pop_on = state(|st| st.pop_on);
    let mut data = common(s, e);
    let start_outbound = |data: &Value| {
        if !outbound_voice {
            return;
        }
        let first = state(|st| {
            let first = !st.started.contains(&id);
            if first {
                st.started.push(id);
            }
            first
        });
        if first {
            send(
                zcc::OUTBOUND_CALL_STARTED,
                obj(&mut [
                    ("engagementId", id_of(id)),
                    ("startTs", data["createTs"].clone()),
                    ("to", data["to"].clone()),
                    ("from", data["from"].clone()),
                    ("channel", "voice".into()),
                ]),
            );
        }
    };
    match kind {
        EventKind::EngagementOffered => {
            if outbound_voice {
                start_outbound(&data);
            } else {
                send(&zcc::message(family, "ringing"), data);
            }
            if pop_on == zcc::ScreenPopEvent::Ringing {
                look_up(e);
            }
        }
        EventKind::EngagementConnected => {
            start_outbound(&data);
            // A record matched while it rang is the agent's to keep now.
            if let Some(record) =
                record_of(e).filter(|_| !e.variables.contains_key(zcc::RECORD_VARIABLE))
            {
                keep_on_server(*s, id, &record);
            }
            data["startTs"] = e.timestamps.connected_at.map(ms).into();
            let verb = if family == "call" {
                "connected"
            } else {
                "started"
            };
            send(&zcc::message(family, verb), data);
            if pop_on == zcc::ScreenPopEvent::Connected {
                look_up(e);
            }
        }
        EventKind::EngagementWrapUpStarted => {
            data["completeTs"] = e.timestamps.wrap_up_at.map(ms).into();
            send(&zcc::message(family, "ended"), data);
        }
        EventKind::EngagementOfferDeclined
        | EventKind::EngagementOfferTimedOut
        | EventKind::EngagementOfferRescinded => not_connected(e, kind),
        EventKind::EngagementClosed if e.timestamps.connected_at.is_none() => {
            not_connected(e, kind)
        }
        EventKind::EngagementClosed => {
            // Closed straight from a live state (no wrap-up): the end was not told yet.
            if e.timestamps.wrap_up_at.is_none() {
                data["completeTs"] = e.timestamps.closed_at.map(ms).into();
                send(&zcc::message(family, "ended"), data);
            }
            log(s, item);
        }
        _ => {}
    }
}

fn not_connected(e: &Engagement, kind: EventKind) {
    let (reason, message) = not_connected_reason(kind);
    let name = if e.direction == Direction::Outbound {
        zcc::OUTBOUND_NOT_CONNECTED
    } else {
        zcc::INBOUND_NOT_CONNECTED
    };
    send(
        name,
        obj(&mut [
            ("engagementId", id_of(e.engagement_id)),
            ("channel", e.channel.as_str().into()),
            ("reasonCode", reason.into()),
            ("message", message.into()),
        ]),
    );
}

/// The end of a connected engagement: the call log, the end of post-engagement work, and where
/// its log is kept.
fn log(s: &Session, item: &Item) {
    let e = &item.engagement;
    let t = &e.timestamps;
    let (from, to) = parties(e);
    let record = record_of(e);
    state(|st| {
        st.started.retain(|s| *s != e.engagement_id);
        st.records.retain(|(id, _)| *id != e.engagement_id);
    });
    let (disposition_name, disposition_code) = item
        .disposition
        .as_ref()
        .map(|(n, c)| (n.clone(), c.clone().unwrap_or(n.clone())))
        .unwrap_or_default();
    // Hosts read `user.id` unconditionally: without a record (nothing popped, a bare number
    // dialed) `user` still comes, with the other party's number and no id.
    let them = if e.direction == Direction::Outbound {
        &to
    } else {
        &from
    };
    let user = record.unwrap_or_else(|| Record {
        phone: them.clone(),
        ..Record::default()
    });
    let wrap_up = match (t.wrap_up_at, t.closed_at) {
        (Some(w), Some(c)) => zcc::duration_text((c - w).whole_seconds().max(0) as u64),
        _ => zcc::duration_text(0),
    };
    let agent_name = s.model.with_untracked(|m| {
        m.agent
            .as_ref()
            .map(|a| a.display_name.clone())
            .unwrap_or_default()
    });
    // The shape `zcc::PhoneCallLog` pins (and tests); built by hand because the derived
    // serializer costs the widget ~1 KB of its first-load budget.
    let record = obj(&mut [
        ("type", zcc::record_type(e.channel).into()),
        ("callType", direction(e).into()),
        ("from", from.into()),
        ("to", to.into()),
        (
            "callDuration",
            zcc::duration_text(item.duration_secs()).into(),
        ),
        (
            "callStartTime",
            rfc(t.connected_at.or(Some(t.created_at))).into(),
        ),
        ("callEndTime", rfc(t.wrap_up_at.or(t.closed_at)).into()),
        ("wrapUpTimeDuration", wrap_up.into()),
        ("callQueue", queue_name(s, e).into()),
        ("agentName", agent_name.into()),
        ("notes", item.notes.join("\n").into()),
        ("dispositionCode", disposition_code.as_str().into()),
        ("dispositionName", disposition_name.into()),
    ]);
    let user = obj(&mut [
        ("id", user.id.into()),
        ("name", user.name.into()),
        ("phone", user.phone.into()),
        ("email", user.email.into()),
        ("entity", user.entity.into()),
    ]);
    let log = obj(&mut [
        ("engagementId", id_of(e.engagement_id)),
        ("objectRecord", record),
        ("user", user),
    ]);
    send(zcc::PHONE_CALL_LOG, log);
    send(
        zcc::END_POST_ENGAGEMENT,
        obj(&mut [
            ("engagementId", id_of(e.engagement_id)),
            ("channel", e.channel.as_str().into()),
            ("dispositionCode", disposition_code.into()),
        ]),
    );
    // Where the engagement's record lives: the interaction API (needs API credentials).
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    send(
        zcc::ENGAGEMENT_LOG_URL,
        obj(&mut [
            ("engagementId", id_of(e.engagement_id)),
            (
                "url",
                format!("{origin}/v1/engagements/{}", e.engagement_id).into(),
            ),
        ]),
    );
}

/// `zcc-engagement-status-response`: the agent's engagements, live ones in `active`, those in
/// wrap-up in `wrapup`.
fn status_entries(s: &Session) -> (Vec<Value>, Vec<Value>) {
    s.model.with_untracked(|m| {
        let mut active = Vec::new();
        let mut wrapup = Vec::new();
        for i in &m.active {
            let e = &i.engagement;
            let (from, to) = parties(e);
            let consumer = e.consumer.clone().unwrap_or_default();
            let entry = obj(&mut [
                ("engagementId", id_of(e.engagement_id)),
                ("channel", e.channel.as_str().into()),
                ("state", zcc::engagement_state(e.state).into()),
                ("engagementDirection", direction(e).into()),
                ("from", from.into()),
                ("to", to.into()),
                ("customerEmail", consumer.email.unwrap_or_default().into()),
                ("customerNumber", consumer.phone.unwrap_or_default().into()),
            ]);
            if e.state == EngagementState::WrapUp {
                wrapup.push(entry);
            } else {
                active.push(entry);
            }
        }
        (active, wrapup)
    })
}

// ---- host → widget -------------------------------------------------------------------------

/// `data.engagementId` as one of this agent's engagements.
fn engagement_of(s: &Session, data: &Value) -> Option<Item> {
    let id = data.get("engagementId")?.as_str()?.parse().ok()?;
    s.model.with_untracked(|m| m.find(id).cloned())
}

/// The host's records for the pending lookup: one pops at once, several wait for the agent.
fn take_lookup_answer(data: &Value, kind: &str) {
    let Some(records) = zcc::Record::read_any(data) else {
        return error(
            "invalid-data",
            &format!("{kind} data must be an array of records"),
            None,
        );
    };
    let Some(id) = state(|st| st.pending_lookup.take()) else {
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

pub(super) fn handle(s: Session, value: Value) {
    let kind = match value.get("type") {
        Some(Value::String(k)) => k.clone(),
        _ => return,
    };
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    if kind == zcc::INIT_CONFIG_RESPONSE {
        let config = zcc::InitConfig::read(&data);
        state(|st| st.pop_on = config.phone.screen_pop_event);
        return;
    }
    if !(kind.starts_with("zcc-") || kind == zcc::CLICK_TO_ACT) {
        return;
    }
    if !s.signed_in() {
        let (_, message) = not_signed_in();
        return error("agent-not-authenticated", &message, Some(&data));
    }
    match kind.as_str() {
        zcc::INCOMING_PHONE_RESPONSE | zcc::INCOMING_EMAIL_RESPONSE => {
            take_lookup_answer(&data, &kind)
        }
        zcc::CLICK_TO_ACT => {
            let Some(act) = zcc::ClickToAct::read(&data) else {
                return error(
                    "invalid-data",
                    "onclicktoact needs {phone} (or a record with one)",
                    None,
                );
            };
            // A bare `{phone}` dials without a record to echo in the call log.
            let record = act.id.map(|id| Record {
                id,
                name: act.name,
                phone: act.phone.clone(),
                email: act.email,
                entity: act.user_entity,
            });
            spawn_local(async move {
                if let Err((code, message)) = call(s, act.phone, record).await {
                    error(&code, &message, None);
                }
            });
        }
        zcc::CONTACT_SEARCH_RESPONSE => {
            let Some(key) = state(|st| st.pending_search.take()) else {
                return;
            };
            let Some(records) = zcc::Record::read_any(&data) else {
                s.notice.set(Some(
                    "The page answered the contact search with something unreadable.".into(),
                ));
                return error(
                    "invalid-data",
                    "zcc-contact-search-response data must be a record, {} or an array of records",
                    None,
                );
            };
            if records.is_empty() {
                s.notice
                    .set(Some(format!("No contact matches \u{201c}{key}\u{201d}.")));
            }
            contact_results().set(records);
        }
        zcc::ENGAGEMENT_STATUS_REQUEST => {
            let (active, wrapup) = status_entries(&s);
            send(
                zcc::ENGAGEMENT_STATUS_RESPONSE,
                obj(&mut [
                    (
                        "requestId",
                        data.get("requestId").cloned().unwrap_or_default(),
                    ),
                    ("active", active.into()),
                    ("wrapup", wrapup.into()),
                ]),
            );
        }
        zcc::GET_VARIABLES => {
            let Some(item) = engagement_of(&s, &data) else {
                return error(
                    "engagement-not-found",
                    "zcc-get-variables: data.engagementId names no engagement of this agent",
                    Some(&data),
                );
            };
            let variables: Vec<Value> = item
                .engagement
                .variables
                .iter()
                .map(|(k, v)| {
                    obj(&mut [
                        ("globalVariableDisplayName", k.as_str().into()),
                        ("value", v.as_str().into()),
                    ])
                })
                .collect();
            send(
                zcc::GET_VARIABLES_RESPONSE,
                obj(&mut [
                    ("engagementId", id_of(item.engagement.engagement_id)),
                    ("variables", variables.into()),
                ]),
            );
        }
        zcc::AGENT_STATUS_SET_REQUEST => {
            let id = match data.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return error(
                        "invalid-data",
                        "zcc-agent-status-set-request needs data.id: \"1\" ready, \"2\" not ready, \"30\" offline",
                        Some(&data),
                    )
                }
            };
            let reason = ["subReason", "reason"]
                .iter()
                .find_map(|k| data.get(*k).and_then(Value::as_str))
                .filter(|r| !r.trim().is_empty())
                .map(str::to_string);
            // A not-ready reason's own id (`--not-ready-reasons`, e.g. "21" Lunch) sets it;
            // the server names it.
            let Some(status) = zcc::status_for_code(&id, reason) else {
                return error(
                    "invalid-status",
                    &format!("status id \u{201c}{id}\u{201d} cannot be set: use \"1\" ready, \"2\" not ready, \"30\" offline, or a not-ready reason's id (occupied follows engagements)"),
                    Some(&data),
                );
            };
            spawn_local(async move {
                let r = match audio_gate(&status) {
                    Ok(()) => s.set_status(status).await.map_err(api_failed),
                    Err(e) => Err(e),
                };
                match r {
                    // The status notification follows from the feed; tell it now even when
                    // nothing changed, as the answer to the request.
                    Ok(()) => tell_status(&s, true),
                    Err((code, message)) => error(&code, &message, Some(&data)),
                }
            });
        }
        zcc::TERMINATE_ENGAGEMENT
        | zcc::CLOSE_ENGAGEMENT_WRAPUP
        | zcc::SET_ENGAGEMENT_DISPOSITION => {
            let Some(item) = engagement_of(&s, &data) else {
                return error(
                    "engagement-not-found",
                    &format!("{kind}: data.engagementId names no engagement of this agent"),
                    Some(&data),
                );
            };
            let id = item.engagement.engagement_id;
            spawn_local(async move {
                let r: Result<(), Failure> = match kind.as_str() {
                    zcc::TERMINATE_ENGAGEMENT => command(s, id, client::act(id, "end")).await,
                    zcc::CLOSE_ENGAGEMENT_WRAPUP => command(s, id, client::act(id, "close")).await,
                    _ => match data.get("dispositionId") {
                        Some(Value::String(d)) => super::set_disposition(s, id, d).await,
                        Some(Value::Number(d)) => {
                            super::set_disposition(s, id, &d.to_string()).await
                        }
                        _ => Err((
                            "invalid-data".into(),
                            "zcc-set-engagement-disposition needs data.dispositionId".into(),
                        )),
                    },
                };
                if let Err((code, message)) = r {
                    error(&code, &message, Some(&data));
                }
            });
        }
        _ => {}
    }
}
