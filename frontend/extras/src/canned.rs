//! Canned responses in the agent's text fields (a chat's reply box, a work item's new note):
//! typing `/` and a shortcut, then Enter or Tab, puts the response in its place; a **Replies**
//! button lists the engagement's responses by title. Each comes filled for the engagement from
//! `GET /v1/engagements/{id}/canned-responses` (read afresh each time, so variables set since
//! count). A placeholder without a value stays in the text, selected, with a line saying what
//! to fill in; the server refuses to send or save text that still holds one.
//!
//! Every title and text from the server goes into the page as text.

use js_sys::{Array, Reflect};
use kit::dom::{el, text_el};
use kit::{client, text};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlTextAreaElement};

type Handler = Closure<dyn FnMut(web_sys::Event)>;

struct State {
    engagement: String,
    token: String,
    input: HtmlTextAreaElement,
    open: Element,
    list: Element,
    hint: Element,
    /// (target, event, capture, handler), removed on unmount.
    handlers: Vec<(web_sys::EventTarget, &'static str, bool, Handler)>,
}

type Shared = Rc<RefCell<State>>;

/// Canned responses attached to one text field.
#[wasm_bindgen]
pub struct Canned {
    state: Shared,
}

/// Attach canned responses to `input` (a `textarea`) for engagement `id`: the Replies button,
/// its list and the hint line go right after it.
#[wasm_bindgen]
pub fn attach_canned(input: HtmlTextAreaElement, id: String, token: String) -> Canned {
    let open = text_el("button", "", "Replies");
    let _ = open.set_attribute("type", "button");
    let _ = open.set_attribute("data-test", "canned-open");
    let _ = open.set_attribute("aria-haspopup", "listbox");
    let _ = open.set_attribute("aria-expanded", "false");
    let _ = open.set_attribute("title", "Canned responses (or type / and a shortcut)");
    let list = el("ul", "canned");
    let _ = list.set_attribute("role", "listbox");
    let _ = list.set_attribute("aria-label", "Canned responses");
    let _ = list.set_attribute("data-test", "canned-list");
    let _ = list.set_attribute("hidden", "");
    let hint = el("p", "hint");
    let _ = hint.set_attribute("role", "status");
    let _ = hint.set_attribute("data-test", "canned-hint");
    let _ = input.after_with_node_3(&open, &list, &hint);
    let state = Rc::new(RefCell::new(State {
        engagement: id,
        token,
        input: input.clone(),
        open: open.clone(),
        list: list.clone(),
        hint,
        handlers: Vec::new(),
    }));
    // Before the field's own keys (Enter sends a chat reply): the capture phase of its parent.
    let parent: web_sys::EventTarget = input
        .parent_element()
        .map(Into::into)
        .unwrap_or_else(|| input.clone().into());
    let weak = Rc::downgrade(&state);
    listen(&state, &parent, "keydown", true, move |e| {
        if let Some(s) = weak.upgrade() {
            on_key(s, e);
        }
    });
    let weak = Rc::downgrade(&state);
    listen(&state, &open, "click", false, move |_| {
        if let Some(s) = weak.upgrade() {
            toggle(s);
        }
    });
    let weak = Rc::downgrade(&state);
    listen(&state, &list, "click", false, move |e| {
        if let Some(s) = weak.upgrade() {
            picked(s, e);
        }
    });
    let weak = Rc::downgrade(&state);
    listen(&state, &list, "keydown", false, move |e| {
        if let Some(s) = weak.upgrade() {
            list_key(s, e);
        }
    });
    Canned { state }
}

#[wasm_bindgen]
impl Canned {
    /// The widget's token changed.
    pub fn set_token(&self, token: String) {
        self.state.borrow_mut().token = token;
    }

    /// Remove the button, list and hint, and stop listening.
    pub fn unmount(&self) {
        let mut s = self.state.borrow_mut();
        for (target, event, capture, h) in s.handlers.drain(..) {
            let _ = target.remove_event_listener_with_callback_and_bool(
                event,
                h.as_ref().unchecked_ref(),
                capture,
            );
        }
        s.open.remove();
        s.list.remove();
        s.hint.remove();
    }
}

fn listen(
    state: &Shared,
    target: &web_sys::EventTarget,
    event: &'static str,
    capture: bool,
    f: impl FnMut(web_sys::Event) + 'static,
) {
    let h = Handler::new(f);
    let _ = target.add_event_listener_with_callback_and_bool(
        event,
        h.as_ref().unchecked_ref(),
        capture,
    );
    state
        .borrow_mut()
        .handlers
        .push((target.clone(), event, capture, h));
}

/// `/shortcut` alone in the field, then Enter or Tab: put the response in its place.
fn on_key(state: Shared, e: web_sys::Event) {
    let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    let is_field = e
        .target()
        .is_some_and(|t| JsValue::from(t) == JsValue::from(state.borrow().input.clone()));
    if !is_field
        || k.is_composing()
        || k.shift_key()
        || !matches!(k.key().as_str(), "Enter" | "Tab")
    {
        return;
    }
    let value = state.borrow().input.value();
    let Some(shortcut) = value.trim().strip_prefix('/') else {
        return;
    };
    if shortcut.is_empty()
        || !shortcut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return;
    }
    e.prevent_default();
    e.stop_propagation();
    let shortcut = shortcut.to_ascii_lowercase();
    spawn_local(async move {
        let Some(list) = read(&state).await else {
            return;
        };
        match list
            .iter()
            .find(|r| text(r, "shortcut").as_deref() == Some(shortcut.as_str()))
        {
            Some(r) => insert(&state, &r, true),
            None => say(
                &state,
                &format!("No canned response /{shortcut}. Replies lists them."),
            ),
        }
    });
}

/// The engagement's responses, filled; `None` (said in the hint) when they cannot be read.
async fn read(state: &Shared) -> Option<Array> {
    let (id, token) = {
        let s = state.borrow();
        (s.engagement.clone(), s.token.clone())
    };
    match client::canned_responses(&id).send(&token).await {
        Ok(list) if Array::is_array(&list) => Some(Array::from(&list)),
        Ok(_) => None,
        Err(why) => {
            say(state, &format!("Canned responses could not be read: {why}"));
            None
        }
    }
}

/// Put response `r`'s text in the field: in place of everything (`whole`, after a shortcut)
/// or of the selection. A placeholder left is selected and named in the hint.
fn insert(state: &Shared, r: &JsValue, whole: bool) {
    let s = state.borrow();
    let filled = text(r, "text").unwrap_or_default();
    let input = &s.input;
    let value = input.value();
    let (from, to) = if whole {
        (0, value.encode_utf16().count() as u32)
    } else {
        (
            input.selection_start().ok().flatten().unwrap_or(0),
            input.selection_end().ok().flatten().unwrap_or(0),
        )
    };
    let _ = input.set_range_text_with_start_and_end(&filled, from, to);
    let _ = input.focus();
    let missing: Vec<String> = Reflect::get(r, &"missing".into())
        .ok()
        .filter(Array::is_array)
        .map(|m| {
            Array::from(&m)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default();
    let end = from + filled.encode_utf16().count() as u32;
    match missing.first() {
        Some(first) => {
            // Select the first placeholder left, so typing replaces it (the field counts in
            // UTF-16 units from where the text went in).
            if let Some(i) = filled.find(first.as_str()) {
                let start = from + filled[..i].encode_utf16().count() as u32;
                let end = start + first.encode_utf16().count() as u32;
                let _ = input.set_selection_range(start, end);
            }
            drop(s);
            say(
                state,
                &format!(
                    "Fill in {} before sending: there is no value for this customer.",
                    missing.join(", ")
                ),
            );
        }
        None => {
            let _ = input.set_selection_range(end, end);
            drop(s);
            say(state, "");
        }
    }
    // The field's own listeners (typing indicators, drafts) hear about the change.
    if let Ok(event) = web_sys::Event::new("input") {
        let _ = state.borrow().input.dispatch_event(&event);
    }
}

fn say(state: &Shared, message: &str) {
    state.borrow().hint.set_text_content(Some(message));
}

fn toggle(state: Shared) {
    let shown = !state.borrow().list.has_attribute("hidden");
    if shown {
        return close(&state);
    }
    spawn_local(async move {
        let Some(list) = read(&state).await else {
            return;
        };
        let s = state.borrow();
        s.list.set_inner_html("");
        if list.length() == 0 {
            let item = text_el("li", "", "No canned responses for this queue yet.");
            let _ = s.list.append_child(&item);
        }
        for (i, r) in list.iter().enumerate() {
            let title = text(&r, "title").unwrap_or_default();
            let shortcut = text(&r, "shortcut").unwrap_or_default();
            let item = text_el("li", "", &format!("{title} — /{shortcut}"));
            let _ = item.set_attribute("role", "option");
            let _ = item.set_attribute("tabindex", "0");
            let _ = item.set_attribute("data-index", &i.to_string());
            let _ = item.set_attribute("data-shortcut", &shortcut);
            let _ = s.list.append_child(&item);
        }
        let _ = s.list.remove_attribute("hidden");
        let _ = s.open.set_attribute("aria-expanded", "true");
        if let Some(first) = s.list.query_selector("[role=option]").ok().flatten() {
            if let Ok(first) = first.dyn_into::<web_sys::HtmlElement>() {
                let _ = first.focus();
            }
        }
    });
}

fn close(state: &Shared) {
    let s = state.borrow();
    let _ = s.list.set_attribute("hidden", "");
    let _ = s.open.set_attribute("aria-expanded", "false");
}

/// A response picked from the list (click, Enter or Space on it).
fn picked(state: Shared, e: web_sys::Event) {
    let Some(shortcut) = e
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("[role=option]").ok().flatten())
        .and_then(|o| o.get_attribute("data-shortcut"))
    else {
        return;
    };
    close(&state);
    spawn_local(async move {
        let Some(list) = read(&state).await else {
            return;
        };
        if let Some(r) = list
            .iter()
            .find(|r| text(r, "shortcut").as_deref() == Some(shortcut.as_str()))
        {
            insert(&state, &r, false);
        }
    });
}

fn list_key(state: Shared, e: web_sys::Event) {
    let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    match k.key().as_str() {
        "Enter" | " " => {
            e.prevent_default();
            picked(state, e);
        }
        "Escape" => {
            close(&state);
            let _ = state
                .borrow()
                .open
                .dyn_ref::<web_sys::HtmlElement>()
                .map(|b| b.focus());
        }
        "ArrowDown" | "ArrowUp" => {
            e.prevent_default();
            let down = k.key() == "ArrowDown";
            let sibling = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| {
                    if down {
                        t.next_element_sibling()
                    } else {
                        t.previous_element_sibling()
                    }
                });
            if let Some(next) = sibling.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = next.focus();
            }
        }
        _ => {}
    }
}
