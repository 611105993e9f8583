//! The signed-in agent's screen, one file per part: the status bar, the ringing offers, the
//! tabs, one panel per engagement, the dialer and the queue preferences; for supervisors,
//! live queue stats with monitor/barge (loaded on demand: `crate::react::extras`).
//!
//! Every piece of untrusted text (work-item fields, variables, notes, names) is put into the
//! page as a text node by Leptos, never as HTML. Links from work items open in a new tab and
//! only when they are `http(s)` (`crate::browser::safe_link`).
//!
//! A new part is a file here with one `#[component]` (or, inside a component, a plain
//! function returning `impl IntoView`: no props struct, fewer bytes), placed in [`SignedIn`].
//! It calls the server through `session.call(client::…)` / `session.fire(…)`, never with a
//! path of its own.

mod dialer;
mod offers;
mod panel;
mod queue_prefs;
mod status_bar;
mod tabs;

use crate::model::Item;
use crate::react::device;
use crate::session::{active_here, Session};
use leptos::prelude::*;
use shared::config::Role;
use shared::EngagementState;

/// An engagement's state as the agent reads it.
fn state_label(s: EngagementState) -> &'static str {
    match s {
        EngagementState::Queued => "Queued",
        EngagementState::Offered => "Ringing",
        EngagementState::Connected => "Connected",
        EngagementState::Inactive => "On hold",
        EngagementState::WrapUp => "Wrap-up",
        EngagementState::Closed => "Closed",
    }
}

#[component]
pub fn SignedIn(session: Session) -> impl IntoView {
    let model = session.model;
    let supervisor =
        Memo::new(move |_| model.with(|m| m.agent.as_ref().is_some_and(|a| a.role != Role::Agent)));
    // Live queue stats with listen/barge, loaded on demand (crate::react::extras).
    crate::react::extras::show_supervisor(session, supervisor);

    view! {
        <status_bar::StatusBar session=session/>
        <div class="warn" role="status" data-test="device-inactive" hidden=move || session.model.with(active_here)>
            "Switchboard is active in another tab or window: it rings there. "
            <button data-test="use-here" on:click=move |_| device::claim(session, false)>"Use here"</button>
        </div>
        <div hidden=move || !session.model.with(active_here)>
            <offers::Offers session=session/>
        </div>
        <tabs::Tabs session=session/>
        // One panel per engagement, only the selected one shown: switching keeps each half-written
        // note where it was.
        <For each=move || session.model.with(|m| m.active.iter().chain(m.recent.iter()).map(Item::id).collect::<Vec<_>>())
            key=|id| *id let(id)>
            <panel::Panel session=session id=id/>
        </For>
        <dialer::Dialer session=session/>
        <queue_prefs::QueuePrefs session=session/>
        <div data-supervisor=""></div>
    }
}
