//! The CRM's HTML. Every value from the database or a request is escaped.

use crate::interaction_store::{ReconcileRun, TicketData};
use crate::store::{CallLog, Contact, Ticket};

const DESK: &str = include_str!("../static/agent.html");
const SMART_EMBED: &str = include_str!("../static/smart-embed.html");
const CUSTOMER_APP: &str = include_str!("../static/customer-app.html");
const SITE: &str = include_str!("../static/site.html");

/// The pages' and the desk's own files, served from `/static/`: no inline script or style,
/// so every page runs under the strict Content-Security-Policy in `main.rs`.
pub const CRM_CSS: &str = include_str!("../static/crm.css");
pub const DESK_CSS: &str = include_str!("../static/desk.css");
pub const DESK_JS: &str = include_str!("../static/desk.js");
pub const TICKET_JS: &str = include_str!("../static/ticket.js");
pub const SMART_EMBED_JS: &str = include_str!("../static/smart-embed.js");
pub const CUSTOMER_APP_JS: &str = include_str!("../static/customer-app.js");

/// Text safe in HTML content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The agent desk, with Switchboard's URL filled in (the user is filled in per request).
pub fn desk(switchboard: &str) -> String {
    DESK.replace("__SWITCHBOARD_ATTR__", &escape(switchboard))
}

/// The reference Smart Embed host, with Switchboard's URL filled in.
pub fn smart_embed(switchboard: &str) -> String {
    SMART_EMBED.replace("__SWITCHBOARD_ATTR__", &escape(switchboard))
}

/// The company's public website, with Switchboard's chat bubble (`/chat.js`).
pub fn site(switchboard: &str) -> String {
    SITE.replace(
        "__SWITCHBOARD_ATTR__",
        &escape(switchboard.trim_end_matches('/')),
    )
}

/// Customer 360, the side-panel app Switchboard's demo data registers for its queues.
pub fn customer_app(switchboard: &str) -> String {
    CUSTOMER_APP.replace("__SWITCHBOARD_ATTR__", &escape(switchboard))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — Acme CRM</title><link rel=\"stylesheet\" href=\"/static/crm.css\"><script src=\"/static/ticket.js\" defer></script></head><body>\
         <header><span>Acme CRM</span><a href=\"/\">Agent desk</a></header><main>{body}</main></body></html>",
        escape(title)
    )
}

pub fn signin(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"err\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<section class=\"panel\"><h1>Sign in to Acme CRM</h1>{error}\
             <p>This demo CRM has no passwords: pick the user you are. Its server then signs you in to the \
             Switchboard widget too, with an embed token.</p>\
             <form method=\"post\" action=\"/signin\"><label>Email \
             <input name=\"email\" type=\"email\" required value=\"ada@demo.test\" data-test=\"crm-email\"></label> \
             <button type=\"submit\" data-test=\"crm-signin\">Sign in</button></form>\
             <p>Demo agents: ada@demo.test, grace@demo.test. The admin, admin@demo.test, signs in inside the \
             widget with the password: this CRM's API client may not sign admins in.</p></section>"
        ),
    )
}

/// Notes, dispositions, recordings and transcripts Switchboard sent back, with where each came
/// from (webhook or reconciliation), and the reconciliation panel.
fn interactions(data: &TicketData, last_run: Option<&ReconcileRun>) -> String {
    let notes: String = data
        .notes
        .iter()
        .map(|n| {
            format!(
                "<li data-test=\"note\">{} <small>({})</small></li>",
                escape(&n.body),
                escape(&n.source)
            )
        })
        .collect();
    let dispositions: String = data
        .dispositions
        .iter()
        .map(|d| {
            format!(
                "<li data-test=\"disposition\">{} <code>{}</code> <small>({})</small></li>",
                escape(&d.name),
                escape(&d.code),
                escape(&d.source)
            )
        })
        .collect();
    let recordings: String = data
        .recordings
        .iter()
        .map(|r| {
            let player = if r.local_path.is_some() {
                format!(
                    "<audio controls preload=\"none\" src=\"/recordings/{}\"></audio>",
                    escape(&r.recording_id)
                )
            } else {
                "<em>not downloaded yet</em>".into()
            };
            let transcript = r
                .transcript
                .as_deref()
                .map(|t| format!("<pre data-test=\"recording-transcript\">{}</pre>", escape(t)))
                .unwrap_or_default();
            format!(
                "<li data-test=\"recording\" data-recording=\"{id}\">{started} · {secs} s · {ct} {player} <small>({source})</small>{transcript}</li>",
                id = escape(&r.recording_id),
                started = escape(&r.started_at),
                secs = r.duration_secs,
                ct = escape(&r.content_type),
                source = escape(&r.source),
            )
        })
        .collect();
    let transcripts: String = data
        .transcripts
        .iter()
        .map(|t| {
            format!(
                "<li data-test=\"transcript\"><pre>{}</pre></li>",
                escape(&t.body)
            )
        })
        .collect();
    let run = match last_run {
        None => "Never run yet.".to_string(),
        Some(r) => format!(
            "Last run ({trigger}) at <span data-test=\"reconcile-at\">{at}</span>: \
             <span data-test=\"reconcile-seen\">{seen}</span> events checked, \
             <span data-test=\"reconcile-applied\">{applied}</span> missed by webhooks and filled in{error}.",
            trigger = escape(&r.trigger),
            at = time::OffsetDateTime::from_unix_timestamp(r.started_at_ms / 1000)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default(),
            seen = r.seen,
            applied = r.applied,
            error = r
                .error
                .as_deref()
                .map(|e| format!(" — <span class=\"err\">{}</span>", escape(e)))
                .unwrap_or_default(),
        ),
    };
    format!(
        "<section class=\"panel\"><h2>From Switchboard</h2>\
         <h3>Notes</h3><ul>{notes}</ul><h3>Disposition</h3><ul>{dispositions}</ul>\
         <h3>Recordings</h3><ul>{recordings}</ul><h3>Transcripts</h3><ul>{transcripts}</ul></section>\
         <section class=\"panel\"><h2>Reconciliation</h2><p data-test=\"reconcile-status\">{run}</p>\
         <button id=\"reconcile\" data-test=\"reconcile\">Reconcile now</button> <span id=\"reconcile-result\" role=\"status\"></span></section>\
"
    )
}

pub fn ticket(
    t: &Ticket,
    contact: Option<&Contact>,
    logs: &[CallLog],
    data: &TicketData,
    last_run: Option<&ReconcileRun>,
) -> String {
    let contact = contact
        .map(|c| {
            format!(
                "<p>Contact: <strong>{}</strong> · {} · {}</p>",
                escape(&c.name),
                escape(&c.phone),
                escape(&c.email)
            )
        })
        .unwrap_or_default();
    let rows: String = logs
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td>{} s</td><td>{}</td><td>{}</td></tr>",
                escape(&l.channel),
                l.duration_secs,
                escape(&l.disposition),
                escape(&l.notes)
            )
        })
        .collect();
    let body = format!(
        "<section class=\"panel\" data-ticket=\"{id}\"><h1>{id}: {subject}</h1>{contact}\
         <p>{description}</p><p>Priority {priority} · status <span data-test=\"ticket-status\">{status}</span></p>\
         <button id=\"route\" data-test=\"route\" data-ticket-id=\"{id}\">Route to an agent</button> <span id=\"route-result\" role=\"status\"></span></section>\
         <section class=\"panel\"><h2>Call log</h2><table><tr><th>Channel</th><th>Duration</th><th>Disposition</th><th>Notes</th></tr>{rows}</table></section>{interactions}\
",
        id = escape(&t.ticket_id),
        subject = escape(&t.subject),
        description = escape(&t.description),
        priority = t.priority,
        status = escape(&t.status),
        interactions = interactions(data, last_run),
    );
    page(&t.subject, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_values_cannot_break_out() {
        assert_eq!(escape("\"><img src=x>"), "&quot;&gt;&lt;img src=x&gt;");
        let page = desk("http://sb.test");
        assert!(page.contains("content=\"http://sb.test\""));
        assert!(
            !page.contains("<script>") && !page.contains("<style"),
            "no inline code"
        );
        assert!(page.contains("http://sb.test/embed.js"));
        let t = Ticket {
            ticket_id: "T-1".into(),
            subject: "<script>alert(1)</script>".into(),
            description: String::new(),
            contact_id: "C-1".into(),
            priority: 1,
            status: "open".into(),
            engagement_id: None,
        };
        assert!(!ticket(&t, None, &[], &TicketData::default(), None).contains("<script>alert(1)"));
    }
}
