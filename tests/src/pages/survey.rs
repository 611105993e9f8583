//! The satisfaction survey on the customer's chat page, answered the way a keyboard or
//! screen-reader user answers it: focus moves into the radio group, Space picks, the arrow keys
//! move the choice, Tab reaches the comment and **Send**, Enter sends.

use super::*;
use serde_json::Value;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = "\u{E00D}";
const ARROW_RIGHT: &str = "\u{E014}";

/// What the survey shows: its question (the group's legend), each choice's accessible name and
/// value, which is checked, whether a comment box is there, the status line.
const SURVEY: &str = "const s = document.querySelector('[data-test=survey] form'); if (!s) return null; \
    const legend = s.querySelector('fieldset > legend'); \
    return { legend: legend && legend.textContent, \
             choices: [...s.querySelectorAll('fieldset input[type=radio]')].map(r => ({ \
                 value: r.value, name: r.getAttribute('aria-label'), checked: r.checked, \
                 in_group: r.closest('fieldset') !== null })), \
             comment: !!s.querySelector('textarea[data-test=survey-comment]'), \
             status: s.querySelector('[data-test=survey-status]').textContent, \
             status_role: s.querySelector('[data-test=survey-status]').getAttribute('role'), \
             focused: document.activeElement && (document.activeElement.value || document.activeElement.tagName) };";

impl ChatPage {
    /// The survey once the page shows it (see [`SURVEY`]).
    pub async fn survey(&self) -> Value {
        self.eval("the survey", SURVEY).await
    }

    /// Keys to whatever has the focus in the chat frame.
    async fn keys(&self, keys: &str) {
        self.browser.enter_widget().await;
        let focused = self.browser.client.active_element().await.unwrap();
        focused.send_keys(keys).await.unwrap();
        self.browser.leave_widget().await;
    }

    /// Focus the survey's **Send** button and press Enter.
    pub async fn send_survey_with_enter(&self) {
        self.eval(
            "the survey's send button focused",
            "const b = document.querySelector('[data-test=survey-send]'); if (!b) return null; b.focus(); return document.activeElement === b;",
        )
        .await;
        self.keys(ENTER).await;
    }

    /// Into the scale with the keyboard: focus its first choice, Space picks it, then the
    /// right arrow `rating - 1` times (each press moves the choice, as radio groups do).
    pub async fn rate_with_keys(&self, rating: u8) {
        self.eval(
            "the first choice focused",
            "const r = document.querySelector('[data-test=survey] input[type=radio]'); if (!r) return null; r.focus(); return document.activeElement === r;",
        )
        .await;
        let mut keys = SPACE.to_string();
        for _ in 1..rating {
            keys.push_str(ARROW_RIGHT);
        }
        self.keys(&keys).await;
    }

    /// Tab from the chosen rating to the comment box and type `comment`; Tab again to **Send**
    /// and press Enter.
    pub async fn comment_and_send_with_keys(&self, comment: &str) {
        self.keys(&format!("{TAB}{comment}{TAB}{ENTER}")).await;
    }

    /// The thank-you that replaces the survey once it was answered.
    pub async fn survey_thanks(&self) -> String {
        self.eval(
            "the survey's thank-you",
            "const t = document.querySelector('[data-test=survey-thanks]'); return t ? [t.textContent, t.getAttribute('role')].join('|') : null;",
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }
}
