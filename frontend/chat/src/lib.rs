//! The customer's side of web chat: the page at `/chat/{entry_id}`, framed on a website by the
//! `/chat.js` bubble (or opened on its own). Pre-chat form → waiting (position in the queue and
//! an estimate) → the live conversation (messages both ways, typing, "Ada joined") → ended
//! (the satisfaction survey, transcript download, a new chat). See `docs/chat.md`. Where the entry point takes web
//! calls the form also offers **Call** ([`call`], docs/voice.md).
//!
//! No framework and no JSON library (the browser's DOM and `JSON` through `web-sys`/`js-sys`,
//! like the widget's extras): the customer's first load has a budget of its own (100 KB
//! brotli, `widget-size`). Every text from the server or the customer goes into the page as
//! text, never as markup.

mod call;
mod conversation;
mod dom;
mod form;
mod host;
mod session;
mod survey;

use wasm_bindgen::prelude::*;

/// The page starts: which chat (the entry point in the path), where it runs (the host page's
/// origin, checked against the allow-list before anything is posted to it), then the saved
/// chat if there is one, else the pre-chat form.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        let Some(root) = dom::document().get_element_by_id("chat") else {
            return;
        };
        let entry = entry_id().unwrap_or_default();
        let host = match host::Host::connect().await {
            Ok(host) => host,
            Err(why) => return dom::show_error(&root, &why),
        };
        let page = form::Page { root, entry, host };
        match session::load(&page.entry) {
            Some(token) if session::is_call(&page.entry) => call::resume(page, token).await,
            Some(token) => conversation::open(page, token),
            None => form::show(page).await,
        }
    });
}

/// `/chat/{entry_id}` → `entry_id`.
fn entry_id() -> Option<String> {
    let path = web_sys::window()?.location().pathname().ok()?;
    let id = path.strip_prefix("/chat/")?.trim_end_matches('/');
    let id = js_sys::decode_uri_component(id).ok()?.as_string()?;
    (!id.is_empty()).then_some(id)
}
