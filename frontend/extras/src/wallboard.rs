//! The wallboard (`/wallboard/{id}`, `backend/static/wallboard.js` mounts it): big numbers per
//! queue for a screen on the wall, coloured against the queue's service-level target, each
//! queue's last hours as a chart, and who is ready, busy or not ready. It reads
//! `GET /v1/wallboards/{id}/view` with the wallboard's token every few seconds; a token that
//! no longer works (the wallboard was deleted) stops it with a message, a server out of reach
//! marks the numbers as stale and keeps trying.
//!
//! Every name from the server goes into the page as text.

use crate::charts::{self, get, list, num, Line};
use js_sys::Array;
use kit::dom::{after, el, text_el};
use kit::{client, text};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

/// How often the screen reads the numbers again.
const REFRESH_MS: i32 = 5_000;

/// Draw wallboard `id` into `root` with `token`, and keep it current.
#[wasm_bindgen]
pub fn mount_wallboard(root: Element, id: String, token: String) {
    if token.is_empty() {
        return fail(
            &root,
            "This address has no wallboard token. Open the full link an admin created (it ends in #token=…).",
        );
    }
    spawn_local(read(root, id, token, None));
}

async fn read(root: Element, id: String, token: String, last: Option<String>) {
    match client::wallboard_view(&id).send_with_status(&token).await {
        Ok(view) => {
            draw(&root, &view);
            let as_of = text(&view, "as_of");
            again(root, id, token, as_of);
        }
        Err((401 | 403 | 404, message)) => fail(
            &root,
            &format!("This wallboard is not available: {message}"),
        ),
        Err(_) => {
            // Keep the numbers, say how old they are.
            if let Some(asof) = root.query_selector(".wb-asof").ok().flatten() {
                let _ = asof.set_attribute("class", "wb-asof stale");
                let since = last.as_deref().map(clock).unwrap_or_default();
                asof.set_text_content(Some(&format!("Not updated since {since}: reconnecting…")));
            }
            again(root, id, token, last);
        }
    }
}

fn again(root: Element, id: String, token: String, last: Option<String>) {
    after(REFRESH_MS, move || spawn_local(read(root, id, token, last)));
}

fn fail(root: &Element, message: &str) {
    root.set_inner_html("");
    let p = text_el("p", "wb-error", message);
    let _ = p.set_attribute("role", "alert");
    let _ = p.set_attribute("data-test", "wallboard-error");
    let _ = root.append_child(&p);
}

/// `HH:MM:SS` in the screen's time zone.
fn clock(iso: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_str(iso));
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

fn draw(root: &Element, view: &JsValue) {
    root.set_inner_html("");
    let head = el("header", "wb-head");
    let name = text(view, "name").unwrap_or_default();
    let _ = head.append_child(&text_el("h1", "", &name));
    let as_of = text(view, "as_of").unwrap_or_default();
    let asof = text_el("span", "wb-asof", &format!("Updated {}", clock(&as_of)));
    let _ = head.append_child(&asof);
    let _ = root.append_child(&head);

    let queues = list(view, "queues");
    let n = queues.length();
    let cols = match n {
        0..=3 => n.max(1),
        4 => 2,
        5..=6 => 3,
        _ => 4,
    };
    let rows = n.max(1).div_ceil(cols);
    let grid = el("section", &format!("wb-queues cols-{cols} rows-{rows}"));
    for q in queues.iter() {
        let _ = grid.append_child(&queue_tile(&q));
    }
    let _ = root.append_child(&grid);
    let _ = root.append_child(&agents(&list(view, "agents")));
}

fn figure(label: &str, value: &str, class: &str, test: &str) -> Element {
    let f = el("div", &format!("wb-figure {class}"));
    let _ = f.set_attribute("data-test", test);
    let _ = f.append_child(&text_el("span", "value", value));
    let _ = f.append_child(&text_el("span", "label", label));
    f
}

fn queue_tile(q: &JsValue) -> Element {
    let target = num(q, "service_level_target_percent").unwrap_or(80.0);
    let threshold = num(q, "service_level_threshold_secs").unwrap_or(20.0);
    let sl = num(q, "service_level_percent");
    let longest = num(q, "longest_wait_secs").unwrap_or(0.0);
    let waiting = num(q, "waiting").unwrap_or(0.0);
    // The oldest wait against the threshold: within half of it fine, within it a warning.
    let wait_level = if waiting == 0.0 || longest <= threshold / 2.0 {
        "ok"
    } else if longest <= threshold {
        "warn"
    } else {
        "bad"
    };
    let sl_level = charts::level(sl, target);
    let tile = el("article", &format!("wb-queue {sl_level}"));
    let _ = tile.set_attribute("data-test", "wallboard-queue");
    if let Some(id) = text(q, "queue_id") {
        let _ = tile.set_attribute("data-queue", &id);
    }
    let name = text(q, "name").unwrap_or_default();
    // A long name is cut with an ellipsis on the screen; the title keeps it whole.
    let heading = text_el("h2", "", &name);
    let _ = heading.set_attribute("title", &name);
    let _ = tile.append_child(&heading);
    let figures = el("div", "wb-figures");
    let sl_text = sl.map_or("–".to_string(), |p| format!("{p:.0}%"));
    for f in [
        figure("Waiting", &format!("{waiting:.0}"), wait_level, "waiting"),
        figure(
            "Longest wait",
            &charts::duration(longest as u64),
            wait_level,
            "longest",
        ),
        figure("Service level", &sl_text, sl_level, "service-level"),
        figure(
            "Answered, 24 h",
            &format!("{:.0}", num(q, "answered_24h").unwrap_or(0.0)),
            "",
            "answered",
        ),
    ] {
        let _ = figures.append_child(&f);
    }
    let _ = tile.append_child(&figures);
    let small = format!(
        "Target {target:.0}% in {threshold:.0} s · Ringing {:.0} · Active {:.0} · Abandoned {:.0} (24 h)",
        num(q, "offered").unwrap_or(0.0),
        num(q, "active").unwrap_or(0.0),
        num(q, "abandoned_24h").unwrap_or(0.0)
    );
    let _ = tile.append_child(&text_el("p", "wb-small", &small));
    let points = list(&get(q, "trend"), "points");
    let sl_points: Vec<Option<f64>> = points
        .iter()
        .map(|p| num(&p, "service_level_percent"))
        .collect();
    let _ = tile.append_child(&charts::line_chart(
        &format!("{name}: service level over the last hours"),
        &[Line {
            class: "sl",
            colour: "#58a6ff",
            values: &sl_points,
        }],
        100.0,
        Some(target),
    ));
    tile
}

fn agents(list: &Array) -> Element {
    let footer = el("footer", "wb-agents");
    let _ = footer.set_attribute("data-test", "wallboard-agents");
    let counts = el("div", "wb-counts");
    let names = el("ul", "wb-names");
    let mut tally = [
        ("ready", "Ready", 0u32),
        ("busy", "Busy", 0),
        ("not_ready", "Not ready", 0),
    ];
    for a in list.iter() {
        let presence = text(&a, "presence").unwrap_or_default();
        if let Some(t) = tally.iter_mut().find(|(k, _, _)| *k == presence) {
            t.2 += 1;
        }
        let item = text_el(
            "li",
            &presence,
            &text(&a, "display_name").unwrap_or_default(),
        );
        let _ = names.append_child(&item);
    }
    for (class, label, n) in tally {
        let c = text_el("span", class, &format!("{label} {n}"));
        let _ = c.set_attribute("data-test", &format!("agents-{class}"));
        let _ = counts.append_child(&c);
    }
    let _ = footer.append_child(&counts);
    let _ = footer.append_child(&names);
    footer
}
