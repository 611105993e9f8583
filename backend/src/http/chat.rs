//! Web chat routes for the customer's side (`/v1/chat/…`): start a chat through an entry point
//! that takes chats (no credentials: the pre-chat form), then read and write it with the
//! session token the start returned.

use super::auth::{bearer, ClientAddr};
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::service::chat::{self as svc, ChatCaller};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use shared::api::{ChatEntry, ChatSession, ChatStart, ChatView, LeaveMessage, LeftMessage};
use shared::engagement::{MessageRecord, NewMessage, NewReceipt};
use shared::survey::{SurveyAnswer, SurveyResponse};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(entry))
        .routes(routes!(start))
        .routes(routes!(start_call))
        .routes(routes!(leave_message))
        .routes(routes!(view))
        .routes(routes!(send))
        .routes(routes!(typing))
        .routes(routes!(receipt))
        .routes(routes!(leave))
        .routes(routes!(answer_survey))
        .routes(routes!(socket))
}

/// The customer of one chat, from `Authorization: Bearer <session_token>`.
pub struct Customer(pub ChatCaller);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Unauthorized(
                "send the chat's session token: Authorization: Bearer <session_token>".into(),
            )
        })?;
        let caller = svc::authenticate(&state.ctx, &token)?;
        crate::service::chat::presence::seen(&state.ctx, caller.engagement).await;
        Ok(Customer(caller))
    }
}

/// `GET /v1/chat/{entry_id}`: what the pre-chat form asks for (public). 404 unless the entry
/// point takes web chats.
#[utoipa::path(get, path = "/v1/chat/{entry_id}", params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The entry point")), responses((status = 200, body = ChatEntry), super::openapi::ReadErrors), security(()))]
async fn entry(
    State(s): State<AppState>,
    ApiPath(entry_id): ApiPath<String>,
) -> Result<Json<ChatEntry>, ApiError> {
    Ok(Json(svc::entry(&s.ctx, &entry_id).await?))
}

/// `POST /v1/chat/{entry_id}/sessions`: the pre-chat form starts a chat; 201 with the
/// session token. 404 unless the entry point takes web chats.
#[utoipa::path(post, path = "/v1/chat/{entry_id}/sessions", request_body = ChatStart, params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The entry point")), responses((status = 201, body = ChatSession), super::openapi::WriteErrors), security(()))]
async fn start(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(entry_id): ApiPath<String>,
    ApiJson(req): ApiJson<ChatStart>,
) -> Result<(StatusCode, Json<ChatSession>), ApiError> {
    started(&s, &entry_id, req, client, svc::Conversation::Chat).await
}

/// `POST /v1/chat/{entry_id}/calls`: the chat page's **Call** starts a web call; 201 with the
/// session token, whose socket then carries the call's SDP (`call_offer` → `call_answer`,
/// docs/voice.md). 404 unless the entry point takes web calls; 409 without a media socket.
#[utoipa::path(post, path = "/v1/chat/{entry_id}/calls", request_body = ChatStart, params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The entry point")), responses((status = 201, body = ChatSession), super::openapi::WriteErrors), security(()))]
async fn start_call(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(entry_id): ApiPath<String>,
    ApiJson(req): ApiJson<ChatStart>,
) -> Result<(StatusCode, Json<ChatSession>), ApiError> {
    started(&s, &entry_id, req, client, svc::Conversation::Call).await
}

/// A chat or a call started from the pre-chat form: `201` with its session.
async fn started(
    s: &AppState,
    entry_id: &str,
    req: ChatStart,
    client: Option<std::net::IpAddr>,
    kind: svc::Conversation,
) -> Result<(StatusCode, Json<ChatSession>), ApiError> {
    let session = svc::start(&s.ctx, entry_id, req, client, kind).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// `POST /v1/chat/{entry_id}/left-messages`: "leave a message" instead of a chat (public); it
/// becomes a work item through the entry point the chat names. 404 unless the entry point's
/// chat takes messages.
#[utoipa::path(post, path = "/v1/chat/{entry_id}/left-messages", request_body = LeaveMessage, params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The entry point")), responses((status = 201, body = LeftMessage), super::openapi::WriteErrors), security(()))]
async fn leave_message(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(entry_id): ApiPath<String>,
    ApiJson(req): ApiJson<LeaveMessage>,
) -> Result<(StatusCode, Json<LeftMessage>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::leave_message(&s.ctx, &entry_id, req, client).await?),
    ))
}

/// `GET /v1/chat/session`: the chat's state and its conversation, oldest first.
#[utoipa::path(get, path = "/v1/chat/session", responses((status = 200, body = ChatView), super::openapi::ReadErrors))]
async fn view(
    State(s): State<AppState>,
    Customer(c): Customer,
) -> Result<Json<ChatView>, ApiError> {
    Ok(Json(svc::view(&s.ctx, c).await?))
}

/// `POST /v1/chat/session/messages`: the customer writes (plain text, 1–4,000 characters).
#[utoipa::path(post, path = "/v1/chat/session/messages", request_body = NewMessage, responses((status = 201, body = MessageRecord), super::openapi::WriteErrors))]
async fn send(
    State(s): State<AppState>,
    Customer(c): Customer,
    ApiJson(b): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageRecord>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::send(&s.ctx, c, b.body).await?),
    ))
}

/// `POST /v1/chat/session/typing`: the customer is typing; their agent's widget shows it for a
/// few seconds. Send it every few seconds while typing. Not stored.
#[utoipa::path(post, path = "/v1/chat/session/typing", responses((status = 204, description = "Told"), super::openapi::WriteErrors))]
async fn typing(State(s): State<AppState>, Customer(c): Customer) -> Result<StatusCode, ApiError> {
    if let Some(agent) = svc::customer_typing(&s.ctx, c).await? {
        s.hub.customer_typing(agent, c.engagement);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/chat/session/receipts`: the customer's page has received (`delivered`) or shown
/// (`read`) the agent's messages up to `message_id`; the agent's widget shows it. 422 naming
/// `message_id` for a message not in this chat or the customer's own.
#[utoipa::path(post, path = "/v1/chat/session/receipts", request_body = NewReceipt, responses((status = 204, description = "Recorded (or already further)"), super::openapi::WriteErrors))]
async fn receipt(
    State(s): State<AppState>,
    Customer(c): Customer,
    ApiJson(r): ApiJson<NewReceipt>,
) -> Result<StatusCode, ApiError> {
    svc::customer_receipt(&s.ctx, c, r).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/chat/session/end`: the customer ends the chat. Before an agent answered it closes
/// as abandoned; after, the agent's conversation ends (they go on to wrap-up). 409 once ended.
#[utoipa::path(post, path = "/v1/chat/session/end", responses((status = 204, description = "Ended"), super::openapi::WriteErrors))]
async fn leave(State(s): State<AppState>, Customer(c): Customer) -> Result<StatusCode, ApiError> {
    svc::leave(&s.ctx, c).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/chat/session/survey`: the customer answers the entry point's satisfaction survey
/// once the conversation with an agent has ended (`ChatView::survey` says whether there is
/// one); 201 with the stored answer. 404 when the entry point asks none; 409 before the end,
/// when no agent answered, or when it was answered already; 422 naming `rating` or `comment`.
#[utoipa::path(post, path = "/v1/chat/session/survey", request_body = SurveyAnswer, responses((status = 201, body = SurveyResponse), super::openapi::WriteErrors))]
async fn answer_survey(
    State(s): State<AppState>,
    Customer(c): Customer,
    ApiJson(a): ApiJson<SurveyAnswer>,
) -> Result<(StatusCode, Json<SurveyResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(crate::service::surveys::answer(&s.ctx, c, a).await?),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SocketQuery {
    /// The chat's session token (browsers cannot set headers on WebSockets).
    access_token: Option<String>,
    /// Resume after this `seq`; `0` replays the whole chat; default: from now.
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// The largest frame a customer's socket takes (they send nothing but pongs).
const SOCKET_MAX_MESSAGE: usize = 16 * 1024;

/// `GET /v1/chat/session/socket?access_token=…&after=<seq>`: the chat, live. Sends `hello`,
/// then `message`, `agent_joined`, `agent_left` and `ended` frames with their `seq`, in order,
/// without gaps or duplicates (`shared::api::ChatFrame`).
#[utoipa::path(get, path = "/v1/chat/session/socket", params(SocketQuery), responses((status = 101, description = "WebSocket: ChatFrame messages", body = shared::api::ChatFrame), super::openapi::ReadErrors), security(()))]
async fn socket(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SocketQuery>,
    parts: Parts,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let token = bearer(&parts).or(q.access_token).ok_or_else(|| {
        ApiError::Unauthorized(
            "send the chat's session token: ?access_token=<session_token>".into(),
        )
    })?;
    let caller = svc::authenticate(&s.ctx, &token)?;
    crate::service::chat::presence::seen(&s.ctx, caller.engagement).await;
    if q.after.is_some_and(|a| a < 0) {
        return Err(ApiError::invalid(
            "after",
            "after must be a seq (0 or more)",
        ));
    }
    let state = svc::state(&s.ctx, caller).await?;
    let (ctx, hub) = (s.ctx.clone(), s.hub.clone());
    Ok(upgrade
        .max_message_size(SOCKET_MAX_MESSAGE)
        .max_frame_size(SOCKET_MAX_MESSAGE)
        .on_upgrade(move |socket| {
            crate::delivery::chat_ws::serve(ctx, hub, caller, state, q.after, socket)
        }))
}
