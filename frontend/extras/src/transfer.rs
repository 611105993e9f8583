//! The transfer list of an engagement's panel: the agent's queues, the flows and the
//! colleagues (with their status), filled into the panel's `<select>` when the agent opens it.
//! The widget keeps the select and the Transfer button (and so the request and its errors);
//! this part only knows where an engagement can go, which an agent who never transfers never
//! needs (the widget's first load does not carry it).
//!
//! Queues and flows rarely change and are read once per sign-in; colleagues' statuses do, so
//! they are read again when the list is opened more than 20 s after the last read.

use js_sys::{Array, Reflect};
use kit::client::{self, Call};
use kit::dom::{append, attr, clear_after, text_el};
use kit::text;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

/// How long a read of the colleagues' statuses is shown before it is read again.
const COLLEAGUES_FRESH_MS: f64 = 20_000.0;

/// An option: its value (`q:`, `f:` or `a:` and the id) and its label.
type Target = (String, String);

#[derive(Default)]
struct Known {
    /// The token these were read with: another sign-in reads them again.
    token: String,
    queues: Option<Vec<Target>>,
    flows: Option<Vec<Target>>,
    colleagues: Vec<Target>,
    colleagues_read_ms: f64,
}

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(Known::default());
}

/// Fill `select` (after its first, empty option) with every target, reading what is missing
/// or stale first.
#[wasm_bindgen]
pub fn fill_transfer_targets(select: Element, token: String) {
    spawn_local(async move {
        let now = js_sys::Date::now();
        let (queues, flows, colleagues) = KNOWN.with(|k| {
            let mut k = k.borrow_mut();
            if k.token != token {
                *k = Known {
                    token: token.clone(),
                    colleagues_read_ms: f64::NEG_INFINITY,
                    ..Known::default()
                };
            }
            (
                k.queues.is_none(),
                k.flows.is_none(),
                now - k.colleagues_read_ms > COLLEAGUES_FRESH_MS,
            )
        });
        if colleagues {
            KNOWN.with(|k| k.borrow_mut().colleagues_read_ms = now);
        }
        if queues {
            if let Some(list) = read(&token, client::queues(), "q", "queue_id", "Queue").await {
                KNOWN.with(|k| k.borrow_mut().queues = Some(list));
            }
        }
        if flows {
            if let Some(list) = read(&token, client::flows(), "f", "flow_id", "Flow").await {
                KNOWN.with(|k| k.borrow_mut().flows = Some(list));
            }
        }
        if colleagues {
            if let Some(list) = read(&token, client::directory(), "a", "agent_id", "Agent").await {
                KNOWN.with(|k| k.borrow_mut().colleagues = list);
            }
        }
        KNOWN.with(|k| draw(&select, &k.borrow()));
    });
}

/// Read a list (`QueueSummary`, `FlowSummary` or `Colleague`) as options.
async fn read(
    token: &str,
    call: Call,
    prefix: &str,
    id_field: &str,
    kind: &str,
) -> Option<Vec<Target>> {
    let list = call.send(token).await.ok()?;
    Some(
        Array::from(&list)
            .iter()
            .filter_map(|item| {
                let id = text(&item, id_field)?;
                let label = match text(&item, "display_name") {
                    // A colleague: their name and what they are doing now.
                    Some(name) => format!("{kind}: {name} ({})", presence(&item)),
                    None => format!("{kind}: {}", text(&item, "name")?),
                };
                Some((format!("{prefix}:{id}"), label))
            })
            .collect(),
    )
}

/// A colleague's status (`AgentStatus`: `{"status": …, "reason": …}`) as the list shows it.
fn presence(colleague: &JsValue) -> String {
    let status = Reflect::get(colleague, &"status".into()).unwrap_or_default();
    match text(&status, "status").as_deref() {
        Some("not_ready") => format!("not ready: {}", text(&status, "reason").unwrap_or_default()),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Replace every option but the first ("Transfer to…") with the known targets, keeping the
/// agent's choice if it is still there.
fn draw(select: &Element, known: &Known) {
    let chosen = Reflect::get(select, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    clear_after(select, 1);
    let all = known
        .queues
        .iter()
        .flatten()
        .chain(known.flows.iter().flatten())
        .chain(&known.colleagues);
    for (value, label) in all {
        let option = text_el("option", "", label);
        attr(&option, "value", value);
        append(select, &[&option]);
    }
    let _ = Reflect::set(select, &"value".into(), &chosen.into());
}
