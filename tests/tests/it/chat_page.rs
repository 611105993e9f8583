//! The customer's side of web chat in a real headless Chromium: a website carries the
//! `/chat.js` bubble; the customer opens it, fills the pre-chat form (the entry point's
//! required email is asked for), waits with their place in the queue, and talks with the
//! agent (driven through the API here): typing both ways, messages both ways with hostile
//! markup shown as text, Shift+Enter for a new line, a reload of the website resuming the
//! conversation without repeats, the folded bubble counting new messages, and ending the chat.
//! With the agent in a second browser (the widget): ringing, accepting, history, typing and
//! receipts both ways, a reload of the widget, unread counts, files both ways; three chats at
//! once within the busy rule, a transfer from the widget, a supervisor barging in from the
//! supervisor view; leaving a message that becomes a work item; the satisfaction survey after
//! a chat, answered with the keyboard; the demo CRM's website. The
//! website tests run on both stores (the demo's on SQLite, as the demo runs).
//!
//! The browser steps are the page objects' (`tests::pages`): `ChatPage` for the customer,
//! `Widget` for the agent.

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center, Feed};
use tests::chat::{chat_center, chat_queue_id, set_survey, Website};
use tests::db::TestDb;
use tests::pages::{ChatPage, Widget};
use tests::process::ServerOptions;
use tests::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(20);
/// The chat agent's sign-in (`tests::chat::chat_center`).
const CHAT_AGENT: (&str, &str) = ("chat@switchboard.test", "chat-agent-password");
/// A 1×1 PNG, base64.
const ONE_PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
/// A minimal PDF's first bytes, base64 (`%PDF-1.4 …`).
const PDF: &str = "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKdHJhaWxlcgo8PD4+CiUlRU9G";

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

/// The chat agent signed in to the standalone widget and ready.
async fn chat_agent_in_the_widget(c: &Center) -> Widget {
    Widget::ready(&c.server.base_url, CHAT_AGENT.0, CHAT_AGENT.1).await
}

/// The conversation's messages as the agent reads them through the API.
async fn messages(agent: &Api, id: &str) -> Vec<Value> {
    agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone()
}

async fn agent_messages(agent: &Api, id: &str) -> Vec<String> {
    messages(agent, id)
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

/// The id of the agent's message whose body is `<img …>`.
async fn hostile_id(agent: &Api, id: &str) -> Value {
    messages(agent, id)
        .await
        .iter()
        .find(|m| m["body"].as_str().unwrap().starts_with("<img"))
        .unwrap()["message_id"]
        .clone()
}

/// The id of the conversation's latest message.
async fn latest_id(agent: &Api, id: &str) -> Value {
    messages(agent, id).await.last().unwrap()["message_id"].clone()
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

async fn a_customer_chats_from_a_website_through_the_bubble(db: TestDb) {
    let (c, _site, site_origin, agent) = website_center(db, 0).await;
    let page = ChatPage::open(&site_origin).await;
    the_form_asks_for_the_email_and_the_chat_waits(&page).await;
    let (id, mut feed) = the_agent_takes_the_waiting_chat(&c, &agent, &page).await;
    markup_from_the_agent_is_text_and_is_read(&agent, &id, &page, &mut feed).await;
    let shown = the_customer_types_and_writes_lines(&agent, &id, &page, &mut feed).await;
    the_customer_sees_how_far_each_message_came(&agent, &id, &page).await;
    a_reload_resumes_the_chat_once(&page, &shown).await;
    folded_the_bubble_counts_and_delivers(&agent, &id, &page, &mut feed).await;

    // The customer ends the chat: the agent goes on to wrap-up; the page offers the transcript.
    page.end().await;
    let e = agent
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(e["state"], "wrap_up");
    feed.close().await;
    page.close().await;
}

/// The pre-chat form asks for what the entry point requires; then the question is the first
/// message, and the place in the queue shows.
async fn the_form_asks_for_the_email_and_the_chat_waits(page: &ChatPage) {
    page.fill("name", "Alan Turing").await;
    page.fill("question", "Can I upgrade?").await;
    page.submit_form().await;
    let error = page.form_error().await;
    assert!(error.contains("email"), "{error}");
    page.fill("email", "alan@bletchley.test").await;
    page.submit_form().await;
    assert_eq!(page.bodies(1).await, ["Can I upgrade?"]);
    page.wait_status_with("number 1 in line").await;
}

/// The agent takes the chat: the customer sees them join. The chat's id, and the agent's feed.
async fn the_agent_takes_the_waiting_chat(
    c: &Center,
    agent: &Api,
    page: &ChatPage,
) -> (String, Feed) {
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
    let feed = Feed::connect(agent, None).await;
    page.wait_status("Chatting with Chat Agent").await;
    page.wait_line("Chat Agent joined the chat").await;
    (id, feed)
}

/// The agent types, then writes markup: the customer sees the typing line, then the text as
/// text (no element made from it, no script run); the page had it in view, so the agent
/// hears it was read.
async fn markup_from_the_agent_is_text_and_is_read(
    agent: &Api,
    id: &str,
    page: &ChatPage,
    feed: &mut Feed,
) {
    agent
        .post(&format!("/v1/engagements/{id}/typing"), json!({}))
        .await
        .expect(204);
    page.wait_typing("Chat Agent is typing…").await;
    let hostile = "<img src=x onerror=alert(1)>";
    agent
        .post(
            &format!("/v1/engagements/{id}/messages"),
            json!({ "body": hostile }),
        )
        .await
        .expect(201);
    assert_eq!(page.bodies(2).await, ["Can I upgrade?", hostile]);
    assert_eq!(page.count_in_log("img").await, 0);
    assert_eq!(
        page.typing_text().await,
        "",
        "the message ends the typing line"
    );
    let read = feed.wait_for("engagement.message_receipt", WAIT).await;
    assert_eq!(
        read["data"]["receipt"],
        json!({"reader": "consumer", "status": "read", "up_to": hostile_id(agent, id).await})
    );
}

/// The customer types (the agent's socket hears it) and sends with Enter; Shift+Enter is a
/// new line. What the page shows, the agent reads.
async fn the_customer_types_and_writes_lines(
    agent: &Api,
    id: &str,
    page: &ChatPage,
    feed: &mut Feed,
) -> Vec<String> {
    page.type_message("Which plan fits?").await;
    let typing = feed.wait_frame("typing", Duration::from_secs(10)).await;
    assert_eq!(typing["engagement_id"], json!(id));
    page.press_enter().await;
    page.send_two_lines("line one", "line two").await;
    let shown = page.bodies(4).await;
    assert_eq!(
        shown,
        [
            "Can I upgrade?",
            "<img src=x onerror=alert(1)>",
            "Which plan fits?",
            "line one\nline two"
        ]
    );
    assert_eq!(agent_messages(agent, id).await, shown);
    shown
}

/// The customer's messages show how far they came: sent, then read once the agent read the
/// latest.
async fn the_customer_sees_how_far_each_message_came(agent: &Api, id: &str, page: &ChatPage) {
    assert_eq!(page.receipts().await, json!(["✓ Sent", "✓ Sent", "✓ Sent"]));
    agent
        .post(
            &format!("/v1/engagements/{id}/receipts"),
            json!({"message_id": latest_id(agent, id).await, "status": "read"}),
        )
        .await
        .expect(204);
    page.wait_receipts(3, "✓✓ Read").await;
}

/// A reload of the website: the bubble opens again and the chat resumes, each message once,
/// the marks replayed from the log.
async fn a_reload_resumes_the_chat_once(page: &ChatPage, shown: &[String]) {
    page.reload().await;
    assert_eq!(page.bodies(4).await, shown);
    assert_eq!(
        page.receipts().await,
        json!(["✓✓ Read", "✓✓ Read", "✓✓ Read"]),
        "replayed from the log"
    );
    page.wait_status("Chatting with Chat Agent").await;
}

/// Folded, the bubble counts the agent's new message, which is only delivered; opening the
/// chat reads it. (The receipts from before, the agent's and the customer's, are on the feed
/// too: only this message's count.)
async fn folded_the_bubble_counts_and_delivers(
    agent: &Api,
    id: &str,
    page: &ChatPage,
    feed: &mut Feed,
) {
    page.minimize().await;
    agent
        .post(
            &format!("/v1/engagements/{id}/messages"),
            json!({ "body": "The Pro plan." }),
        )
        .await
        .expect(201);
    let pro_plan = latest_id(agent, id).await;
    page.wait_unread(1).await;
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("read") {
        let e = feed.wait_for("engagement.message_receipt", WAIT).await;
        if e["data"]["receipt"]["reader"] != "consumer" || e["data"]["receipt"]["up_to"] != pro_plan
        {
            continue;
        }
        statuses.push(e["data"]["receipt"]["status"].as_str().unwrap().to_string());
        if statuses.last().map(String::as_str) == Some("delivered") {
            page.open_bubble().await;
        }
    }
    assert_eq!(statuses, ["delivered", "read"]);
    assert_eq!(page.bodies(5).await.last().unwrap(), "The Pro plan.");
}

/// On a website whose origin is not allowed, no bubble appears (it would open a frame the
/// browser refuses) and the console says what to configure; the allowed site shows it.
/// (The server's part is its allow-list, not the store: SQLite only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bubble_stays_hidden_where_the_origin_is_not_allowed() {
    let (c, _site, site_origin, _agent) = website_center(TestDb::sqlite(), 0).await;
    let (listener, other_origin) = Website::bind().await;
    let _other = Website::serve(listener, other_origin.clone(), &c.server.base_url);
    let page = ChatPage::website(&other_origin).await;
    let error = page.console_errors().await;
    assert!(
        error.contains("--allowed-origins") && error.contains(&other_origin),
        "{error}"
    );
    let shown = page.bubble_parts().await;
    assert_eq!(
        shown,
        json!(0),
        "no bubble and no frame on a refused origin"
    );
    // SwitchboardChat.open() from the page's own code opens nothing either.
    let opened = page.open_from_page_code().await;
    assert_eq!(opened, json!(0));
    // The allowed site shows the bubble, and logs nothing.
    page.goto(&site_origin).await;
    page.wait_bubble().await;
    assert_eq!(page.console_error_count().await, json!(0));
    page.close().await;

    // Under the strict Content-Security-Policy docs/chat.md gives website owners, the bubble
    // shows, opens, and the chat page inside it works.
    let customer = ChatPage::open(&format!("{site_origin}/strict")).await;
    customer.wait_form().await;
    customer.close().await;
}

/// Nobody is ready to chat: the bubble's form becomes "leave a message", and the message
/// becomes a work item that routes to an agent like any other. Closed today, the page says
/// when it opens.
async fn a_customer_leaves_a_message_when_nobody_can_chat(db: TestDb) {
    let (c, _site, site_origin, _chat_agent) = website_center(db, 1).await;
    let flow_id = web_chat_flow(&c).await;
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

    let page = ChatPage::open(&site_origin).await;
    page.wait_leave_message_form().await;
    page.fill("name", "Grace Hopper").await;
    page.fill("message", "Please call me about <b>COBOL</b>.")
        .await;
    page.submit_form().await;
    let error = page.form_error().await;
    assert!(error.contains("email"), "{error}");
    page.fill("email", "grace@navy.test").await;
    page.submit_form().await;
    let thanks = page.thanks().await;
    assert!(thanks.contains("grace@navy.test"), "{thanks}");

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
    page.close().await;
    closed_today_the_page_says_when_it_opens(&c, &site_origin, &flow_id).await;
}

/// The web chat entry point's flow.
async fn web_chat_flow(c: &Center) -> Value {
    let entries = c.admin.get("/v1/entry-points").await.expect(200);
    entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry_id"] == "web-chat")
        .unwrap()["flow_id"]
        .clone()
}

/// Closed today (open on the other days): the page says when it opens, in the visitor's own
/// time zone, beside the leave-a-message form.
async fn closed_today_the_page_says_when_it_opens(c: &Center, site_origin: &str, flow_id: &Value) {
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
    let page = ChatPage::open(site_origin).await;
    let hours = page.opening_hours().await;
    let zone = hours["zone"].as_str().unwrap();
    assert!(
        hours["title"].as_str().unwrap().contains(zone),
        "the visitor's zone is named: {hours}"
    );
    assert_eq!(hours["items"].as_array().unwrap().len(), spans, "{hours}");
    page.close().await;
}

/// Two browsers: a customer on a website and the agent in the widget. The chat rings in the
/// widget; the panel becomes the conversation with the history; typing, messages and read
/// receipts go both ways, as text; a reload of the widget shows the conversation again, each
/// message once; a second chat counts its unread messages; files go both ways.
async fn an_agent_chats_in_the_widget_with_a_customer_on_a_website(db: TestDb) {
    let (c, _site, site_origin, _agent) = website_center(db, 0).await;

    // The customer starts the chat from the website.
    let customer = ChatPage::open(&site_origin).await;
    customer
        .start_chat("Alan Turing", "alan@bletchley.test", "Hello from the site")
        .await;
    assert_eq!(customer.bodies(1).await, ["Hello from the site"]);

    // The agent signs in to the widget, gets ready, and the chat rings.
    let agent = chat_agent_in_the_widget(&c).await;
    agent.accept_offer().await;
    assert_eq!(agent.bodies(1).await, ["Hello from the site"]);
    customer.wait_line("Chat Agent joined the chat").await;

    typing_messages_and_receipts_go_both_ways(&customer, &agent).await;
    a_second_chat_counts_what_is_unread(&c, &agent).await;
    files_go_both_ways(&c, &customer, &agent).await;
    a_normal_chat_makes_no_refused_request(&c).await;
    agent.close().await;
    customer.close().await;
}

/// The customer types (the agent sees it) and sends; the agent had it in view, so the
/// customer sees it read. The agent answers with markup, sent with Enter: text on both sides,
/// read by the customer. A reload of the widget shows the conversation again, each message
/// once, receipts kept.
async fn typing_messages_and_receipts_go_both_ways(customer: &ChatPage, agent: &Widget) {
    customer.type_message("Can I pay by invoice?").await;
    agent.wait_typing("The customer is typing…").await;
    customer.press_enter().await;
    agent.wait_last_message(2, "Can I pay by invoice?").await;
    customer.wait_receipts(2, "✓✓ Read").await;

    let answer = "Yes <img src=x onerror=alert(1)> by invoice";
    agent.reply(answer).await;
    assert_eq!(
        customer.bodies(3).await,
        ["Hello from the site", "Can I pay by invoice?", answer]
    );
    assert_eq!(customer.count_in_log("img").await, 0);
    assert_eq!(agent.last_read(3).await, json!({"text": answer, "imgs": 0}));

    agent.reload().await;
    assert_eq!(
        agent.bodies_last_read(3).await,
        json!(["Hello from the site", "Can I pay by invoice?", answer])
    );
}

/// A second chat at once (busy rules allow three): while the first is in view again, the
/// second's new message is counted on its tab and in the page's title until the agent opens
/// it.
async fn a_second_chat_counts_what_is_unread(c: &Center, agent: &Widget) {
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
    agent.accept_offer().await;
    agent.wait_tabs(2).await;
    agent.open_tab("Alan").await;
    grace
        .post("/v1/chat/session/messages", json!({"body": "Me too!"}))
        .await
        .expect(201);
    assert_eq!(
        agent.unread().await,
        json!({"count": "1", "title": "(1) Switchboard"})
    );
    agent.read_unread_tab().await;
}

/// Files both ways, through each side's picker: the customer's picture shows in the agent's
/// conversation (fetched with the agent's session), the agent's PDF is a link on the
/// customer's side that downloads with the customer's token. The pickers are icons (no emoji
/// font needed) with an accessible name, and a target of at least 24×24 CSS px, on both
/// sides.
async fn files_go_both_ways(c: &Center, customer: &ChatPage, agent: &Widget) {
    agent.open_tab("Alan").await;
    customer
        .pick_file(ONE_PIXEL_PNG, "photo <1>.png", "image/png")
        .await;
    assert_eq!(
        agent.picture().await,
        json!({"alt": "photo <1>.png", "src": "blob:", "title": "photo <1>.png · 68 bytes"})
    );
    customer.wait_picture().await;
    agent.pick_file(PDF, "terms.pdf", "application/pdf").await;
    customer.download_pdf("terms.pdf · 57 bytes").await;
    let expected =
        json!({"name": "Attach a file (image or PDF)", "text": "", "svg": true, "big": true});
    assert_eq!(customer.picker().await, expected);
    assert_eq!(agent.picker().await, expected);
    let names: Vec<Value> = c
        .admin
        .get(&format!(
            "/v1/engagements/{}/messages",
            chat_of(c, "Alan Turing").await
        ))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.get("attachment").map(|a| a["file_name"].clone()))
        .collect();
    assert_eq!(names, [json!("photo <1>.png"), json!("terms.pdf")]);
}

/// A normal chat made no request either side's code had to be refused: no 4xx on the
/// engagement and chat routes (a receipt sent while the chat still rang was a 403).
async fn a_normal_chat_makes_no_refused_request(c: &Center) {
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
}

/// The demo: a customer chats from the CRM's public website; the agent desk rings, pops the
/// CRM contact with the chat's email and shows the conversation; when the chat closes the
/// CRM's webhook receiver stores the transcript on that contact.
#[tokio::test]
async fn the_demo_website_chat_pops_the_contact_and_keeps_the_transcript() {
    use tests::demo::{system, PASSWORD};
    let sys = system().await;
    let desk = tests::pages::Crm::desk(&sys, "").await;
    desk.widget.choose_ready().await;

    let customer = ChatPage::open(&format!("{}/site", sys.demo.base_url)).await;
    customer
        .start_chat("Margaret", "margaret@apollo.test", "Where is my order?")
        .await;

    // The desk pops the CRM contact with that email as the chat rings.
    let margaret = demo_contact(&sys.demo.base_url, "margaret@apollo.test").await;
    desk.wait_popped(&margaret).await;
    desk.widget.accept_offer().await;
    let shown = desk.widget.bodies(1).await;
    assert_eq!(shown, vec!["Where is my order?".to_string()]);

    // The customer ends the chat; the agent closes the wrap-up in the widget; the CRM keeps the
    // transcript (its webhook receiver got it, signed, and fetched it with its credentials).
    customer.end().await;
    let admin = Api::new(&sys.switchboard.base_url)
        .login("admin@demo.test", PASSWORD)
        .await;
    let id = chat_in_wrap_up(&admin).await;
    desk.widget
        .click("[data-test=panel][data-state=wrap_up]:not([hidden]) [data-test=close]")
        .await;
    let stored = transcript_on_contact(&sys.demo.base_url, &margaret, &id).await;
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

/// The demo CRM's contact with `email`.
async fn demo_contact(crm: &str, email: &str) -> String {
    let contacts: Value = reqwest::get(format!("{crm}/api/contacts"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email)
        .expect("the demo CRM has the contact")["contact_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The chat in wrap-up, once there is one.
async fn chat_in_wrap_up(admin: &Api) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let chats = admin.get("/v1/engagements?state=wrap_up").await.expect(200);
        if let Some(e) = chats
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["channel"] == "chat")
        {
            return e["engagement_id"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the chat never reached wrap-up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The transcript of engagement `id` the CRM stored on `contact`, once it is there.
async fn transcript_on_contact(crm: &str, contact: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let list: Value = reqwest::get(format!("{crm}/api/contacts/{contact}/transcripts"))
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
            return t.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no transcript on the contact: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The agent's side under load and with others: three chats ring and are held at once (the
/// default busy rule) while a fourth waits its turn; the agent transfers one to a colleague
/// from the widget (the colleague gets it with its history, the agent's tab goes); a
/// supervisor barges into another from the supervisor view and writes there, marked as a
/// supervisor in the agent's widget and for the customer.
async fn three_chats_at_once_a_transfer_and_a_supervisor_barging_in(db: TestDb) {
    let (c, _site, _origin, _agent) = website_center(db, 0).await;
    let (colleague_id, colleague) = tests::chat::chat_colleague(&c, "Second Agent").await;
    let customers = four_customers(&c).await;

    // The agent gets ready in the widget: the three oldest ring at once and are accepted.
    let agent = chat_agent_in_the_widget(&c).await;
    agent.wait_offers(3).await;
    for held in 1..=3 {
        agent.accept_offer().await;
        agent.wait_held(held, 3 - held).await;
    }
    let tabs = agent.tab_names().await;
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
    agent.open_tab("Alan").await;
    agent.transfer_to_agent(&colleague_id).await;
    colleague
        .accept_when_offered(&customers[0].0, Duration::from_secs(10))
        .await;
    agent.wait_tabs_without(2, "Alan").await;
    let history = colleague
        .get(&format!("/v1/engagements/{}/messages", customers[0].0))
        .await
        .expect(200);
    assert_eq!(history[0]["body"], "Alan asks", "the history came along");
    let alan = customers[0].1.get("/v1/chat/session").await.expect(200);
    assert_eq!(alan["state"], "connected");

    a_supervisor_barges_into_a_chat(&c, &agent, &customers[1]).await;
    agent.close().await;
}

/// Four customers start chats through the API, each with a question: (chat id, their API).
async fn four_customers(c: &Center) -> Vec<(String, Api)> {
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
    customers
}

/// A supervisor barges into Grace's chat from the supervisor view and writes there: the
/// agent's conversation marks it as a supervisor's, the customer gets it as one, and the
/// supervisor's conversation shows it too (read back, each message once).
async fn a_supervisor_barges_into_a_chat(c: &Center, agent: &Widget, grace: &(String, Api)) {
    let supervisor = Widget::signed_in(
        &c.server.base_url,
        tests::api::ADMIN_EMAIL,
        tests::api::ADMIN_PASSWORD,
    )
    .await;
    let (grace_id, grace_api) = grace;
    supervisor.barge(grace_id).await;
    assert_eq!(supervisor.barged_bodies(1).await, ["Grace asks"]);
    supervisor
        .reply_in_barged("A supervisor here: you are in good hands.")
        .await;
    agent.open_tab("Grace").await;
    assert_eq!(
        agent.supervisor_message().await,
        json!({"who": "Administrator (supervisor)", "text": "A supervisor here: you are in good hands."})
    );
    let session = grace_api.get("/v1/chat/session").await.expect(200);
    let last = session["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"]["kind"], "supervisor", "{session}");
    supervisor.wait_barged_messages(2).await;
    supervisor.close().await;
}

/// Canned responses in the widget's chat: `/thanks` and Enter puts the team's reply in the
/// box filled for this customer and agent, the order number it has no value for left visible
/// and selected with a line saying so; sending it anyway is refused (the customer gets
/// nothing raw); once the CRM sets the order number, picking the reply from **Replies** fills
/// it too, and the customer receives it.
#[tokio::test]
async fn an_agent_inserts_a_canned_response_with_its_variables_filled() {
    let (c, _site, _origin, _agent) = website_center(TestDb::sqlite(), 0).await;
    c.admin
        .post(
            "/v1/canned-responses",
            json!({"title": "Thanks", "shortcut": "thanks",
                   "body": "Thank you {{consumer.name}}, this is {{agent.display_name}}. Order {{variables.order_id}} ships today."}),
        )
        .await
        .expect(201);
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Alan Turing", "email": "alan@bletchley.test", "question": "Where is my order?"}),
        )
        .await
        .expect(201);
    let id = session["engagement_id"].as_str().unwrap().to_string();
    let customer = c
        .anon()
        .with_token(session["session_token"].as_str().unwrap());
    let agent = chat_agent_in_the_widget(&c).await;
    agent.accept_offer().await;
    agent.bodies(1).await;

    agent.reply("/thanks").await;
    let filled = agent.reply_box("r.value.startsWith('Thank you')").await;
    assert_eq!(
        filled["value"],
        "Thank you Alan Turing, this is Chat Agent. Order {{variables.order_id}} ships today."
    );
    assert_eq!(
        filled["selected"], "{{variables.order_id}}",
        "the gap is selected"
    );
    assert!(
        filled["hint"]
            .as_str()
            .unwrap()
            .contains("Fill in {{variables.order_id}}"),
        "{filled}"
    );

    // Sent anyway: refused, kept in the box, never shown to the customer.
    agent.press_enter_in_reply().await;
    let refused = agent.reply_box("r.error !== ''").await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("{{variables.order_id}}"),
        "{refused}"
    );
    let seen = customer.get("/v1/chat/session").await.expect(200);
    assert!(!seen["messages"].to_string().contains("{{"), "{seen}");

    // The CRM sets the order number; the picker fills it.
    c.integrator
        .patch(
            &format!("/v1/engagements/{id}/variables"),
            json!({"variables": {"order_id": "A-17"}}),
        )
        .await
        .expect(200);
    agent.pick_canned("thanks").await;
    let whole = agent
        .reply_box("r.value.includes('A-17') && r.hint === ''")
        .await;
    assert_eq!(
        whole["value"],
        "Thank you Alan Turing, this is Chat Agent. Order A-17 ships today."
    );
    agent.press_enter_in_reply().await;
    agent
        .wait_last_message(
            2,
            "Thank you Alan Turing, this is Chat Agent. Order A-17 ships today.",
        )
        .await;
    let seen = customer.get("/v1/chat/session").await.expect(200);
    let bodies: Vec<&str> = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Where is my order?",
            "Thank you Alan Turing, this is Chat Agent. Order A-17 ships today."
        ]
    );
    agent.close().await;
}

/// The survey after a chat reaches the report and the webhook: the customer ends a chat the
/// agent answered; the page asks the entry point's question; answered with the keyboard alone
/// (refused without a rating, with the focus brought back to the scale), it thanks them, and
/// the answer arrives signed at the CRM's webhook, on the engagement's report row and in the
/// queue's satisfaction. A reload shows the thank-you, not the survey again.
async fn the_survey_after_a_chat_reaches_the_report_and_the_webhook(db: TestDb) {
    const SECRET: &str = "whsec_dGhlLXN1cnZleS1yZWFjaGVzLXRoZS13ZWJob29r";
    let (c, _site, site_origin, agent) = website_center(db, 0).await;
    set_survey(
        &c,
        "web-chat",
        json!({"scale": "five_point", "question": "How did we do today?"}),
    )
    .await;
    let receiver = Receiver::start(Some(SECRET)).await;
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "secret": SECRET,
                   "events": ["contact_center.engagement_survey_completed"]}),
        )
        .await
        .expect(201);
    agent.set_ready().await;
    let page = ChatPage::open(&site_origin).await;
    page.start_chat("Alan Turing", "alan@bletchley.test", "Can I upgrade?")
        .await;
    assert_eq!(page.bodies(1).await, ["Can I upgrade?"]);
    let id = chat_of(&c, "Alan Turing").await;
    agent.accept_when_offered(&id, WAIT).await;
    page.wait_line("joined").await;
    page.end().await;

    let survey = page.survey().await;
    assert_eq!(survey["legend"], "How did we do today?", "{survey:#}");
    let names: Vec<&str> = survey["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Very dissatisfied",
            "Dissatisfied",
            "Neutral",
            "Satisfied",
            "Very satisfied"
        ]
    );
    assert!(survey["choices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["checked"] == false && c["in_group"] == true));
    assert_eq!(survey["comment"], true);
    assert_eq!(survey["status_role"], "status");

    // Sent without a rating: said, and the focus goes back to the scale.
    page.send_survey_with_enter().await;
    let refused = page
        .eval(
            "the missing rating said",
            "const s = document.querySelector('[data-test=survey-status]'); return s && s.textContent ? [s.textContent, document.activeElement.type] : null;",
        )
        .await;
    assert_eq!(refused, json!(["Choose a rating first.", "radio"]));

    page.rate_with_keys(4).await;
    let rated = page.survey().await;
    assert_eq!(rated["status"], "", "a choice clears the reminder");
    let checked: Vec<&str> = rated["choices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["checked"] == true)
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(checked, ["4"], "{rated:#}");
    assert_eq!(rated["focused"], "4", "the focus follows the arrow keys");
    page.comment_and_send_with_keys("Quick and kind").await;
    assert_eq!(
        page.survey_thanks().await,
        "Thank you for your feedback.|status"
    );

    let hook = receiver
        .wait_for("contact_center.engagement_survey_completed", WAIT)
        .await;
    assert!(hook.standard_ok, "signed as Standard Webhooks");
    let answer = &hook.json["payload"]["object"]["survey"];
    assert_eq!(answer["engagement_id"], json!(id));
    assert_eq!(answer["rating"], 4);
    assert_eq!(answer["comment"], "Quick and kind");
    assert_eq!(answer["question"], "How did we do today?");

    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);
    let row = c.admin.report_row(&id).await;
    assert_eq!(row["satisfaction"], 4, "{row:#}");
    let total = c.admin.queue_report_total(&chat_queue_id(&c).await).await;
    assert_eq!(total["satisfaction_responses"], 1, "{total:#}");
    assert_eq!(total["satisfaction_average"], 4.0);

    page.reload().await;
    assert_eq!(
        page.survey_thanks().await,
        "Thank you for your feedback.|status"
    );
    assert_eq!(receiver.deliveries().len(), 1);
    page.close().await;
}

tests::both_stores!(
    the_survey_after_a_chat_reaches_the_report_and_the_webhook,
    a_customer_chats_from_a_website_through_the_bubble,
    a_customer_leaves_a_message_when_nobody_can_chat,
    an_agent_chats_in_the_widget_with_a_customer_on_a_website,
    three_chats_at_once_a_transfer_and_a_supervisor_barging_in
);
