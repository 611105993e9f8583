//! Canned response routes: `/v1/canned-responses` (the team's and the caller's own) and an
//! engagement's, filled for it (`/v1/engagements/{id}/canned-responses`).

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::service::canned as svc;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::canned::{CannedResponse, CannedResponseInput, FilledResponse};
use shared::ids::{CannedResponseId, EngagementId, QueueId};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_canned, create_canned))
        .routes(routes!(replace_canned, delete_canned))
        .routes(routes!(engagement_canned))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only those this queue offers (its own and those for every queue).
    queue_id: Option<QueueId>,
}

/// The team's canned responses and the caller's own.
#[utoipa::path(get, path = "/v1/canned-responses", params(ListQuery), responses((status = 200, body = Vec<shared::canned::CannedResponse>), super::openapi::ReadErrors))]
async fn list_canned(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<CannedResponse>>, ApiError> {
    Ok(Json(svc::list(&s.ctx, &p, q.queue_id).await?))
}

/// Create one: admins' are the team's by default, everyone else's their own.
#[utoipa::path(post, path = "/v1/canned-responses", request_body = shared::canned::CannedResponseInput, responses((status = 201, body = shared::canned::CannedResponse), super::openapi::WriteErrors))]
async fn create_canned(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<CannedResponseInput>,
) -> Result<(StatusCode, Json<CannedResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::create(&s.ctx, &p, body).await?),
    ))
}

#[utoipa::path(put, path = "/v1/canned-responses/{id}", request_body = shared::canned::CannedResponseInput, params(("id" = uuid::Uuid, Path, description = "Canned response id")), responses((status = 200, body = shared::canned::CannedResponse), super::openapi::WriteErrors))]
async fn replace_canned(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<CannedResponseId>,
    ApiJson(body): ApiJson<CannedResponseInput>,
) -> Result<Json<CannedResponse>, ApiError> {
    Ok(Json(svc::update(&s.ctx, &p, id, body).await?))
}

#[utoipa::path(delete, path = "/v1/canned-responses/{id}", params(("id" = uuid::Uuid, Path, description = "Canned response id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_canned(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<CannedResponseId>,
) -> Result<StatusCode, ApiError> {
    svc::delete(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the engagement's queue offers the calling agent, each filled for this engagement
/// (placeholders without a value are left in `text` and listed in `missing`).
#[utoipa::path(get, path = "/v1/engagements/{id}/canned-responses", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = Vec<shared::canned::FilledResponse>), super::openapi::ReadErrors))]
async fn engagement_canned(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<Vec<FilledResponse>>, ApiError> {
    Ok(Json(svc::for_engagement(&s.ctx, &p, id).await?))
}
