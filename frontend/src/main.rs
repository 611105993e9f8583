//! The Switchboard agent widget.

mod app;
mod host;
mod launch;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
