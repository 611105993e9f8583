//! Every integration test, in one binary (so the workspace links it once): one module per
//! area. Shared steps (servers, browsers, page objects, receivers) live in the `tests` crate.

mod api;
mod apps;
mod audit;
mod auth;
mod browser;
mod canned;
mod chat;
mod chat_page;
mod commands;
mod crash;
mod crm_interactions;
mod devices;
mod fuzz;
mod interactions;
mod live;
mod metrics;
mod migrations;
mod reference_host;
mod reports;
mod routing_rules;
mod scale_out;
mod server;
mod side_panel;
mod simulation;
mod surveys;
mod voice;
mod voice_browser;
mod webhooks;
mod widget_flow;
