//! The panel's transfer: a list of where the engagement can go (the agent's queues, the flows,
//! colleagues with their status; filled on demand by `frontend/extras` when the list is
//! opened) and the Transfer button.

use super::{allows, PanelState};
use crate::client::{self, TransferTo};
use crate::session::Session;
use leptos::html;
use leptos::prelude::*;
use shared::ids::EngagementId;
use shared::Command;

pub fn transfer(session: Session, id: EngagementId, state: PanelState) -> impl IntoView {
    let select: NodeRef<html::Select> = NodeRef::new();
    let load_targets = move |_| {
        if let Some(s) = select.get_untracked() {
            crate::react::extras::fill_transfer_targets(session, &s);
        }
    };
    let do_transfer = move |_| {
        let Some(target) = select.get().map(|s| s.value()) else {
            return;
        };
        let to = match target.split_once(':') {
            Some(("q", q)) => TransferTo::Queue(q),
            Some(("f", f)) => TransferTo::Flow(f),
            Some(("a", a)) => TransferTo::Agent(a),
            _ => {
                session
                    .notice
                    .set(Some("Pick where to transfer to.".into()));
                return;
            }
        };
        session.fire(client::transfer(id, to));
    };
    view! {
        <div class="transfer" hidden=move || !allows(state, Command::Transfer)>
            <select node_ref=select data-test="transfer-select" aria-label="Transfer to" on:focus=load_targets>
                <option value="">"Transfer to…"</option>
            </select>
            <button data-test="transfer" on:click=do_transfer>"Transfer"</button>
        </div>
    }
}
