//! The website around the chat, when the `/chat.js` bubble frames it with `?origin=<its
//! origin>`. The chat page tells it `chat.ready`, `chat.message` (an agent's message: the bubble
//! counts it while folded), `chat.ended` and `chat.minimize` — always with that exact origin as
//! the target, and only once the server confirmed the origin is on the embedding allow-list
//! (the same rule as the agent widget; `frame-ancestors` keeps other sites from framing it).
//! It hears one message back, `chat.shown {open}` (the bubble opened or folded it), only from
//! its parent window at that origin: what decides whether a new message is read or only
//! delivered.

use crate::dom;
use kit::client;
use kit::{object, text};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Clone)]
pub struct Host {
    /// The host page's origin, when framed by an allowed one.
    origin: Option<String>,
    /// Whether the host shows the chat (a folded bubble hides it); always on its own.
    open: Rc<Cell<bool>>,
    /// Told when the host opens the chat.
    on_open: Rc<RefCell<Option<Callback>>>,
}

type Callback = Box<dyn Fn()>;

impl Host {
    /// Where the page runs: on its own (no `?origin=`, or not framed) or framed by an allowed
    /// origin; an origin that is not allowed is an error the page shows.
    pub async fn connect() -> Result<Host, String> {
        let window = dom::document().default_view().ok_or("no window")?;
        let framed = window.parent().ok().flatten().is_some_and(|p| p != window);
        let search = window.location().search().unwrap_or_default();
        let origin = web_sys::UrlSearchParams::new_with_str(&search)
            .ok()
            .and_then(|p| p.get("origin"))
            .filter(|o| !o.is_empty());
        let Some(origin) = origin.filter(|_| framed) else {
            return Ok(Host {
                origin: None,
                open: Rc::new(Cell::new(true)),
                on_open: Rc::default(),
            });
        };
        let check = client::embedding_check(&origin)
            .send("")
            .await
            .map_err(|why| format!("Could not reach the chat service ({why}). Reload to retry."))?;
        let allowed = js_sys::Reflect::get(&check, &"allowed".into())
            .ok()
            .and_then(|a| a.as_bool())
            .unwrap_or(false);
        if !allowed || text(&check, "origin").as_deref() != Some(origin.as_str()) {
            return Err(format!(
                "This chat is not allowed on {origin}. The site's owner must add that origin to Switchboard's allowed embedding origins."
            ));
        }
        let host = Host {
            origin: Some(origin.clone()),
            // The bubble frames the chat when it opens it.
            open: Rc::new(Cell::new(true)),
            on_open: Rc::default(),
        };
        let (open, on_open, parent) = (
            host.open.clone(),
            host.on_open.clone(),
            window.parent().ok().flatten(),
        );
        dom::on(&window, "message", move |e| {
            let Some(m) = e.dyn_ref::<web_sys::MessageEvent>() else {
                return;
            };
            let from_parent = match (m.source(), &parent) {
                (Some(source), Some(parent)) => {
                    JsValue::from(source) == JsValue::from(parent.clone())
                }
                _ => false,
            };
            if !from_parent
                || m.origin() != origin
                || text(&m.data(), "type").as_deref() != Some("chat.shown")
            {
                return;
            }
            let shown = js_sys::Reflect::get(&m.data(), &"open".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            open.set(shown);
            if shown {
                if let Some(f) = on_open.borrow().as_ref() {
                    f();
                }
            }
        });
        host.post("chat.ready", &[]);
        Ok(host)
    }

    /// Does the customer have the chat in view (the host shows it, the tab is visible)?
    pub fn in_view(&self) -> bool {
        self.open.get() && dom::document().visibility_state() == web_sys::VisibilityState::Visible
    }

    /// Run `f` whenever the chat comes into view (the host opens it, the tab becomes visible).
    pub fn when_in_view(&self, f: impl Fn() + 'static) {
        let f: Rc<dyn Fn()> = Rc::new(f);
        let g = f.clone();
        *self.on_open.borrow_mut() = Some(Box::new(move || g()));
        let host = self.clone();
        dom::on(&dom::document(), "visibilitychange", move |_| {
            if host.in_view() {
                f();
            }
        });
    }

    /// The customer folds the chat: ask the host to, and count it out of view at once (what
    /// arrives before the host answers is delivered, not read).
    pub fn minimize(&self) {
        self.open.set(false);
        self.post("chat.minimize", &[]);
    }

    pub fn framed(&self) -> bool {
        self.origin.is_some()
    }

    /// Tell the host page `kind` (with `fields`), at its exact origin only.
    pub fn post(&self, kind: &str, fields: &[(&str, JsValue)]) {
        let Some(origin) = &self.origin else { return };
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        let mut all = vec![("type", JsValue::from_str(kind))];
        all.extend(fields.iter().cloned());
        let _ = parent.post_message(&object(&all), origin);
    }
}
