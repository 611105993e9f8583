//! `GET /metrics` and the middleware that times every request (see `crate::metrics`).

use super::auth::{bearer, ClientAddr};
use super::error::ApiError;
use super::AppState;
use crate::auth::Scope;
use crate::service::{accounts, ServiceError};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// The OpenMetrics text format (Prometheus 2.5+ negotiates it; its `text/plain` parser reads it too).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`: every series in the OpenMetrics text format (`docs/operations.md` lists
/// them). Without a token only from the `--metrics-allow` addresses (loopback by default);
/// from elsewhere with a supervisor's or admin's token, or a client's with `engagements:read`.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Metrics in the OpenMetrics text format", body = String, content_type = "application/openmetrics-text"), super::openapi::ReadErrors), security((), ("bearer" = [])))]
pub async fn metrics(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    let trusted = address.is_some_and(|a| state.metrics_allow.contains(a));
    if !trusted {
        let token = bearer(&parts).ok_or_else(|| {
            ApiError::Unauthorized(
                "metrics from this address need Authorization: Bearer <token> (a supervisor, an admin, or a client with engagements:read), or the address in --metrics-allow".into(),
            )
        })?;
        let principal = accounts::authenticate(&state.ctx, &token).await?;
        principal
            .supervisor_or(Scope::EngagementsRead)
            .map_err(ServiceError::from)?;
    }
    let sample = crate::service::metrics::sample(&state.ctx, state.hub.published()).await?;
    Ok((
        [(header::CONTENT_TYPE, OPENMETRICS)],
        state.ctx.metrics.render(&sample),
    )
        .into_response())
}

/// Times each request and counts it under its method and route template (`other` for methods
/// HTTP does not define, `unmatched` for paths no route takes), so a client cannot grow the
/// series count with made-up methods or paths.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.ctx.metrics.http_request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The `method` label: one of the methods RFC 9110 and RFC 5789 define, else `other`.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for made_up in ["SCANX1", "get", "PROPFIND", "X"] {
            let m = Method::from_bytes(made_up.as_bytes()).unwrap();
            assert_eq!(method_label(&m), "other", "{made_up}");
        }
    }
}
