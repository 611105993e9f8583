//! Small DOM helpers: elements with a class, text content, listeners that live as long as the
//! page (the page has a handful; each screen's are dropped with the screen's elements).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a page has a document")
}

/// `<tag class="…">` (no class when empty).
pub fn el(tag: &str, class: &str) -> Element {
    let e = document().create_element(tag).expect("a known tag");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    e
}

/// `<tag>` holding `text` as text.
pub fn text_el(tag: &str, class: &str, text: &str) -> Element {
    let e = el(tag, class);
    e.set_text_content(Some(text));
    e
}

pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

pub fn append(parent: &Element, children: &[&Element]) {
    for child in children {
        let _ = parent.append_child(child);
    }
}

/// Run `f` on each `event` at `target` for the page's lifetime.
pub fn on(target: &web_sys::EventTarget, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Run `f` once after `ms`; the handle clears it.
pub fn after(ms: i32, f: impl FnOnce() + 'static) -> Option<i32> {
    let closure = Closure::once_into_js(f);
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(closure.unchecked_ref(), ms)
        .ok()
}

pub fn clear_timer(handle: Option<i32>) {
    if let (Some(w), Some(h)) = (web_sys::window(), handle) {
        w.clear_timeout_with_handle(h);
    }
}

/// Replace what `root` shows with an error the customer can read.
pub fn show_error(root: &Element, message: &str) {
    root.set_text_content(None);
    let p = text_el("p", "error", message);
    attr(&p, "role", "alert");
    attr(&p, "data-test", "page-error");
    append(root, &[&p]);
}

/// The page's header: a title, and when framed a button that asks the host to fold the chat
/// back into its bubble.
pub fn header(title: &str, host: &crate::host::Host) -> Element {
    let header = el("header", "");
    append(&header, &[&text_el("h1", "", title)]);
    if host.framed() {
        let fold = text_el("button", "", "–");
        attr(&fold, "type", "button");
        attr(&fold, "aria-label", "Minimize the chat");
        attr(&fold, "data-test", "minimize");
        let host = host.clone();
        on(&fold, "click", move |_| host.minimize());
        append(&header, &[&fold]);
    }
    header
}
