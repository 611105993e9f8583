//! Files in web chats, both sides: the customer sends and reads them with the chat's session
//! token (`/v1/chat/session/attachments`), the agent (or a supervisor, or an API client that
//! may read the engagement) through the engagement (`/v1/engagements/{id}/attachments`). The
//! body of an upload is the file itself, streamed; `?file_name=` names it.

use super::auth::Auth;
use super::chat::Customer;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use super::interactions::{content_type, file_response, range};
use super::AppState;
use crate::service::chat::attachments::{self as svc, AttachmentDownload, Upload};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use shared::engagement::MessageRecord;
use shared::ids::{EngagementId, MessageId};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customer_upload))
        .routes(routes!(customer_download))
        .routes(routes!(agent_upload))
        .routes(routes!(agent_download))
}

#[derive(Deserialize)]
struct FileName {
    file_name: String,
}

/// Written by hand: the derive drops `required` from a parameter whose schema comes from a
/// function, and the name's schema is the shared visible-text rule.
impl utoipa::IntoParams for FileName {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        vec![ParameterBuilder::new()
            .name("file_name")
            .parameter_in(ParameterIn::Query)
            .required(utoipa::openapi::Required::True)
            .description(Some(
                "The file's name as the sender's device has it (shown as text; up to 200 characters).",
            ))
            .schema(Some(shared::limits::schemas::visible_200()))
            .build()]
    }
}

/// The file itself, as the body: its bytes. Described for the document only; the service
/// checks the kind and the first bytes.
struct FileBody;

impl utoipa::PartialSchema for FileBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .into()
    }
}
impl utoipa::ToSchema for FileBody {}

fn upload(q: FileName, headers: &HeaderMap, body: Body) -> Upload<axum::body::BodyDataStream> {
    Upload {
        file_name: q.file_name,
        content_type: content_type(headers).to_string(),
        length: headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()),
        body: body.into_data_stream(),
    }
}

/// The file, offered under its name: images inline, PDFs as a download.
fn attachment_response(d: AttachmentDownload, ranged: bool) -> Response {
    let disposition = match d.file.content_type.starts_with("image/") {
        true => "inline",
        false => "attachment",
    };
    let value = format!(
        "{disposition}; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(&d.file_name),
        percent_encode(&d.file_name)
    );
    let mut response = file_response(d.file, ranged);
    if let Ok(v) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The name for clients that do not read `filename*`: printable ASCII, no quotes or slashes.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '/') => c,
            _ => '_',
        })
        .collect()
}

/// RFC 8187 encoding of the name for `filename*`.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `POST /v1/chat/session/attachments?file_name=…`: the customer sends a file (body: the file,
/// `Content-Type` one of image/png, image/jpeg, image/gif, image/webp, application/pdf; at most
/// `--chat-attachment-max-bytes`, default 10 MiB). It becomes a message with an `attachment`;
/// counted against the message rate. `415` for other kinds or content that is not what the
/// type says, `413` when too large.
#[utoipa::path(post, path = "/v1/chat/session/attachments", params(FileName), request_body(description = "The file: an image (PNG, JPEG, GIF, WebP) or a PDF", content((FileBody = "image/png"), (FileBody = "image/jpeg"), (FileBody = "image/gif"), (FileBody = "image/webp"), (FileBody = "application/pdf"))), responses((status = 201, body = MessageRecord), (status = 429, description = "Too many messages: wait Retry-After seconds", body = shared::api::ErrorBody), super::openapi::WriteErrors))]
async fn customer_upload(
    State(s): State<AppState>,
    Customer(c): Customer,
    ApiQuery(q): ApiQuery<FileName>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<MessageRecord>), ApiError> {
    let upload = upload(q, &headers, body);
    Ok((
        StatusCode::CREATED,
        Json(svc::from_customer(&s.ctx, c, upload).await?),
    ))
}

/// `GET /v1/chat/session/attachments/{message_id}`: a file in the customer's own chat.
#[utoipa::path(get, path = "/v1/chat/session/attachments/{message_id}", params(("message_id" = uuid::Uuid, Path, description = "The message that carries the file"), ("Range" = Option<String>, Header, description = "bytes=start-end")), responses((status = 200, description = "The file"), (status = 206, description = "The requested byte range"), (status = 416, description = "The range is outside the file", body = shared::api::ErrorBody), super::openapi::ReadErrors))]
async fn customer_download(
    State(s): State<AppState>,
    Customer(c): Customer,
    ApiPath(message_id): ApiPath<MessageId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let r = range(&headers);
    let file = svc::for_customer(&s.ctx, c, message_id, r).await?;
    Ok(attachment_response(file, r.is_some()))
}

/// `POST /v1/engagements/{id}/attachments?file_name=…`: the chat's agent (or a supervisor in
/// it) sends a file, as the customer does. `409` unless the engagement is a live web chat.
#[utoipa::path(post, path = "/v1/engagements/{id}/attachments", params(("id" = uuid::Uuid, Path, description = "Engagement id"), FileName), request_body(description = "The file: an image (PNG, JPEG, GIF, WebP) or a PDF", content((FileBody = "image/png"), (FileBody = "image/jpeg"), (FileBody = "image/gif"), (FileBody = "image/webp"), (FileBody = "application/pdf"))), responses((status = 201, body = MessageRecord), super::openapi::WriteErrors))]
async fn agent_upload(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<EngagementId>,
    ApiQuery(q): ApiQuery<FileName>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<MessageRecord>), ApiError> {
    let upload = upload(q, &headers, body);
    Ok((
        StatusCode::CREATED,
        Json(svc::from_agent(&s.ctx, &p, id, upload).await?),
    ))
}

/// `GET /v1/engagements/{id}/attachments/{message_id}`: a file in a chat, for whoever may read
/// the engagement (its agents, supervisors, API clients with `engagements:read`).
#[utoipa::path(get, path = "/v1/engagements/{id}/attachments/{message_id}", params(("id" = uuid::Uuid, Path, description = "Engagement id"), ("message_id" = uuid::Uuid, Path, description = "The message that carries the file"), ("Range" = Option<String>, Header, description = "bytes=start-end")), responses((status = 200, description = "The file"), (status = 206, description = "The requested byte range"), (status = 416, description = "The range is outside the file", body = shared::api::ErrorBody), super::openapi::ReadErrors))]
async fn agent_download(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, message_id)): ApiPath<(EngagementId, MessageId)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let r = range(&headers);
    let file = svc::for_staff(&s.ctx, &p, id, message_id, r).await?;
    Ok(attachment_response(file, r.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_safe_header_values() {
        assert_eq!(ascii_fallback("a \"b\"/c\\é.pdf"), "a _b__c__.pdf");
        assert_eq!(
            percent_encode("Rechnung März.pdf"),
            "Rechnung%20M%C3%A4rz.pdf"
        );
        assert!(HeaderValue::from_str(&format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            ascii_fallback("x\r\ny"),
            percent_encode("x\r\ny")
        ))
        .is_ok());
    }
}
