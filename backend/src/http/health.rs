//! Liveness and readiness probes.

use super::error::ApiError;
use super::AppState;
use axum::extract::State;
use axum::Json;
use shared::api::Health;
use std::time::Duration;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /healthz`: the process is up and serving.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The process is serving", body = shared::api::Health)), security(()))]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        database: None,
        version: VERSION.into(),
    })
}

/// `GET /readyz`: the database answers; a load balancer may send traffic.
#[utoipa::path(get, path = "/readyz", responses((status = 200, description = "The database answers", body = shared::api::Health), (status = 503, description = "The database does not answer", body = shared::api::ErrorBody)), security(()))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.ctx.store.ping()).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ready".into(),
            database: Some(state.ctx.store.backend().as_str().into()),
            version: VERSION.into(),
        })),
        Ok(Err(e)) => Err(ApiError::Unavailable(format!("database not ready: {e}"))),
        Err(_) => Err(ApiError::Unavailable(
            "database did not answer within 2 s".into(),
        )),
    }
}
