//! The agent widget's on-demand parts, a WASM module of its own: the widget imports it
//! (`frontend/src/react/extras.rs`) the first time a part is needed — an engagement of a queue with
//! side-panel apps ([`apps`]), a chat's conversation ([`conversation`]), or a signed-in
//! supervisor ([`supervisor`], its charts in [`trends`]), the targets of a transfer ([`transfer`]), the agent's queue opt-ins ([`queue_prefs`]) — so an agent's
//! first load carries neither (BENCHMARKS.md, "parts loaded on demand").
//!
//! The wallboard page (`/wallboard/{id}`) loads it too, for [`wallboard`] alone.
//!
//! No framework and no JSON library: the browser's DOM and `JSON` through `web-sys` and
//! `js-sys` keep the module small.

pub mod apps;
pub mod call;
pub mod canned;
pub mod charts;
pub mod conversation;
pub mod queue_prefs;
pub mod supervisor;
pub mod transfer;
pub mod trends;
pub mod wallboard;
