//! Interaction data as the API returns it: recordings, transcripts, notes and dispositions,
//! listable across engagements by a time window (as Zoom's List recordings is) so a nightly
//! job collects a day's data in a few calls.

use crate::ids::{AgentId, DispositionId, EngagementId, NoteId};
use crate::Channel;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A recording uploaded by a connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recording {
    pub recording_id: uuid::Uuid,
    pub engagement_id: EngagementId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub channel: Channel,
    pub content_type: String,
    pub size_bytes: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub recording_start_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub recording_end_time: OffsetDateTime,
    /// Seconds.
    pub recording_duration: i64,
    /// Needs a bearer token with `recordings:read`; supports `Range`.
    pub download_url: String,
    /// Present once a transcript was uploaded (same credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_url: Option<String>,
}

/// A messaging or email engagement's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transcript {
    pub engagement_id: EngagementId,
    pub channel: Channel,
    pub content_type: String,
    pub size_bytes: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub completed_at: OffsetDateTime,
    /// Needs a bearer token with `recordings:read`.
    pub transcript_url: String,
}

/// A note, with the engagement's times (for windows by `start_time` / `end_time`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteEntry {
    pub note_id: NoteId,
    pub engagement_id: EngagementId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub engagement_start_time: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub engagement_end_time: Option<OffsetDateTime>,
}

/// The disposition an engagement was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignedDisposition {
    pub engagement_id: EngagementId,
    pub disposition_id: DispositionId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(with = "time::serde::rfc3339")]
    pub engagement_start_time: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub engagement_end_time: Option<OffsetDateTime>,
}

/// A survey answer, with the engagement's times (for windows by `start_time` / `end_time`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyEntry {
    #[serde(flatten)]
    pub survey: crate::survey::SurveyResponse,
    #[serde(with = "time::serde::rfc3339")]
    pub engagement_start_time: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub engagement_end_time: Option<OffsetDateTime>,
}

/// One page of a windowed list. `next_page_token` (opaque) fetches the next page with the
/// same window; absent on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    pub page_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    pub items: Vec<T>,
}
