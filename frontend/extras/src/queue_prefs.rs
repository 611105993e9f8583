//! "My queues": the agent opts in or out of each of their queues. Filled when the agent
//! opens the list (read afresh each time: `GET /v1/agents/me` for the memberships,
//! `GET /v1/queues` for the names); each checkbox says at once
//! (`PUT /v1/agents/me/queues/{queue}`). An agent who never opens it never loads it.

use js_sys::{Array, Reflect};
use kit::client;
use kit::dom::{append, attr, clear_after, el, on, text_el};
use kit::text;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

/// Draw the agent's queues into `list` (the `<details>` element, after its summary), each with
/// a checkbox that opts in or out.
#[wasm_bindgen]
pub fn fill_queue_prefs(list: Element, token: String) {
    spawn_local(async move {
        let (me, queues) = (
            client::me().send(&token).await,
            client::queues().send(&token).await,
        );
        let names: BTreeMap<String, String> = queues
            .map(|q| {
                Array::from(&q)
                    .iter()
                    .filter_map(|q| Some((text(&q, "queue_id")?, text(&q, "name")?)))
                    .collect()
            })
            .unwrap_or_default();
        clear_after(&list, 1);
        let me = match me {
            Ok(me) => me,
            Err(message) => return say(&list, &message),
        };
        let memberships = Reflect::get(&me, &"queues".into()).unwrap_or_default();
        for m in Array::from(&memberships).iter() {
            let Some(queue) = text(&m, "queue_id") else {
                continue;
            };
            let opted_in = Reflect::get(&m, &"opted_in".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(true);
            let (label, input) = (el("label", "check"), el("input", ""));
            attr(&input, "type", "checkbox");
            attr(&input, "data-test", "opt-in");
            let _ = Reflect::set(&input, &"checked".into(), &opted_in.into());
            append(&label, &[&input]);
            let name = names.get(&queue).cloned().unwrap_or_else(|| queue.clone());
            let _ = label.append_with_str_1(&name);
            let token = token.clone();
            // Lives as long as the page: a handful per opening of the list.
            on(&input, "change", move |e: web_sys::Event| {
                let Some(input) = e.target() else { return };
                let checked = Reflect::get(&input, &"checked".into())
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                let (call, token) = (client::opt_in(&queue, checked), token.clone());
                spawn_local(async move {
                    if let Err(message) = call.send(&token).await {
                        // Back as it was, and why.
                        let _ = Reflect::set(&input, &"checked".into(), &(!checked).into());
                        if let Some(list) = input
                            .dyn_ref::<Element>()
                            .and_then(|i| i.closest("details").ok().flatten())
                        {
                            say(&list, &message);
                        }
                    }
                });
            });
            append(&list, &[&label]);
        }
    });
}

/// Show a problem at the end of the list.
fn say(list: &Element, message: &str) {
    let p = text_el("p", "error", message);
    attr(&p, "role", "alert");
    append(list, &[&p]);
}
