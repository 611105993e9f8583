//! The panel of one engagement: work item, consumer, details, the chat's conversation and
//! apps (on demand), notes, disposition, transfer and the actions its state allows. Parts the
//! state does not allow are hidden, not rebuilt, so a half-written note survives every event.

mod disposition;
mod notes;
mod transfer;

use super::state_label;
use crate::bridge;
use crate::browser::safe_link;
use crate::model::Item;
use crate::session::Session;
use leptos::prelude::*;
use shared::ids::EngagementId;
use shared::state_machine::allowed_commands;
use shared::{Command, EngagementState};

/// The engagement a panel shows (`None` once it is gone).
type PanelItem = Memo<Option<Item>>;
/// Its state, apart: most parts follow only that.
type PanelState = Memo<Option<EngagementState>>;

/// Does the engagement's state allow `command`?
fn allows(state: PanelState, command: Command) -> bool {
    state
        .get()
        .is_some_and(|s| allowed_commands(s).contains(&command))
}

/// One `<option>` of a menu: value and label.
fn option((value, label): (String, String)) -> impl IntoView {
    view! { <option value=value>{label}</option> }
}

/// The label and value of each fact about an engagement, for the panel's list.
fn facts(i: &Item) -> Vec<(&'static str, String)> {
    let e = &i.engagement;
    let mut out = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push((label, v));
        }
    };
    if let Some(w) = &e.work_item {
        push("Work item", Some(w.name.clone()));
        push("Description", w.description.clone());
        push("Due", w.due_date.map(|d| d.date().to_string()));
        push("Priority", w.priority.map(|p| p.to_string()));
        push("Origin", w.origin.clone());
    }
    if let Some(c) = &e.consumer {
        push("Contact", c.display_name.clone());
        push("Phone", c.phone.clone());
        push("Email", c.email.clone());
    }
    push("Channel", Some(e.channel.as_str().replace('_', " ")));
    push("Disposition", i.disposition.as_ref().map(|d| d.0.clone()));
    out
}

/// The engagement commands with a button of their own: command, label, `data-test` and
/// path segment.
const ACTIONS: [(Command, &str, &str); 5] = [
    (Command::Accept, "Accept", "accept"),
    (Command::MarkInactive, "Hold", "inactive"),
    (Command::Resume, "Resume", "resume"),
    (Command::End, "End", "end"),
    (Command::Close, "Close", "close"),
];

#[component]
pub fn Panel(session: Session, id: EngagementId) -> impl IntoView {
    let item = Memo::new(move |_| session.model.with(|m| m.find(id).cloned()));
    let state = Memo::new(move |_| item.with(|i| i.as_ref().map(|i| i.engagement.state)));
    let can = move |c: Command| allows(state, c);
    let matches = bridge::matches();
    let link = move || {
        item.with(|i| {
            i.as_ref().and_then(|i| {
                i.engagement
                    .work_item
                    .as_ref()?
                    .hyperlink
                    .as_deref()
                    .and_then(safe_link)
            })
        })
    };
    let launch = move || item.with(|i| i.as_ref()?.launch_url.as_deref().and_then(safe_link));
    crate::react::extras::show_apps(session, id, item);
    crate::react::extras::show_conversation(session, id, item);
    crate::react::extras::show_call(session, id, item);

    view! {
        <article class="panel" data-test="panel" data-engagement=id.to_string() data-state=move || state.get().map(|s| s.as_str())
            hidden=move || session.selected.get() != Some(id)>
            <header>
                <h2 data-test="panel-title">{move || item.with(|i| i.as_ref().map(Item::title))}</h2>
                <span class="badge">{move || state.get().map(state_label).unwrap_or("Gone")}</span>
            </header>
            <dl class="facts">
                {move || item.with(|i| i.as_ref().map(facts)).unwrap_or_default().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            <p hidden=move || link().is_none()>
                <a href=link target="_blank" rel="noopener noreferrer" data-test="work-item-link">"Open the work item ↗"</a>
            </p>
            <p hidden=move || launch().is_none()>
                <a href=launch target="_blank" rel="noopener noreferrer" data-test="launch-link">"Open the record ↗"</a>
            </p>
            {move || matches.and_then(|m| m.0.with(|v| v.iter().find(|(e, _)| *e == id).map(|(_, r)| r.clone()))).map(|records| view! {
                <div class="matches" role="group" aria-label="Matching records">
                    <span class="muted">"Which record is this?"</span>
                    {records.into_iter().map(|r| {
                        let label = format!("{} ({})", r.name, r.entity);
                        view! { <button on:click=move |_| bridge::pick(id, r.clone())>{label}</button> }
                    }).collect_view()}
                </div>
            })}
            <div data-call=id.to_string()></div>
            <div data-conversation=id.to_string()></div>
            <details>
                <summary>"Details"</summary>
                <dl class="facts" data-test="variables">
                    {move || item.with(|i| i.as_ref().map(|i| i.engagement.variables.clone())).unwrap_or_default().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </details>
            {notes::notes(session, id, item, state)}
            {disposition::disposition(session, id, item, state)}
            {transfer::transfer(session, id, state)}
            <div class="actions">
                {ACTIONS.map(|(c, label, action)| view! {
                    // The server closes a live engagement through wrap-up, so Close is offered
                    // wherever End is.
                    <button data-test=action hidden=move || !(can(c) || (c == Command::Close && can(Command::End)))
                        on:click=move |_| session.act(id, action)>{label}</button>
                })}
            </div>
        </article>
    }
}
