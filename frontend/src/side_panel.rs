//! Side-panel apps in an engagement panel. The apps' host is a WASM module of its own
//! (`frontend/side-panel`, built beside the widget by scripts/build-widget.sh), imported the
//! first time a panel of a queue with apps appears: a session that never meets one never
//! loads it, and the widget's first load does not carry it (BENCHMARKS.md).
//!
//! This side only decides when: it asks the loader below to mount the module's panel at the
//! end of the engagement's panel (`article[data-engagement]`; the module adds its own
//! section there), to refresh it whenever the engagement (or the sign-in token) changes, and
//! to unmount it with the panel. The loader is JavaScript because `import()` is; it keeps the
//! mounted panels by engagement id.

use crate::model::Item;
use crate::session::Session;
use leptos::prelude::*;
use shared::ids::EngagementId;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const panels = new Map();
let loading;
export function apps_sync(base, id, queue, token) {
  if (panels.has(id)) return panels.get(id)?.refresh(token);
  panels.set(id, null);
  loading ||= import(base + "side-panel/side_panel.js").then(async (m) => (await m.default(), m));
  loading.then((m) => {
    const host = document.querySelector(`article[data-engagement="${id}"]`);
    if (host && panels.has(id)) panels.set(id, m.mount(host, id, queue, token));
  }, (e) => {
    loading = null;
    panels.delete(id);
    console.error("Switchboard: the side-panel apps could not be loaded", e);
  });
}
export function apps_drop(id) {
  panels.get(id)?.unmount();
  panels.delete(id);
}
"#)]
extern "C" {
    /// Mount the apps of `queue` for engagement `id` (loading the module the first time), or
    /// refresh the mounted ones.
    fn apps_sync(base: &str, id: &str, queue: &str, token: &str);
    /// Unmount them.
    fn apps_drop(id: &str);
}

/// Show the side-panel apps of the engagement's queue in its panel, if it has any: called by
/// the panel component, for as long as the panel exists.
pub fn show_apps(session: Session, id: EngagementId, item: Memo<Option<Item>>) {
    let key = id.to_string();
    // Runs now and on every change of the engagement (state, variables, notes…), of the
    // queues' settings and of the token. (A render effect: synchronous, and far smaller in
    // the WASM than an `Effect`, whose async task is compiled once per closure.)
    let effect = RenderEffect::new({
        let key = key.clone();
        move |_| {
            let queue = item.with(|i| i.as_ref().and_then(|i| i.engagement.queue_id));
            let shows_apps = session.queues.with(|qs| {
                qs.iter()
                    .any(|q| Some(q.queue_id) == queue && !q.app_ids.is_empty())
            });
            let token = session.token.get().unwrap_or_default();
            if let (true, Some(queue)) = (shows_apps, queue) {
                let base = crate::bridge::home_of(crate::bridge::DIALECT);
                apps_sync(base, &key, &queue.to_string(), &token);
            }
        }
    });
    on_cleanup(move || {
        drop(effect);
        apps_drop(&key);
    });
}
