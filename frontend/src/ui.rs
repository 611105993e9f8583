//! The signed-in agent's screen: status, offers, one panel per engagement, recent engagements
//! and, for supervisors, live queue stats with monitor/barge (loaded on demand: `crate::extras`).
//!
//! Every piece of untrusted text (work-item fields, variables, notes, names) is put into the
//! page as a text node by Leptos, never as HTML. Links from work items open in a new tab and
//! only when they are `http(s)`.

use crate::model::Item;
use crate::session::{now_ms, Session};
use crate::{bridge, sound};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{Colleague, DialRequest, FlowSummary};
use shared::config::{AgentStatus, Role};
use shared::ids::EngagementId;
use shared::state_machine::allowed_commands;
use shared::{Command, EngagementState};

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

/// A colleague's status as the transfer list shows it.
fn presence(s: &AgentStatus) -> String {
    match s {
        AgentStatus::Ready => "ready".into(),
        AgentStatus::Offline => "offline".into(),
        AgentStatus::NotReady { reason } => format!("not ready: {reason}"),
    }
}

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

/// Only web links may be opened from a work item (no `javascript:` or `data:`).
pub fn safe_link(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_string())
}

#[component]
pub fn SignedIn(session: Session) -> impl IntoView {
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
    let supervisor =
        Memo::new(move |_| model.with(|m| m.agent.as_ref().is_some_and(|a| a.role != Role::Agent)));
    // Live queue stats with listen/barge, loaded on demand (crate::extras).
    crate::extras::show_supervisor(session, supervisor);
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
        <div class="warn" role="status" data-test="device-inactive" hidden=move || session.model.with(crate::device::active_in)>
            "Switchboard is active in another tab or window: it rings there. "
            <button data-test="use-here" on:click=move |_| crate::device::claim(session, false)>"Use here"</button>
        </div>
        <div hidden=move || !session.model.with(crate::device::active_in)>
            <Offers session=session/>
        </div>
        <Tabs session=session/>
        // One panel per engagement, only the selected one shown: switching keeps each half-written
        // note where it was.
        <For each=move || session.model.with(|m| m.active.iter().chain(m.recent.iter()).map(Item::id).collect::<Vec<_>>())
            key=|id| *id let(id)>
            <Panel session=session id=id/>
        </For>
        <Dialer session=session/>
        <QueuePrefs session=session/>
        <div data-supervisor=""></div>
    }
}

/// Ringing offers with a countdown, accept and decline.
#[component]
fn Offers(session: Session) -> impl IntoView {
    let now = RwSignal::new(now_ms());
    if let Ok(h) = set_interval_with_handle(
        move || now.set(now_ms()),
        std::time::Duration::from_millis(500),
    ) {
        on_cleanup(move || h.clear());
    }
    let ringing = move || {
        session
            .model
            .with(|m| m.ringing().map(|i| i.id()).collect::<Vec<_>>())
    };
    view! {
        <For each=ringing key=|id| *id let(id)>
            {
                // A memo: the countdown ticks twice a second without searching the model each time.
                let offer = Memo::new(move |_| session.model.with(|m| m.find(id).cloned()));
                let item = move || offer.get();
                let left = move || {
                    offer.with(|i| i.as_ref().and_then(|i| i.ring_deadline_ms)).map(|d| ((d - now.get()) / 1000.0).ceil().max(0.0) as i64)
                };
                view! {
                    <section class="offer" role="alert" data-test="offer" data-engagement=id.to_string()>
                        <div class="offer-head">
                            <span class="channel">{move || item().map(|i| i.engagement.channel.as_str().replace('_', " ")).unwrap_or_default()}</span>
                            <span class="countdown" data-test="countdown">{move || left().map(|s| format!("{s} s")).unwrap_or_default()}</span>
                        </div>
                        <strong class="title" data-test="offer-title">{move || item().map(|i| i.title()).unwrap_or_default()}</strong>
                        <div class="muted" data-test="offer-who">
                            // Who: the record the host page matched (Smart Embed hosts), else the
                            // customer's name, number or address; as text.
                            {move || session.model.with(|_| bridge::host_name(id)).or_else(|| item().and_then(|i| i.engagement.consumer.and_then(|c| c.display_name.or(c.phone).or(c.email))))}
                            {move || item().and_then(|i| i.engagement.work_item.and_then(|w| w.priority)).map(|p| format!(" · priority {p}"))}
                        </div>
                        <div class="actions">
                            <button class="primary" data-test="accept" on:click=move |_| session.act(id, "accept")>"Accept"</button>
                            <button data-test="decline" on:click=move |_| session.act(id, "decline")>"Decline"</button>
                        </div>
                    </section>
                }
            }
        </For>
    }
}

/// One tab per held engagement, then the recently closed ones to look back at.
#[component]
fn Tabs(session: Session) -> impl IntoView {
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

/// The panel of one engagement: work item, consumer, details, notes, disposition, transfer
/// and the actions its state allows. Parts the state does not allow are hidden, not rebuilt,
/// so a half-written note survives every event.
#[component]
fn Panel(session: Session, id: EngagementId) -> impl IntoView {
    let item = Memo::new(move |_| session.model.with(|m| m.find(id).cloned()));
    let state = Memo::new(move |_| item.with(|i| i.as_ref().map(|i| i.engagement.state)));
    let can = move |c: Command| {
        state
            .get()
            .is_some_and(|s| allowed_commands(s).contains(&c))
    };
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
    let dispositions = move || {
        let allowed = item.with(|i| {
            i.as_ref()
                .and_then(|i| i.engagement.queue_id)
                .and_then(|q| {
                    session.queues.with(|qs| {
                        qs.iter()
                            .find(|x| x.queue_id == q)
                            .map(|x| x.disposition_ids.clone())
                    })
                })
        });
        session.dispositions.with(|ds| {
            ds.iter()
                .filter(|d| {
                    allowed
                        .as_ref()
                        .is_none_or(|a| a.is_empty() || a.contains(&d.disposition_id))
                })
                .map(|d| (d.disposition_id.to_string(), d.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let on_disposition = move |ev: ev::Event| {
        let v = event_target_value(&ev);
        if !v.is_empty() {
            session.fire(
                "PUT",
                format!("/v1/engagements/{id}/disposition"),
                Some(format!("{{\"disposition_id\":\"{v}\"}}")),
            );
        }
    };
    let flows = RwSignal::new(Vec::<FlowSummary>::new());
    let colleagues = RwSignal::new(Vec::<Colleague>::new());
    let colleagues_loaded_ms = StoredValue::new(f64::NEG_INFINITY);
    let transfer: NodeRef<html::Select> = NodeRef::new();
    // Flows rarely change; colleagues' statuses do, so they are fetched again when the list is
    // opened more than 20 s after the last fetch.
    let load_targets = move |_| {
        if flows.with_untracked(Vec::is_empty) {
            spawn_local(async move {
                if let Ok(text) = session.call("GET", "/v1/flows".into(), None).await {
                    flows.set(crate::api::parse(&text, FlowSummary::read_list).unwrap_or_default());
                }
            });
        }
        let now = crate::session::now_ms();
        if now - colleagues_loaded_ms.get_value() > 20_000.0 {
            colleagues_loaded_ms.set_value(now);
            spawn_local(async move {
                if let Ok(text) = session
                    .call("GET", "/v1/agents/directory".into(), None)
                    .await
                {
                    colleagues
                        .set(crate::api::parse(&text, Colleague::read_list).unwrap_or_default());
                }
            });
        }
    };
    let do_transfer = move |_| {
        let Some(target) = transfer.get().map(|s| s.value()) else {
            return;
        };
        let body = match target.split_once(':') {
            Some(("q", q)) => format!("{{\"to\":\"queue\",\"queue_id\":\"{q}\"}}"),
            Some(("f", f)) => format!("{{\"to\":\"flow\",\"flow_id\":\"{f}\"}}"),
            Some(("a", a)) => format!("{{\"to\":\"agent\",\"agent_id\":\"{a}\"}}"),
            _ => {
                session
                    .notice
                    .set(Some("Pick where to transfer to.".into()));
                return;
            }
        };
        session.fire("POST", format!("/v1/engagements/{id}/transfer"), Some(body));
    };
    let targets = move || {
        let mut v: Vec<(String, String)> = session.queues.with(|qs| {
            qs.iter()
                .map(|q| (format!("q:{}", q.queue_id), format!("Queue: {}", q.name)))
                .collect()
        });
        flows.with(|fs| {
            v.extend(
                fs.iter()
                    .map(|f| (format!("f:{}", f.flow_id), format!("Flow: {}", f.name))),
            )
        });
        colleagues.with(|cs| {
            v.extend(cs.iter().map(|c| {
                (
                    format!("a:{}", c.agent_id),
                    format!("Agent: {} ({})", c.display_name, presence(&c.status)),
                )
            }))
        });
        v
    };
    let option = |(value, label): (String, String)| view! { <option value=value>{label}</option> };
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
    crate::extras::show_apps(session, id, item);
    crate::extras::show_conversation(session, id, item);
    const ACTIONS: [(Command, &str, &str); 5] = [
        (Command::Accept, "Accept", "accept"),
        (Command::MarkInactive, "Hold", "inactive"),
        (Command::Resume, "Resume", "resume"),
        (Command::End, "End", "end"),
        (Command::Close, "Close", "close"),
    ];

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
            <div data-conversation=id.to_string()></div>
            <details>
                <summary>"Details"</summary>
                <dl class="facts" data-test="variables">
                    {move || item.with(|i| i.as_ref().map(|i| i.engagement.variables.clone())).unwrap_or_default().into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </details>
            <section class="notes">
                <h3>"Notes"</h3>
                <ul data-test="notes">
                    {move || item.with(|i| i.as_ref().map(|i| i.notes.clone())).unwrap_or_default().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
                <div hidden=move || !can(Command::AddNote)>
                    <label class="sr-only" for=format!("note-{id}")>"New note"</label>
                    <textarea id=format!("note-{id}") node_ref=note data-test="note-input" rows="2" maxlength="10000" placeholder="Add a note"></textarea>
                    <button data-test="add-note" on:click=add_note>"Add note"</button>
                </div>
            </section>
            <label hidden=move || !can(Command::SetDisposition)>"Disposition "
                <select data-test="disposition-select" on:change=on_disposition>
                    <option value="">"Choose…"</option>
                    {move || dispositions().into_iter().map(option).collect_view()}
                </select>
            </label>
            <div class="transfer" hidden=move || !can(Command::Transfer)>
                <select node_ref=transfer data-test="transfer-select" aria-label="Transfer to" on:focus=load_targets>
                    <option value="">"Transfer to…"</option>
                    {move || targets().into_iter().map(option).collect_view()}
                </select>
                <button data-test="transfer" on:click=do_transfer>"Transfer"</button>
            </div>
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

/// Opt in or out of each of the agent's queues.
#[component]
fn QueuePrefs(session: Session) -> impl IntoView {
    let memberships = move || {
        session.model.with(|m| {
            m.agent
                .as_ref()
                .map(|a| a.queues.clone())
                .unwrap_or_default()
        })
    };
    let name = move |q: shared::ids::QueueId| {
        session.queues.with(|qs| {
            qs.iter()
                .find(|x| x.queue_id == q)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| q.to_string())
        })
    };
    view! {
        <details class="queues">
            <summary>"My queues"</summary>
            {move || memberships().into_iter().map(|m| {
                let q = m.queue_id;
                let toggle = move |ev: ev::Event| {
                    let on = event_target_checked(&ev);
                    spawn_local(async move {
                        let r = session.call("PUT", format!("/v1/agents/me/queues/{q}"), Some(format!("{{\"opted_in\":{on}}}"))).await;
                        if let Ok(text) = r {
                            if let Some(agent) = crate::api::parse(&text, shared::api::AgentProfile::read) {
                                session.model.update(|m| m.agent = Some(agent));
                            }
                        }
                    });
                };
                view! { <label class="check"><input type="checkbox" data-test="opt-in" prop:checked=m.opted_in on:change=toggle/>{name(q)}</label> }
            }).collect_view()}
        </details>
    }
}

/// Calling out from the widget. A number is dialed at once; inside a host that speaks the
/// Zoom-compatible dialect, a name (or anything else) searches the host's contacts
/// (`zcc-contact-search-event`) and each match becomes a button that calls it.
#[component]
fn Dialer(session: Session) -> impl IntoView {
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
