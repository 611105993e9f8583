//! Web calls: a website's visitor talks to an agent in their browser, through Switchboard.
//!
//! A web call is an engagement like any other (channel `voice`, `channel_source` `web_call`),
//! started from the chat page of an entry point that takes calls (`WebChat::calls`); it
//! queues, rings and is accepted, held, transferred and ended by the same commands as every
//! engagement. What this module adds is the media: each party's browser sends its SDP offer
//! over the socket it already has (the visitor's chat socket, the agent's or supervisor's
//! agent socket) and gets the server's answer back ([`caller_offer`], [`agent_offer`]); the
//! media engine ([`crate::media`]) carries the audio. The call follows its engagement's
//! events ([`follow`]): hold and resume, a transfer (the agent's leg goes, the visitor hears
//! hold music until the next agent connects), monitoring, the end. What happens on the wire
//! comes back as media events ([`run`]): a visitor gone for [`RECONNECT_SECS`] ends the call,
//! and the recording is kept as it is written ([`recording`]).
//!
//! A call's legs meet on the instance that holds it: the one its visitor's first offer reached.
//! An offer that reaches another instance (several instances on one PostgreSQL) is handed to
//! the holder through the database ([`signals`]); its answer names the holder's media address,
//! so the browser's audio goes there while its socket stays where it is.

pub mod recording;
pub mod signals;

use crate::delivery::hub::Hub;
use crate::media::{Media, MediaEvent, Monitor, Party};
use crate::service::chat::ChatCaller;
use crate::service::{conflict, Ctx, Result, ServiceError};
use crate::store::calls::Offerer;
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::workers::Stop;
use shared::api::IceServer;
use shared::config::Role;
use shared::events::EventKind;
use shared::ids::{AgentId, EngagementId};
use shared::{Channel, EngagementState};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// `channel_source` of a web call's engagement.
pub const CHANNEL_SOURCE: &str = "web_call";
/// How long a connected call waits for its visitor to come back (a reload, a network change)
/// before it ends as if they hung up.
pub const RECONNECT_SECS: u64 = 30;

/// What this instance knows about web calls.
pub struct Calls {
    /// The media engine; `None` when the server runs without (`--media-listen off`).
    pub media: Option<Media>,
    /// `--ice-servers`, handed to browsers.
    pub ice_servers: Vec<IceServer>,
    /// The calls this instance holds, each with the task that follows its engagement.
    held: Mutex<HashMap<EngagementId, tokio::task::JoinHandle<()>>>,
    /// Visitors whose leg dropped: the task that ends their call unless they come back.
    gone: Mutex<HashMap<EngagementId, tokio::task::JoinHandle<()>>>,
    /// This instance, as `call_media` names the holder of a call (new at every start: a
    /// restarted instance holds no call's media).
    pub instance: String,
}

impl Calls {
    pub fn new(media: Option<Media>, ice_servers: Vec<IceServer>) -> Calls {
        Calls {
            media,
            ice_servers,
            held: Mutex::default(),
            gone: Mutex::default(),
            instance: uuid::Uuid::now_v7().to_string(),
        }
    }

    /// The media engine, or why there is none.
    pub fn media(&self) -> Result<&Media> {
        self.media.as_ref().ok_or_else(|| {
            conflict("this server takes no web calls: it runs without a media socket (--media-listen; docs/voice.md)")
        })
    }

    fn holds(&self, call: EngagementId) -> bool {
        self.held
            .lock()
            .expect("calls lock")
            .get(&call)
            .is_some_and(|task| !task.is_finished())
    }
}

/// Is this engagement a web call?
pub fn is_web_call(rec: &EngagementRecord) -> bool {
    rec.channel == Channel::Voice && rec.channel_source.as_deref() == Some(CHANNEL_SOURCE)
}

fn ended(state: EngagementState) -> bool {
    matches!(state, EngagementState::WrapUp | EngagementState::Closed)
}

async fn call_record(ctx: &Ctx, call: EngagementId) -> Result<EngagementRecord> {
    let rec = eng::get(&mut *ctx.store.read().await?, ctx.account, call)
        .await?
        .filter(is_web_call)
        .ok_or_else(|| ServiceError::NotFound(format!("no web call {call}")))?;
    if ended(rec.state) {
        return Err(conflict("this call has ended"));
    }
    Ok(rec)
}

/// The visitor's offer (their chat socket's `call_offer`), answered by the instance that holds
/// the call — this one, if the call is new.
pub async fn caller_offer(ctx: &Ctx, hub: &Hub, caller: ChatCaller, sdp: String) -> Result<String> {
    let rec = call_record(ctx, caller.engagement).await?;
    signals::offer(ctx, hub, rec.id, Offerer::Caller, sdp).await
}

/// An agent's or supervisor's offer (their agent socket's `call_offer` naming the call),
/// answered by the instance that holds the call.
pub async fn agent_offer(
    ctx: &Ctx,
    hub: &Hub,
    agent: AgentId,
    role: Role,
    device: Option<&str>,
    call: EngagementId,
    sdp: String,
) -> Result<String> {
    let from = Offerer::Agent {
        agent_id: agent,
        role,
        device: device.map(str::to_string),
    };
    signals::offer(ctx, hub, call, from, sdp).await
}

/// The visitor's offer, on the instance that holds the call: the call is opened here if it is
/// new, and the visitor's leg set up (or replaced, after a reload).
async fn answer_caller(ctx: &Ctx, hub: &Hub, call: EngagementId, sdp: String) -> Result<String> {
    let media = ctx.calls.media()?;
    call_record(ctx, call).await?;
    if !ctx.calls.holds(call) {
        media.open(call.0);
        let task = tokio::spawn(follow(ctx.clone(), hub.clone(), call));
        ctx.calls
            .held
            .lock()
            .expect("calls lock")
            .insert(call, task);
    }
    Ok(media.offer(call.0, Party::Caller, sdp).await?)
}

/// An agent's or supervisor's offer, on the instance that holds the call. The agent must be
/// the one the call is connected to (and offer from their active widget, when the socket
/// names its device); a supervisor must be monitoring it.
async fn answer_agent(
    ctx: &Ctx,
    agent: AgentId,
    role: Role,
    device: Option<&str>,
    call: EngagementId,
    sdp: String,
) -> Result<String> {
    let media = ctx.calls.media()?;
    let rec = call_record(ctx, call).await?;
    if !ctx.calls.holds(call) {
        return Err(conflict(
            "this call's audio was lost (its server restarted): the visitor needs to call again",
        ));
    }
    if rec.agent_id == Some(agent) {
        if !matches!(
            rec.state,
            EngagementState::Connected | EngagementState::Inactive
        ) {
            return Err(conflict("accept the call first"));
        }
        let mut conn = ctx.store.read().await?;
        let active = crate::store::agents::active_device(&mut conn, agent).await?;
        if let (Some(active), Some(device)) = (active, device) {
            if active != device {
                return Err(conflict(
                    "your call's audio is in your other widget; choose \"Use here\" to take it over",
                ));
            }
        }
        let queue: Option<shared::config::Queue> = match rec.queue_id {
            Some(q) => {
                let table = crate::store::config::DocTable::Queues;
                crate::store::config::get_doc(&mut conn, table, ctx.account, &q.to_string()).await?
            }
            None => None,
        };
        drop(conn);
        media.record(call.0, queue.is_none_or(|q| q.record_calls));
        return Ok(media.offer(call.0, Party::Agent, sdp).await?);
    }
    if role == Role::Agent {
        return Err(crate::auth::Denied::NotYours.into());
    }
    let mode = monitoring(ctx, call, agent).await?.ok_or_else(|| {
        conflict("start listening or barging first (POST /v1/engagements/{id}/monitor)")
    })?;
    media.monitor(call.0, supervisor_key(agent), Some(mode));
    Ok(media
        .offer(call.0, Party::Supervisor(supervisor_key(agent)), sdp)
        .await?)
}

/// How `supervisor` last joined `call` (`engagement.monitor_started`), if they did.
async fn monitoring(ctx: &Ctx, call: EngagementId, supervisor: AgentId) -> Result<Option<Monitor>> {
    let events = ctx
        .store
        .events_filtered(
            ctx.account,
            0,
            1000,
            &[EventKind::EngagementMonitorStarted],
            Some(call),
        )
        .await?;
    Ok(events.iter().rev().find_map(|e| {
        monitor_of(e)
            .filter(|(s, _)| *s == supervisor)
            .map(|(_, m)| m)
    }))
}

fn monitor_of(event: &shared::events::Event) -> Option<(AgentId, Monitor)> {
    // `Detail::Monitoring`, flattened into the payload.
    let supervisor = event.data.get("supervisor_id")?.as_str()?.parse().ok()?;
    let mode = match event.data.get("mode")?.as_str()? {
        "barge" => Monitor::Barge,
        _ => Monitor::Listen,
    };
    Some((supervisor, mode))
}

/// A supervisor's key in the media engine.
fn supervisor_key(agent: AgentId) -> u64 {
    let bytes = agent.0.as_u128();
    (bytes as u64) ^ ((bytes >> 64) as u64)
}

/// Follows a held call's engagement until it ends, telling the media engine what changed.
async fn follow(ctx: Ctx, hub: Hub, call: EngagementId) {
    let Some(media) = ctx.calls.media.clone() else {
        return;
    };
    let mut live = hub.subscribe_chat(call);
    // It may have ended before this task subscribed.
    if let Ok(rec) = call_record(&ctx, call).await {
        if rec.state == EngagementState::Inactive {
            media.hold(call.0, true);
        }
    } else {
        media.end(call.0);
        return;
    }
    while let Some(item) = live.recv().await {
        let crate::delivery::hub::Live::Event(event) = item else {
            continue;
        };
        match event.kind {
            EventKind::EngagementInactive => media.hold(call.0, true),
            EventKind::EngagementResumed => media.hold(call.0, false),
            EventKind::EngagementTransferred => media.leave(call.0, Party::Agent),
            EventKind::EngagementMonitorStarted => {
                if let Some((supervisor, mode)) = monitor_of(&event) {
                    media.monitor(call.0, supervisor_key(supervisor), Some(mode));
                }
            }
            EventKind::EngagementWrapUpStarted | EventKind::EngagementClosed => {
                media.end(call.0);
                break;
            }
            _ => {}
        }
    }
    ctx.calls.held.lock().expect("calls lock").remove(&call);
    if let Err(e) = ctx.store.release_call(call, &ctx.calls.instance).await {
        tracing::warn!(%call, error = %e, "could not release the call's media");
    }
}

/// Handles what the media engine reports until `stop`: visitors who drop and do not come
/// back end their call; recordings are written as they arrive.
pub async fn run(ctx: Ctx, hub: Hub, mut events: UnboundedReceiver<MediaEvent>, stop: Stop) {
    let mut recordings = recording::Recordings::default();
    recordings.recover(&ctx).await;
    if let Err(e) = ctx.store.forget_calls_if_alone().await {
        tracing::warn!(error = %e, "could not clear an earlier run's calls");
    }
    loop {
        let event = tokio::select! {
            e = events.recv() => match e { Some(e) => e, None => return },
            _ = stop.cancelled() => return,
        };
        match event {
            MediaEvent::Connected { call, party } => {
                if party == Party::Caller {
                    if let Some(task) = ctx
                        .calls
                        .gone
                        .lock()
                        .expect("calls lock")
                        .remove(&EngagementId(call))
                    {
                        task.abort();
                    }
                }
            }
            MediaEvent::Disconnected { call, party } => {
                if party == Party::Caller {
                    caller_dropped(&ctx, EngagementId(call));
                }
            }
            MediaEvent::RecordingStarted { call, at, bytes } => {
                hub.call_recording(EngagementId(call));
                recordings.start(&ctx, EngagementId(call), at, bytes).await;
            }
            MediaEvent::RecordingData { call, bytes } => {
                recordings.append(&ctx, EngagementId(call), bytes).await;
            }
            MediaEvent::RecordingEnded {
                call,
                bytes,
                duration,
                counts,
            } => {
                tracing::info!(%call, ?duration, ?counts, "call recording finished");
                recordings
                    .finish(&ctx, EngagementId(call), bytes, duration)
                    .await;
            }
        }
    }
}

/// The visitor's leg dropped: unless they offer again within [`RECONNECT_SECS`], their call
/// ends as if they hung up.
fn caller_dropped(ctx: &Ctx, call: EngagementId) {
    let task = tokio::spawn({
        let ctx = ctx.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(RECONNECT_SECS)).await;
            ctx.calls.gone.lock().expect("calls lock").remove(&call);
            match crate::service::engagements::leave::run(&ctx, ctx.account, call).await {
                Ok(_) => tracing::info!(%call, "the caller did not come back: call ended"),
                Err(e) => tracing::debug!(%call, error = %e, "call already over"),
            }
        }
    });
    if let Some(old) = ctx
        .calls
        .gone
        .lock()
        .expect("calls lock")
        .insert(call, task)
    {
        old.abort();
    }
}
