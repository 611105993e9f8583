//! The ringing offers: what rings, a countdown, accept and decline.

use crate::bridge;
use crate::browser::now_ms;
use crate::session::Session;
use leptos::prelude::*;

/// Ringing offers with a countdown, accept and decline.
#[component]
pub fn Offers(session: Session) -> impl IntoView {
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
