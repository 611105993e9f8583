//! Engagement routes: start, read, commands, cancel.

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::service::engagements::{self as svc, Action, TransferTarget};
use crate::store::engagements::NoteRecord;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shared::api::StartEngagementRequest;
use shared::engagement::{
    Engagement, MessageReceipt, MessageRecord, NewMessage, NewReceipt, Variables,
};
use shared::ids::{DispositionId, EngagementId};
use shared::EngagementState;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start, list))
        .routes(routes!(get_one))
        .routes(routes!(notes, add_note))
        .routes(routes!(messages, add_message))
        .routes(routes!(typing))
        .routes(routes!(receipts, receipt))
        .routes(routes!(accept))
        .routes(routes!(decline))
        .routes(routes!(inactive))
        .routes(routes!(resume))
        .routes(routes!(end))
        .routes(routes!(close))
        .routes(routes!(cancel))
        .routes(routes!(transfer))
        .routes(routes!(disposition))
        .routes(routes!(variables))
        .routes(routes!(monitor))
}

/// `POST /v1/engagements`: 201 with the engagement; with `Idempotency-Key`, a retry gets the
/// first response again.
#[utoipa::path(post, path = "/v1/engagements", request_body = shared::api::StartEngagementRequest, params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$", description = "Makes retries safe: the same key returns the first response")), responses((status = 201, description = "Created (or the first response again for a repeated Idempotency-Key)", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn start(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StartEngagementRequest>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "Idempotency-Key must be ASCII"))
        })
        .transpose()?;
    // A replay answers as the first request was answered: 201 with the same engagement.
    let started = svc::start(&s.ctx, &p, req, key).await?;
    let replayed = if started.replayed { "true" } else { "false" };
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", replayed)],
        Json(started.engagement),
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only engagements in this state.
    state: Option<EngagementState>,
    /// At most this many, newest first (1–500, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/engagements", params(ListQuery), responses((status = 200, body = Vec<shared::engagement::Engagement>), super::openapi::ReadErrors))]
async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Engagement>>, ApiError> {
    Ok(Json(
        svc::list(&s.ctx, &p, q.state, q.limit.unwrap_or(100)).await?,
    ))
}

#[utoipa::path(get, path = "/v1/engagements/{id}", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = shared::engagement::Engagement), super::openapi::ReadErrors))]
async fn get_one(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<Engagement>, ApiError> {
    Ok(Json(svc::get(&s.ctx, &p, id).await?))
}

#[utoipa::path(get, path = "/v1/engagements/{id}/notes", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = Vec<NoteRecord>), super::openapi::ReadErrors))]
async fn notes(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<Vec<NoteRecord>>, ApiError> {
    Ok(Json(svc::notes(&s.ctx, &p, id).await?))
}

async fn run(
    s: &AppState,
    p: &crate::auth::Principal,
    id: EngagementId,
    action: Action,
) -> Result<Json<Engagement>, ApiError> {
    Ok(Json(svc::act(&s.ctx, p, id, action).await?))
}

macro_rules! simple_command {
    ($(#[$meta:meta])* $name:ident, $action:expr) => {
        $(#[$meta])*
        async fn $name(
            State(s): State<AppState>,
            Auth(p): Auth,
            ApiPath(id): ApiPath<EngagementId>,
        ) -> Result<Json<Engagement>, ApiError> {
            run(&s, &p, id, $action).await
        }
    };
}

simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/accept", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "The offered agent takes it", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    accept,
    Action::Accept
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/decline", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "The offered agent refuses it", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    decline,
    Action::Decline
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/inactive", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "connected → inactive", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    inactive,
    Action::MarkInactive
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/resume", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "inactive → connected", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    resume,
    Action::Resume
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/end", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "The conversation ended: wrap-up starts", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    end,
    Action::End
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/close", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "Finish (through wrap-up)", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    close,
    Action::Close
);
simple_command!(
    #[utoipa::path(post, path = "/v1/engagements/{id}/cancel", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, description = "The external system withdraws a queued or ringing engagement", body = shared::engagement::Engagement), super::openapi::WriteErrors))]
    cancel,
    Action::Cancel
);

#[derive(Deserialize, utoipa::ToSchema)]
struct NoteBody {
    #[schema(schema_with = shared::limits::schemas::visible_10000)]
    body: String,
}

#[utoipa::path(post, path = "/v1/engagements/{id}/notes", request_body = NoteBody, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 201, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn add_note(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<Engagement>), ApiError> {
    Ok((
        StatusCode::CREATED,
        run(&s, &p, id, Action::AddNote(b.body)).await?,
    ))
}

/// `GET /v1/engagements/{id}/messages`: a chat or SMS conversation, oldest first.
#[utoipa::path(get, path = "/v1/engagements/{id}/messages", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = Vec<MessageRecord>), super::openapi::ReadErrors))]
async fn messages(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<Vec<MessageRecord>>, ApiError> {
    Ok(Json(svc::messages(&s.ctx, &p, id).await?))
}

/// `POST /v1/engagements/{id}/messages`: the agent (or a barging supervisor) writes in a chat
/// or SMS conversation; `201` with the message (the engagement stays at its own route); 409
/// for other channels.
#[utoipa::path(post, path = "/v1/engagements/{id}/messages", request_body = NewMessage, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 201, description = "The message as stored", body = MessageRecord), super::openapi::WriteErrors))]
async fn add_message(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(b): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageRecord>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::message::write_text(&s.ctx, &p, id, b.body).await?),
    ))
}

/// `POST /v1/engagements/{id}/typing`: the agent (or a supervisor in the chat) is typing; the
/// customer's chat page shows it for a few seconds. Send it every few seconds while typing.
/// Not stored; 409 unless the engagement is a live web chat.
#[utoipa::path(post, path = "/v1/engagements/{id}/typing", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 204, description = "Told"), super::openapi::WriteErrors))]
async fn typing(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<StatusCode, ApiError> {
    crate::service::chat::agent_typing(&s.ctx, &p, id).await?;
    s.hub.agent_typing(id);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/engagements/{id}/receipts`: how far each side of a chat has received and read the
/// other side's messages (what a reopened conversation shows under each message).
#[utoipa::path(get, path = "/v1/engagements/{id}/receipts", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = Vec<MessageReceipt>), super::openapi::ReadErrors))]
async fn receipts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<Vec<MessageReceipt>>, ApiError> {
    Ok(Json(svc::receipts(&s.ctx, &p, id).await?))
}

/// `POST /v1/engagements/{id}/receipts`: the chat's agent has received (`delivered`) or read
/// the customer's messages up to `message_id`; the customer's page shows it. 422 naming
/// `message_id` for a message not in this chat or the agent's side's own.
#[utoipa::path(post, path = "/v1/engagements/{id}/receipts", request_body = NewReceipt, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 204, description = "Recorded (or already further)"), super::openapi::WriteErrors))]
async fn receipt(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(r): ApiJson<NewReceipt>,
) -> Result<StatusCode, ApiError> {
    crate::service::chat::agent_receipt(&s.ctx, &p, id, r).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/engagements/{id}/transfer", request_body = TransferTarget, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(t): ApiJson<TransferTarget>,
) -> Result<Json<Engagement>, ApiError> {
    run(&s, &p, id, Action::Transfer(t)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DispositionBody {
    disposition_id: DispositionId,
}

#[utoipa::path(put, path = "/v1/engagements/{id}/disposition", request_body = DispositionBody, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn disposition(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(b): ApiJson<DispositionBody>,
) -> Result<Json<Engagement>, ApiError> {
    run(&s, &p, id, Action::SetDisposition(b.disposition_id)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VariablesBody {
    #[schema(schema_with = shared::limits::schemas::variables_update)]
    variables: Variables,
}

#[utoipa::path(patch, path = "/v1/engagements/{id}/variables", request_body = VariablesBody, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn variables(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(b): ApiJson<VariablesBody>,
) -> Result<Json<Engagement>, ApiError> {
    run(&s, &p, id, Action::UpdateVariables(b.variables)).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum MonitorMode {
    Monitor,
    Barge,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MonitorBody {
    mode: MonitorMode,
}

#[utoipa::path(post, path = "/v1/engagements/{id}/monitor", request_body = MonitorBody, params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = shared::engagement::Engagement), super::openapi::WriteErrors))]
async fn monitor(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiJson(b): ApiJson<MonitorBody>,
) -> Result<Json<Engagement>, ApiError> {
    run(
        &s,
        &p,
        id,
        Action::Monitor {
            barge: matches!(b.mode, MonitorMode::Barge),
        },
    )
    .await
}
