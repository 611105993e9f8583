//! The one DOM kit of the no-framework modules (the widget's extras, the customer's chat
//! page): elements with a class, text, attributes, listeners and timers. Every piece of
//! untrusted text goes in as text ([`text_el`], `set_text_content`), never as HTML.
//!
//! Listeners come in two lifetimes: [`on`] for the page's (a page has a handful), and
//! [`Listeners`] for a part that is mounted and unmounted (dropping it removes them).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, EventTarget};

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

/// Remove every child element of `parent` after the first `keep`.
pub fn clear_after(parent: &Element, keep: u32) {
    while parent.child_element_count() > keep {
        match parent.last_element_child() {
            Some(last) => last.remove(),
            None => break,
        }
    }
}

/// Run `f` on each `event` at `target` for the page's lifetime.
pub fn on(target: &EventTarget, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// An event handler kept alive (and removable) by its owner.
type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// The listeners of a mounted part: they stop with it ([`Listeners::clear`] or drop).
#[derive(Default)]
pub struct Listeners(Vec<(EventTarget, String, Handler)>);

impl Listeners {
    /// Run `f` on each `event` at `target` until these listeners are cleared.
    pub fn on(
        &mut self,
        target: &EventTarget,
        event: &str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) {
        let closure = Handler::new(f);
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        self.0.push((target.clone(), event.to_string(), closure));
    }

    /// Remove every listener.
    pub fn clear(&mut self) {
        for (target, event, closure) in self.0.drain(..) {
            let _ = target
                .remove_event_listener_with_callback(&event, closure.as_ref().unchecked_ref());
        }
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Run `f` once after `ms`; the handle clears it ([`clear_timer`]).
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

/// The pending timers of something that can stop (a call), one per purpose: a timer that
/// re-arms itself (a clock ticking every second) replaces its own handle instead of piling
/// up one per tick for as long as the call lasts.
#[derive(Default)]
pub struct Timers(Vec<(&'static str, Option<i32>)>);

impl Timers {
    /// Keep `handle` as the pending `purpose` timer (replacing, and clearing, the one before).
    pub fn set(&mut self, purpose: &'static str, handle: Option<i32>) {
        match self.0.iter_mut().find(|(p, _)| *p == purpose) {
            Some((_, old)) => clear_timer(std::mem::replace(old, handle)),
            None => self.0.push((purpose, handle)),
        }
    }

    /// Clear them all.
    pub fn clear(&mut self) {
        for (_, handle) in self.0.drain(..) {
            clear_timer(handle);
        }
    }
}
