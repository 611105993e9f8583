//! Webhook subscription routes (admins, or API clients with `webhooks:write`).

use super::auth::Auth;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::AppState;
use crate::service::webhooks as svc;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::ids::{DeliveryId, WebhookId};
use shared::webhooks::{
    CreateWebhook, DeliveriesPage, DeliveryStatus, RecoverRequest, Requeued, UpdateWebhook,
    Webhook, WebhookWithSecret,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(validate))
        .routes(routes!(rotate_secret))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(recover))
        .routes(routes!(callout_secret))
        .routes(routes!(callout_deliveries))
}

/// `POST /v1/webhooks`: subscribe. With `secret`, the URL must pass Zoom's
/// `endpoint.url_validation` challenge first (422 on `url` otherwise); without, a secret is
/// generated and the subscription waits, disabled, for `/validate`. The secret is in this
/// answer only.
#[utoipa::path(post, path = "/v1/webhooks", request_body = CreateWebhook, responses((status = 201, body = WebhookWithSecret), super::openapi::WriteErrors))]
async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookWithSecret>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(svc::create(&s.ctx, &p, req).await?),
    ))
}

#[utoipa::path(get, path = "/v1/webhooks", responses((status = 200, body = Vec<Webhook>), super::openapi::ReadErrors))]
async fn list(State(s): State<AppState>, Auth(p): Auth) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(svc::list(&s.ctx, &p).await?))
}

#[utoipa::path(get, path = "/v1/webhooks/{id}", params(("id" = uuid::Uuid, Path, description = "Webhook id")), responses((status = 200, body = Webhook), super::openapi::ReadErrors))]
async fn read(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(svc::get(&s.ctx, &p, id).await?))
}

/// `PATCH /v1/webhooks/{id}`: change url, events, description or enabled. A new URL is
/// validated again with the current secret.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", params(("id" = uuid::Uuid, Path, description = "Webhook id")), request_body = UpdateWebhook, responses((status = 200, body = Webhook), super::openapi::WriteErrors))]
async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
    ApiJson(req): ApiJson<UpdateWebhook>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(svc::update(&s.ctx, &p, id, req).await?))
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", params(("id" = uuid::Uuid, Path, description = "Webhook id")), responses((status = 204, description = "Deleted, with its delivery log"), super::openapi::ReadErrors))]
async fn remove(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
) -> Result<StatusCode, ApiError> {
    svc::delete(&s.ctx, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/webhooks/{id}/validate`: run the URL validation with the stored secret; on
/// success the subscription is enabled (422 on `url` with what the endpoint answered).
#[utoipa::path(post, path = "/v1/webhooks/{id}/validate", params(("id" = uuid::Uuid, Path, description = "Webhook id")), responses((status = 200, body = Webhook), super::openapi::WriteErrors))]
async fn validate(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(svc::validate(&s.ctx, &p, id).await?))
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret (in this answer only); for 24 h
/// deliveries carry a Standard Webhooks signature with each.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", params(("id" = uuid::Uuid, Path, description = "Webhook id")), responses((status = 200, body = WebhookWithSecret), super::openapi::WriteErrors))]
async fn rotate_secret(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
) -> Result<Json<WebhookWithSecret>, ApiError> {
    Ok(Json(svc::rotate_secret(&s.ctx, &p, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// Only deliveries in this state.
    status: Option<DeliveryStatus>,
    /// Deliveries of events with a larger `seq` (default 0).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

impl DeliveriesQuery {
    /// `(after, limit)`, checked.
    fn page(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                "limit must be between 1 and 1000",
            ));
        }
        let after = self.after.unwrap_or(0);
        if after < 0 {
            return Err(ApiError::invalid(
                "after",
                "after must be a seq (0 or more)",
            ));
        }
        Ok((after, limit))
    }
}

/// `GET /v1/webhooks/{id}/deliveries?status=&after=&limit=`: the delivery log, by event
/// `seq`, each delivery with its attempts.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", params(("id" = uuid::Uuid, Path, description = "Webhook id"), DeliveriesQuery), responses((status = 200, body = DeliveriesPage), super::openapi::ReadErrors))]
async fn deliveries(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<DeliveriesPage>, ApiError> {
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
    Ok(Json(
        svc::deliveries(&s.ctx, &p, id, q.status, after, limit).await?,
    ))
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver`: send it again now, with a
/// fresh retry schedule.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", params(("id" = uuid::Uuid, Path, description = "Webhook id"), ("delivery_id" = uuid::Uuid, Path, description = "Delivery id")), responses((status = 202, body = Requeued), super::openapi::WriteErrors))]
async fn redeliver(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, delivery)): ApiPath<(WebhookId, DeliveryId)>,
) -> Result<(StatusCode, Json<Requeued>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(svc::redeliver(&s.ctx, &p, id, delivery).await?),
    ))
}

/// `POST /v1/webhooks/{id}/recover {"since": RFC 3339}`: send again every selected event
/// since then (including those from while the subscription was disabled).
#[utoipa::path(post, path = "/v1/webhooks/{id}/recover", params(("id" = uuid::Uuid, Path, description = "Webhook id")), request_body = RecoverRequest, responses((status = 202, body = Requeued), super::openapi::WriteErrors))]
async fn recover(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WebhookId>,
    ApiJson(req): ApiJson<RecoverRequest>,
) -> Result<(StatusCode, Json<Requeued>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(svc::recover(&s.ctx, &p, id, req.since).await?),
    ))
}

/// `GET /v1/flows/callout-secret`: the `whsec_` secret flow callouts are signed with, exactly
/// as webhook deliveries (admins only).
#[utoipa::path(get, path = "/v1/flows/callout-secret", responses((status = 200, body = shared::webhooks::CalloutSecret), super::openapi::ReadErrors))]
async fn callout_secret(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<shared::webhooks::CalloutSecret>, ApiError> {
    Ok(Json(svc::callout_secret(&s.ctx, &p).await?))
}

/// `GET /v1/flows/{id}/callouts/deliveries?status=&after=&limit=`: the flow's callout log.
#[utoipa::path(get, path = "/v1/flows/{id}/callouts/deliveries", params(("id" = uuid::Uuid, Path, description = "Flow id"), DeliveriesQuery), responses((status = 200, body = shared::webhooks::CalloutDeliveriesPage), super::openapi::ReadErrors))]
async fn callout_deliveries(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<shared::ids::FlowId>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<shared::webhooks::CalloutDeliveriesPage>, ApiError> {
    let (after, limit) = q.page()?;
    Ok(Json(
        svc::callout_deliveries(&s.ctx, &p, id, q.status, after, limit).await?,
    ))
}
