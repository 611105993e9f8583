//! Web chat routes for the customer's side (`/v1/chat/…`): start a chat through an entry point
//! that takes chats (no credentials: the pre-chat form), then read and write it with the
//! session token the start returned.

use super::auth::bearer;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath};
use super::AppState;
use crate::service::chat::{self as svc, ChatCaller};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use shared::api::{ChatSession, ChatStart, ChatView};
use shared::engagement::{MessageRecord, NewMessage};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(view))
        .routes(routes!(send))
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
        Ok(Customer(svc::authenticate(&state.ctx, &token)?))
    }
}

/// `POST /v1/chat/{entry_id}/sessions`: the pre-chat form starts a chat; 201 with the
/// session token. 404 unless the entry point takes web chats.
#[utoipa::path(post, path = "/v1/chat/{entry_id}/sessions", request_body = ChatStart, params(("entry_id" = String, Path, min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.-]+$", description = "The entry point")), responses((status = 201, body = ChatSession), super::openapi::WriteErrors))]
async fn start(
    State(s): State<AppState>,
    ApiPath(entry_id): ApiPath<String>,
    ApiJson(req): ApiJson<ChatStart>,
) -> Result<(StatusCode, Json<ChatSession>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::start(&s.ctx, &entry_id, req).await?),
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
