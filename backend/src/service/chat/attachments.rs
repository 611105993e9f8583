//! Files in web chats: an image or a PDF sent by the customer or the agent (or a barging
//! supervisor). The upload streams into the blob store under
//! [`message::attachment_key`] — cut off at `--chat-attachment-max-bytes`, its first bytes
//! checked against the declared type — and then becomes a message like any other (stored with
//! its `engagement.message_added` event). If the message cannot be written, the file is removed.
//!
//! Only that chat's customer (their session token) and whoever may read the engagement (its
//! agents, supervisors, API clients with `engagements:read`) can download it.
//!
//! Decisions: only web chats take files (an SMS file is a connector's MMS, not ours); SVG and
//! HTML are never accepted (they can carry script); the file name is kept as text for display
//! and the download's `Content-Disposition`, never used as a path.

use super::{self as chat, ChatCaller};
use crate::auth::Principal;
use crate::service::engagements::message::{self, attachment_key, Draft};
use crate::service::engagements::{self, Action};
use crate::service::interactions::{blob_error, FileDownload};
use crate::service::{conflict, validate, Ctx, Result, ServiceError};
use crate::store::blobs::ByteRange;
use crate::store::engagements as eng;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use shared::engagement::{MessageAttachment, MessageRecord};
use shared::ids::{EngagementId, MessageId};
use shared::Channel;

/// The default largest file (`--chat-attachment-max-bytes`): 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The longest file name kept, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 200;

/// The kinds of file a chat takes, each with how its content starts.
const KINDS: &[(&str, &[&[u8]])] = &[
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xFF\xD8\xFF"]),
    ("image/gif", &[b"GIF87a", b"GIF89a"]),
    ("image/webp", &[b"RIFF"]),
    ("application/pdf", &[b"%PDF-"]),
];

/// How many leading bytes [`check_content`] needs.
const SNIFF_BYTES: usize = 12;

/// The declared media type, if a chat takes it (parameters dropped, lower-cased).
pub fn accepted_type(content_type: &str) -> Result<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    KINDS
        .iter()
        .find(|(kind, _)| *kind == essence)
        .map(|(kind, _)| *kind)
        .ok_or_else(|| {
            ServiceError::UnsupportedMedia(format!(
                "a chat takes images (PNG, JPEG, GIF, WebP) and PDF files; Content-Type {:?} is none of them",
                if essence.is_empty() { "(none)" } else { essence.as_str() }
            ))
        })
}

/// Whether a file's first bytes are what its declared kind starts with (a renamed `.exe`
/// sent as `image/png` is refused).
pub fn check_content(kind: &str, head: &[u8]) -> Result<()> {
    let starts = KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    let matches = starts.iter().any(|s| head.starts_with(s))
        && (kind != "image/webp" || head.get(8..12) == Some(b"WEBP".as_slice()));
    if matches {
        Ok(())
    } else {
        Err(ServiceError::UnsupportedMedia(format!(
            "the file is not a {kind} file (its content does not start like one)"
        )))
    }
}

/// An upload as the HTTP layer received it.
pub struct Upload<S> {
    pub file_name: String,
    pub content_type: String,
    /// `Content-Length`, when sent: refused at once if over the limit.
    pub length: Option<u64>,
    pub body: S,
}

/// The file name, type and length before anything is read.
fn check_upload<S>(ctx: &Ctx, upload: &Upload<S>) -> Result<&'static str> {
    validate::required("file_name", &upload.file_name, FILE_NAME_MAX_CHARS)?;
    let kind = accepted_type(&upload.content_type)?;
    let limit = ctx.files.max_attachment_bytes;
    if upload.length.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    Ok(kind)
}

fn too_large(limit: u64) -> ServiceError {
    ServiceError::TooLarge(format!(
        "the file is larger than a chat takes ({limit} bytes)"
    ))
}

/// Stream the upload into the blob store for `message` (its first bytes checked); the
/// attachment as the message will carry it.
async fn store_file<S, E>(
    ctx: &Ctx,
    engagement: EngagementId,
    message: MessageId,
    kind: &'static str,
    upload: Upload<S>,
) -> Result<MessageAttachment>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut body = upload.body;
    let mut head: Vec<Bytes> = Vec::new();
    let mut seen = 0;
    while seen < SNIFF_BYTES {
        match body.next().await {
            Some(Ok(chunk)) => {
                seen += chunk.len();
                head.push(chunk);
            }
            Some(Err(e)) => {
                return Err(blob_error(crate::store::blobs::BlobError::Upload(
                    e.to_string(),
                )))
            }
            None => break,
        }
    }
    if seen == 0 {
        return Err(crate::service::invalid("body", "the upload is empty"));
    }
    check_content(kind, &head.concat())?;
    let limit = ctx.files.max_attachment_bytes;
    let whole = futures_util::stream::iter(head.into_iter().map(Ok)).chain(body);
    let size = ctx
        .files
        .blobs
        .put_stream(&attachment_key(engagement, message), whole, limit)
        .await
        .map_err(|e| match e {
            crate::store::blobs::BlobError::TooLarge { limit } => too_large(limit),
            other => blob_error(other),
        })?;
    Ok(MessageAttachment {
        file_name: upload.file_name,
        content_type: kind.to_string(),
        size_bytes: size,
    })
}

/// Write the message that carries a stored file; if that fails, remove the file.
async fn send_or_remove(
    ctx: &Ctx,
    engagement: EngagementId,
    message_id: MessageId,
    written: Result<MessageRecord>,
) -> Result<MessageRecord> {
    if written.is_err() {
        ctx.files
            .blobs
            .delete(&attachment_key(engagement, message_id))
            .await;
    }
    written
}

/// `POST /v1/chat/session/attachments`: the customer sends a file (counted against their
/// message rate).
pub async fn from_customer<S, E>(
    ctx: &Ctx,
    caller: ChatCaller,
    upload: Upload<S>,
) -> Result<MessageRecord>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let kind = check_upload(ctx, &upload)?;
    {
        let mut conn = ctx.store.snapshot().await?;
        let rec = eng::get(&mut conn, caller.account, caller.engagement)
            .await?
            .ok_or_else(|| ServiceError::NotFound("this chat no longer exists".into()))?;
        message::consumer_may_write(&rec)?;
    }
    chat::admit_message(ctx, caller)?;
    let message_id = MessageId(uuid::Uuid::now_v7());
    let attachment = store_file(ctx, caller.engagement, message_id, kind, upload).await?;
    let draft = Draft::file(message_id, attachment);
    let written = message::from_consumer(ctx, caller.account, caller.engagement, draft).await;
    send_or_remove(ctx, caller.engagement, message_id, written).await
}

/// `POST /v1/engagements/{id}/attachments`: the chat's agent (or a barging supervisor) sends a
/// file. Checked before the upload is read (a web chat, live, the caller may see it); the
/// command then authorizes the write as for a text message.
pub async fn from_agent<S, E>(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    upload: Upload<S>,
) -> Result<MessageRecord>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let kind = check_upload(ctx, &upload)?;
    let engagement = engagements::get(ctx, p, id).await?;
    if engagement.channel != Channel::Chat {
        return Err(conflict(format!(
            "files belong to web chats; this engagement is {}",
            engagement.channel.as_str()
        )));
    }
    message::agent_may_write(engagement.state)?;
    let message_id = MessageId(uuid::Uuid::now_v7());
    let attachment = store_file(ctx, id, message_id, kind, upload).await?;
    let draft = Draft::file(message_id, attachment);
    let written = async {
        engagements::act(ctx, p, id, Action::AddMessage(draft)).await?;
        engagements::attached(ctx, p, id, message_id).await
    }
    .await;
    send_or_remove(ctx, id, message_id, written).await
}

/// A file to send back, with the name to offer it under.
pub struct AttachmentDownload {
    pub file: FileDownload,
    pub file_name: String,
}

async fn download(
    ctx: &Ctx,
    message: MessageRecord,
    range: Option<ByteRange>,
) -> Result<AttachmentDownload> {
    let attachment = message
        .attachment
        .ok_or_else(|| ServiceError::NotFound("this message has no file".into()))?;
    let blob = ctx
        .files
        .blobs
        .get(
            &attachment_key(message.engagement_id, message.message_id),
            range,
        )
        .await
        .map_err(blob_error)?;
    Ok(AttachmentDownload {
        file: FileDownload {
            content_type: attachment.content_type,
            download: blob,
        },
        file_name: attachment.file_name,
    })
}

/// `GET /v1/chat/session/attachments/{message_id}`: a file in the customer's own chat.
pub async fn for_customer(
    ctx: &Ctx,
    caller: ChatCaller,
    message_id: MessageId,
    range: Option<ByteRange>,
) -> Result<AttachmentDownload> {
    let message = {
        let mut conn = ctx.store.snapshot().await?;
        crate::store::messages::get(&mut conn, caller.engagement, message_id).await?
    }
    .ok_or_else(|| {
        ServiceError::NotFound(format!("no file with message {message_id} in this chat"))
    })?;
    download(ctx, message, range).await
}

/// `GET /v1/engagements/{id}/attachments/{message_id}`: a file in a chat the caller may read.
pub async fn for_staff(
    ctx: &Ctx,
    p: &Principal,
    id: EngagementId,
    message_id: MessageId,
    range: Option<ByteRange>,
) -> Result<AttachmentDownload> {
    let message = engagements::attached(ctx, p, id, message_id).await?;
    download(ctx, message, range).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_and_pdf_whose_content_matches() {
        assert_eq!(accepted_type("image/PNG; q=1").unwrap(), "image/png");
        assert_eq!(accepted_type("application/pdf").unwrap(), "application/pdf");
        for refused in ["image/svg+xml", "text/html", "", "application/octet-stream"] {
            assert!(
                matches!(
                    accepted_type(refused),
                    Err(ServiceError::UnsupportedMedia(_))
                ),
                "{refused}"
            );
        }
        assert!(check_content("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_ok());
        assert!(check_content("image/jpeg", b"\xFF\xD8\xFF\xE0\0\x10JFIF").is_ok());
        assert!(check_content("image/gif", b"GIF89a\x01\0\x01\0").is_ok());
        assert!(check_content("image/webp", b"RIFF\x24\0\0\0WEBPVP8 ").is_ok());
        assert!(check_content("application/pdf", b"%PDF-1.7\n").is_ok());
        // Declared one thing, is another.
        assert!(check_content("image/png", b"%PDF-1.7\n%abc").is_err());
        assert!(check_content("image/webp", b"RIFF\x24\0\0\0WAVEfmt ").is_err());
        assert!(check_content("application/pdf", b"MZ\x90\0").is_err());
        assert!(check_content("image/gif", b"").is_err());
    }
}
