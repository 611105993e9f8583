//! The panel's disposition menu: the dispositions the engagement's queue allows (all when it
//! names none), set as soon as one is chosen.

use super::{allows, option, PanelItem, PanelState};
use crate::client;
use crate::session::Session;
use leptos::ev;
use leptos::prelude::*;
use shared::ids::EngagementId;
use shared::Command;

pub fn disposition(
    session: Session,
    id: EngagementId,
    item: PanelItem,
    state: PanelState,
) -> impl IntoView {
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
            session.fire(client::set_disposition(id, v));
        }
    };
    view! {
        <label hidden=move || !allows(state, Command::SetDisposition)>"Disposition "
            <select data-test="disposition-select" on:change=on_disposition>
                <option value="">"Choose…"</option>
                {move || dispositions().into_iter().map(option).collect_view()}
            </select>
        </label>
    }
}
