//! The HTTP surface: thin handlers (parse, authorize, call, map errors) and the router.

mod agents;
mod apps;
mod attachments;
pub mod auth;
mod canned;
mod chat;
mod config;
mod engagements;
pub mod error;
pub mod extract;
mod health;
mod interactions;
mod metrics;
pub mod openapi;
mod reports;
mod wallboards;
mod webhooks;
mod widget;

use crate::embedding::{AllowedOrigins, Origin};
use crate::service::Ctx;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use error::ApiError;
use extract::ApiQuery;
use serde::Deserialize;
use shared::api::EmbeddingCheck;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::{router::OpenApiRouter, routes};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub ctx: Ctx,
    pub hub: crate::delivery::hub::Hub,
    pub embedding: Arc<EmbeddingPolicy>,
    /// `--trusted-proxy-header`: where the client's address is, behind a proxy.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// `--metrics-allow`: who may scrape `/metrics` without a token.
    pub metrics_allow: Arc<crate::config::MetricsAllow>,
}

/// The embedding allow-list and the header values derived from it once.
pub struct EmbeddingPolicy {
    pub allowed: AllowedOrigins,
    csp: HeaderValue,
}

impl EmbeddingPolicy {
    pub fn new(allowed: AllowedOrigins) -> Self {
        let csp = HeaderValue::from_str(&allowed.content_security_policy())
            .expect("origins are validated ASCII, so the CSP is a valid header value");
        EmbeddingPolicy { allowed, csp }
    }
}

pub struct RouterConfig {
    pub widget_dir: PathBuf,
    pub max_body_bytes: usize,
}

/// Every documented route, each registered once: the router and `/openapi.json` both come
/// from here.
pub fn api_routes() -> OpenApiRouter<AppState> {
    use openapi::{tagged, OpenApi};
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(tagged(
            OpenApiRouter::new()
                .routes(routes!(health::live))
                .routes(routes!(health::ready)),
            "health",
        ))
        .merge(tagged(
            OpenApiRouter::new().routes(routes!(metrics::metrics)),
            "operations",
        ))
        .merge(tagged(
            OpenApiRouter::new()
                .routes(routes!(check_embedding))
                // Public, one bit per guess: a website's chat bubble (`/chat.js`) asks from the
                // site's origin before it shows itself, so any origin may read the answer.
                .layer(
                    tower_http::cors::CorsLayer::new()
                        .allow_origin(tower_http::cors::Any)
                        .allow_methods([axum::http::Method::GET]),
                ),
            "embedding",
        ))
        .merge(tagged(
            OpenApiRouter::new().routes(routes!(csp_report)),
            "embedding",
        ))
        .merge(tagged(auth::routes(), "auth"))
        .merge(tagged(config::routes(), "config"))
        .merge(tagged(apps::routes(), "config"))
        .merge(tagged(canned::routes(), "engagements"))
        .merge(tagged(engagements::routes(), "engagements"))
        .merge(tagged(agents::routes(), "agents"))
        .merge(tagged(webhooks::routes(), "webhooks"))
        .merge(tagged(interactions::routes(), "interactions"))
        .merge(tagged(reports::routes(), "reports"))
        .merge(tagged(wallboards::routes(), "reports"))
        .merge(tagged(chat::routes(), "chat"))
        .merge(tagged(attachments::routes(), "chat"))
}

pub fn router(state: AppState, config: RouterConfig) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let api = api.route("/openapi.json", get(openapi::document));

    api.merge(widget::routes(&config.widget_dir))
        .merge(wallboards::page())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // After routing (so the route template is known), around every handler.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(ApiError::Internal(
                    "handler panicked".into(),
                ))
            },
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Every response may be framed only by this server and the allowed embedding origins.
async fn security_headers(
    State(state): State<AppState>,
    request: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    // A page (the widget's) may frame the registered side-panel apps: its policy lists their
    // origins, read fresh on every page load (a page load is rare; any instance's change
    // counts at once). Every other response gets the fixed policy.
    let page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let csp = match page {
        true => match crate::service::apps::origins(&state.ctx).await {
            Ok(apps) if !apps.frames.is_empty() => HeaderValue::from_str(
                &state
                    .embedding
                    .allowed
                    .content_security_policy_for_apps(&apps),
            )
            .unwrap_or_else(|_| state.embedding.csp.clone()),
            Ok(_) => state.embedding.csp.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the side-panel apps for the page's policy");
                state.embedding.csp.clone()
            }
        },
        false => state.embedding.csp.clone(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(crate::embedding::PERMISSIONS_POLICY),
    );
    response
}

/// Violation reports logged in the last minute; beyond [`CSP_REPORTS_LOGGED_PER_MINUTE`]
/// they are only counted, so a noisy page cannot flood the log.
static CSP_REPORTS: std::sync::Mutex<(i64, u64)> = std::sync::Mutex::new((0, 0));
const CSP_REPORTS_LOGGED_PER_MINUTE: u64 = 20;

/// `POST /v1/csp-reports`: browsers report Content-Security-Policy violations here
/// (`application/csp-report` or Reporting API JSON). Each is logged as a warning
/// (`content security policy violation`) so operators see a page the policy breaks.
#[utoipa::path(post, path = "/v1/csp-reports", request_body(content = serde_json::Value, content_type = "application/csp-report", description = "The browser's violation report"), responses((status = 204, description = "Received"), (status = 413, description = "Too large", body = shared::api::ErrorBody)), security(()))]
async fn csp_report(body: axum::body::Bytes) -> axum::http::StatusCode {
    let minute = crate::store::now_ms() / 60_000;
    let log = {
        let mut seen = CSP_REPORTS.lock().unwrap_or_else(|e| e.into_inner());
        if seen.0 != minute {
            *seen = (minute, 0);
        }
        seen.1 += 1;
        seen.1 <= CSP_REPORTS_LOGGED_PER_MINUTE
    };
    if log {
        let report = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
        tracing::warn!(%report, "content security policy violation");
    }
    axum::http::StatusCode::NO_CONTENT
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CheckQuery {
    /// The embedding page's origin, e.g. `https://crm.example.com`.
    #[param(
        required = true,
        pattern = r"^https?://[A-Za-z0-9]+(-[A-Za-z0-9]+)*(\.[A-Za-z0-9]+(-[A-Za-z0-9]+)*)*\.[A-Za-z]+(:[0-9]{1,4})?/?$"
    )]
    origin: Option<String>,
}

/// `GET /v1/embedding/check?origin=…`: the widget asks before it talks to its host page.
/// Public: the widget calls it before anyone signs in, and it reveals one bit per guess.
#[utoipa::path(get, path = "/v1/embedding/check", params(CheckQuery), responses((status = 200, description = "Whether the origin may embed the widget", body = shared::api::EmbeddingCheck), (status = 422, description = "origin missing or not an origin", body = shared::api::ErrorBody)), security(()))]
async fn check_embedding(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CheckQuery>,
) -> Result<Json<EmbeddingCheck>, ApiError> {
    let raw = query
        .origin
        .filter(|o| !o.trim().is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "origin",
                "origin is required, e.g. ?origin=https://crm.example.com",
            )
        })?;
    let origin = Origin::parse(&raw).map_err(|e| ApiError::invalid("origin", e.to_string()))?;
    Ok(Json(EmbeddingCheck {
        allowed: state.embedding.allowed.allows(&origin),
        origin: origin.to_string(),
    }))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
