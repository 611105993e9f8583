//! Delivery: getting events from the durable log to the people and systems that follow it.
//!
//! - [`hub`]: one reader per process follows the log and fans events out to the agent feeds
//!   in memory, so a commit costs one database read however many agents are connected.
//! - [`ws`]: the agent WebSocket (backlog from the log, then live events from the hub).
//! - [`chat_ws`]: a web chat customer's WebSocket, the same way for one chat, in frames that
//!   carry only what is the customer's to see.
//! - [`live_stats`]: the supervisors' live statistics, computed while someone watches and
//!   pushed through the hub.
//! - [`webhooks`]: signed webhook deliveries from the log (a transactional outbox).
//! - [`callouts`]: flow event callouts, through the same outbox and signing.
//! - [`call_signals`]: web call offers that reached another instance, answered by the one that
//!   holds the call.

pub mod call_signals;
pub mod callouts;
pub mod chat_ws;
pub mod hub;
pub mod live_stats;
mod socket;
pub mod webhooks;
pub mod ws;
