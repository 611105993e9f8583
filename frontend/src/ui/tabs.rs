//! The tabs: one per held engagement, then the recently closed ones; and the unread count in
//! the page's title.

use super::state_label;
use crate::session::Session;
use leptos::prelude::*;
use shared::ids::EngagementId;
use shared::EngagementState;

/// One tab per held engagement, then the recently closed ones to look back at.
#[component]
pub fn Tabs(session: Session) -> impl IntoView {
    let tab = move |(id, title, label, unread): (EngagementId, String, &'static str, u32)| {
        view! {
            <button class="tab" data-test="tab" aria-current=move || (session.selected.get() == Some(id)).then_some("true")
                on:click=move |_| session.selected.set(Some(id))>
                {title}<small>{label}</small>
                {(unread > 0).then(|| view! { <b class="unread" data-test="unread">{unread}</b> })}
            </button>
        }
    };
    let held = move || {
        session.model.with(|m| {
            m.active
                .iter()
                .filter(|i| i.engagement.state != EngagementState::Offered)
                .map(|i| (i.id(), i.title(), state_label(i.engagement.state), i.unread))
                .collect::<Vec<_>>()
        })
    };
    let recent = move || {
        session.model.with(|m| {
            m.recent
                .iter()
                .map(|i| (i.id(), i.title(), "Closed", 0))
                .collect::<Vec<_>>()
        })
    };
    // The panel in view has nothing unread; the page's title counts the rest ("(2) Switchboard").
    let unread = RenderEffect::new(move |_| {
        // (Written only when there is something to clear: this effect reads the model too.)
        if let Some(id) = session.selected.get() {
            if session
                .model
                .with_untracked(|m| m.find_active(id).is_some_and(|i| i.unread > 0))
            {
                session.model.update(|m| m.unread(id, false));
            }
        }
        let n: u32 = session
            .model
            .with(|m| m.active.iter().map(|i| i.unread).sum());
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&if n > 0 {
                format!("({n}) Switchboard")
            } else {
                "Switchboard".into()
            });
        }
    });
    on_cleanup(move || drop(unread));
    view! {
        <nav class="tabs" aria-label="Engagements">{move || held().into_iter().map(tab).collect_view()}</nav>
        <details class="recent" hidden=move || session.model.with(|m| m.recent.is_empty())>
            <summary>"Recently closed"</summary>
            <nav class="tabs" aria-label="Recently closed" data-test="recent">{move || recent().into_iter().map(tab).collect_view()}</nav>
        </details>
    }
}
