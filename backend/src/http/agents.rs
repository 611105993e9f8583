//! The agent's own routes, the agent WebSocket and the events polling API.

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::auth::Scope;
use crate::service::{accounts, agents as svc, devices, engagements, stats};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use shared::config::{Agent, AgentStatus};
use shared::engagement::Engagement;
use shared::events::Event;
use shared::ids::QueueId;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(directory))
        .routes(routes!(not_ready_reasons))
        .routes(routes!(status))
        .routes(routes!(opt_in))
        .routes(routes!(device))
        .routes(routes!(my_engagements))
        .routes(routes!(dial))
        .routes(routes!(websocket))
        .routes(routes!(events))
        .routes(routes!(queue_stats))
        .routes(routes!(agent_stats))
}

/// `GET /v1/stats/queues`: waiting, ringing, active, longest wait and service level per queue.
#[utoipa::path(get, path = "/v1/stats/queues", responses((status = 200, body = Vec<stats::QueueStats>), super::openapi::ReadErrors))]
async fn queue_stats(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<stats::QueueStats>>, ApiError> {
    Ok(Json(stats::queues(&s.ctx, &p).await?))
}

/// `GET /v1/stats/agents`: each agent's status, what they hold and what rings for them.
#[utoipa::path(get, path = "/v1/stats/agents", responses((status = 200, body = Vec<stats::AgentStats>), super::openapi::ReadErrors))]
async fn agent_stats(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<stats::AgentStats>>, ApiError> {
    Ok(Json(stats::agents(&s.ctx, &p).await?))
}

#[utoipa::path(get, path = "/v1/agents/me", responses((status = 200, body = shared::config::Agent), super::openapi::ReadErrors))]
async fn me(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Agent>, ApiError> {
    Ok(Json(svc::me(&s.ctx, &p).await?))
}

/// `GET /v1/not-ready-reasons`: what an agent may give as the reason for not being ready,
/// each with the id Smart Embed hosts use for it (`--not-ready-reasons`).
#[utoipa::path(get, path = "/v1/not-ready-reasons", responses((status = 200, body = Vec<shared::config::NotReadyReason>), super::openapi::ReadErrors))]
async fn not_ready_reasons(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<shared::config::NotReadyReason>>, ApiError> {
    Ok(Json(svc::not_ready_reasons(&s.ctx, &p)?))
}

/// `GET /v1/agents/directory`: the other agents of the account with their status (transfer
/// targets), readable by every agent.
#[utoipa::path(get, path = "/v1/agents/directory", responses((status = 200, body = Vec<shared::api::Colleague>), super::openapi::ReadErrors))]
async fn directory(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<shared::api::Colleague>>, ApiError> {
    Ok(Json(svc::directory(&s.ctx, &p).await?))
}

#[utoipa::path(put, path = "/v1/agents/me/status", request_body = shared::config::AgentStatus, responses((status = 200, body = shared::config::Agent), super::openapi::WriteErrors))]
async fn status(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(status): ApiJson<AgentStatus>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(svc::set_status(&s.ctx, &p, status).await?))
}

/// `PUT /v1/agents/me/device`: which of the agent's widget instances rings. A starting widget
/// claims with `only_if_free`; "use here" without. The answer names the active device.
#[utoipa::path(put, path = "/v1/agents/me/device", request_body = shared::api::DeviceClaim, responses((status = 200, body = shared::api::ActiveDevice), super::openapi::WriteErrors))]
async fn device(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(claim): ApiJson<shared::api::DeviceClaim>,
) -> Result<Json<shared::api::ActiveDevice>, ApiError> {
    Ok(Json(devices::claim(&s.ctx, &p, claim).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OptIn {
    opted_in: bool,
}

#[utoipa::path(put, path = "/v1/agents/me/queues/{queue_id}", request_body = OptIn, params(("queue_id" = uuid::Uuid, Path, description = "Queue id")), responses((status = 200, body = shared::config::Agent), super::openapi::WriteErrors))]
async fn opt_in(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(queue): ApiPath<QueueId>,
    ApiJson(b): ApiJson<OptIn>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(
        svc::set_queue_opt_in(&s.ctx, &p, queue, b.opted_in).await?,
    ))
}

#[utoipa::path(get, path = "/v1/agents/me/engagements", responses((status = 200, body = Vec<shared::engagement::Engagement>), super::openapi::ReadErrors))]
async fn my_engagements(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Engagement>>, ApiError> {
    Ok(Json(engagements::mine(&s.ctx, &p).await?))
}

/// `POST /v1/agents/me/calls`: click-to-dial. Starts an outbound voice engagement connected to
/// the calling agent (409 while the agent is offline or already on a call).
#[utoipa::path(post, path = "/v1/agents/me/calls", request_body = shared::api::DialRequest, responses((status = 201, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn dial(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<shared::api::DialRequest>,
) -> Result<(axum::http::StatusCode, Json<Engagement>), ApiError> {
    Ok((
        axum::http::StatusCode::CREATED,
        Json(engagements::dial(&s.ctx, &p, req).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Return events with a larger `seq` (default 0: from the start).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Only this engagement's events.
    engagement_id: Option<shared::ids::EngagementId>,
}

/// A page of the event log.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct EventsPage {
    events: Vec<Event>,
    /// Pass as `after` to get the next page.
    next_after: i64,
    /// True when the page is full (ask again at once).
    has_more: bool,
}

/// `GET /v1/events?after=<seq>&limit=&event=<name>&engagement_id=`: the account's event log
/// (clients with `events:read`, supervisors and admins). `event` (repeatable) keeps only
/// those log event names (`engagement.note_added`, …).
#[utoipa::path(get, path = "/v1/events", params(EventsQuery, ("event" = Option<Vec<shared::events::EventKind>>, Query, explode = true, description = "Only events with these names (repeat the parameter for several)")), responses((status = 200, description = "{events: [Event], next_after, has_more}", body = EventsPage), super::openapi::ReadErrors))]
async fn events(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<EventsQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventsPage>, ApiError> {
    p.supervisor_or(Scope::EventsRead)
        .map_err(|e| ApiError::Forbidden(e.to_string()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid(
            "after",
            "after must be a seq (0 or more)",
        ));
    }
    let mut kinds = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key == "event" {
            let kind = shared::events::EventKind::parse(&value).ok_or_else(|| {
                ApiError::invalid(
                    "event",
                    format!("{value:?} is not an event name (e.g. engagement.note_added)"),
                )
            })?;
            kinds.push(kind);
        }
    }
    let list = s
        .ctx
        .store
        .events_filtered(p.account(), after, limit, &kinds, q.engagement_id)
        .await?;
    let next = list.last().map_or(after, |e| e.seq);
    let has_more = list.len() as i64 == limit;
    Ok(Json(EventsPage {
        events: list,
        next_after: next,
        has_more,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct WsQuery {
    /// An agent token (browsers cannot set headers on WebSockets).
    access_token: Option<String>,
    /// Resume after this `seq`; default: from now.
    after: Option<i64>,
    /// The widget instance on this socket (see `PUT /v1/agents/me/device`): while it is open,
    /// a free device becomes this one, and the active device stays active.
    device: Option<String>,
}

/// An agent socket's read buffer. Clients send only pongs and the odd ping, so 4 KiB is
/// plenty; tungstenite's default (128 KiB per socket) was most of the server's memory with
/// thousands of idle agents.
const SOCKET_READ_BUFFER: usize = 4 * 1024;

/// The most a socket may have queued for writing before sends fail and the feed closes (the
/// client resumes from its last `seq`), so a slow client cannot grow the server's memory.
const SOCKET_MAX_WRITE_BUFFER: usize = 1024 * 1024;

/// The largest message or frame a client may send.
const SOCKET_MAX_MESSAGE: usize = 64 * 1024;

/// `GET /v1/agent/ws?access_token=…&after=<seq>`: the agent's live feed. Sends
/// `{"type":"hello","agent":…,"latest_seq":n}`, then `{"type":"event","event":…}` for every
/// event concerning the agent with `seq > after` (from `latest_seq` when `after` is absent),
/// in order, without gaps or duplicates; a client that reconnects with the last `seq` it saw
/// misses nothing.
#[utoipa::path(get, path = "/v1/agent/ws", params(WsQuery), responses((status = 101, description = "WebSocket: {type:hello} then {type:event, event} messages"), super::openapi::ReadErrors), security(()))]
async fn websocket(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<WsQuery>,
    parts: axum::http::request::Parts,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let token = super::auth::bearer(&parts)
        .or(q.access_token)
        .ok_or_else(|| {
            ApiError::Unauthorized("authentication required: ?access_token=<agent token>".into())
        })?;
    let principal = accounts::authenticate(&s.ctx, &token).await?;
    let session_id = crate::service::sessions::session_id(&s.ctx, &token).unwrap_or_default();
    let agent = svc::me(&s.ctx, &principal).await?;
    if q.after.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid(
            "after",
            "after must be a seq (0 or more)",
        ));
    }
    if let Some(device) = &q.device {
        crate::service::devices::check_id("device", device)?;
    }
    let hub = s.hub.clone();
    let metrics = s.ctx.metrics.clone();
    let ctx = s.ctx.clone();
    let account = principal.account();
    let agent_id = agent.agent_id;
    Ok(upgrade
        .read_buffer_size(SOCKET_READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(SOCKET_MAX_WRITE_BUFFER)
        .max_message_size(SOCKET_MAX_MESSAGE)
        .max_frame_size(SOCKET_MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            // Counted in `/metrics` while the socket's task runs.
            let _open = metrics.agent_socket();
            let device_socket = q
                .device
                .as_deref()
                .map(|d| ctx.device_sockets.open(agent_id, d));
            if let Some(device) = &q.device {
                if let Err(e) = devices::connected(&ctx, account, agent_id, device).await {
                    tracing::warn!(error = %e, "could not note the widget's device");
                }
            }
            let subscriber = crate::delivery::ws::Subscriber {
                account,
                agent,
                session_id,
                not_ready_reasons: ctx.not_ready_reasons.as_ref().clone(),
                device: q.device.clone(),
            };
            crate::delivery::ws::serve(ctx.clone(), hub, subscriber, q.after, socket).await;
            drop(device_socket);
            if let Some(device) = q.device {
                let closed_at = ctx.clock.now_ms();
                // In the background: the grace must not hold this task (and its socket count).
                tokio::spawn(async move {
                    if let Err(e) =
                        devices::disconnected(&ctx, account, agent_id, &device, closed_at).await
                    {
                        tracing::warn!(error = %e, "could not free the widget's device");
                    }
                });
            }
        }))
}
