//! The `Auth` extractor and the sign-in routes.

use super::error::ApiError;
use super::extract::ApiJson;
use super::AppState;
use crate::auth::{Principal, Scope};
use crate::service::accounts::{self, NewClient, TokenResponse};
use crate::store::config::ApiClientRecord;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use shared::ids::AgentId;
use std::net::{IpAddr, SocketAddr};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The authenticated caller, from `Authorization: Bearer <token>` (or, for WebSockets, which
/// cannot set headers in browsers, `?access_token=`).
pub struct Auth(pub Principal);

pub fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    None
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Unauthorized(
                "authentication required: send Authorization: Bearer <token>".into(),
            )
        })?;
        Ok(Auth(accounts::authenticate(&state.ctx, &token).await?))
    }
}

/// The caller's address for sign-in throttling: the configured trusted-proxy header's last
/// value (the address the proxy itself saw) when the server runs behind one, else the TCP
/// peer. Without the flag the header is ignored, so clients cannot choose their own address.
pub struct ClientAddr(pub Option<IpAddr>);

/// Read an address from a proxy header value: the last comma-separated entry, as an IP
/// address or `ip:port` (`[v6]:port`).
fn forwarded_address(value: &str) -> Option<IpAddr> {
    let last = value.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(name) = &state.client_ip_header {
            let from_proxy = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .next_back()
                .and_then(forwarded_address);
            if from_proxy.is_some() {
                return Ok(ClientAddr(from_proxy));
            }
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(login))
        .routes(routes!(exchange_embed))
        .routes(routes!(logout))
        .routes(routes!(mint_embed))
        .routes(routes!(create_client, list_clients))
        .routes(routes!(delete_client))
        .routes(routes!(rotate_client_secret))
}

/// No client credentials at all: `401` like wrong ones (RFC 6749 §5.2, `invalid_client`).
fn missing_client_credentials() -> ApiError {
    ApiError::Unauthorized(
        "client credentials are required: client_id and client_secret in the body, or HTTP Basic"
            .into(),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TokenRequest {
    /// Only `client_credentials` (the default).
    #[serde(default)]
    #[schema(pattern = "^client_credentials$")]
    grant_type: Option<String>,
    #[serde(default)]
    #[schema(schema_with = shared::limits::schemas::visible_200)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

/// `POST /v1/oauth/token`: the OAuth 2 client-credentials grant. Credentials in HTTP Basic or
/// in the body; the body may be form-encoded or JSON.
#[utoipa::path(post, path = "/v1/oauth/token", request_body = TokenRequest, responses((status = 200, description = "A client token", body = TokenResponse), super::openapi::PublicErrors), security(()))]
async fn token(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    parts: Parts,
    body: axum::body::Bytes,
) -> Result<Json<TokenResponse>, ApiError> {
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut req: TokenRequest = if body.is_empty() {
        TokenRequest {
            grant_type: None,
            client_id: None,
            client_secret: None,
        }
    } else if is_json {
        super::extract::parse_json(&body)?
    } else {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::MalformedBody(format!("form body: {e}")))?
    };
    if let Some(basic) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::Unauthorized("malformed Basic credentials".into()))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::Unauthorized("malformed Basic credentials".into()))?;
        req.client_id = Some(id.to_string());
        req.client_secret = Some(secret.to_string());
    }
    match req.grant_type.as_deref() {
        Some("client_credentials") | None => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "grant_type",
                format!("unsupported grant_type {other:?}; use client_credentials"),
            ))
        }
    }
    let id = req
        .client_id
        .filter(|s| !s.is_empty())
        .ok_or_else(missing_client_credentials)?;
    let secret = req
        .client_secret
        .filter(|s| !s.is_empty())
        .ok_or_else(missing_client_credentials)?;
    Ok(Json(
        accounts::client_token(&state.ctx, &id, &secret, address).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Login {
    #[schema(schema_with = shared::limits::schemas::visible_320)]
    email: String,
    #[schema(schema_with = shared::limits::schemas::visible_1024)]
    password: String,
}

/// `POST /v1/auth/login`: an agent signs in with email and password.
#[utoipa::path(post, path = "/v1/auth/login", request_body = Login, responses((status = 200, description = "An agent session", body = TokenResponse), super::openapi::PublicErrors), security(()))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<TokenResponse>, ApiError> {
    Ok(Json(
        accounts::login(&state.ctx, &body.email, &body.password, address).await?,
    ))
}

/// `POST /v1/auth/logout`: end the session of the token sent (agents and API clients). The
/// token stops working at once on this instance and within the session-check period
/// (`--session-check-secs`, default 5 s) on every other; the agent's WebSockets close.
#[utoipa::path(post, path = "/v1/auth/logout", responses((status = 204, description = "Signed out"), super::openapi::ReadErrors))]
async fn logout(State(state): State<AppState>, parts: Parts) -> Result<StatusCode, ApiError> {
    let token = bearer(&parts).ok_or_else(|| {
        ApiError::Unauthorized("authentication required: send Authorization: Bearer <token>".into())
    })?;
    crate::service::sessions::logout(&state.ctx, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Exchange {
    embed_token: String,
}

/// `POST /v1/auth/embed`: the widget trades an embed token for an agent session.
#[utoipa::path(post, path = "/v1/auth/embed", request_body = Exchange, responses((status = 200, description = "An agent session", body = TokenResponse), super::openapi::PublicErrors), security(()))]
async fn exchange_embed(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<Exchange>,
) -> Result<Json<TokenResponse>, ApiError> {
    Ok(Json(
        accounts::exchange_embed_token(&state.ctx, &body.embed_token, address).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Mint {
    agent_id: AgentId,
}

/// `POST /v1/embed-tokens`: an API client (scope `embed_tokens:write`) mints one for an agent.
#[utoipa::path(post, path = "/v1/embed-tokens", request_body = Mint, responses((status = 201, description = "An embed token (valid 5 minutes)", body = TokenResponse), super::openapi::WriteErrors))]
async fn mint_embed(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<Mint>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::mint_embed_token(&state.ctx, &p, body.agent_id).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateClient {
    #[schema(schema_with = shared::limits::schemas::visible_100)]
    name: String,
    #[schema(min_items = 1)]
    scopes: Vec<Scope>,
}

#[utoipa::path(post, path = "/v1/api-clients", request_body = CreateClient, responses((status = 201, description = "The client; the secret is shown only now", body = NewClient), super::openapi::WriteErrors))]
async fn create_client(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(body): ApiJson<CreateClient>,
) -> Result<(StatusCode, Json<NewClient>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::create_client(&state.ctx, &p, &body.name, body.scopes).await?),
    ))
}

#[utoipa::path(get, path = "/v1/api-clients", responses((status = 200, body = Vec<ApiClientRecord>), super::openapi::ReadErrors))]
async fn list_clients(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<Vec<ApiClientRecord>>, ApiError> {
    Ok(Json(accounts::list_clients(&state.ctx, &p).await?))
}

#[utoipa::path(delete, path = "/v1/api-clients/{client_id}", params(("client_id" = String, Path, description = "The client id")), responses((status = 204, description = "Deleted"), super::openapi::WriteErrors))]
async fn delete_client(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    accounts::delete_client(&state.ctx, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/api-clients/{client_id}/rotate-secret`: a new secret (shown only now); the old
/// one and every token issued with it stop working at once.
#[utoipa::path(post, path = "/v1/api-clients/{client_id}/rotate-secret", params(("client_id" = String, Path, description = "The client id")), responses((status = 200, description = "The client with its new secret", body = NewClient), super::openapi::WriteErrors))]
async fn rotate_client_secret(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<NewClient>, ApiError> {
    Ok(Json(
        accounts::rotate_client_secret(&state.ctx, &p, &id).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::forwarded_address;

    #[test]
    fn the_proxy_header_gives_its_last_address() {
        assert_eq!(
            forwarded_address("203.0.113.9, 10.0.0.2").map(|a| a.to_string()),
            Some("10.0.0.2".into())
        );
        assert_eq!(
            forwarded_address("198.51.100.7:4711").map(|a| a.to_string()),
            Some("198.51.100.7".into())
        );
        assert_eq!(
            forwarded_address("[2001:db8::1]:443").map(|a| a.to_string()),
            Some("2001:db8::1".into())
        );
        assert_eq!(forwarded_address("unknown"), None);
        assert_eq!(forwarded_address(""), None);
    }
}
