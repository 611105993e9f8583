//! The status bar: who is signed in, whether the feed is live, the status menu and sign-out;
//! under it the last problem to show, and a warning while the ring sound is locked.

use crate::react::sound;
use crate::session::Session;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::config::AgentStatus;

fn status_value(s: &AgentStatus) -> String {
    match s {
        AgentStatus::Ready => "ready".into(),
        AgentStatus::Offline => "offline".into(),
        AgentStatus::NotReady { reason } => format!("nr:{reason}"),
    }
}

fn parse_status(v: &str) -> AgentStatus {
    match v {
        "ready" => AgentStatus::Ready,
        "offline" => AgentStatus::Offline,
        other => AgentStatus::NotReady {
            reason: other.trim_start_matches("nr:").to_string(),
        },
    }
}

#[component]
pub fn StatusBar(session: Session) -> impl IntoView {
    let model = session.model;
    let agent_name = move || {
        model.with(|m| {
            m.agent
                .as_ref()
                .map(|a| a.display_name.clone())
                .unwrap_or_default()
        })
    };
    let status = move || {
        model.with(|m| {
            m.agent
                .as_ref()
                .map(|a| status_value(&a.status))
                .unwrap_or_default()
        })
    };
    let is_ready = move || model.with(|m| m.agent.as_ref().is_some_and(|a| a.status.is_ready()));
    // Re-evaluated on every status change and by the unlock button.
    let sound_on = RwSignal::new(sound::unlocked());
    let on_status = move |ev: ev::Event| {
        let value = event_target_value(&ev);
        let next = parse_status(&value);
        if next.is_ready() {
            // The select is a user gesture: unlock audio before going ready.
            sound_on.set(sound::unlock());
        }
        spawn_local(async move {
            let _ = session.set_status(next).await;
        });
    };

    view! {
        <div class="bar-row">
            <span class="agent" title=move || model.with(|m| m.agent.as_ref().map(|a| a.email.clone()).unwrap_or_default())>{agent_name}</span>
            // role=img: a bare span may not carry aria-label (axe: aria-prohibited-attr).
            <span class="dot" role="img" class:online=move || session.online.get()
                title=move || if session.online.get() { "Connected" } else { "Reconnecting…" }
                aria-label=move || if session.online.get() { "Connected" } else { "Reconnecting" }></span>
            <label class="sr-only" for="sb-status">"Status"</label>
            <select id="sb-status" data-test="status" prop:value=status on:change=on_status>
                <option value="ready">"Ready"</option>
                // The server's reasons (`--not-ready-reasons`), and the current one if it is
                // another (set by a host page or an older list).
                {move || {
                    let v = status();
                    let mut names: Vec<String> = model.with(|m| m.reasons.iter().map(|r| r.name.clone()).collect());
                    if let Some(current) = v.strip_prefix("nr:").filter(|c| !names.iter().any(|n| n == c)) {
                        names.push(current.to_string());
                    }
                    names.into_iter().map(|r| view! { <option value=format!("nr:{r}")>{format!("Not ready: {r}")}</option> }).collect_view()
                }}
                <option value="offline">"Offline"</option>
            </select>
            <button class="link" on:click=move |_| session.sign_out(None)>"Sign out"</button>
        </div>
        <div class="error" role="alert" data-test="notice" hidden=move || session.notice.with(Option::is_none)>
            <span>{move || session.notice.get().unwrap_or_default()}</span>
            <button class="link" aria-label="Dismiss" on:click=move |_| session.notice.set(None)>"×"</button>
        </div>
        <div class="warn" role="alert" data-test="sound-warning" hidden=move || !is_ready() || sound_on.get()>
            "The ring sound is off. "
            <button data-test="sound" on:click=move |_| sound_on.set(sound::unlock())>"Turn on sound"</button>
        </div>
    }
}
