//! The widget's ringing card, the engagement's panel and the dialer.

use super::{Widget, CONNECTED, SHOWN};
use fantoccini::Locator;
use serde_json::{json, Value};

impl Widget {
    /// The ringing card's title and countdown (`[title, "N s"]`), once it counts down.
    pub async fn offer_card(&self) -> Value {
        self.eval(
            "the offer card",
            "const t = document.querySelector('[data-test=offer-title]'); const c = document.querySelector('[data-test=countdown]');
             return t && c && c.textContent.endsWith(' s') ? [t.textContent, c.textContent] : null;",
        )
        .await
    }

    /// The ringing card's title.
    pub async fn offer_title(&self) -> Value {
        self.text_of("the offer's title", "[data-test=offer-title]")
            .await
    }

    /// Wait until the ringing card names `who` (the host's match).
    pub async fn wait_offer_names(&self, who: &str) {
        self.eval(
            &format!("{who} on the ringing card"),
            &format!(
                "const m = document.querySelector('[data-test=offer] [data-test=offer-who]'); return m && m.textContent.includes({}) ? true : null;",
                json!(who)
            ),
        )
        .await;
    }

    /// Wait until an engagement rings (its Accept is there).
    pub async fn wait_offer(&self) {
        self.wait_present("the offer", "[data-test=offer] [data-test=accept]")
            .await;
    }

    /// Wait until nothing rings.
    pub async fn wait_no_offer(&self) {
        self.wait_absent("the ringing card to go", "[data-test=offer]")
            .await;
    }

    /// Accept the engagement that rings.
    pub async fn accept_offer(&self) {
        self.click("[data-test=offer] [data-test=accept]").await;
    }

    /// Decline the engagement that rings.
    pub async fn decline_offer(&self) {
        self.click("[data-test=offer] [data-test=decline]").await;
    }

    /// Wait until the shown panel is a connected engagement's.
    pub async fn wait_connected_panel(&self) {
        self.wait_present("the connected panel", CONNECTED).await;
    }

    /// The shown panel's engagement id.
    pub async fn shown_engagement(&self) -> String {
        self.eval(
            "the engagement panel",
            &format!(
                "const p = document.querySelector({}); return p ? p.dataset.engagement : null;",
                json!(SHOWN)
            ),
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// Write a note on the shown engagement and add it.
    pub async fn add_note(&self, text: &str) {
        self.type_into(&format!("{SHOWN} [data-test=note-input]"), text)
            .await;
        self.click(&format!("{SHOWN} [data-test=add-note]")).await;
    }

    /// In the shown engagement's new-note field: `/shortcut` and Tab, once canned responses
    /// are attached to it (on first focus); the field's text once the response replaced it.
    pub async fn note_from_canned(&self, shortcut: &str) -> String {
        let field = format!("{SHOWN} [data-test=note-input]");
        self.click(&field).await;
        self.wait_present(
            "canned responses in the note field",
            &format!("{SHOWN} .notes [data-test=canned-open]"),
        )
        .await;
        self.type_into(&field, &format!("/{shortcut}\u{E004}"))
            .await;
        self.eval(
            "the canned response in the note field",
            &format!(
                "const v = document.querySelector({}).value; return v && !v.startsWith('/') ? v : null;",
                serde_json::json!(field)
            ),
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// Wait until the shown panel lists a note.
    pub async fn wait_note_listed(&self) {
        self.wait_present(
            "the note in the panel",
            &format!("{SHOWN} [data-test=notes] li"),
        )
        .await;
    }

    /// Choose the `index`th disposition of the shown engagement (0 is "choose one").
    pub async fn choose_disposition(&self, index: usize) {
        self.enter().await;
        self.browser
            .client
            .find(Locator::Css(&format!(
                "{SHOWN} [data-test=disposition-select]"
            )))
            .await
            .unwrap()
            .select_by_index(index)
            .await
            .unwrap();
        self.leave().await;
    }

    /// Wait until the shown panel's facts name the disposition `name`.
    pub async fn wait_disposition_shown(&self, name: &str) {
        self.eval(
            &format!("the disposition {name}"),
            &format!(
                "return [...document.querySelectorAll({})].some(d => d.textContent.includes({})) || null;",
                json!(format!("{SHOWN} .facts dd")),
                json!(name)
            ),
        )
        .await;
    }

    /// Close the shown engagement (end it, or close its wrap-up).
    pub async fn close_shown(&self) {
        self.click(&format!("{SHOWN} [data-test=close]")).await;
    }

    /// Close the shown engagement once it is connected.
    pub async fn close_connected(&self) {
        self.click(&format!("{CONNECTED} [data-test=close]")).await;
    }

    /// Wait until the shown panel's details (its variables) mention `text`.
    pub async fn wait_details_mention(&self, text: &str) {
        self.eval(
            &format!("{text} in the widget's details"),
            &format!(
                "const d = document.querySelector({}); return d && d.textContent.includes({}) ? true : null;",
                json!(format!("{SHOWN} [data-test=variables]")),
                json!(text)
            ),
        )
        .await;
    }

    /// The shown connected panel as the DOM has it: how many `img` in the widget, how many
    /// `script` or `b` in the panel, its title and its text.
    pub async fn connected_panel_dom(&self) -> Value {
        self.eval(
            "the connected panel's DOM",
            &format!(
                "const p = document.querySelector({}); if (!p) return null;
                 return {{imgs: document.querySelectorAll('img').length, scripts: p.querySelectorAll('script, b').length,
                         title: p.querySelector('[data-test=panel-title]').textContent,
                         text: p.textContent}};",
                json!(CONNECTED)
            ),
        )
        .await
    }

    /// Open the dialer (if closed), type `to` and dial.
    pub async fn dial(&self, to: &str) {
        let open = self
            .run("const d = document.querySelector('[data-test=dialer]'); return !!(d && d.open);")
            .await;
        if open != json!(true) {
            self.click("[data-test=dialer] summary").await;
        }
        self.type_into("[data-test=dial-input]", to).await;
        self.click("[data-test=dial]").await;
    }

    /// The first contact the dialer's search found.
    pub async fn contact_found(&self) -> Value {
        self.text_of("the contact found", "[data-test=contact]")
            .await
    }
}
