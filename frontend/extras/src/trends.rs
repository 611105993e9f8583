//! The supervisor view's charts, drawn from a `live_stats` frame (`shared::live::LiveStats`):
//! per queue its last hours — service level per 15 minutes against the target, and the number
//! waiting (15-minute averages, then the count now) and the satisfaction survey average — the
//! agents by status, the longest-waiting engagements with their age, and the latest survey
//! answers.
//!
//! Every name from the server goes into the page as text.

use crate::charts::{self, list, num, Line};
use kit::dom::{el, text_el};
use kit::text;
use wasm_bindgen::JsValue;
use web_sys::Element;

/// How many waiting engagements the list shows (the oldest first, of every queue seen).
const LONGEST: usize = 10;

pub fn draw(root: &Element, stats: &JsValue) {
    root.set_inner_html("");
    let queues = list(stats, "queues");
    let trends = list(stats, "trend");
    let _ = root.append_child(&text_el("h4", "", "Last hours"));
    for q in queues.iter() {
        let Some(id) = text(&q, "queue_id") else {
            continue;
        };
        let trend = trends
            .iter()
            .find(|t| text(t, "queue_id").as_deref() == Some(id.as_str()))
            .unwrap_or(JsValue::NULL);
        let _ = root.append_child(&queue_trend(&q, &id, &trend));
    }
    let _ = root.append_child(&text_el("h4", "", "Agents"));
    let _ = root.append_child(&agents_by_status(&list(stats, "agents")));
    let _ = root.append_child(&text_el("h4", "", "Longest waiting"));
    let _ = root.append_child(&longest_waiting(&list(stats, "waiting"), &queues));
    let _ = root.append_child(&text_el("h4", "", "Latest survey answers"));
    let _ = root.append_child(&latest_surveys(stats, &queues));
}

/// The name of the item of `items` whose `key` is `id`.
fn name_of(items: &js_sys::Array, key: &str, id: &str, name: &str) -> String {
    items
        .iter()
        .find(|i| text(i, key).as_deref() == Some(id))
        .and_then(|i| text(&i, name))
        .unwrap_or_default()
}

/// The latest answers, newest first: rating (as words too), comment, agent, queue, when.
fn latest_surveys(stats: &JsValue, queues: &js_sys::Array) -> Element {
    let table = el("table", "");
    let _ = table.set_attribute("data-test", "latest-surveys");
    let answers = list(stats, "surveys");
    if answers.length() == 0 {
        let row = el("tr", "");
        let _ = row.append_child(&text_el("td", "", "No survey answers in the last day."));
        let _ = table.append_child(&row);
        return table;
    }
    table.set_inner_html(
        "<tr><th>Rating</th><th>Comment</th><th>Agent</th><th>Queue</th><th>At</th></tr>",
    );
    let agents = list(stats, "agents");
    for a in answers.iter() {
        let rating = num(&a, "rating").unwrap_or(0.0) as u8;
        let scale = match text(&a, "scale").as_deref() {
            Some("thumbs") => shared::survey::SurveyScale::Thumbs,
            _ => shared::survey::SurveyScale::FivePoint,
        };
        let said = match scale {
            shared::survey::SurveyScale::Thumbs => {
                shared::survey::rating_label(scale, rating).into()
            }
            _ => format!("{rating}/5 {}", shared::survey::rating_label(scale, rating)),
        };
        let agent = text(&a, "agent_id")
            .map(|id| name_of(&agents, "agent_id", &id, "display_name"))
            .unwrap_or_default();
        let queue = text(&a, "queue_id")
            .map(|id| name_of(queues, "queue_id", &id, "name"))
            .unwrap_or_default();
        let at = text(&a, "answered_at")
            .and_then(|t| t.get(11..16).map(str::to_string))
            .unwrap_or_default();
        let row = el("tr", "");
        if let Some(id) = text(&a, "engagement_id") {
            let _ = row.set_attribute("data-engagement", &id);
        }
        let comment = text(&a, "comment").unwrap_or_default();
        for cell in [said, comment, agent, queue, format!("{at} UTC")] {
            let _ = row.append_child(&text_el("td", "", &cell));
        }
        let _ = table.append_child(&row);
    }
    table
}

fn queue_trend(q: &JsValue, id: &str, trend: &JsValue) -> Element {
    let points = &list(trend, "points");
    let name = text(q, "name").unwrap_or_default();
    let target = num(q, "service_level_target_percent").unwrap_or(80.0);
    let waiting_now = num(q, "waiting").unwrap_or(0.0);
    let figure = el("figure", "trend");
    let _ = figure.set_attribute("data-test", "queue-trend");
    let _ = figure.set_attribute("data-queue", id);
    let sl: Vec<Option<f64>> = points
        .iter()
        .map(|p| num(&p, "service_level_percent"))
        .collect();
    // The 15-minute averages, then the count now: a wait shows at once.
    let mut waiting: Vec<Option<f64>> = points.iter().map(|p| num(&p, "average_waiting")).collect();
    waiting.push(Some(waiting_now));
    let latest_sl = sl.iter().rev().flatten().next().copied();
    let sl_said = latest_sl.map_or("no service level yet".into(), |p| {
        format!("service level {p:.0}% (target {target:.0}%)")
    });
    let mut caption = format!("{name}: {sl_said}, {waiting_now:.0} waiting");
    if let (Some(n), Some(avg)) = (
        num(trend, "satisfaction_responses").filter(|n| *n > 0.0),
        num(trend, "satisfaction_average"),
    ) {
        let answers = if n == 1.0 { "answer" } else { "answers" };
        caption.push_str(&format!(", satisfaction {avg:.1}/5 ({n:.0} {answers})"));
    }
    let _ = figure.append_child(&text_el("figcaption", "", &caption));
    let sl_chart = charts::line_chart(
        &format!("{name}: service level per 15 minutes, last hours"),
        &[Line {
            class: "sl",
            colour: "#1f6feb",
            values: &sl,
        }],
        100.0,
        Some(target),
    );
    let _ = sl_chart.set_attribute("data-test", "sl-chart");
    let waiting_chart = charts::line_chart(
        &format!("{name}: number waiting, last hours and now"),
        &[Line {
            class: "waiting",
            colour: "#bf8700",
            values: &waiting,
        }],
        1.0,
        None,
    );
    let _ = waiting_chart.set_attribute("data-test", "waiting-chart");
    let _ = waiting_chart.set_attribute("data-now", &format!("{waiting_now:.0}"));
    for chart in [&sl_chart, &waiting_chart] {
        let _ = chart.set_attribute("width", "100%");
        let _ = chart.set_attribute("height", "40");
        let _ = figure.append_child(chart);
    }
    figure
}

fn agents_by_status(agents: &js_sys::Array) -> Element {
    let mut tally = [
        ("ready", "ready", 0u64, "#2da44e"),
        ("busy", "busy", 0, "#1f6feb"),
        ("not_ready", "not ready", 0, "#bf8700"),
        ("offline", "offline", 0, "#8c959f"),
    ];
    for a in agents.iter() {
        let p = charts::presence(&a);
        if let Some(t) = tally.iter_mut().find(|t| t.0 == p) {
            t.2 += 1;
        }
    }
    let section = el("div", "agents-by-status");
    let _ = section.set_attribute("data-test", "agents-by-status");
    let bar = charts::stacked_bar("Agents", &tally);
    let _ = bar.set_attribute("width", "100%");
    let _ = bar.set_attribute("height", "12");
    let _ = section.append_child(&bar);
    let legend: Vec<String> = tally
        .iter()
        .map(|(_, n, c, _)| format!("{c} {n}"))
        .collect();
    let _ = section.append_child(&text_el("p", "", &legend.join(" · ")));
    for (key, _, count, _) in tally {
        let _ = section.set_attribute(&format!("data-{key}"), &count.to_string());
    }
    section
}

fn longest_waiting(waiting: &js_sys::Array, queues: &js_sys::Array) -> Element {
    let table = el("table", "");
    let _ = table.set_attribute("data-test", "longest-waiting");
    let mut rows: Vec<JsValue> = waiting.iter().collect();
    rows.sort_by(|a, b| {
        let age = |v: &JsValue| num(v, "waited_secs").unwrap_or(0.0);
        age(b).total_cmp(&age(a))
    });
    if rows.is_empty() {
        let row = el("tr", "");
        let _ = row.append_child(&text_el("td", "", "Nobody is waiting."));
        let _ = table.append_child(&row);
        return table;
    }
    table.set_inner_html("<tr><th>Waiting</th><th>Queue</th><th>For</th></tr>");
    for w in rows.iter().take(LONGEST) {
        let queue_id = text(w, "queue_id").unwrap_or_default();
        let queue = name_of(queues, "queue_id", &queue_id, "name");
        let title = text(w, "title")
            .or_else(|| text(w, "channel").map(|c| c.replace('_', " ")))
            .unwrap_or_default();
        let row = el("tr", "");
        if let Some(id) = text(w, "engagement_id") {
            let _ = row.set_attribute("data-engagement", &id);
        }
        let age = charts::duration(num(w, "waited_secs").unwrap_or(0.0) as u64);
        for cell in [title, queue, age] {
            let _ = row.append_child(&text_el("td", "", &cell));
        }
        let _ = table.append_child(&row);
    }
    table
}
