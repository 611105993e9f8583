//! The customer's chat session token, kept in the page's own storage so a reload (of the chat
//! page or of the website around it) finds the chat. Framed on a website, this is the chat
//! origin's storage partitioned under that website by the browser: no third-party cookie.
//! Where storage is refused (private modes, blocked storage) the chat lasts as long as the page.

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(entry: &str) -> String {
    format!("switchboard.chat.{entry}")
}

pub fn load(entry: &str) -> Option<String> {
    storage()?
        .get_item(&key(entry))
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

pub fn save(entry: &str, token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key(entry), token);
    }
}

pub fn forget(entry: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(entry));
        let _ = s.remove_item(&call_key(entry));
    }
}

fn call_key(entry: &str) -> String {
    format!("switchboard.call.{entry}")
}

/// The saved session is a web call's (a reload goes back to the call screen).
pub fn mark_call(entry: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&call_key(entry), "1");
    }
}

pub fn is_call(entry: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(&call_key(entry)).ok().flatten())
        .is_some()
}
