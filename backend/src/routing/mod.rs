//! The routing engine's pure core: no I/O, no clock, no database. Tests and the benchmark
//! drive it directly; the dispatcher (`crate::dispatch`) loads a snapshot, calls it and
//! persists what it decides.
//!
//! - [`plan`]: which waiting engagements go to which agents now.
//! - [`flow`]: evaluating a flow for a new or transferred engagement.
//! - [`priority`]: effective priority (base, profile boosts, due dates).
//! - [`template`]: launch-URL and callout-body templates.
//! - [`place`]: a waiting engagement's position in its queue and the expected wait.

pub mod flow;
pub mod place;
pub mod plan;
pub mod priority;
pub mod template;

pub use plan::{plan, AgentView, Offer, QueueView, WaitingView};
