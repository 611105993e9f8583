//! Page objects: each owns the browser steps of one page (the `querySelector` scripts, the
//! frames, the keys), so a scenario reads as what a person does and sees. Both sides of a
//! chat name their parts with the same `data-test` names (`frontend/kit`'s conversation):
//! `chat-log`, `chat-message`, `chat-receipt`, `chat-typing`, `chat-input`, `chat-file`.
//!
//! - [`ChatPage`]: the customer's chat page, opened from a website's bubble (a frame).
//! - [`Widget`]: the agent's widget, standalone (the page itself) or framed by a host.
//! - [`Crm`]: the demo CRM, its agent desk framing the widget (native dialect) and its pages.
//! - [`AppPage`]: a side-panel app's page, in the widget's frame or a window of its own.
//! - [`HostPage`]: a Smart Embed host page written the way Zoom's hosts are (zcc dialect).
//! - the web call's parts on both sides (`call`): status, mute, statistics.
//! - the satisfaction survey on the chat page (`survey`), answered with the keyboard.

mod app_page;
pub mod call;
mod chat_page;
mod crm;
mod host_page;
mod survey;
mod widget;

pub use app_page::AppPage;
pub use chat_page::ChatPage;
pub use crm::Crm;
pub use host_page::HostPage;
pub use widget::Widget;

use serde_json::json;

/// A script that returns the texts of the conversation's messages, oldest first, once there
/// are at least `at_least` (`null` before).
fn bodies_script(at_least: usize) -> String {
    format!(
        "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length >= {at_least} ? m : null;"
    )
}

/// A script that returns the receipt lines of the side's own messages, oldest first.
const RECEIPTS: &str =
    "return [...document.querySelectorAll('[data-test=chat-receipt]')].map(r => r.textContent);";

/// A script that is true once there are `n` receipt lines and each says `label`.
fn receipts_script(n: usize, label: &str) -> String {
    format!(
        "const r = [...document.querySelectorAll('[data-test=chat-receipt]')].map(r => r.textContent); return r.length === {n} && r.every(t => t === {}) ? true : null;",
        json!(label)
    )
}

/// A script that is true once the typing line says exactly `text`.
fn typing_script(text: &str) -> String {
    format!(
        "const t = document.querySelector('[data-test=chat-typing]'); return t && t.textContent === {} ? true : null;",
        json!(text)
    )
}

/// How many elements of `tag` the conversation's log holds (markup from a message would
/// make some).
fn count_in_log_script(tag: &str) -> String {
    format!("return String(document.querySelectorAll('[data-test=chat-log] {tag}').length);")
}

/// A script that picks a file for the conversation's file input as a person would (the
/// input's `change`), the file made from base64 in the page; `null` until the input is there.
fn pick_file_script(base64: &str, name: &str, kind: &str) -> String {
    format!(
        "const input = document.querySelector('[data-test=chat-file]'); if (!input) return null; \
         const bytes = Uint8Array.from(atob('{base64}'), c => c.charCodeAt(0)); \
         const data = new DataTransfer(); data.items.add(new File([bytes], {name:?}, {{ type: {kind:?} }})); \
         input.files = data.files; input.dispatchEvent(new Event('change')); return true;"
    )
}

/// A script that describes the conversation's file picker: its accessible name, its text,
/// whether it shows an SVG icon, and whether its target is at least 24×24 CSS px.
const PICKER: &str = "const b = document.querySelector('button.attach'); if (!b) return null; const r = b.getBoundingClientRect(); return { name: b.getAttribute('aria-label'), text: b.textContent, svg: !!b.querySelector('svg[aria-hidden=true]'), big: r.width >= 24 && r.height >= 24 };";
