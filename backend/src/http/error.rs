//! The HTTP layer's error type, mapped once to `{"error":{"code","message","field"?}}`.
//! Internal details are logged, never sent: a 5xx body says only that it was our fault.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or query was understood but a field is wrong (missing, ill-typed, too long).
    #[error("{message}")]
    InvalidField { field: String, message: String },
    /// The body is not valid JSON (or not JSON at all).
    #[error("{0}")]
    MalformedBody(String),
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body is larger than this server accepts")]
    PayloadTooLarge,
    /// An upload over its limit, with a message saying the limit.
    #[error("{0}")]
    UploadTooLarge(String),
    /// A body of a media type the route does not take (uploads).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A `Range` outside the file; the response carries `Content-Range: bytes */size`.
    #[error("the requested range is outside the file ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error("{0}")]
    NotFound(String),
    /// A field names an object that does not exist; `field` says which.
    #[error("{message}")]
    UnknownReference { field: String, message: String },
    /// A well-formed value this server's policy refuses; `field` says which.
    #[error("{message}")]
    Refused { field: String, message: String },
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    /// A uniqueness rule refused the request (`engagement_id`: the existing engagement).
    #[error("{message}")]
    Conflict {
        message: String,
        engagement_id: Option<String>,
    },
    /// The command is not valid in the engagement's current state.
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// Sign-in paused after too many failures; sent with `Retry-After`.
    #[error("{message}")]
    TooManyAttempts {
        message: String,
        retry_after_secs: u64,
    },
    /// A dependency (the database) is not available right now. The cause is logged, not sent.
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable(String),
    /// A bug or an unexpected failure; the cause is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge | ApiError::UploadTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::NotFound(_) | ApiError::UnknownReference { .. } => StatusCode::NOT_FOUND,
            ApiError::Refused { .. } => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::InvalidState(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::MalformedBody(_) => "malformed_body",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge | ApiError::UploadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMedia(_) => "unsupported_media_type",
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::NotFound(_) | ApiError::UnknownReference { .. } => "not_found",
            ApiError::Refused { .. } => "refused",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::InvalidState(_) => "invalid_state",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                field: match self {
                    ApiError::InvalidField { field, .. }
                    | ApiError::UnknownReference { field, .. }
                    | ApiError::Refused { field, .. } => Some(field.clone()),
                    _ => None,
                },
                engagement_id: match self {
                    ApiError::Conflict { engagement_id, .. } => engagement_id.clone(),
                    _ => None,
                },
            },
        }
    }
}

/// What a socket tells its client when a request fails: the message an HTTP response would
/// carry (internals logged, never sent).
pub fn public_message(error: crate::service::ServiceError) -> String {
    let api = ApiError::from(error);
    if let ApiError::Internal(detail) | ApiError::Unavailable(detail) = &api {
        tracing::error!(error = %detail, "socket request failed");
    }
    api.to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => {}
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::RangeNotSatisfiable { size } = self {
            if let Ok(v) = axum::http::HeaderValue::from_str(&format!("bytes */{size}")) {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_RANGE, v);
            }
        }
        if let ApiError::TooManyAttempts {
            retry_after_secs, ..
        } = self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        if let ApiError::Unauthorized(_) = self {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<crate::service::ServiceError> for ApiError {
    fn from(err: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError as S;
        match err {
            S::Invalid { field, message } => ApiError::InvalidField { field, message },
            S::NotFound(m) => ApiError::NotFound(m),
            S::UnknownReference { field, message } => ApiError::UnknownReference { field, message },
            S::Refused { field, message } => ApiError::Refused { field, message },
            S::Conflict {
                message,
                engagement_id,
            } => ApiError::Conflict {
                message,
                engagement_id: engagement_id.map(|e| e.to_string()),
            },
            S::InvalidState(t) => ApiError::InvalidState(t.to_string()),
            S::Unauthenticated(m) => ApiError::Unauthorized(m),
            S::Denied(d) => ApiError::Forbidden(d.to_string()),
            S::TooLarge(m) => ApiError::UploadTooLarge(m),
            S::UnsupportedMedia(m) => ApiError::UnsupportedMedia(m),
            S::RangeNotSatisfiable { size } => ApiError::RangeNotSatisfiable { size },
            S::Throttled {
                message,
                retry_after_secs,
            } => ApiError::TooManyAttempts {
                message,
                retry_after_secs,
            },
            S::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::Conflict { constraint } => ApiError::Conflict {
                message: format!("conflicts with an existing record ({constraint})"),
                engagement_id: None,
            },
            StoreError::Database(e) if is_connectivity(&e) => {
                ApiError::Unavailable(format!("database unavailable: {e}"))
            }
            StoreError::CommitFailed(_) => {
                ApiError::Unavailable("the database did not commit the change; retry".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

fn is_connectivity(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internals_are_not_exposed() {
        let e = ApiError::from(StoreError::Corrupt("secret table layout".into()));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.body().error.message, "internal error");
    }

    #[test]
    fn unique_violations_become_409() {
        let e = ApiError::from(StoreError::Conflict {
            constraint: "engagements_active_work_item".into(),
        });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.code(), "conflict");
    }

    #[test]
    fn field_errors_name_the_field() {
        let b = ApiError::invalid("origin", "is required").body();
        assert_eq!(b.error.field.as_deref(), Some("origin"));
        assert_eq!(b.error.code, "invalid_field");
    }
}
