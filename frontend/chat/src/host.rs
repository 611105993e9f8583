//! The website around the chat, when the `/chat.js` bubble frames it with `?origin=<its
//! origin>`. The chat page tells it `chat.ready`, `chat.message` (an agent's message: the bubble
//! counts it while folded), `chat.ended` and `chat.minimize` — always with that exact origin as
//! the target, and only once the server confirmed the origin is on the embedding allow-list
//! (the same rule as the agent widget; `frame-ancestors` keeps other sites from framing it).

use crate::dom;
use wasm_bindgen::prelude::*;
use webapi::{call, object, text};

#[derive(Clone)]
pub struct Host {
    /// The host page's origin, when framed by an allowed one.
    origin: Option<String>,
}

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
            return Ok(Host { origin: None });
        };
        let check = call(
            "GET",
            &format!(
                "/v1/embedding/check?origin={}",
                String::from(js_sys::encode_uri_component(&origin))
            ),
            "",
            None,
        )
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
            origin: Some(origin),
        };
        host.post("chat.ready", &[]);
        Ok(host)
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
