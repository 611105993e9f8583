//! Files in a chat, the same on both sides: the button that picks one and a message's file
//! shown — an image loaded with the reader's credentials, or a link that downloads it. File
//! names are text; nothing a sender chose becomes markup or a URL.

use crate::blob_url;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, HtmlAnchorElement, HtmlInputElement};

/// The kinds a chat takes (the picker's `accept`; the server checks the content).
pub const ACCEPT: &str = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

const SVG: &str = "http://www.w3.org/2000/svg";
/// A paper clip, drawn on a 24×24 grid.
const PAPER_CLIP: &str =
    "M16 7l-7.5 7.5a2 2 0 0 0 3 3L19 10a4 4 0 0 0-6-6l-7.5 7.5a6 6 0 0 0 9 9L20 15";
/// A page with a folded corner.
const DOCUMENT: &str = "M6 2h8l5 5v15H6z M14 2v5h5";

/// An inline SVG icon drawn with the text's colour, hidden from assistive technology (the
/// control it is in carries the accessible name). Emoji would need an emoji font: without
/// one they are empty boxes.
pub fn icon(doc: &Document, path: &str) -> Element {
    let svg = doc
        .create_element_ns(Some(SVG), "svg")
        .expect("a known tag");
    for (name, value) in [
        ("viewBox", "0 0 24 24"),
        ("width", "20"),
        ("height", "20"),
        ("fill", "none"),
        ("stroke", "currentColor"),
        ("stroke-width", "2"),
        ("stroke-linecap", "round"),
        ("stroke-linejoin", "round"),
        ("aria-hidden", "true"),
        ("focusable", "false"),
        ("class", "icon"),
    ] {
        let _ = svg.set_attribute(name, value);
    }
    let shape = doc
        .create_element_ns(Some(SVG), "path")
        .expect("a known tag");
    let _ = shape.set_attribute("d", path);
    let _ = svg.append_child(&shape);
    svg
}

/// A paper-clip button and its hidden file input; `on_pick` gets each file chosen. Keep it
/// as long as the button is shown (it holds the listeners).
pub struct AttachButton {
    pub root: Element,
    _listeners: [Closure<dyn FnMut(Event)>; 2],
}

impl AttachButton {
    pub fn new(doc: &Document, test_id: &str, on_pick: impl Fn(web_sys::File) + 'static) -> Self {
        let root = doc.create_element("span").expect("a known tag");
        let button = doc.create_element("button").expect("a known tag");
        button.set_class_name("attach");
        let _ = button.append_child(&icon(doc, PAPER_CLIP));
        let _ = button.set_attribute("type", "button");
        let _ = button.set_attribute("aria-label", "Attach a file (image or PDF)");
        let _ = button.set_attribute("title", "Attach a file (image or PDF)");
        let input: HtmlInputElement = doc
            .create_element("input")
            .expect("a known tag")
            .unchecked_into();
        input.set_type("file");
        input.set_accept(ACCEPT);
        input.set_hidden(true);
        let _ = input.set_attribute("data-test", test_id);
        let _ = root.append_child(&button);
        let _ = root.append_child(&input);
        let picker = input.clone();
        let click = Closure::<dyn FnMut(Event)>::new(move |_| picker.click());
        let chosen = input.clone();
        let change = Closure::<dyn FnMut(Event)>::new(move |_| {
            if let Some(file) = chosen.files().and_then(|f| f.get(0)) {
                on_pick(file);
            }
            chosen.set_value(""); // the same file can be chosen again
        });
        let _ = button.add_event_listener_with_callback("click", click.as_ref().unchecked_ref());
        let _ = input.add_event_listener_with_callback("change", change.as_ref().unchecked_ref());
        AttachButton {
            root,
            _listeners: [click, change],
        }
    }
}

/// "130 bytes", "820 KB", "2.4 MB".
pub fn size_label(bytes: f64) -> String {
    if bytes >= 1_048_576.0 {
        format!("{:.1} MB", bytes / 1_048_576.0)
    } else if bytes >= 1024.0 {
        format!("{} KB", (bytes / 1024.0).ceil())
    } else if bytes == 1.0 {
        "1 byte".into()
    } else {
        format!("{bytes} bytes")
    }
}

/// Show `message`'s file (if it has one) in `parent`, read from `path` with `token`. An image
/// appears in place (and downloads when clicked); a PDF is a link that fetches it when
/// clicked. The file name, in the picture's `alt` and the link, is text.
pub fn show_attachment(parent: &Element, message: &JsValue, path: String, token: String) {
    let Some(file) = Reflect::get(message, &"attachment".into())
        .ok()
        .filter(|f| f.is_object())
    else {
        return;
    };
    let name = crate::text(&file, "file_name").unwrap_or_else(|| "file".into());
    let kind = crate::text(&file, "content_type").unwrap_or_default();
    let size = Reflect::get(&file, &"size_bytes".into())
        .ok()
        .and_then(|s| s.as_f64())
        .unwrap_or(0.0);
    let Some(doc) = parent.owner_document() else {
        return;
    };
    let link: HtmlAnchorElement = doc
        .create_element("a")
        .expect("a known tag")
        .unchecked_into();
    link.set_class_name("file");
    link.set_download(&name);
    let _ = link.set_attribute("data-test", "attachment");
    let _ = link.set_attribute("data-kind", &kind);
    let _ = link.set_attribute("title", &format!("{name} · {}", size_label(size)));
    let _ = parent.append_child(&link);
    if kind.starts_with("image/") {
        let img = doc.create_element("img").expect("a known tag");
        let _ = img.set_attribute("alt", &name);
        let _ = link.append_child(&img);
        let link = link.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match blob_url(&path, &token).await {
                Ok(url) => {
                    let _ = img.set_attribute("src", &url);
                    link.set_href(&url);
                }
                Err((_, why)) => {
                    img.remove();
                    link.set_text_content(Some(&format!("Picture {name} (not loaded: {why})")));
                }
            }
        });
    } else {
        let _ = link.append_child(&icon(&doc, DOCUMENT));
        let label = doc.create_element("span").expect("a known tag");
        label.set_text_content(Some(&format!("{name} · {}", size_label(size))));
        let _ = link.append_child(&label);
        let fetched = link.clone();
        let fetch = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if !fetched.href().is_empty() {
                return; // fetched before: the browser downloads it
            }
            e.prevent_default();
            let (link, path, token) = (fetched.clone(), path.clone(), token.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match blob_url(&path, &token).await {
                    Ok(url) => {
                        link.set_href(&url);
                        link.click();
                    }
                    Err((_, why)) => {
                        let _ = link.set_attribute("title", &format!("Not downloaded: {why}"));
                    }
                }
            });
        });
        let _ = link.add_event_listener_with_callback("click", fetch.as_ref().unchecked_ref());
        // Lives as long as the page's conversation; a chat has few files.
        fetch.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::size_label;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_label(0.0), "0 bytes");
        assert_eq!(size_label(1.0), "1 byte");
        assert_eq!(size_label(130.0), "130 bytes");
        assert_eq!(size_label(1023.0), "1023 bytes");
        assert_eq!(size_label(1024.0), "1 KB");
        assert_eq!(size_label(1025.0), "2 KB");
        assert_eq!(size_label(820.0 * 1024.0), "820 KB");
        assert_eq!(size_label(2.4 * 1_048_576.0), "2.4 MB");
    }
}
