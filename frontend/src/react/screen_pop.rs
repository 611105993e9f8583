//! Launch-URL screen pops in the standalone widget (the installed PWA): per queue
//! (`Queue::launch_open`), an offer's rendered launch URL opens in a new browser tab when it
//! rings or when the agent connects. Inside a host page the host pops its own records (it gets
//! `screen_pop` / `zcc-screen-pop`), so a framed widget never opens tabs.

use crate::browser::{is_framed_here, safe_link};
use crate::model::{Change, Item};
use crate::session::bus::Moment;
use crate::session::Session;
use leptos::prelude::*;
use shared::config::LaunchOpen;
use shared::events::EventKind;

/// Only the active instance pops.
pub fn install(session: Session) {
    session.subscribe(move |moment| {
        if let Moment::Applied {
            change: Change::Engagement { kind, item },
            active: true,
            ..
        } = moment
        {
            on_change(session, *kind, item);
        }
    });
}

/// Whether `kind` is the moment `when` names.
pub fn due(when: LaunchOpen, kind: EventKind) -> bool {
    matches!(
        (when, kind),
        (LaunchOpen::OnRing, EventKind::EngagementOffered)
            | (LaunchOpen::OnConnect, EventKind::EngagementConnected)
    )
}

/// Open the engagement's launch URL if its queue asks for it at this moment.
fn on_change(session: Session, kind: EventKind, item: &Item) {
    if is_framed_here() {
        return;
    }
    let Some(url) = item.launch_url.as_deref().and_then(safe_link) else {
        return;
    };
    let when = session
        .queues
        .with_untracked(|qs| {
            qs.iter()
                .find(|q| Some(q.queue_id) == item.engagement.queue_id)
                .map(|q| q.launch_open)
        })
        .unwrap_or_default();
    if !due(when, kind) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    // Not `noopener` in the features: then `open` returns null even when it worked, and a
    // blocked pop-up could not be told apart. The opener link is cut right after.
    match window.open_with_url_and_target(&url, "_blank") {
        Ok(Some(tab)) => {
            let _ = tab.set_opener(&wasm_bindgen::JsValue::NULL);
        }
        _ => session.notice.set(Some(format!(
            "The browser blocked opening {url}. Allow pop-ups for this site, or use \u{201c}Open the record\u{201d} in the panel."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_setting_opens_at_its_moment_only() {
        use EventKind as K;
        assert!(due(LaunchOpen::OnRing, K::EngagementOffered));
        assert!(!due(LaunchOpen::OnRing, K::EngagementConnected));
        assert!(due(LaunchOpen::OnConnect, K::EngagementConnected));
        assert!(!due(LaunchOpen::OnConnect, K::EngagementOffered));
        assert!(!due(LaunchOpen::Never, K::EngagementOffered));
        assert!(!due(LaunchOpen::Never, K::EngagementConnected));
    }
}
