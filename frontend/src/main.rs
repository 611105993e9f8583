//! The Switchboard agent widget.

mod api;
mod app;
mod bridge;
mod device;
mod launch;
mod model;
mod screen_pop;
mod session;
mod side_panel;
mod sound;
mod ui;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
