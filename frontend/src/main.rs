//! The Switchboard agent widget.

mod api;
mod app;
mod bridge;
mod browser;
mod client;
mod launch;
mod model;
mod react;
mod session;
mod ui;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
