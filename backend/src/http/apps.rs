//! Side-panel app routes (`/v1/apps`): admins write, agents and supervisors read.

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{parse_with_id, ApiPath};
use super::AppState;
use crate::service::apps as svc;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::config::App;
use shared::ids::AppId;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, create_app))
        .routes(routes!(get_app, replace_app, delete_app))
}

#[utoipa::path(get, path = "/v1/apps", responses((status = 200, body = Vec<shared::config::App>), super::openapi::ReadErrors))]
async fn list_apps(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<App>>, ApiError> {
    Ok(Json(svc::list(&s.ctx, &p).await?))
}

#[utoipa::path(post, path = "/v1/apps", request_body = shared::config::App, responses((status = 201, body = shared::config::App), super::openapi::WriteErrors))]
async fn create_app(
    State(s): State<AppState>,
    Auth(p): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<App>), ApiError> {
    let app = parse_with_id(&body, "app_id", uuid::Uuid::now_v7().to_string(), false)?;
    Ok((StatusCode::CREATED, Json(svc::put(&s.ctx, &p, app).await?)))
}

#[utoipa::path(get, path = "/v1/apps/{id}", params(("id" = uuid::Uuid, Path, description = "App id")), responses((status = 200, body = shared::config::App), super::openapi::ReadErrors))]
async fn get_app(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AppId>,
) -> Result<Json<App>, ApiError> {
    Ok(Json(svc::get(&s.ctx, &p, id).await?))
}

#[utoipa::path(put, path = "/v1/apps/{id}", request_body = shared::config::App, params(("id" = uuid::Uuid, Path, description = "App id")), responses((status = 200, body = shared::config::App), super::openapi::WriteErrors))]
async fn replace_app(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AppId>,
    body: Bytes,
) -> Result<Json<App>, ApiError> {
    let app = parse_with_id(&body, "app_id", id.to_string(), true)?;
    Ok(Json(svc::put(&s.ctx, &p, app).await?))
}

#[utoipa::path(delete, path = "/v1/apps/{id}", params(("id" = uuid::Uuid, Path, description = "App id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_app(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<AppId>,
) -> Result<StatusCode, ApiError> {
    svc::delete(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
