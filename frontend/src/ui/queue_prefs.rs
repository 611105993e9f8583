//! "My queues": opt in or out of each of the agent's queues. The list is drawn by
//! `frontend/extras` when the agent opens it (not needed at first paint: the budget rule).

use crate::session::Session;
use leptos::html;
use leptos::prelude::*;

#[component]
pub fn QueuePrefs(session: Session) -> impl IntoView {
    let list: NodeRef<html::Details> = NodeRef::new();
    let on_toggle = move |_| {
        if let Some(d) = list.get_untracked().filter(|d| d.open()) {
            crate::react::extras::fill_queue_prefs(session, &d);
        }
    };
    view! {
        <details class="queues" data-test="queue-prefs" node_ref=list on:toggle=on_toggle>
            <summary>"My queues"</summary>
        </details>
    }
}
