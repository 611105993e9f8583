//! The Switchboard agent widget.

mod api;
mod app;
mod bridge;
mod device;
mod extras;
mod launch;
mod model;
mod screen_pop;
mod session;
mod sound;
mod ui;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
