//! The Switchboard server.
//!
//! Layout: `http` (thin handlers and the router), `store` (the only module that touches the
//! database, including the event log), `embedding` (who may frame the widget), `media` (web calls: WebRTC legs, relay, recording), `config`
//! (flags and environment), `server` (start-up and graceful shutdown).

pub mod auth;
pub mod config;
pub mod delivery;
pub mod embedding;
pub mod http;
pub mod media;
pub mod metrics;
pub mod reports;
pub mod routing;
pub mod server;
pub mod service;
pub mod store;
pub mod workers;
