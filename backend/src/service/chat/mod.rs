//! Web chat, the customer's side: a website's visitor starts a chat through an entry point
//! that takes chats (`EntryPoint::chat`) with their pre-chat answers, gets an anonymous session
//! token naming that chat only, and writes and reads the conversation with it. The chat is an
//! engagement like any other: it routes through the entry point's flow, rings agents, and its
//! messages are events in the log.
//!
//! The folder owns web chat's state and workers: [`limits`] (rate limits), [`presence`] (is the
//! customer still there; abandoned chats), [`transcripts`] (written when a chat closes),
//! [`attachments`] (files in a chat), and [`State`], what this instance keeps in memory.

pub mod attachments;
mod limits;
pub mod presence;
pub mod transcripts;

use limits::RateLimiter;

use crate::auth::token::{Claims, TokenKind};
use crate::auth::{Principal, Scope};
use crate::routing::place;
use crate::service::engagements::{self, message};
use crate::service::{conflict, invalid, validate, Ctx, Result, ServiceError};
use crate::store::config as cfg;
use shared::api::StartEngagementRequest;
use shared::api::{
    ChannelSpec, ChatEntry, ChatSession, ChatStart, ChatUnavailable, ChatView, ConsumerInput,
    FlowRef, LeaveMessage, LeftMessage, OpeningTime, QueuePlace, WorkItemVariables,
};
use shared::config::{OpeningHours, Role, WebChat, Weekday};
use shared::engagement::{MessageRecord, NewReceipt, Reader};
use shared::ids::{AccountId, AgentId, EngagementId};
use shared::{Channel, EngagementState};

/// How long a customer's session token lasts: a working day, so a reload (or coming back after
/// lunch) finds the chat.
pub const SESSION_SECS: i64 = 12 * 3600;

/// The longest message, in characters (the same as the agents').
pub const MESSAGE_MAX_CHARS: usize = engagements::MESSAGE_MAX_CHARS;

/// How many messages a customer may send in [`RATE_WINDOW_MS`]: more than anyone types, fewer
/// than a script floods.
pub const RATE_MESSAGES: usize = 10;
pub const RATE_WINDOW_MS: i64 = 10_000;

/// How many chats (and left messages) one client address may start in
/// [`START_WINDOW_MS`] by default (`--chat-start-limit`): the public forms must not be a way to
/// flood the queues.
pub const START_LIMIT: usize = 20;
pub const START_WINDOW_MS: i64 = 10 * 60 * 1000;

/// What web chat keeps in this instance's memory (the service's own, not `Ctx`'s): the
/// customers' message rate, chat starts per client address, and the customers' presence.
pub struct State {
    limits: RateLimiter,
    starts: RateLimiter<std::net::IpAddr>,
    pub(crate) presence: presence::Presence,
}

impl State {
    /// `start_limit` chats per client address in [`START_WINDOW_MS`] (`--chat-start-limit`); a
    /// waiting chat is abandoned when its customer is gone `abandon_after_secs`.
    pub fn new(start_limit: usize, abandon_after_secs: i64) -> State {
        State {
            limits: RateLimiter::new(RATE_MESSAGES, RATE_WINDOW_MS),
            starts: RateLimiter::new(start_limit, START_WINDOW_MS),
            presence: presence::Presence::new(abandon_after_secs),
        }
    }
}

/// Count a chat start (or left message) from `client`; `429` past the limit.
fn admit_start(ctx: &Ctx, client: Option<std::net::IpAddr>) -> Result<()> {
    let Some(client) = client else { return Ok(()) };
    ctx.chat
        .starts
        .admit(client, ctx.clock.now_ms())
        .map_err(|retry_after_secs| ServiceError::Throttled {
            message: format!(
                "too many chats started from this address; try again in {retry_after_secs} s"
            ),
            retry_after_secs,
        })
}

/// The customer of one chat, from their session token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatCaller {
    pub account: AccountId,
    pub engagement: EngagementId,
}

/// Check a chat session token.
pub fn authenticate(ctx: &Ctx, bearer: &str) -> Result<ChatCaller> {
    let claims = ctx
        .signer
        .verify(bearer, ctx.clock.now_ms() / 1000)
        .map_err(|e| ServiceError::Unauthenticated(e.to_string()))?;
    let malformed = || ServiceError::Unauthenticated("this is not a chat session token".into());
    if claims.kind != TokenKind::Chat {
        return Err(malformed());
    }
    Ok(ChatCaller {
        account: claims.acc.parse().map_err(|_| malformed())?,
        engagement: claims.sub.parse().map_err(|_| malformed())?,
    })
}

/// The pre-chat question, when there is one (blank counts as none).
fn asked(req: &ChatStart) -> Option<&str> {
    req.question
        .as_deref()
        .filter(|q| q.chars().any(shared::limits::is_visible_char))
}

fn check_start(req: &ChatStart, required: &WebChat) -> Result<()> {
    validate::required("name", &req.name, 200)?;
    match req.email.as_deref().filter(|e| !e.is_empty()) {
        Some(e) => validate::email("email", e)?,
        None if required.require_email => {
            return Err(invalid("email", "this chat asks for your email address"))
        }
        None => {}
    }
    validate::optional("question", req.question.as_deref(), MESSAGE_MAX_CHARS)?;
    if asked(req).is_none() && required.require_question {
        return Err(invalid("question", "this chat asks for your question"));
    }
    Ok(())
}

/// The chat settings of `entry_id` (404 unless the entry point takes chats).
async fn chat_settings(ctx: &Ctx, entry_id: &str) -> Result<WebChat> {
    Ok(chat_entry(ctx, entry_id).await?.1)
}

/// The entry point `entry_id` and its chat settings (404 unless it takes chats).
async fn chat_entry(ctx: &Ctx, entry_id: &str) -> Result<(cfg::EntryRecord, WebChat)> {
    let entry = cfg::get_entry(&mut *ctx.store.read().await?, ctx.account, entry_id).await?;
    match entry {
        Some(e) => match e.entry.chat.clone() {
            Some(chat) => Ok((e, chat)),
            None => Err(no_chat(entry_id)),
        },
        None => Err(no_chat(entry_id)),
    }
}

fn no_chat(entry_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no web chat at entry point {entry_id:?}"))
}

/// Check an entry point's chat settings before they are saved: a known time zone, periods
/// that read, and a "leave a message" entry point that exists (and is another one).
pub async fn check_settings(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
    entry_id: &str,
    chat: &WebChat,
) -> Result<()> {
    if let Some(hours) = &chat.hours {
        if jiff::tz::TimeZone::get(&hours.time_zone).is_err() {
            return Err(invalid(
                "chat.hours.time_zone",
                format!(
                    "{:?} is not a known time zone (e.g. Europe/Berlin)",
                    hours.time_zone
                ),
            ));
        }
        if hours.weekly.len() > 50 {
            return Err(invalid("chat.hours.weekly", "at most 50 periods"));
        }
        for (i, period) in hours.weekly.iter().enumerate() {
            let field = |f: &str| format!("chat.hours.weekly[{i}].{f}");
            if period.days.is_empty() {
                return Err(invalid(field("days"), "name at least one day"));
            }
            let open = OpeningHours::minutes(&period.open)
                .filter(|m| *m < 24 * 60)
                .ok_or_else(|| invalid(field("open"), "a time as HH:MM, 00:00 to 23:59"))?;
            let close = OpeningHours::minutes(&period.close)
                .ok_or_else(|| invalid(field("close"), "a time as HH:MM, 00:01 to 24:00"))?;
            if close <= open {
                return Err(invalid(field("close"), "must be after open"));
            }
        }
    }
    if let Some(target) = &chat.leave_message_entry_id {
        if target == entry_id {
            return Err(invalid(
                "chat.leave_message_entry_id",
                "name another entry point, one whose flow routes work items",
            ));
        }
        if cfg::get_entry(conn, account, target).await?.is_none() {
            return Err(crate::service::unknown(
                "chat.leave_message_entry_id",
                format!("entry point {target:?} does not exist"),
            ));
        }
    }
    Ok(())
}

/// Web calls can only be turned on where the server has its media socket.
pub fn check_calls(ctx: &Ctx, chat: &WebChat) -> Result<()> {
    if chat.calls && ctx.calls.media.is_none() {
        return Err(conflict(
            "chat.calls needs the server's media socket, which is off (--media-listen; docs/voice.md)",
        ));
    }
    Ok(())
}

/// Is the chat open at `now_ms` (always, without opening hours)? A time zone the server no
/// longer knows (checked when saved) counts as open: better a chat than a locked door.
fn open_now(chat: &WebChat, now_ms: i64) -> bool {
    let Some(hours) = &chat.hours else {
        return true;
    };
    let (Ok(tz), Ok(at)) = (
        jiff::tz::TimeZone::get(&hours.time_zone),
        jiff::Timestamp::from_millisecond(now_ms),
    ) else {
        tracing::warn!(time_zone = %hours.time_zone, "unknown chat time zone: treated as open");
        return true;
    };
    let local = at.to_zoned(tz);
    let day = weekday(local.weekday());
    let minute =
        u16::try_from(local.hour()).unwrap_or(0) * 60 + u16::try_from(local.minute()).unwrap_or(0);
    hours.is_open(day, minute)
}

/// The opening hours of the next seven days from `now_ms` as instants, earliest first (a
/// period under way now first), adjacent or overlapping periods joined. Local times that a
/// daylight-saving change skips or repeats resolve as clocks do (jiff's compatible rule).
/// Empty without opening hours, or for a time zone the server does not know.
fn upcoming_openings(chat: &WebChat, now_ms: i64) -> Vec<OpeningTime> {
    const HORIZON_MS: i64 = 7 * 24 * 3600 * 1000;
    let Some(hours) = &chat.hours else {
        return Vec::new();
    };
    let (Ok(tz), Ok(now)) = (
        jiff::tz::TimeZone::get(&hours.time_zone),
        jiff::Timestamp::from_millisecond(now_ms),
    ) else {
        return Vec::new();
    };
    let today = now.to_zoned(tz.clone()).date();
    let at = |date: jiff::civil::Date, minutes: u16| -> Option<i64> {
        // 24:00 is the start of the next day.
        let (date, minutes) = if minutes >= 24 * 60 {
            (date.tomorrow().ok()?, minutes - 24 * 60)
        } else {
            (date, minutes)
        };
        let time = jiff::civil::time((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        Some(
            date.to_datetime(time)
                .to_zoned(tz.clone())
                .ok()?
                .timestamp()
                .as_millisecond(),
        )
    };
    let mut spans: Vec<(i64, i64)> = Vec::new();
    // Yesterday too: a period that began then may still run.
    for offset in -1..=7i64 {
        let Ok(date) = today.checked_add(jiff::Span::new().days(offset)) else {
            continue;
        };
        let day = weekday(date.weekday());
        for period in hours.weekly.iter().filter(|p| p.days.contains(&day)) {
            let (Some(open), Some(close)) = (
                OpeningHours::minutes(&period.open),
                OpeningHours::minutes(&period.close),
            ) else {
                continue;
            };
            if let (Some(from), Some(to)) = (at(date, open), at(date, close)) {
                if from < now_ms + HORIZON_MS && from < to {
                    spans.push((from, to));
                }
            }
        }
    }
    spans.sort_unstable();
    let mut joined: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (from, to) in spans {
        match joined.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => joined.push((from, to)),
        }
    }
    joined
        .into_iter()
        .filter(|(_, to)| *to > now_ms)
        .filter_map(|(from, to)| {
            Some(OpeningTime {
                opens_at: crate::store::ms_to_datetime(from).ok()?,
                closes_at: crate::store::ms_to_datetime(to).ok()?,
            })
        })
        .collect()
}

fn weekday(day: jiff::civil::Weekday) -> Weekday {
    match day {
        jiff::civil::Weekday::Monday => Weekday::Mon,
        jiff::civil::Weekday::Tuesday => Weekday::Tue,
        jiff::civil::Weekday::Wednesday => Weekday::Wed,
        jiff::civil::Weekday::Thursday => Weekday::Thu,
        jiff::civil::Weekday::Friday => Weekday::Fri,
        jiff::civil::Weekday::Saturday => Weekday::Sat,
        jiff::civil::Weekday::Sunday => Weekday::Sun,
    }
}

/// Is someone ready in a queue the entry point's flow routes to?
async fn anyone_ready(ctx: &Ctx, entry: &cfg::EntryRecord) -> Result<bool> {
    let mut conn = ctx.store.read().await?;
    let flows = crate::service::config::flow_map(&mut conn, ctx.account).await?;
    let queues = crate::routing::flow::reachable_queues(&flows, entry.entry.flow_id);
    let agents = crate::store::agents::list(&mut conn, ctx.account).await?;
    Ok(agents.iter().any(|a| {
        a.agent.status.is_ready()
            && a.agent
                .queues
                .iter()
                .any(|m| m.opted_in && queues.contains(&m.queue_id))
    }))
}

/// `GET /v1/chat/{entry_id}`: what the pre-chat form asks for, and whether a live chat can be
/// answered now (otherwise the page offers "leave a message", when the entry point takes them).
pub async fn entry(ctx: &Ctx, entry_id: &str) -> Result<ChatEntry> {
    let (entry, settings) = chat_entry(ctx, entry_id).await?;
    let unavailable = if !open_now(&settings, ctx.clock.now_ms()) {
        Some(ChatUnavailable::Closed)
    } else if !anyone_ready(ctx, &entry).await? {
        Some(ChatUnavailable::NobodyReady)
    } else {
        None
    };
    Ok(ChatEntry {
        entry_id: entry_id.to_string(),
        require_email: settings.require_email,
        require_question: settings.require_question,
        available: unavailable.is_none(),
        unavailable,
        leave_message: settings.leave_message_entry_id.is_some(),
        opening_hours: upcoming_openings(&settings, ctx.clock.now_ms()),
        calls: settings.calls && ctx.calls.media.is_some(),
        ice_servers: if settings.calls {
            ctx.calls.ice_servers.clone()
        } else {
            Vec::new()
        },
    })
}

/// `POST /v1/chat/{entry_id}/left-messages`: a customer leaves a message instead of chatting;
/// it becomes a work item through the entry point named by `leave_message_entry_id` (404
/// when the chat takes no messages).
pub async fn leave_message(
    ctx: &Ctx,
    entry_id: &str,
    req: LeaveMessage,
    client: Option<std::net::IpAddr>,
) -> Result<LeftMessage> {
    let settings = chat_settings(ctx, entry_id).await?;
    let Some(target) = settings.leave_message_entry_id else {
        return Err(ServiceError::NotFound(format!(
            "the web chat at entry point {entry_id:?} takes no messages"
        )));
    };
    validate::required("name", &req.name, 200)?;
    validate::email("email", &req.email)?;
    validate::required("message", &req.message, MESSAGE_MAX_CHARS)?;
    admit_start(ctx, client)?;
    let name = req.name.trim().to_string();
    let front_door = Principal::Client {
        account: ctx.account,
        client_id: "web-chat".into(),
        scopes: vec![Scope::EngagementsWrite],
    };
    let request = StartEngagementRequest {
        channels: vec![ChannelSpec {
            channel: Channel::WorkItem,
            channel_source: Some("web_chat_message".into()),
        }],
        flow: FlowRef {
            flow_entry_id: target,
        },
        consumers: vec![ConsumerInput {
            consumer_display_name: Some(name.clone()),
            consumer_email: Some(req.email.trim().to_string()),
            ..ConsumerInput::default()
        }],
        work_item_variables: Some(WorkItemVariables {
            work_item_name: format!("Message from {name}"),
            work_item_desc: Some(req.message),
            ..WorkItemVariables::default()
        }),
        variables: vec![],
    };
    let started = engagements::start(ctx, &front_door, request, None).await?;
    Ok(LeftMessage {
        engagement_id: started.engagement.engagement_id,
    })
}

/// What a visitor starts from the chat page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversation {
    /// `POST /v1/chat/{entry_id}/sessions`.
    Chat,
    /// `POST /v1/chat/{entry_id}/calls`: a web call (the audio follows over the chat socket,
    /// see `service::calls`).
    Call,
}

/// `POST /v1/chat/{entry_id}/sessions` (or `/calls`): start a chat or a web call (404 unless
/// the entry point takes them).
pub async fn start(
    ctx: &Ctx,
    entry_id: &str,
    req: ChatStart,
    client: Option<std::net::IpAddr>,
    kind: Conversation,
) -> Result<ChatSession> {
    let account = ctx.account;
    let settings = chat_settings(ctx, entry_id).await?;
    if kind == Conversation::Call {
        if !settings.calls {
            return Err(ServiceError::NotFound(format!(
                "entry point {entry_id:?} takes no web calls"
            )));
        }
        ctx.calls.media()?;
    }
    check_start(&req, &settings)?;
    if !open_now(&settings, ctx.clock.now_ms()) {
        return Err(conflict(
            "this chat is closed now; leave a message or come back during opening hours",
        ));
    }
    admit_start(ctx, client)?;
    // Started as the built-in web chat front door, like a connector would.
    let front_door = Principal::Client {
        account,
        client_id: "web-chat".into(),
        scopes: vec![Scope::EngagementsWrite],
    };
    let (channel, source) = match kind {
        Conversation::Chat => (Channel::Chat, "web_chat"),
        Conversation::Call => (Channel::Voice, crate::service::calls::CHANNEL_SOURCE),
    };
    let request = StartEngagementRequest {
        channels: vec![ChannelSpec {
            channel,
            channel_source: Some(source.into()),
        }],
        flow: FlowRef {
            flow_entry_id: entry_id.to_string(),
        },
        consumers: vec![ConsumerInput {
            consumer_display_name: Some(req.name.trim().to_string()),
            consumer_email: req.email.clone().filter(|e| !e.is_empty()),
            ..ConsumerInput::default()
        }],
        work_item_variables: None,
        variables: vec![],
    };
    // One batch: the chat and its first message are there together or not at all.
    let checked = engagements::start::check(&front_door, request, None)?;
    let question = asked(&req).map(|q| message::Draft::text(q.to_string()));
    let started = ctx
        .writer
        .apply(true, move |tx, ctx, view| {
            Box::pin(async move {
                let started = engagements::start::create(tx, ctx, view, account, checked).await?;
                if let Some(draft) = question {
                    let id = started.engagement.engagement_id;
                    message::add_from_consumer(tx, ctx, view, account, id, draft).await?;
                }
                Ok(started)
            })
        })
        .await?;
    let id = started.engagement.engagement_id;
    presence::seen(ctx, id).await;
    let claims = Claims {
        kind: TokenKind::Chat,
        sub: id.to_string(),
        acc: account.to_string(),
        role: None,
        scopes: vec![],
        exp: ctx.clock.now_ms() / 1000 + SESSION_SECS,
        sid: None,
    };
    Ok(ChatSession {
        session_token: ctx.signer.sign(&claims),
        engagement_id: id,
        expires_in: SESSION_SECS,
    })
}

/// `POST /v1/chat/session/messages`: the customer writes.
pub async fn send(ctx: &Ctx, caller: ChatCaller, body: String) -> Result<MessageRecord> {
    validate::required("body", &body, MESSAGE_MAX_CHARS)?;
    admit_message(ctx, caller)?;
    message::from_consumer(
        ctx,
        caller.account,
        caller.engagement,
        message::Draft::text(body),
    )
    .await
}

/// Count one customer message (text or file) against the chat's rate, or say when to retry.
pub fn admit_message(ctx: &Ctx, caller: ChatCaller) -> Result<()> {
    ctx.chat.limits
        .admit(caller.engagement, ctx.clock.now_ms())
        .map_err(|retry_after_secs| ServiceError::Throttled {
            message: format!(
                "too many messages: at most {RATE_MESSAGES} every {} seconds; try again in {retry_after_secs} s",
                RATE_WINDOW_MS / 1000
            ),
            retry_after_secs,
        })
}

/// The chat's engagement (gone: 404).
async fn engagement(
    conn: &mut sqlx::AnyConnection,
    caller: ChatCaller,
) -> Result<crate::store::engagements::EngagementRecord> {
    crate::store::engagements::get(conn, caller.account, caller.engagement)
        .await?
        .ok_or_else(|| ServiceError::NotFound("this chat no longer exists".into()))
}

/// The chat's state (what its socket's `hello` says).
pub async fn state(ctx: &Ctx, caller: ChatCaller) -> Result<shared::EngagementState> {
    Ok(engagement(&mut *ctx.store.snapshot().await?, caller)
        .await?
        .state)
}

/// `GET /v1/chat/session`: the chat's state and conversation, and while it waits its place in
/// the queue.
pub async fn view(ctx: &Ctx, caller: ChatCaller) -> Result<ChatView> {
    let mut conn = ctx.store.snapshot().await?;
    let rec = engagement(&mut conn, caller).await?;
    let queue = match (rec.state, rec.queue_id) {
        (EngagementState::Queued | EngagementState::Offered, Some(queue)) => {
            let now = ctx.clock.now_ms();
            let (waiting, answered) = crate::store::engagements::queue_place_inputs(
                &mut conn,
                caller.account,
                queue,
                now - place::WINDOW_MS,
            )
            .await?;
            let waiting: Vec<place::Waiting> = waiting
                .into_iter()
                .map(
                    |(id, state, base_priority, due_at_ms, created_at_ms)| place::Waiting {
                        id,
                        ringing: state == EngagementState::Offered,
                        base_priority,
                        due_at_ms,
                        created_at_ms,
                    },
                )
                .collect();
            place::position(rec.id, &waiting, now).map(|position| QueuePlace {
                position,
                estimated_wait_secs: place::estimate_secs(position, answered),
            })
        }
        _ => None,
    };
    Ok(ChatView {
        engagement_id: rec.id,
        state: rec.state,
        messages: crate::store::messages::for_engagement(&mut conn, rec.id)
            .await?
            .into_iter()
            .map(MessageRecord::for_customer)
            .collect(),
        queue,
        attachment_max_bytes: ctx.files.max_attachment_bytes,
        survey: crate::service::surveys::offer(&mut conn, &rec).await?,
    })
}

/// `POST /v1/chat/session/end`: the customer leaves (abandoned before an agent answered,
/// otherwise the agent's conversation ends and wrap-up starts); `409` once it has ended.
pub async fn leave(ctx: &Ctx, caller: ChatCaller) -> Result<shared::EngagementState> {
    Ok(
        engagements::leave::run(ctx, caller.account, caller.engagement)
            .await?
            .state,
    )
}

/// `POST /v1/chat/session/receipts`: the customer's page received or read the agent's messages
/// up to one.
pub async fn customer_receipt(ctx: &Ctx, caller: ChatCaller, req: NewReceipt) -> Result<()> {
    engagements::receipt::run(
        ctx,
        caller.account,
        caller.engagement,
        Reader::Consumer,
        None,
        req,
    )
    .await?;
    Ok(())
}

/// `POST /v1/engagements/{id}/receipts`: the chat's agent received or read the customer's
/// messages up to one.
pub async fn agent_receipt(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    req: NewReceipt,
) -> Result<()> {
    let agent = p.agent_id().ok_or(crate::auth::Denied::AgentsOnly)?;
    engagements::receipt::run(ctx, p.account(), id, Reader::Agent, Some(agent), req).await?;
    Ok(())
}

/// `POST /v1/chat/session/typing`: the customer is typing. The agent to tell, if an agent has
/// the chat (while it waits nobody is told); `409` once it has ended.
pub async fn customer_typing(ctx: &Ctx, caller: ChatCaller) -> Result<Option<AgentId>> {
    let rec = engagement(&mut *ctx.store.snapshot().await?, caller).await?;
    match rec.state {
        EngagementState::WrapUp | EngagementState::Closed => Err(conflict("this chat has ended")),
        EngagementState::Connected | EngagementState::Inactive => Ok(rec.agent_id),
        EngagementState::Queued | EngagementState::Offered => Ok(None),
    }
}

/// `POST /v1/engagements/{id}/typing`: the chat's agent (or a supervisor in it) is typing;
/// `409` unless it is a live chat.
pub async fn agent_typing(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<()> {
    let Principal::Agent { agent, role, .. } = p else {
        return Err(crate::auth::Denied::AgentsOnly.into());
    };
    let rec = crate::store::engagements::get(&mut *ctx.store.snapshot().await?, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no engagement {id}")))?;
    if rec.agent_id != Some(*agent) && !matches!(role, Role::Supervisor | Role::Admin) {
        return Err(crate::auth::Denied::NotYours.into());
    }
    if rec.channel != Channel::Chat {
        return Err(conflict(format!(
            "typing indicators belong to web chats; this engagement is {}",
            rec.channel.as_str()
        )));
    }
    if !matches!(
        rec.state,
        EngagementState::Connected | EngagementState::Inactive
    ) {
        return Err(conflict(format!(
            "the conversation is not live: the engagement is {}",
            rec.state.as_str()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat_with_hours(time_zone: &str, weekly: serde_json::Value) -> WebChat {
        serde_json::from_value(serde_json::json!({
            "hours": {"time_zone": time_zone, "weekly": weekly}
        }))
        .unwrap()
    }

    fn ms(rfc3339: &str) -> i64 {
        (time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp_nanos()
            / 1_000_000) as i64
    }

    fn spans(chat: &WebChat, now: &str) -> Vec<(String, String)> {
        let fmt = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        upcoming_openings(chat, ms(now))
            .into_iter()
            .map(|o| (fmt(o.opens_at), fmt(o.closes_at)))
            .collect()
    }

    #[test]
    fn opening_hours_become_instants_across_a_daylight_saving_change() {
        // Berlin, weekdays 09:00–17:00; Friday 2026-10-23 noon. Summer time ends on Sunday
        // 2026-10-25: Monday's hours are an hour later in UTC than Friday's.
        let chat = chat_with_hours(
            "Europe/Berlin",
            serde_json::json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:00"}]),
        );
        let got = spans(&chat, "2026-10-23T10:00:00Z");
        assert_eq!(
            got[..2],
            [
                ("2026-10-23T07:00:00Z".into(), "2026-10-23T15:00:00Z".into()),
                ("2026-10-26T08:00:00Z".into(), "2026-10-26T16:00:00Z".into()),
            ]
        );
        assert_eq!(got.len(), 6, "Friday to Friday: {got:?}");
        assert!(got
            .iter()
            .all(|(from, _)| from.as_str() < "2026-10-30T10:00:00Z"));
    }

    #[test]
    fn a_period_running_past_midnight_and_adjacent_periods_join() {
        // 20:00–24:00 and 00:00–02:00 the next day read as one evening.
        let chat = chat_with_hours(
            "UTC",
            serde_json::json!([
                {"days": ["sat"], "open": "20:00", "close": "24:00"},
                {"days": ["sun"], "open": "00:00", "close": "02:00"}
            ]),
        );
        // Sunday 2026-12-06 01:00: the evening that began on Saturday is under way.
        assert_eq!(
            spans(&chat, "2026-12-06T01:00:00Z"),
            [
                ("2026-12-05T20:00:00Z".into(), "2026-12-06T02:00:00Z".into()),
                ("2026-12-12T20:00:00Z".into(), "2026-12-13T02:00:00Z".into()),
            ]
        );
        let always = WebChat::default();
        assert!(upcoming_openings(&always, ms("2026-12-06T01:00:00Z")).is_empty());
    }
}
