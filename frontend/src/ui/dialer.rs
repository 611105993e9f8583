//! "Call out": dial a number, or (Zoom-compatible hosts) search the host's contacts.

use crate::bridge;
use crate::session::Session;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::DialRequest;

/// Calling out from the widget. A number is dialed at once; inside a host that speaks the
/// Zoom-compatible dialect, a name (or anything else) searches the host's contacts
/// (`zcc-contact-search-event`) and each match becomes a button that calls it.
#[component]
pub fn Dialer(session: Session) -> impl IntoView {
    let input: NodeRef<html::Input> = NodeRef::new();
    let results = bridge::contact_results();
    let call = move |phone: String, record: Option<shared::post_message::zcc::Record>| {
        results.set(Vec::new());
        spawn_local(async move {
            if let Err((_, message)) = bridge::call(session, phone, record).await {
                session.notice.set(Some(message));
            }
        });
    };
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let text = input.get().map(|i| i.value()).unwrap_or_default();
        let text = text.trim();
        if DialRequest::is_dialable(text) {
            call(text.to_string(), None);
        } else if text.is_empty() || !bridge::search_contacts(text) {
            session.notice.set(Some(
                "Enter a phone number: digits, spaces and + - ( ) . # *".into(),
            ));
        }
    };
    view! {
        <details class="dialer" data-test="dialer">
            <summary>"Call out"</summary>
            <form on:submit=submit>
                <input type="text" node_ref=input data-test="dial-input" maxlength="100"
                    aria-label="Number or contact" placeholder=move || if bridge::dialect() == Some(shared::post_message::Dialect::Zcc) { "Number or name" } else { "Number" }/>
                <button type="submit" data-test="dial">"Call"</button>
            </form>
            <div class="matches" role="group" aria-label="Contacts found" hidden=move || results.with(Vec::is_empty)>
                {move || results.get().into_iter().map(|r| {
                    let label = format!("{} · {}", r.name, r.phone);
                    let phone = r.phone.clone();
                    view! { <button data-test="contact" disabled=phone.is_empty() on:click=move |_| call(phone.clone(), Some(r.clone()))>{label}</button> }
                }).collect_view()}
            </div>
        </details>
    }
}
