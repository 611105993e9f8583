//! Interaction data routes: recording and transcript uploads (connectors, `recordings:write`),
//! their downloads (`recordings:read`, streamed, with `Range`), the windowed lists of
//! recordings, transcripts, notes, dispositions and survey answers, and one engagement's survey
//! answer.

use super::auth::{bearer, Auth};
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use super::AppState;
use crate::service::accounts;
use crate::service::interactions::{self as svc, FileDownload, WindowQuery};
use crate::store::blobs::ByteRange;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use shared::ids::EngagementId;
use shared::interactions::{
    AssignedDisposition, NoteEntry, Page, Recording, SurveyEntry, Transcript,
};
use shared::survey::SurveyResponse;
use time::OffsetDateTime;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// Transcripts are read whole (to check their format); this is their body limit.
const TRANSCRIPT_BODY_LIMIT: usize = 20 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_recording))
        .routes(
            routes!(put_engagement_transcript, download_engagement_transcript)
                .layer(DefaultBodyLimit::max(TRANSCRIPT_BODY_LIMIT)),
        )
        .routes(routes!(list_recordings))
        .routes(routes!(download_recording))
        .routes(
            routes!(put_recording_transcript, download_recording_transcript)
                .layer(DefaultBodyLimit::max(TRANSCRIPT_BODY_LIMIT)),
        )
        .routes(routes!(list_transcripts))
        .routes(routes!(list_notes))
        .routes(routes!(list_dispositions))
        .routes(routes!(list_surveys))
        .routes(routes!(engagement_survey))
}

pub(super) fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RecordingTimes {
    /// When the recording started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[param(value_type = String, format = DateTime)]
    recording_start_time: OffsetDateTime,
    /// When it ended (RFC 3339), not before the start.
    #[serde(with = "time::serde::rfc3339")]
    #[param(value_type = String, format = DateTime)]
    recording_end_time: OffsetDateTime,
}

/// `POST /v1/engagements/{id}/recordings?recording_start_time=&recording_end_time=`: upload a
/// recording (body: the audio, `Content-Type: audio/*`). Streamed to the blob store; `413`
/// above the server's limit. Logs `recording.completed` (webhook
/// `contact_center.recording_completed`).
#[utoipa::path(post, path = "/v1/engagements/{id}/recordings", params(("id" = uuid::Uuid, Path, description = "Engagement id"), RecordingTimes), request_body(content = Vec<u8>, content_type = "audio/*", description = "The audio"), responses((status = 201, body = Recording), super::openapi::WriteErrors))]
async fn upload_recording(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiQuery(q): ApiQuery<RecordingTimes>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Recording>), ApiError> {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let recording = svc::upload_recording(
        &s.ctx,
        &p,
        id,
        q.recording_start_time,
        q.recording_end_time,
        content_type(&headers),
        length,
        body.into_data_stream(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(recording)))
}

/// A WebVTT document (`text/vtt`): it starts with `WEBVTT` (after an optional byte-order mark).
/// Described for the document only; the service checks the body.
struct WebVtt;

impl utoipa::PartialSchema for WebVtt {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^\u{FEFF}?WEBVTT"))
            .into()
    }
}
impl utoipa::ToSchema for WebVtt {}

/// A plain-text transcript (`text/plain`, messaging engagements): any non-empty UTF-8 text.
struct PlainTranscript;

impl utoipa::PartialSchema for PlainTranscript {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .into()
    }
}
impl utoipa::ToSchema for PlainTranscript {}

/// A JSON transcript (`application/json`): an array of segments, or an object with
/// `segments` (or `messages`). Segments are kept as sent.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
enum TranscriptJson {
    Segments(Vec<serde_json::Value>),
    WithSegments { segments: Vec<serde_json::Value> },
    WithMessages { messages: Vec<serde_json::Value> },
}

/// `PUT /v1/recordings/{id}/transcript`: the recording's transcript, WebVTT (`text/vtt`) or
/// JSON segments (`application/json`). Logs `recording.transcript_completed`.
#[utoipa::path(put, path = "/v1/recordings/{id}/transcript", params(("id" = uuid::Uuid, Path, description = "Recording id")), request_body(description = "WebVTT, or JSON segments", content((WebVtt = "text/vtt"), (TranscriptJson = "application/json"))), responses((status = 200, body = Recording), super::openapi::WriteErrors))]
async fn put_recording_transcript(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<uuid::Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Recording>, ApiError> {
    Ok(Json(
        svc::put_recording_transcript(&s.ctx, &p, id, content_type(&headers), body).await?,
    ))
}

/// `PUT /v1/engagements/{id}/transcript`: a chat, SMS or email engagement's transcript
/// (`application/json`, `text/vtt` or `text/plain`). Logs
/// `engagement.messaging_transcript_completed`.
#[utoipa::path(put, path = "/v1/engagements/{id}/transcript", params(("id" = uuid::Uuid, Path, description = "Engagement id")), request_body(description = "The transcript: JSON messages or segments, WebVTT or plain text", content((TranscriptJson = "application/json"), (WebVtt = "text/vtt"), (PlainTranscript = "text/plain"))), responses((status = 200, body = Transcript), super::openapi::WriteErrors))]
async fn put_engagement_transcript(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Transcript>, ApiError> {
    Ok(Json(
        svc::put_engagement_transcript(&s.ctx, &p, id, content_type(&headers), body).await?,
    ))
}

/// Downloads answer `401` with a message saying what credentials they need: a link pasted
/// into a CRM must not leak a call.
struct FileAuth(crate::auth::Principal);

impl FromRequestParts<AppState> for FileAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Unauthorized(
                "downloading recordings and transcripts needs Authorization: Bearer <token> of an API client with the recordings:read scope (or an admin)".into(),
            )
        })?;
        Ok(FileAuth(accounts::authenticate(&state.ctx, &token).await?))
    }
}

pub(super) fn range(headers: &HeaderMap) -> Option<ByteRange> {
    headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(ByteRange::parse)
}

/// A streamed file response: `200` whole, `206` for a range.
pub(super) fn file_response(file: FileDownload, ranged: bool) -> Response {
    let FileDownload {
        content_type,
        download,
    } = file;
    let length = download.range.end - download.range.start;
    let mut response = Response::new(Body::from_stream(download.body));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if ranged {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{}",
            download.range.start,
            download.range.end.saturating_sub(1),
            download.size
        )) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    response
}

/// `GET /v1/recordings/{id}/download` (a recording's `download_url`): the audio, streamed;
/// one `Range: bytes=…` gives `206`.
#[utoipa::path(get, path = "/v1/recordings/{id}/download", params(("id" = uuid::Uuid, Path, description = "Recording id"), ("Range" = Option<String>, Header, description = "bytes=start-end")), responses((status = 200, description = "The audio", content_type = "audio/*"), (status = 206, description = "The requested byte range"), (status = 416, description = "The range is outside the file", body = shared::api::ErrorBody), super::openapi::ReadErrors))]
async fn download_recording(
    State(s): State<AppState>,
    FileAuth(p): FileAuth,
    ApiPath(id): ApiPath<uuid::Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let r = range(&headers);
    let file = svc::download_recording(&s.ctx, &p, id, r).await?;
    Ok(file_response(file, r.is_some()))
}

/// `GET /v1/recordings/{id}/transcript` (a recording's `transcript_url`).
#[utoipa::path(get, path = "/v1/recordings/{id}/transcript", params(("id" = uuid::Uuid, Path, description = "Recording id"), ("Range" = Option<String>, Header, description = "bytes=start-end")), responses((status = 200, description = "The transcript"), (status = 206, description = "The requested byte range"), (status = 416, description = "The range is outside the file", body = shared::api::ErrorBody), super::openapi::ReadErrors))]
async fn download_recording_transcript(
    State(s): State<AppState>,
    FileAuth(p): FileAuth,
    ApiPath(id): ApiPath<uuid::Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let r = range(&headers);
    let file = svc::download_recording_transcript(&s.ctx, &p, id, r).await?;
    Ok(file_response(file, r.is_some()))
}

/// `GET /v1/engagements/{id}/transcript` (a messaging transcript's `transcript_url`).
#[utoipa::path(get, path = "/v1/engagements/{id}/transcript", params(("id" = uuid::Uuid, Path, description = "Engagement id"), ("Range" = Option<String>, Header, description = "bytes=start-end")), responses((status = 200, description = "The transcript"), (status = 206, description = "The requested byte range"), (status = 416, description = "The range is outside the file", body = shared::api::ErrorBody), super::openapi::ReadErrors))]
async fn download_engagement_transcript(
    State(s): State<AppState>,
    FileAuth(p): FileAuth,
    ApiPath(id): ApiPath<EngagementId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let r = range(&headers);
    let file = svc::download_engagement_transcript(&s.ctx, &p, id, r).await?;
    Ok(file_response(file, r.is_some()))
}

/// The query of a windowed list; recordings and the other lists differ only in the dates
/// `query_date_type` may name.
macro_rules! window_params {
    ($name:ident, $date_types:literal, $pattern:tt) => {
        #[derive(Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        struct $name {
            /// Start of the window: RFC 3339 or a date (default: 30 days before `to`).
            #[param(schema_with = shared::limits::schemas::time_or_date)]
            from: Option<String>,
            /// End of the window: RFC 3339 or a date, that whole day (default: now). At most
            /// one month after `from`.
            #[param(schema_with = shared::limits::schemas::time_or_date)]
            to: Option<String>,
            #[doc = $date_types]
            #[param(pattern = $pattern)]
            query_date_type: Option<String>,
            /// 1–300 (default 30).
            #[param(minimum = 1, maximum = 300)]
            page_size: Option<i64>,
            /// From the previous page, for the next one (same window).
            next_page_token: Option<String>,
        }

        impl From<$name> for WindowQuery {
            fn from(p: $name) -> Self {
                WindowQuery {
                    from: p.from,
                    to: p.to,
                    query_date_type: p.query_date_type,
                    page_size: p.page_size,
                    next_page_token: p.next_page_token,
                }
            }
        }
    };
}

window_params!(
    WindowParams,
    "The engagement's `start_time` (default) or `end_time`.",
    "^(start_time|end_time)$"
);
window_params!(
    RecordingWindowParams,
    "The recording's `recording_start_time` (default) or `recording_end_time`.",
    "^(recording_start_time|recording_end_time)$"
);

/// `GET /v1/recordings?from=&to=&query_date_type=&page_size=&next_page_token=`.
#[utoipa::path(get, path = "/v1/recordings", params(RecordingWindowParams), responses((status = 200, body = Page<Recording>), super::openapi::ReadErrors))]
async fn list_recordings(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<RecordingWindowParams>,
) -> Result<Json<Page<Recording>>, ApiError> {
    Ok(Json(svc::list_recordings(&s.ctx, &p, &q.into()).await?))
}

/// `GET /v1/transcripts?…`: messaging and email transcripts by their engagement's time.
#[utoipa::path(get, path = "/v1/transcripts", params(WindowParams), responses((status = 200, body = Page<Transcript>), super::openapi::ReadErrors))]
async fn list_transcripts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WindowParams>,
) -> Result<Json<Page<Transcript>>, ApiError> {
    Ok(Json(svc::list_transcripts(&s.ctx, &p, &q.into()).await?))
}

/// `GET /v1/notes?…`: notes of engagements in the window.
#[utoipa::path(get, path = "/v1/notes", params(WindowParams), responses((status = 200, body = Page<NoteEntry>), super::openapi::ReadErrors))]
async fn list_notes(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WindowParams>,
) -> Result<Json<Page<NoteEntry>>, ApiError> {
    Ok(Json(svc::list_notes(&s.ctx, &p, &q.into()).await?))
}

/// `GET /v1/surveys?…`: satisfaction survey answers of engagements in the window
/// (`shared::survey`).
#[utoipa::path(get, path = "/v1/surveys", params(WindowParams), responses((status = 200, body = Page<SurveyEntry>), super::openapi::ReadErrors))]
async fn list_surveys(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WindowParams>,
) -> Result<Json<Page<SurveyEntry>>, ApiError> {
    Ok(Json(svc::list_surveys(&s.ctx, &p, &q.into()).await?))
}

/// `GET /v1/engagements/{id}/survey`: the customer's survey answer; 404 when they gave none.
#[utoipa::path(get, path = "/v1/engagements/{id}/survey", params(("id" = uuid::Uuid, Path, description = "Engagement id")), responses((status = 200, body = SurveyResponse), super::openapi::ReadErrors))]
async fn engagement_survey(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
) -> Result<Json<SurveyResponse>, ApiError> {
    Ok(Json(crate::service::surveys::get(&s.ctx, &p, id).await?))
}

/// `GET /v1/dispositions/assigned?…`: dispositions given to engagements in the window.
#[utoipa::path(get, path = "/v1/dispositions/assigned", params(WindowParams), responses((status = 200, body = Page<AssignedDisposition>), super::openapi::ReadErrors))]
async fn list_dispositions(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WindowParams>,
) -> Result<Json<Page<AssignedDisposition>>, ApiError> {
    Ok(Json(svc::list_dispositions(&s.ctx, &p, &q.into()).await?))
}
