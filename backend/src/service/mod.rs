//! Domain operations: what HTTP handlers call after parsing and before mapping errors. Every
//! operation that changes state runs in one `store::Tx` that also appends its events.

pub mod accounts;
pub mod agents;
pub mod apps;
pub mod audit;
pub mod calls;
pub mod canned;
pub mod chat;
pub mod config;
pub mod demo;
pub mod devices;
pub mod dispatch;
pub mod engagements;
mod events;
pub mod interactions;
pub mod metrics;
pub mod reports;
pub mod routing_view;
pub mod sessions;
pub mod stats;
pub mod surveys;
pub mod throttle;
pub mod validate;
pub mod wallboards;
pub mod webhooks;
pub mod writer;

use crate::auth::token::Signer;
use crate::auth::Denied;
use crate::store::{Store, StoreError};
use shared::ids::{AccountId, EngagementId};
use shared::InvalidTransition;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The service layer's errors. `http::error` maps each once to a response.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    /// A field names an object (a queue, a skill, an entry point) that does not exist.
    #[error("{message}")]
    UnknownReference { field: String, message: String },
    /// A well-formed value this server's policy refuses (an outbound address it may not call).
    #[error("{message}")]
    Refused { field: String, message: String },
    #[error("{message}")]
    Conflict {
        message: String,
        engagement_id: Option<EngagementId>,
    },
    #[error("{0}")]
    InvalidState(#[from] InvalidTransition),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Denied(#[from] Denied),
    /// An upload is over the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// An upload's Content-Type is not one this operation takes.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A `Range` outside the file.
    #[error("the requested range is outside the file ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    /// Too many failed sign-ins under one account identifier or client address.
    #[error("{message}")]
    Throttled {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl From<crate::media::MediaError> for ServiceError {
    fn from(e: crate::media::MediaError) -> ServiceError {
        use crate::media::MediaError;
        match e {
            MediaError::BadOffer(_) => invalid("sdp", e.to_string()),
            _ => conflict(e.to_string()),
        }
    }
}

/// The request is well-formed but the current configuration or state refuses it (`409`).
pub fn conflict(message: impl Into<String>) -> ServiceError {
    ServiceError::Conflict {
        message: message.into(),
        engagement_id: None,
    }
}

/// `field` names an object that does not exist (answered `404` with the field).
pub fn unknown(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
    ServiceError::UnknownReference {
        field: field.into(),
        message: message.into(),
    }
}

/// A well-formed `field` this caller may not use (answered `403` with the field).
pub fn refused(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
    ServiceError::Refused {
        field: field.into(),
        message: message.into(),
    }
}

/// An outbound URL refused: malformed ones are invalid (`422`), policy refusals (private
/// addresses, plain http, hosts off the allow-list) are `403`.
pub fn address_error(
    field: impl Into<String>,
    error: crate::delivery::webhooks::address::AddressError,
) -> ServiceError {
    if error.is_policy() {
        refused(field, error.to_string())
    } else {
        invalid(field, error.to_string())
    }
}

pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Wall-clock milliseconds, with an offset tests can advance.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        crate::store::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// What every operation needs.
#[derive(Clone)]
pub struct Ctx {
    pub store: Store,
    pub signer: Signer,
    /// The account of this single-tenant deployment (created on first start).
    pub account: AccountId,
    pub clock: Clock,
    pub dispatch: dispatch::Trigger,
    /// Group commit of engagement starts and commands (and the routing pass), see [`writer`].
    pub writer: writer::Writer,
    /// Outbound HTTP (webhooks, callouts): the address policy and the retry schedule.
    pub outbound: Arc<crate::delivery::webhooks::Outbound>,
    /// Recordings and transcripts: the blob store and how files are addressed.
    pub files: Arc<interactions::Files>,
    /// Recent session checks (token revocation), see [`sessions`].
    pub sessions: Arc<sessions::SessionCache>,
    /// Sign-in throttling limits, see [`throttle`].
    pub throttle: throttle::Policy,
    /// What `GET /metrics` exports, see [`crate::metrics`].
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Web chat's own state (rate limits, the customers' presence), see [`chat::State`].
    pub chat: Arc<chat::State>,
    /// Agent sockets open here per device, see [`devices`].
    pub device_sockets: Arc<devices::OpenSockets>,
    /// What an agent may give as the reason for not being ready (`--not-ready-reasons`).
    pub not_ready_reasons: Arc<Vec<shared::config::NotReadyReason>>,
    /// Web calls: the media engine and the calls this instance holds, see [`calls`].
    pub calls: Arc<calls::Calls>,
}
