//! What the widget asks of the browser page itself: the clock, whether it is framed, its
//! per-tab storage and this instance's device id, and which links may be opened. A leaf: it
//! imports nothing of the widget's, so anything may use it without making an import cycle.

use shared::api::DeviceClaim;

const DEVICE_KEY: &str = "switchboard.device";

thread_local! {
    /// [`device_id`], read (or made) once per page: every view and event asks for it.
    static MY_ID: String = load_or_make_device_id();
}

/// This browser's clock, in milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Is this document inside a frame?
pub fn is_framed(window: &web_sys::Window) -> bool {
    match window.parent() {
        Ok(Some(parent)) => !js_sys::Object::is(parent.as_ref(), window.as_ref()),
        _ => false,
    }
}

/// [`is_framed`] for this page's window.
pub fn is_framed_here() -> bool {
    web_sys::window().is_some_and(|w| is_framed(&w))
}

/// Is the page hidden (another tab, a minimised window)?
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.hidden())
}

/// This tab's `sessionStorage`: per tab and, inside an iframe, partitioned by the host site.
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// This widget instance's device id (made once per tab, kept across reloads of the tab).
pub fn device_id() -> String {
    MY_ID.with(String::clone)
}

fn load_or_make_device_id() -> String {
    let storage = storage();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(DEVICE_KEY).ok().flatten())
        .filter(|id| DeviceClaim::valid_id(id))
    {
        return id;
    }
    let id = format!(
        "w{:08x}{:08x}",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32,
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    );
    if let Some(s) = storage {
        let _ = s.set_item(DEVICE_KEY, &id);
    }
    id
}

/// Only web links may be opened from a work item (no `javascript:` or `data:`).
pub fn safe_link(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_string())
}
