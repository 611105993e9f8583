//! Wallboard routes: admins create, list and delete wallboards (`/v1/wallboards`); a screen
//! reads its view with the wallboard's own token (`GET /v1/wallboards/{id}/view`) from the
//! page `/wallboard/{id}`, which loads the widget's extras module to draw it.

use super::auth::{bearer, Auth};
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath};
use super::AppState;
use crate::service::wallboards as svc;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shared::ids::WallboardId;
use shared::wallboard::{MintedWallboard, NewWallboard, Wallboard, WallboardView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_wallboards, create_wallboard))
        .routes(routes!(delete_wallboard))
        .routes(routes!(wallboard_view))
}

/// The wallboard page and its files (outside the API document).
pub fn page() -> Router<AppState> {
    Router::new()
        .route(
            "/wallboard/{id}",
            get(|| file(PAGE_HTML, "text/html; charset=utf-8")),
        )
        .route(
            "/wallboard.js",
            get(|| file(PAGE_JS, "application/javascript; charset=utf-8")),
        )
        .route(
            "/wallboard.css",
            get(|| file(PAGE_CSS, "text/css; charset=utf-8")),
        )
}

const PAGE_HTML: &str = include_str!("../../static/wallboard.html");
const PAGE_JS: &str = include_str!("../../static/wallboard.js");
const PAGE_CSS: &str = include_str!("../../static/wallboard.css");

async fn file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/wallboards", responses((status = 200, body = Vec<shared::wallboard::Wallboard>), super::openapi::ReadErrors))]
async fn list_wallboards(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<Wallboard>>, ApiError> {
    Ok(Json(svc::list(&s.ctx, &p).await?))
}

/// Create a wallboard and mint its token, shown only in this answer.
#[utoipa::path(post, path = "/v1/wallboards", request_body = shared::wallboard::NewWallboard, responses((status = 201, body = shared::wallboard::MintedWallboard), super::openapi::WriteErrors))]
async fn create_wallboard(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<NewWallboard>,
) -> Result<(StatusCode, Json<MintedWallboard>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::create(&s.ctx, &p, body).await?),
    ))
}

/// Delete a wallboard: its token stops working at once.
#[utoipa::path(delete, path = "/v1/wallboards/{id}", params(("id" = uuid::Uuid, Path, description = "Wallboard id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_wallboard(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WallboardId>,
) -> Result<StatusCode, ApiError> {
    svc::delete(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the wallboard's screen shows, read with the wallboard's token (no other token works
/// here, and this token works nowhere else).
#[utoipa::path(get, path = "/v1/wallboards/{id}/view", params(("id" = uuid::Uuid, Path, description = "Wallboard id")), responses((status = 200, body = shared::wallboard::WallboardView), super::openapi::ReadErrors))]
async fn wallboard_view(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<WallboardId>,
    parts: Parts,
) -> Result<Json<WallboardView>, ApiError> {
    let token = bearer(&parts).ok_or_else(|| {
        ApiError::Unauthorized("send the wallboard's token: Authorization: Bearer <token>".into())
    })?;
    let latest = s.hub.latest_stats();
    Ok(Json(svc::view(&s.ctx, id, &token, latest).await?))
}
