//! Small SVG charts drawn from the live statistics (`shared::live`), shared by the supervisor
//! view and the wallboard: a line chart of equally spaced points and a stacked bar. No chart
//! library: a few elements, each with a text alternative for screen readers. Colours and
//! strokes are SVG presentation attributes, so the charts need no stylesheet (the widget's
//! first load carries none for them); a page's CSS may still restyle them by class.

use js_sys::{Array, Reflect};
use kit::dom::document;
use wasm_bindgen::JsValue;
use web_sys::Element;

const SVG: &str = "http://www.w3.org/2000/svg";
/// The drawing's own units; the element is sized by its CSS.
const WIDTH: f64 = 100.0;
const HEIGHT: f64 = 40.0;

fn svg(tag: &str) -> Element {
    document()
        .create_element_ns(Some(SVG), tag)
        .expect("an SVG element")
}

fn set(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// A line's stroke, as wide on any screen.
fn paint(e: &Element, colour: &str, width: &str) {
    set(e, "stroke", colour);
    set(e, "stroke-width", width);
    set(e, "vector-effect", "non-scaling-stroke");
}

/// One line: its values (`None` leaves a gap), drawn with `class` in `colour`.
pub struct Line<'a> {
    pub class: &'a str,
    pub colour: &'a str,
    pub values: &'a [Option<f64>],
}

/// A line chart from 0 to `max` (at least the largest value), with a dashed `target` line;
/// `label` is what a screen reader says of it.
pub fn line_chart(label: &str, lines: &[Line], max: f64, target: Option<f64>) -> Element {
    let root = svg("svg");
    set(&root, "viewBox", &format!("0 0 {WIDTH} {HEIGHT}"));
    set(&root, "preserveAspectRatio", "none");
    set(&root, "role", "img");
    set(&root, "aria-label", label);
    let title = svg("title");
    title.set_text_content(Some(label));
    let _ = root.append_child(&title);
    let top = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten().copied())
        .chain(target)
        .fold(max, f64::max)
        .max(f64::EPSILON);
    let y = |v: f64| HEIGHT - (v / top).clamp(0.0, 1.0) * (HEIGHT - 2.0) - 1.0;
    let axis = svg("line");
    set(&axis, "class", "chart-axis");
    paint(&axis, "#8b949e", "1");
    for (k, v) in [
        ("x1", 0.0),
        ("x2", WIDTH),
        ("y1", HEIGHT - 0.5),
        ("y2", HEIGHT - 0.5),
    ] {
        set(&axis, k, &v.to_string());
    }
    let _ = root.append_child(&axis);
    if let Some(t) = target {
        let line = svg("line");
        set(&line, "class", "chart-target");
        paint(&line, "#3fb950", "1.5");
        set(&line, "stroke-dasharray", "4 4");
        for (k, v) in [("x1", 0.0), ("x2", WIDTH), ("y1", y(t)), ("y2", y(t))] {
            set(&line, k, &format!("{v:.2}"));
        }
        let _ = root.append_child(&line);
    }
    for line in lines {
        let n = line.values.len();
        let step = if n > 1 { WIDTH / (n - 1) as f64 } else { 0.0 };
        // One polyline per run of known values.
        let mut run = String::new();
        let flush = |run: &mut String| {
            if !run.is_empty() {
                let p = svg("polyline");
                set(&p, "class", &format!("chart-line {}", line.class));
                paint(&p, line.colour, "2.5");
                set(&p, "fill", "none");
                set(&p, "points", run.trim_end());
                let _ = root.append_child(&p);
                run.clear();
            }
        };
        for (i, v) in line.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let x = if n > 1 { i as f64 * step } else { WIDTH / 2.0 };
                    run.push_str(&format!("{x:.2},{:.2} ", y(*v)));
                }
                None => flush(&mut run),
            }
        }
        flush(&mut run);
    }
    root
}

/// A horizontal bar split in parts (`class`, count), with the counts as its text alternative.
/// Each part is (class, name, count, colour).
pub fn stacked_bar(label: &str, parts: &[(&str, &str, u64, &str)]) -> Element {
    let root = svg("svg");
    set(&root, "viewBox", &format!("0 0 {WIDTH} 6"));
    set(&root, "preserveAspectRatio", "none");
    set(&root, "role", "img");
    let said: Vec<String> = parts
        .iter()
        .map(|(_, n, c, _)| format!("{c} {n}"))
        .collect();
    let label = format!("{label}: {}", said.join(", "));
    set(&root, "aria-label", &label);
    let title = svg("title");
    title.set_text_content(Some(&label));
    let _ = root.append_child(&title);
    let total: u64 = parts.iter().map(|(_, _, c, _)| c).sum();
    let mut x = 0.0;
    for (class, _, count, colour) in parts {
        if total == 0 || *count == 0 {
            continue;
        }
        let w = WIDTH * *count as f64 / total as f64;
        let rect = svg("rect");
        set(&rect, "class", &format!("chart-bar {class}"));
        set(&rect, "x", &format!("{x:.2}"));
        set(&rect, "y", "0");
        set(&rect, "width", &format!("{w:.2}"));
        set(&rect, "height", "6");
        set(&rect, "fill", colour);
        let _ = root.append_child(&rect);
        x += w;
    }
    root
}

// ---- reading the statistics' JSON ----------------------------------------------------------

/// `v[key]`.
pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `v[key]` as a number, if it is one.
pub fn num(v: &JsValue, key: &str) -> Option<f64> {
    get(v, key).as_f64()
}

/// `v[key]` as a list (empty if it is not one).
pub fn list(v: &JsValue, key: &str) -> Array {
    let value = get(v, key);
    if Array::is_array(&value) {
        Array::from(&value)
    } else {
        Array::new()
    }
}

/// An agent's presence as the live view groups them: `busy` (holding or ringing), `ready`,
/// `not_ready` or `offline`.
pub fn presence(agent: &JsValue) -> &'static str {
    let status = kit::text(&get(agent, "status"), "status").unwrap_or_default();
    if status == "offline" {
        return "offline";
    }
    let holding = get(agent, "holding");
    let holds = js_sys::Object::values(&holding.into())
        .iter()
        .any(|n| n.as_f64().unwrap_or(0.0) > 0.0);
    if holds || num(agent, "ringing").unwrap_or(0.0) > 0.0 {
        "busy"
    } else if status == "ready" {
        "ready"
    } else {
        "not_ready"
    }
}

/// A wait as people read it: `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// How service level compares with its target: `ok` at or above, `warn` within 10 points
/// below, `bad` further below; `none` without a figure.
pub fn level(percent: Option<f64>, target: f64) -> &'static str {
    match percent {
        None => "none",
        Some(p) if p >= target => "ok",
        Some(p) if p >= target - 10.0 => "warn",
        Some(_) => "bad",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(65), "1 min 05 s");
        assert_eq!(duration(3720), "1 h 02 min");
    }

    #[test]
    fn service_level_is_coloured_against_its_target() {
        assert_eq!(level(None, 80.0), "none");
        assert_eq!(level(Some(80.0), 80.0), "ok");
        assert_eq!(level(Some(71.0), 80.0), "warn");
        assert_eq!(level(Some(69.9), 80.0), "bad");
    }
}
