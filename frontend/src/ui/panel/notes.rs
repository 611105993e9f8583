//! The panel's notes: the list, and a new note while the state allows one.

use super::{allows, PanelItem, PanelState};
use crate::session::Session;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::ids::EngagementId;
use shared::Command;

pub fn notes(
    session: Session,
    id: EngagementId,
    item: PanelItem,
    state: PanelState,
) -> impl IntoView {
    let note: NodeRef<html::Textarea> = NodeRef::new();
    let add_note = move |_| {
        let Some(el) = note.get() else { return };
        let text = el.value();
        if text.trim().is_empty() {
            session
                .notice
                .set(Some("Write a note before adding it.".into()));
            return;
        }
        spawn_local(async move {
            if session.add_note(id, text).await.is_ok() {
                if let Some(el) = note.get_untracked() {
                    el.set_value("");
                }
            }
        });
    };
    on_cleanup(move || crate::react::extras::drop_canned_in_note(id));
    let canned = move |_| {
        if let Some(field) = note.get_untracked() {
            crate::react::extras::canned_in_note(session, id, &field);
        }
    };
    view! {
        <section class="notes">
            <h3>"Notes"</h3>
            <ul data-test="notes">
                {move || item.with(|i| i.as_ref().map(|i| i.notes.clone())).unwrap_or_default().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
            <div hidden=move || !allows(state, Command::AddNote)>
                <label class="sr-only" for=format!("note-{id}")>"New note"</label>
                <textarea id=format!("note-{id}") node_ref=note data-test="note-input" rows="2" maxlength="10000" placeholder="Add a note (/ and a shortcut: a canned response)" on:focus=canned></textarea>
                <button data-test="add-note" on:click=add_note>"Add note"</button>
            </div>
        </section>
    }
}
