//! Wallboards: a read-only view of some queues for a screen on the wall (`/wallboard/{id}`).
//! An admin creates one (`POST /v1/wallboards`) and gets its token once; the page reads
//! `GET /v1/wallboards/{id}/view` with it. The token reads nothing else, and deleting the
//! wallboard revokes it.

use crate::ids::{QueueId, WallboardId};
use crate::live::{QueueStats, QueueTrend};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// At most this many queues on one wallboard.
pub const MAX_QUEUES: usize = 12;

/// A wallboard as admins list it (never with its token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wallboard {
    pub wallboard_id: WallboardId,
    /// Shown at the top of the screen; 1–100 characters, unique in the account.
    pub name: String,
    /// The queues it shows, in this order; 1–12.
    pub queue_ids: Vec<QueueId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `POST /v1/wallboards`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWallboard {
    /// 1–100 characters, unique in the account.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_100)
    )]
    pub name: String,
    /// The queues it shows, in this order (a queue listed twice is shown once); 1–12.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 12))]
    pub queue_ids: Vec<QueueId>,
}

/// The answer to `POST /v1/wallboards`: the only time the token is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MintedWallboard {
    pub wallboard: Wallboard,
    /// Read-only: good for `GET /v1/wallboards/{id}/view` only, until the wallboard is
    /// deleted (or five years pass).
    pub token: String,
    /// The page to open on the screen, token included (in the fragment, which browsers never
    /// send to a server).
    pub url: String,
}

/// Where an agent is, as a wallboard shows it (no reasons, nothing about what they work on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Ready and free.
    Ready,
    /// Holding or being offered an engagement.
    Busy,
    NotReady,
}

/// An agent on a wallboard: a member of one of its queues who is signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WallboardAgent {
    pub display_name: String,
    pub presence: Presence,
}

/// A queue on a wallboard: its numbers now and its last hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WallboardQueue {
    #[serde(flatten)]
    pub now: QueueStats,
    pub trend: QueueTrend,
}

/// `GET /v1/wallboards/{id}/view`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WallboardView {
    pub wallboard_id: WallboardId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// In the wallboard's order (a queue deleted since is left out).
    pub queues: Vec<WallboardQueue>,
    /// Signed-in members of its queues, by name.
    pub agents: Vec<WallboardAgent>,
}
