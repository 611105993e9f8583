//! The CRM's HTML. Every value from the database or a request is escaped.

use crate::store::{CallLog, Contact, Ticket};

const DESK: &str = include_str!("../static/agent.html");

const STYLE: &str = "body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#222;background:#f4f5f7}\
header{background:#2d2d40;color:#fff;padding:.6rem 1rem;font-weight:600;display:flex;gap:1rem}\
header a{color:#cfd3ff}main{padding:1rem;max-width:50rem}\
.panel{background:#fff;border:1px solid #dde;border-radius:6px;padding:.75rem;margin-bottom:1rem}\
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.3rem;border-bottom:1px solid #eee}\
.err{color:#a00}.ok{color:#185c2b}button,input{font:inherit;padding:.3rem .6rem}";

/// Text safe in HTML content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A JSON string literal that is also safe inside an HTML `<script>` element.
pub fn js_string(value: &str) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

/// The agent desk, with Switchboard's URL filled in (the user is filled in per request).
pub fn desk(switchboard: &str) -> String {
    DESK.replace("__SWITCHBOARD_URL__", &js_string(switchboard))
        .replace("__SWITCHBOARD_ATTR__", &escape(switchboard))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — Acme CRM</title><style>{STYLE}</style></head><body>\
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
             <p>Demo agents: ada@demo.test, grace@demo.test (supervisor: admin@demo.test).</p></section>"
        ),
    )
}

pub fn ticket(t: &Ticket, contact: Option<&Contact>, logs: &[CallLog]) -> String {
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
         <button id=\"route\" data-test=\"route\">Route to an agent</button> <span id=\"route-result\" role=\"status\"></span></section>\
         <section class=\"panel\"><h2>Call log</h2><table><tr><th>Channel</th><th>Duration</th><th>Disposition</th><th>Notes</th></tr>{rows}</table></section>\
         <script>\
         document.getElementById('route').addEventListener('click', async () => {{\
           const out = document.getElementById('route-result');\
           const r = await fetch('/api/tickets/' + encodeURIComponent({id_js}) + '/route', {{method: 'POST'}});\
           const body = await r.json().catch(() => ({{}}));\
           if (r.ok) {{ out.className = 'ok'; out.textContent = 'Routed: engagement ' + body.engagement.engagement_id; }}\
           else if (r.status === 409) {{ out.className = 'err'; out.textContent = 'Already routed: ' + body.message; }}\
           else {{ out.className = 'err'; out.textContent = 'Could not route: ' + (body.message || r.status); }}\
         }});</script>",
        id = escape(&t.ticket_id),
        id_js = js_string(&t.ticket_id),
        subject = escape(&t.subject),
        description = escape(&t.description),
        priority = t.priority,
        status = escape(&t.status),
    );
    page(&t.subject, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_values_cannot_break_out() {
        assert_eq!(
            js_string("http://a/</script>"),
            "\"http://a/\\u003c/script\\u003e\""
        );
        assert_eq!(escape("\"><img src=x>"), "&quot;&gt;&lt;img src=x&gt;");
        let page = desk("http://sb.test");
        assert!(page.contains("\"http://sb.test\""));
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
        assert!(!ticket(&t, None, &[]).contains("<script>alert(1)"));
    }
}
