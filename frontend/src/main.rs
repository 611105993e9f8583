//! The Switchboard agent widget.

mod api;
mod app;
mod bridge;
mod launch;
mod model;
mod session;
mod sound;
mod ui;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
