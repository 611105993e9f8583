//! The page's own pieces of DOM (the error screen, the header); the helpers every
//! no-framework module shares are `kit::dom`'s, re-exported here.

pub use kit::dom::*;
use web_sys::Element;

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
