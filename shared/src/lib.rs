//! The Switchboard contract shared by the backend, the widget and the tests.
//!
//! Everything that crosses a process or network boundary is defined here once: ids,
//! [`Channel`](channel::Channel), [`Engagement`](engagement::Engagement) and its state machine
//! ([`state_machine::transition`]), routing configuration, the event log's event kinds, the
//! REST request/response shapes and the two postMessage dialects. The crate does no I/O and
//! builds for `wasm32-unknown-unknown`.

pub mod api;
pub mod canned;
pub mod channel;
pub mod config;
#[cfg(test)]
mod docs_examples;
pub mod engagement;
pub mod events;
pub mod feed;
pub mod ids;
pub mod interactions;
pub mod limits;
pub mod live;
pub mod payload;
pub mod post_message;
pub mod reports;
pub mod state_machine;
pub mod survey;
pub mod wallboard;
pub mod webhooks;

pub use channel::{Channel, Direction};
pub use engagement::{Consumer, Engagement, WorkItem};
pub use events::{Event, EventKind};
pub use payload::Payload;
pub use state_machine::{transition, Command, EngagementState, InvalidTransition, Transition};
