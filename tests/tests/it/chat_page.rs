//! The customer's side of web chat in a real headless Chromium: a website carries the
//! `/chat.js` bubble; the customer opens it, fills the pre-chat form (the entry point's
//! required email is asked for), waits with their place in the queue, and talks with the
//! agent (driven through the API here): typing both ways, messages both ways with hostile
//! markup shown as text, Shift+Enter for a new line, a reload of the website resuming the
//! conversation without repeats, the folded bubble counting new messages, and ending the chat.
//! With the agent in a second browser (the widget): ringing, accepting, history, typing and
//! receipts both ways, a reload of the widget, unread counts, files both ways; three chats at
//! once within the busy rule, a transfer from the widget, a supervisor barging in from the
//! supervisor view; leaving a message that becomes a work item; the demo CRM's website. The
//! website tests run on both stores (the demo's on SQLite, as the demo runs).

use fantoccini::actions::InputSource;
use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center, Feed};
use tests::browser::Browser;
use tests::chat::{chat_center, Website};
use tests::db::TestDb;
use tests::process::ServerOptions;

const WAIT: Duration = Duration::from_secs(20);
const FRAME: &str = "[data-switchboard-chat=frame]";

/// A center with a chat entry point and its agent (not ready yet), and a website on another
/// loopback origin, allowed to embed, that carries the bubble: (center, website, its origin,
/// the chat agent's API).
async fn website_center(db: TestDb, agents: usize) -> (Center, Website, String, Api) {
    let (listener, site_origin) = Website::bind().await;
    let c = Center::start_with(
        db,
        ServerOptions {
            allowed_origins: vec![site_origin.clone()],
            ..tests::api::server_options()
        },
        agents,
    )
    .await;
    let site = Website::serve(listener, site_origin.clone(), &c.server.base_url);
    let agent = chat_center(&c).await;
    agent.set_not_ready("break").await;
    (c, site, site_origin, agent)
}

/// A customer's browser on the website (or any page with the bubble at `url`), the chat
/// opened from the bubble; its chat frame is the browser's "widget" frame.
async fn open_the_chat(url: &str) -> Browser {
    let mut browser = Browser::start().await;
    browser.widget_frame = FRAME;
    browser.client.goto(url).await.unwrap();
    browser.click("[data-switchboard-chat=bubble]").await;
    browser
}

/// Evaluate `script` in the chat frame until it answers.
async fn in_chat(browser: &Browser, what: &str, script: &str) -> Value {
    browser.in_widget(what, script).await
}

/// The message the chat's form shows for what the server refused.
async fn form_error(browser: &Browser) -> String {
    in_chat(
        browser,
        "the form's error",
        "const e = document.querySelector('[data-test=form-error]'); return e && e.textContent ? e.textContent : null;",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The texts of the conversation's messages, oldest first.
async fn bodies(browser: &Browser, at_least: usize) -> Vec<String> {
    let v = in_chat(
        browser,
        &format!("{at_least} messages in the chat"),
        &format!(
            "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length >= {at_least} ? m : null;"
        ),
    )
    .await;
    serde_json::from_value(v).unwrap()
}

/// The chat agent signed in to the standalone widget and ready.
async fn ready_in_the_widget(c: &Center) -> Browser {
    let agent = Browser::start().await;
    agent
        .ready_in_standalone_widget(
            &format!("{}/widget/", c.server.base_url),
            "chat@switchboard.test",
            "chat-agent-password",
        )
        .await;
    agent
}

/// Fill the whole pre-chat form in the chat frame and start the chat.
async fn start_the_chat(customer: &Browser, name: &str, email: &str, question: &str) {
    for (field, value) in [("name", name), ("email", email), ("question", question)] {
        customer
            .type_in_widget(&format!("[data-test={field}]"), value)
            .await;
    }
    customer.click_in_widget("[data-test=start]").await;
}

/// Show the panel of the engagement whose tab names `who`.
async fn open_tab(agent: &Browser, who: &str) {
    agent
        .client
        .execute(
            &format!(
                "[...document.querySelectorAll('nav.tabs [data-test=tab]')].find(t => t.textContent.includes({})).click(); return true;",
                json!(who)
            ),
            vec![],
        )
        .await
        .unwrap();
}

/// Type into the field `css` of the page (not a frame) once it is rendered and shown: a
/// panel's conversation mounts after the panel, so the field can exist before it is usable.
async fn type_when_shown(browser: &Browser, css: &str, keys: &str) {
    browser
        .wait_for(
            &format!("{css} shown"),
            WAIT,
            &format!(
                "const e = document.querySelector({}); return e && e.getClientRects().length && !e.closest('[hidden]') ? true : null;",
                json!(css)
            ),
        )
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(keys)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// The id of the agent's message whose body is `<img …>`.
async fn hostile_id(agent: &Api, id: &str) -> Value {
    let list = agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200);
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"].as_str().unwrap().starts_with("<img"))
        .unwrap()["message_id"]
        .clone()
}

async fn agent_messages(agent: &Api, id: &str) -> Vec<String> {
    agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

async fn a_customer_chats_from_a_website_through_the_bubble(db: TestDb) {
    let (c, _site, site_origin, agent) = website_center(db, 0).await;

    let browser = open_the_chat(&site_origin).await;

    // The pre-chat form asks for what the entry point requires.
    browser
        .type_in_widget("[data-test=name]", "Alan Turing")
        .await;
    browser
        .type_in_widget("[data-test=question]", "Can I upgrade?")
        .await;
    browser.click_in_widget("[data-test=start]").await;
    let error = form_error(&browser).await;
    assert!(error.contains("email"), "{error}");
    browser
        .type_in_widget("[data-test=email]", "alan@bletchley.test")
        .await;
    browser.click_in_widget("[data-test=start]").await;

    // Waiting: the question is the first message; the place in the queue shows.
    assert_eq!(bodies(&browser, 1).await, ["Can I upgrade?"]);
    in_chat(
        &browser,
        "the place in the queue",
        "const s = document.querySelector('[data-test=status]'); return s && s.textContent.includes('number 1 in line') ? true : null;",
    )
    .await;

    // The agent takes it: the customer sees them join.
    let waiting = c
        .admin
        .get("/v1/engagements?state=queued")
        .await
        .expect(200);
    let id = waiting
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["channel"] == "chat")
        .expect("the chat waits")["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    agent.set_ready().await;
    agent.accept_when_offered(&id, WAIT).await;
    let mut feed = Feed::connect(&agent, None).await;
    in_chat(
        &browser,
        "the agent joined",
        "const s = document.querySelector('[data-test=status]'); return s && s.textContent === 'Chatting with Chat Agent' && document.querySelector('[data-test=chat-log]').textContent.includes('Chat Agent joined the chat') ? true : null;",
    )
    .await;

    // The agent types, then writes markup: the customer sees the typing line, then the text
    // as text (no element made from it, no script run).
    agent
        .post(&format!("/v1/engagements/{id}/typing"), json!({}))
        .await
        .expect(204);
    in_chat(
        &browser,
        "the agent typing",
        "return document.querySelector('[data-test=chat-typing]').textContent === 'Chat Agent is typing…' ? true : null;",
    )
    .await;
    let hostile = "<img src=x onerror=alert(1)>";
    agent
        .post(
            &format!("/v1/engagements/{id}/messages"),
            json!({ "body": hostile }),
        )
        .await
        .expect(201);
    assert_eq!(bodies(&browser, 2).await, ["Can I upgrade?", hostile]);
    let markup = in_chat(
        &browser,
        "the log's elements",
        "return { imgs: document.querySelectorAll('[data-test=chat-log] img').length, typing: document.querySelector('[data-test=chat-typing]').textContent };",
    )
    .await;
    assert_eq!(
        markup,
        json!({"imgs": 0, "typing": ""}),
        "the message ends the typing line"
    );
    // The page had it in view: the agent hears it was read.
    let read = feed.wait_for("engagement.message_receipt", WAIT).await;
    assert_eq!(
        read["data"]["receipt"],
        json!({"reader": "consumer", "status": "read", "up_to": hostile_id(&agent, &id).await})
    );

    // The customer types (the agent's socket hears it) and sends with Enter; Shift+Enter is a
    // new line.
    browser
        .type_in_widget("[data-test=chat-input]", "Which plan fits?")
        .await;
    let typing = feed.wait_frame("typing", Duration::from_secs(10)).await;
    assert_eq!(typing["engagement_id"], json!(id));
    browser.enter_widget().await;
    let composer = browser
        .client
        .find(fantoccini::Locator::Css("[data-test=chat-input]"))
        .await
        .unwrap();
    composer.send_keys("\u{E007}").await.unwrap(); // Enter
    browser
        .client
        .execute(
            "document.querySelector('[data-test=chat-input]').focus();",
            vec![],
        )
        .await
        .unwrap();
    let shift_enter = fantoccini::actions::KeyActions::new("keyboard".into())
        .then(fantoccini::actions::KeyAction::Down { value: '\u{E008}' })
        .then(fantoccini::actions::KeyAction::Down { value: '\u{E007}' })
        .then(fantoccini::actions::KeyAction::Up { value: '\u{E007}' })
        .then(fantoccini::actions::KeyAction::Up { value: '\u{E008}' });
    composer.send_keys("line one").await.unwrap();
    browser.client.perform_actions(shift_enter).await.unwrap();
    composer.send_keys("line two\u{E007}").await.unwrap();
    browser.leave_widget().await;
    let shown = bodies(&browser, 4).await;
    assert_eq!(
        shown,
        [
            "Can I upgrade?",
            hostile,
            "Which plan fits?",
            "line one\nline two"
        ]
    );
    assert_eq!(agent_messages(&agent, &id).await, shown);
    // The customer's messages show how far they came: sent, then read once the agent read
    // the latest.
    let receipts =
        "return [...document.querySelectorAll('[data-test=chat-receipt]')].map(r => r.textContent);";
    let sent = in_chat(&browser, "the sent marks", receipts).await;
    assert_eq!(sent, json!(["✓ Sent", "✓ Sent", "✓ Sent"]));
    let latest = agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .last()
        .unwrap()["message_id"]
        .clone();
    agent
        .post(
            &format!("/v1/engagements/{id}/receipts"),
            json!({"message_id": latest, "status": "read"}),
        )
        .await
        .expect(204);
    in_chat(
        &browser,
        "the read marks",
        "const r = [...document.querySelectorAll('[data-test=chat-receipt]')].map(r => r.textContent); return r.length === 3 && r.every(t => t === '✓✓ Read') ? true : null;",
    )
    .await;

    // A reload of the website: the bubble opens again and the chat resumes, each message once.
    browser.client.refresh().await.unwrap();
    assert_eq!(bodies(&browser, 4).await, shown);
    let marks = in_chat(&browser, "the marks after the reload", receipts).await;
    assert_eq!(
        marks,
        json!(["✓✓ Read", "✓✓ Read", "✓✓ Read"]),
        "replayed from the log"
    );
    in_chat(
        &browser,
        "the resumed status",
        "const s = document.querySelector('[data-test=status]'); return s && s.textContent === 'Chatting with Chat Agent' ? true : null;",
    )
    .await;

    // Folded, the bubble counts the agent's new message.
    browser.click_in_widget("[data-test=minimize]").await;
    agent
        .post(
            &format!("/v1/engagements/{id}/messages"),
            json!({ "body": "The Pro plan." }),
        )
        .await
        .expect(201);
    let pro_plan = agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .last()
        .unwrap()["message_id"]
        .clone();
    browser
        .wait_for(
            "the unread count",
            WAIT,
            "const b = document.querySelector('[data-switchboard-chat=unread]'); return b && !b.hidden && b.textContent === '1' ? true : null;",
        )
        .await;
    // Folded, it was only delivered; opening the chat reads it. (The receipts from before,
    // the agent's and the customer's, are on the feed too: only this message's count.)
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("read") {
        let e = feed.wait_for("engagement.message_receipt", WAIT).await;
        if e["data"]["receipt"]["reader"] != "consumer" || e["data"]["receipt"]["up_to"] != pro_plan
        {
            continue;
        }
        statuses.push(e["data"]["receipt"]["status"].as_str().unwrap().to_string());
        if statuses.last().map(String::as_str) == Some("delivered") {
            browser.click("[data-switchboard-chat=bubble]").await;
        }
    }
    assert_eq!(statuses, ["delivered", "read"]);
    assert_eq!(bodies(&browser, 5).await.last().unwrap(), "The Pro plan.");

    // The customer ends the chat: the agent goes on to wrap-up; the page offers the transcript.
    browser.click_in_widget("[data-test=end]").await;
    in_chat(
        &browser,
        "the ended chat",
        "const d = document.querySelector('[data-test=download]'); return d && !d.closest('[hidden]') && document.querySelector('[data-test=status]').textContent === 'This chat has ended.' ? true : null;",
    )
    .await;
    let e = agent
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(e["state"], "wrap_up");
    feed.close().await;
    browser.close().await;
}

/// Nobody is ready to chat: the bubble's form becomes "leave a message", and the message
/// becomes a work item that routes to an agent like any other.
/// On a website whose origin is not allowed, no bubble appears (it would open a frame the
/// browser refuses) and the console says what to configure; the allowed site shows it.
/// (The server's part is its allow-list, not the store: SQLite only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bubble_stays_hidden_where_the_origin_is_not_allowed() {
    let (c, _site, site_origin, _agent) = website_center(TestDb::sqlite(), 0).await;
    let (listener, other_origin) = Website::bind().await;
    let _other = Website::serve(listener, other_origin.clone(), &c.server.base_url);
    let browser = Browser::start().await;
    browser.client.goto(&other_origin).await.unwrap();
    let error = browser
        .wait_for(
            "the bubble's console error",
            WAIT,
            "return window.consoleErrors.length ? window.consoleErrors.join('\\n') : null;",
        )
        .await;
    let error = error.as_str().unwrap().to_string();
    assert!(
        error.contains("--allowed-origins") && error.contains(&other_origin),
        "{error}"
    );
    let eval = |script: &'static str| {
        let client = browser.client.clone();
        async move { client.execute(script, vec![]).await.unwrap() }
    };
    let shown = eval("return document.querySelectorAll('[data-switchboard-chat]').length;").await;
    assert_eq!(
        shown,
        json!(0),
        "no bubble and no frame on a refused origin"
    );
    // SwitchboardChat.open() from the page's own code opens nothing either.
    let opened = eval("window.SwitchboardChat && window.SwitchboardChat.open(); return document.querySelectorAll('[data-switchboard-chat]').length;").await;
    assert_eq!(opened, json!(0));
    // The allowed site shows the bubble, and logs nothing.
    browser.client.goto(&site_origin).await.unwrap();
    browser
        .wait_for(
            "the bubble",
            WAIT,
            "return document.querySelector('[data-switchboard-chat=bubble]') ? true : null;",
        )
        .await;
    assert_eq!(eval("return window.consoleErrors.length;").await, json!(0));
    browser.close().await;

    // Under the strict Content-Security-Policy docs/chat.md gives website owners, the bubble
    // shows, opens, and the chat page inside it works.
    let customer = open_the_chat(&format!("{site_origin}/strict")).await;
    in_chat(
        &customer,
        "the pre-chat form under a strict policy",
        "return document.querySelector('[data-test=name]') ? true : null;",
    )
    .await;
    customer.close().await;
}

async fn a_customer_leaves_a_message_when_nobody_can_chat(db: TestDb) {
    let (c, _site, site_origin, _chat_agent) = website_center(db, 1).await;
    let entries = c.admin.get("/v1/entry-points").await.expect(200);
    let flow_id = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry_id"] == "web-chat")
        .unwrap()["flow_id"]
        .clone();
    c.admin
        .put(
            "/v1/entry-points/web-chat",
            json!({"entry_id": "web-chat", "flow_id": flow_id,
                   "chat": {"require_email": true, "leave_message_entry_id": c.entry_id}}),
        )
        .await
        .expect(200);
    let worker = c.agent(0).await;
    worker.set_ready().await;

    let browser = open_the_chat(&site_origin).await;
    in_chat(
        &browser,
        "the leave-a-message form",
        "return document.querySelector('[data-test=leave-message]') ? true : null;",
    )
    .await;
    browser
        .type_in_widget("[data-test=name]", "Grace Hopper")
        .await;
    browser
        .type_in_widget("[data-test=message]", "Please call me about <b>COBOL</b>.")
        .await;
    browser.click_in_widget("[data-test=start]").await;
    let error = form_error(&browser).await;
    assert!(error.contains("email"), "{error}");
    browser
        .type_in_widget("[data-test=email]", "grace@navy.test")
        .await;
    browser.click_in_widget("[data-test=start]").await;
    let thanks = in_chat(
        &browser,
        "the thanks",
        "const t = document.querySelector('[data-test=message-left]'); return t ? t.textContent : null;",
    )
    .await;
    assert!(
        thanks.as_str().unwrap().contains("grace@navy.test"),
        "{thanks}"
    );

    // A work item, routed to the ready agent like any other.
    let items = c
        .admin
        .get("/v1/engagements?channel=work_item")
        .await
        .expect(200);
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["consumer"]["email"] == "grace@navy.test")
        .expect("the left message is a work item")
        .clone();
    assert_eq!(item["work_item"]["name"], "Message from Grace Hopper");
    assert_eq!(
        item["work_item"]["description"],
        "Please call me about <b>COBOL</b>."
    );
    worker
        .accept_when_offered(item["engagement_id"].as_str().unwrap(), WAIT)
        .await;
    browser.close().await;

    // Closed today (open on the other days): the page says when it opens, in the visitor's
    // own time zone, beside the leave-a-message form.
    let other_days = tests::chat::other_days_utc();
    c.admin
        .put(
            "/v1/entry-points/web-chat",
            json!({"entry_id": "web-chat", "flow_id": flow_id,
                   "chat": {"require_email": true, "leave_message_entry_id": c.entry_id,
                            "hours": {"time_zone": "UTC", "weekly": [{"days": other_days, "open": "09:00", "close": "17:00"}]}}}),
        )
        .await
        .expect(200);
    let spans = c.anon().get("/v1/chat/web-chat").await.expect(200)["opening_hours"]
        .as_array()
        .unwrap()
        .len();
    assert!(spans >= 5, "{spans}");
    let browser = open_the_chat(&site_origin).await;
    let hours = in_chat(
        &browser,
        "the opening hours",
        "const h = document.querySelector('[data-test=opening-hours]'); if (!h || !document.querySelector('[data-test=leave-message]')) return null; \
         const fmt = (o) => new Intl.DateTimeFormat(undefined, o); \
         return { title: h.querySelector('p').textContent, items: [...h.querySelectorAll('li')].map(li => li.textContent), \
                  zone: fmt({}).resolvedOptions().timeZone };",
    )
    .await;
    let zone = hours["zone"].as_str().unwrap();
    assert!(
        hours["title"].as_str().unwrap().contains(zone),
        "the visitor's zone is named: {hours}"
    );
    assert_eq!(hours["items"].as_array().unwrap().len(), spans, "{hours}");
    browser.close().await;
}

/// Two browsers: a customer on a website and the agent in the widget. The chat rings in the
/// widget; the panel becomes the conversation with the history; typing, messages and read
/// receipts go both ways, as text; a reload of the widget shows the conversation again, each
/// message once.
async fn an_agent_chats_in_the_widget_with_a_customer_on_a_website(db: TestDb) {
    let (c, _site, site_origin, _agent) = website_center(db, 0).await;

    // The customer starts the chat from the website.
    let customer = open_the_chat(&site_origin).await;
    start_the_chat(
        &customer,
        "Alan Turing",
        "alan@bletchley.test",
        "Hello from the site",
    )
    .await;
    assert_eq!(bodies(&customer, 1).await, ["Hello from the site"]);

    // The agent signs in to the widget, gets ready, and the chat rings.
    let agent = ready_in_the_widget(&c).await;
    agent.click("[data-test=offer] [data-test=accept]").await;
    let history = agent
        .wait_for(
            "the conversation's history",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length ? m : null;",
        )
        .await;
    assert_eq!(history, json!(["Hello from the site"]));
    in_chat(
        &customer,
        "the agent joined",
        "return document.querySelector('[data-test=chat-log]').textContent.includes('Chat Agent joined the chat') ? true : null;",
    )
    .await;

    // The customer types: the agent sees it; then sends.
    customer
        .type_in_widget("[data-test=chat-input]", "Can I pay by invoice?")
        .await;
    agent
        .wait_for(
            "the customer typing",
            WAIT,
            "return document.querySelector('[data-test=chat-typing]').textContent === 'The customer is typing…' ? true : null;",
        )
        .await;
    customer.enter_widget().await;
    customer
        .client
        .find(fantoccini::Locator::Css("[data-test=chat-input]"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    customer.leave_widget().await;
    agent
        .wait_for(
            "the customer's message",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length === 2 && m[1] === 'Can I pay by invoice?' ? true : null;",
        )
        .await;
    // The agent had it in view: the customer sees it read.
    in_chat(
        &customer,
        "the read mark",
        "const r = [...document.querySelectorAll('[data-test=chat-receipt]')].map(r => r.textContent); return r.length === 2 && r.every(t => t === '✓✓ Read') ? true : null;",
    )
    .await;

    // The agent answers with markup, sent with Enter: text on both sides, read by the customer.
    let answer = "Yes <img src=x onerror=alert(1)> by invoice";
    type_when_shown(
        &agent,
        "[data-test=panel]:not([hidden]) [data-test=chat-input]",
        &format!("{answer}\u{E007}"),
    )
    .await;
    assert_eq!(
        bodies(&customer, 3).await,
        ["Hello from the site", "Can I pay by invoice?", answer]
    );
    let imgs = in_chat(
        &customer,
        "no element from the text",
        "return String(document.querySelectorAll('[data-test=chat-log] img').length);",
    )
    .await;
    assert_eq!(imgs, "0");
    let agent_side = agent
        .wait_for(
            "the agent's message, read",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=chat-message]')]; const last = m[m.length - 1]; return m.length === 3 && last.querySelector('[data-test=chat-receipt]').textContent === '✓✓ Read' ? { text: last.querySelector('p').textContent, imgs: document.querySelectorAll('[data-test=chat-log] img').length } : null;",
        )
        .await;
    assert_eq!(agent_side, json!({"text": answer, "imgs": 0}));

    // A reload of the widget: the conversation again, each message once, receipts kept.
    agent.client.refresh().await.unwrap();
    let again = agent
        .wait_for(
            "the conversation after the reload",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=chat-message]')]; return m.length === 3 && m[2].querySelector('[data-test=chat-receipt]').textContent === '✓✓ Read' ? m.map(x => x.querySelector('p').textContent) : null;",
        )
        .await;
    assert_eq!(
        again,
        json!(["Hello from the site", "Can I pay by invoice?", answer])
    );

    // A second chat at once (busy rules allow three): while the first is in view again, the
    // second's new message is counted on its tab and in the page's title until the agent
    // opens it.
    let second = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Grace Hopper", "email": "grace@navy.test"}),
        )
        .await
        .expect(201);
    let grace = c
        .anon()
        .with_token(second["session_token"].as_str().unwrap());
    agent.click("[data-test=offer] [data-test=accept]").await;
    agent
        .wait_for(
            "two chats held",
            WAIT,
            "return document.querySelectorAll('nav.tabs [data-test=tab]').length === 2 ? true : null;",
        )
        .await;
    open_tab(&agent, "Alan").await;
    grace
        .post("/v1/chat/session/messages", json!({"body": "Me too!"}))
        .await
        .expect(201);
    let counted = agent
        .wait_for(
            "the unread count",
            WAIT,
            "const u = document.querySelector('nav.tabs [data-test=unread]'); return u ? { count: u.textContent, title: document.title } : null;",
        )
        .await;
    assert_eq!(counted, json!({"count": "1", "title": "(1) Switchboard"}));
    agent
        .client
        .execute(
            "document.querySelector('nav.tabs [data-test=unread]').closest('[data-test=tab]').click(); return true;",
            vec![],
        )
        .await
        .unwrap();
    agent
        .wait_for(
            "the count cleared",
            WAIT,
            "return !document.querySelector('[data-test=unread]') && document.title === 'Switchboard' ? true : null;",
        )
        .await;

    // Files both ways, through each side's 📎 picker: the customer's picture shows in the
    // agent's conversation (fetched with the agent's session), the agent's PDF is a link on
    // the customer's side that downloads with the customer's token.
    open_tab(&agent, "Alan").await;
    in_chat(
        &customer,
        "the picture picked",
        &pick_file("chat-file", ONE_PIXEL_PNG, "photo <1>.png", "image/png"),
    )
    .await;
    let shown = agent
        .wait_for(
            "the customer's picture",
            WAIT,
            "const a = document.querySelector('[data-test=chat-log] [data-test=attachment]'); const img = a && a.querySelector('img'); return img && img.complete && img.naturalWidth === 1 ? { alt: img.alt, src: img.src.slice(0, 5), title: a.title } : null;",
        )
        .await;
    assert_eq!(
        shown,
        json!({"alt": "photo <1>.png", "src": "blob:", "title": "photo <1>.png · 68 bytes"})
    );
    in_chat(
        &customer,
        "the customer's own picture",
        "const img = document.querySelector('[data-test=chat-log] [data-test=attachment] img'); return img && img.complete && img.naturalWidth === 1 ? true : null;",
    )
    .await;
    agent
        .wait_for(
            "the agent's picker",
            WAIT,
            &pick_file("chat-file", PDF, "terms.pdf", "application/pdf"),
        )
        .await;
    in_chat(
        &customer,
        "the agent's PDF",
        "const a = document.querySelector('[data-test=chat-log] [data-test=attachment][data-kind=\"application/pdf\"]'); if (!a) return null; if (!a.dataset.clicked) { a.dataset.clicked = '1'; a.click(); } return a.href.startsWith('blob:') && a.textContent === 'terms.pdf · 57 bytes' && a.querySelector('svg[aria-hidden=true]') ? true : null;",
    )
    .await;
    // The pickers are icons (no emoji font needed) with an accessible name, and a target of
    // at least 24×24 CSS px, on both sides.
    let picker = "const b = document.querySelector('button.attach'); if (!b) return null; const r = b.getBoundingClientRect(); return { name: b.getAttribute('aria-label'), text: b.textContent, svg: !!b.querySelector('svg[aria-hidden=true]'), big: r.width >= 24 && r.height >= 24 };";
    let expected =
        json!({"name": "Attach a file (image or PDF)", "text": "", "svg": true, "big": true});
    assert_eq!(
        in_chat(&customer, "the customer's picker", picker).await,
        expected
    );
    assert_eq!(
        agent.wait_for("the agent's picker", WAIT, picker).await,
        expected
    );
    let names: Vec<Value> = c
        .admin
        .get(&format!(
            "/v1/engagements/{}/messages",
            chat_of(&c, "Alan Turing").await
        ))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.get("attachment").map(|a| a["file_name"].clone()))
        .collect();
    assert_eq!(names, [json!("photo <1>.png"), json!("terms.pdf")]);
    // A normal chat made no request either side's code had to be refused: no 4xx on the
    // engagement and chat routes (a receipt sent while the chat still rang was a 403).
    let metrics = reqwest::get(format!("{}/metrics", c.server.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused: Vec<&str> = metrics
        .lines()
        .filter(|l| {
            l.starts_with("switchboard_http_request_duration_seconds_count{")
                && l.contains(",status=\"4")
                && (l.contains("route=\"/v1/engagements") || l.contains("route=\"/v1/chat"))
        })
        .collect();
    assert!(refused.is_empty(), "refused in a normal chat: {refused:#?}");
    agent.close().await;
    customer.close().await;
}

/// A 1×1 PNG, base64.
const ONE_PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
/// A minimal PDF's first bytes, base64 (`%PDF-1.4 …`).
const PDF: &str = "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKdHJhaWxlcgo8PD4+CiUlRU9G";

/// A script that picks a file for the `[data-test=<input>]` file input as a person would
/// (the input's `change`), the file made from base64 in the page; `null` until the input is
/// there.
fn pick_file(input: &str, base64: &str, name: &str, kind: &str) -> String {
    format!(
        "const input = document.querySelector('[data-test={input}]'); if (!input) return null; \
         const bytes = Uint8Array.from(atob('{base64}'), c => c.charCodeAt(0)); \
         const data = new DataTransfer(); data.items.add(new File([bytes], {name:?}, {{ type: {kind:?} }})); \
         input.files = data.files; input.dispatchEvent(new Event('change')); return true;"
    )
}

/// The engagement id of the chat whose customer is called `name`.
async fn chat_of(c: &Center, name: &str) -> String {
    let list = c.admin.get("/v1/engagements").await.expect(200);
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["channel"] == "chat" && e["consumer"]["display_name"] == name)
        .unwrap_or_else(|| panic!("a chat with {name}: {list}"))["engagement_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The demo: a customer chats from the CRM's public website; the agent desk rings, pops the
/// CRM contact with the chat's email and shows the conversation; when the chat closes the
/// CRM's webhook receiver stores the transcript on that contact.
#[tokio::test]
async fn the_demo_website_chat_pops_the_contact_and_keeps_the_transcript() {
    use tests::demo::{open_desk, system, PASSWORD};
    let sys = system().await;
    let desk = Browser::start().await;
    open_desk(&desk, &sys, "").await;
    desk.select_ready().await;

    let customer = open_the_chat(&format!("{}/site", sys.demo.base_url)).await;
    start_the_chat(
        &customer,
        "Margaret",
        "margaret@apollo.test",
        "Where is my order?",
    )
    .await;

    // The desk pops the CRM contact with that email as the chat rings.
    let contacts: Value = reqwest::get(format!("{}/api/contacts", sys.demo.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let margaret = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "margaret@apollo.test")
        .expect("the demo CRM has Margaret")["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    desk.wait_for(
        "the contact popped",
        WAIT,
        &format!(
            "const c = document.getElementById('current'); return c && c.dataset.recordId === {} ? true : null;",
            json!(margaret)
        ),
    )
    .await;
    desk.click_in_widget("[data-test=offer] [data-test=accept]")
        .await;
    let shown = desk
        .in_widget(
            "the conversation in the desk",
            "const m = [...document.querySelectorAll('[data-test=chat-message] p')].map(p => p.textContent); return m.length ? m : null;",
        )
        .await;
    assert_eq!(shown, json!(["Where is my order?"]));

    // The customer ends the chat; the agent closes the wrap-up in the widget; the CRM keeps the
    // transcript (its webhook receiver got it, signed, and fetched it with its credentials).
    customer.click_in_widget("[data-test=end]").await;
    let admin = Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    let id = loop {
        let chats = admin.get("/v1/engagements?state=wrap_up").await.expect(200);
        if let Some(e) = chats
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["channel"] == "chat")
        {
            break e["engagement_id"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the chat never reached wrap-up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The agent closes the wrap-up in the desk's widget.
    desk.click_in_widget("[data-test=panel][data-state=wrap_up]:not([hidden]) [data-test=close]")
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    let stored = loop {
        let list: Value = reqwest::get(format!(
            "{}/api/contacts/{margaret}/transcripts",
            sys.demo.base_url
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if let Some(t) = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["engagement_id"] == json!(id))
        {
            break t.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no transcript on the contact: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stored["content_type"], "application/json");
    assert!(
        stored["body"]
            .as_str()
            .unwrap()
            .contains("Where is my order?"),
        "{stored}"
    );
    desk.close().await;
    customer.close().await;
}

/// The agent's side under load and with others: three chats ring and are held at once (the
/// default busy rule) while a fourth waits its turn; the agent transfers one to a colleague
/// from the widget (the colleague gets it with its history, the agent's tab goes); a
/// supervisor barges into another from the supervisor view and writes there, marked as a
/// supervisor in the agent's widget and for the customer.
async fn three_chats_at_once_a_transfer_and_a_supervisor_barging_in(db: TestDb) {
    let (c, _site, _origin, _agent) = website_center(db, 0).await;
    let (colleague_id, colleague) = tests::chat::chat_colleague(&c, "Second Agent").await;
    let mut customers = Vec::new();
    for name in ["Alan", "Grace", "Edsger", "Barbara"] {
        let session = c
            .anon()
            .post(
                "/v1/chat/web-chat/sessions",
                json!({"name": name, "email": format!("{}@example.test", name.to_lowercase()),
                       "question": format!("{name} asks")}),
            )
            .await
            .expect(201);
        customers.push((
            session["engagement_id"].as_str().unwrap().to_string(),
            c.anon()
                .with_token(session["session_token"].as_str().unwrap()),
        ));
    }

    // The agent gets ready in the widget: the three oldest ring at once and are accepted.
    let agent = ready_in_the_widget(&c).await;
    agent
        .wait_for(
            "three chats ringing at once",
            WAIT,
            "return document.querySelectorAll('[data-test=offer]').length === 3 ? true : null;",
        )
        .await;
    for held in 1..=3 {
        agent.click("[data-test=offer] [data-test=accept]").await;
        agent
            .wait_for(
                &format!("{held} chats held"),
                WAIT,
                &format!("return document.querySelectorAll('nav.tabs [data-test=tab]').length === {held} && document.querySelectorAll('[data-test=offer]').length === {} ? true : null;", 3 - held),
            )
            .await;
    }
    let tabs = agent
        .wait_for(
            "the three tabs",
            WAIT,
            "return [...document.querySelectorAll('nav.tabs [data-test=tab]')].map(t => t.textContent);",
        )
        .await;
    for name in ["Alan", "Grace", "Edsger"] {
        assert!(tabs.to_string().contains(name), "{tabs}");
    }
    // The fourth waits, first in line, and does not ring the agent who has three.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waiting = customers[3].1.get("/v1/chat/session").await.expect(200);
    assert_eq!(waiting["state"], "queued", "{waiting}");
    assert_eq!(waiting["queue"]["position"], 1, "{waiting}");

    // A colleague gets ready and takes the waiting chat; then the agent transfers Alan's
    // chat to them from the widget.
    colleague.set_ready().await;
    colleague
        .accept_when_offered(&customers[3].0, Duration::from_secs(10))
        .await;
    open_tab(&agent, "Alan").await;
    let select = "[data-test=panel]:not([hidden]) [data-test=transfer-select]";
    agent.click(select).await;
    agent
        .wait_for(
            "the colleague in the transfer list",
            WAIT,
            &format!(
                "return document.querySelector({}) ? true : null;",
                json!(format!("{select} option[value=\"a:{colleague_id}\"]"))
            ),
        )
        .await;
    agent
        .client
        .execute(
            &format!(
                "const s = document.querySelector({}); s.value = {}; s.dispatchEvent(new Event('change')); return true;",
                json!(select),
                json!(format!("a:{colleague_id}"))
            ),
            vec![],
        )
        .await
        .unwrap();
    agent
        .click("[data-test=panel]:not([hidden]) [data-test=transfer]")
        .await;
    colleague
        .accept_when_offered(&customers[0].0, Duration::from_secs(10))
        .await;
    agent
        .wait_for(
            "Alan's tab gone",
            WAIT,
            "const t = [...document.querySelectorAll('nav.tabs [data-test=tab]')].map(t => t.textContent); return t.length === 2 && !t.some(x => x.includes('Alan')) ? true : null;",
        )
        .await;
    let history = colleague
        .get(&format!("/v1/engagements/{}/messages", customers[0].0))
        .await
        .expect(200);
    assert_eq!(history[0]["body"], "Alan asks", "the history came along");
    let alan = customers[0].1.get("/v1/chat/session").await.expect(200);
    assert_eq!(alan["state"], "connected");

    // A supervisor barges into Grace's chat from the supervisor view and writes there.
    let supervisor = Browser::start().await;
    supervisor
        .client
        .goto(&format!("{}/widget/", c.server.base_url))
        .await
        .unwrap();
    supervisor
        .sign_in_here(tests::api::ADMIN_EMAIL, tests::api::ADMIN_PASSWORD)
        .await;
    let grace_id = &customers[1].0;
    supervisor
        .click(&format!(
            "[data-test=live-engagements] li[data-engagement='{grace_id}'] [data-test=barge]"
        ))
        .await;
    let seen = supervisor
        .wait_for(
            "the barged chat's history",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=barged-chat] [data-test=chat-message] p')].map(p => p.textContent); return m.length ? m : null;",
        )
        .await;
    assert_eq!(seen, json!(["Grace asks"]));
    type_when_shown(
        &supervisor,
        "[data-test=barged-chat] [data-test=chat-input]",
        "A supervisor here: you are in good hands.\u{E007}",
    )
    .await;
    open_tab(&agent, "Grace").await;
    let marked = agent
        .wait_for(
            "the supervisor's message in the agent's conversation",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=panel]:not([hidden]) [data-test=chat-message][data-author=supervisor]')]; return m.length ? { who: m[0].querySelector('.who').textContent, text: m[0].querySelector('p').textContent } : null;",
        )
        .await;
    assert_eq!(
        marked,
        json!({"who": "Administrator (supervisor)", "text": "A supervisor here: you are in good hands."})
    );
    let grace = customers[1].1.get("/v1/chat/session").await.expect(200);
    let last = grace["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"]["kind"], "supervisor", "{grace}");
    // The supervisor's conversation shows it too (read back, each message once).
    supervisor
        .wait_for(
            "the supervisor's own message",
            WAIT,
            "const m = [...document.querySelectorAll('[data-test=barged-chat] [data-test=chat-message] p')].map(p => p.textContent); return m.length === 2 ? true : null;",
        )
        .await;
    supervisor.close().await;
    agent.close().await;
}

tests::both_stores!(
    a_customer_chats_from_a_website_through_the_bubble,
    a_customer_leaves_a_message_when_nobody_can_chat,
    an_agent_chats_in_the_widget_with_a_customer_on_a_website,
    three_chats_at_once_a_transfer_and_a_supervisor_barging_in
);
