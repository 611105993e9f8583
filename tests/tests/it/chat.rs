//! Chat on the server, on both stores: a website's customer starts a chat through an entry
//! point that takes chats and writes with their session token; the agent (or a barging
//! supervisor) writes back. Every message is stored, listed in order, and delivered over the
//! agent's socket as an `engagement.message_added` event that a reconnect resumes by `seq`.
//! Limits and refusals name what is wrong.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{Api, Center, Feed};
use tests::both_stores;
use tests::chat::chat_center;
use tests::db::TestDb;

/// [`chat_center`], and a chat an integrator started that the agent accepted.
async fn chat_setup(c: &Center) -> (Api, String) {
    let agent = chat_center(c).await;
    let id = c
        .integrator
        .post(
            "/v1/engagements",
            json!({"channels": [{"channel": "chat", "channel_source": "website"}],
                   "flow": {"flow_entry_id": "web-chat"},
                   "consumers": [{"consumer_display_name": "Alan Turing"}]}),
        )
        .await
        .expect(201)["engagement_id"]
        .as_str()
        .unwrap()
        .to_string();
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    (agent, id)
}

async fn send(api: &Api, id: &str, body: &str) -> tests::api::Reply {
    api.post(
        &format!("/v1/engagements/{id}/messages"),
        json!({ "body": body }),
    )
    .await
}

async fn agents_write_in_a_chat_and_it_reaches_their_feed_in_order(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let (agent, id) = chat_setup(&c).await;
    let mut feed = Feed::connect(&agent, None).await;
    let before = c.admin.latest_seq().await;

    // Text as text: markup is kept as written, never interpreted.
    let hostile = "Hello <img src=x onerror=alert(1)> & welcome";
    // The answer is the message, with the id receipts and the customer's socket name.
    let written = send(&agent, &id, hostile).await.expect(201);
    assert_eq!(written["engagement_id"], json!(id));
    assert_eq!(written["body"], hostile);
    assert_eq!(written["author"]["kind"], "agent");
    assert!(written["message_id"].is_string(), "{written}");
    assert!(
        written.get("state").is_none(),
        "not the engagement: {written}"
    );
    agent
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    let event = feed
        .wait_for("engagement.message_added", Duration::from_secs(5))
        .await;
    let m = &event["data"]["message"];
    assert_eq!(m["body"], hostile);
    assert_eq!(m["engagement_id"], json!(id));
    assert_eq!(m["author"]["kind"], "agent");
    assert_eq!(m["author"]["display_name"], "Chat Agent");
    assert_eq!(event["data"]["engagement"]["engagement_id"], json!(id));

    // A supervisor who barges in writes as a supervisor.
    send(&c.admin, &id, "A supervisor here.").await.expect(201);
    let longest = "x".repeat(4000);
    send(&agent, &id, &longest).await.expect(201);

    let list = agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200);
    let list = list.as_array().unwrap();
    let bodies: Vec<&str> = list.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, [hostile, "A supervisor here.", longest.as_str()]);
    assert_eq!(list[1]["author"]["kind"], "supervisor");
    assert_eq!(list[1]["author"]["display_name"], "Administrator");
    assert_eq!(list[0]["message_id"], m["message_id"]);
    assert_eq!(list[0]["message_id"], written["message_id"]);

    // A reconnect from before the first message gets each message once, in order.
    feed.close().await;
    let mut again = Feed::connect(&agent, Some(before)).await;
    again.drain(Duration::from_millis(800)).await;
    let resumed: Vec<Value> = again
        .events
        .iter()
        .filter(|e| e["event"] == "engagement.message_added")
        .map(|e| e["data"]["message"]["body"].clone())
        .collect();
    assert_eq!(
        resumed,
        [json!(hostile), json!("A supervisor here."), json!(longest)]
    );
    let seqs: Vec<i64> = again
        .events
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    again.close().await;
}

async fn what_is_refused_says_why(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let (agent, id) = chat_setup(&c).await;
    send(&agent, &id, &"x".repeat(4001))
        .await
        .error(422, "invalid_field", Some("body"));
    send(&agent, &id, " \n\t ")
        .await
        .error(422, "invalid_field", Some("body"));
    // Another agent's chat.
    let other = c.agent(0).await;
    let refused = send(&other, &id, "hi").await;
    assert!(
        refused.status == 403 || refused.status == 404,
        "{}",
        refused.body
    );
    // Not a chat: a work item has no conversation.
    other.set_ready().await;
    let item = c.start_work_item("T-1", "Refund").await;
    other
        .accept_when_offered(&item, Duration::from_secs(10))
        .await;
    let conflict = send(&other, &item, "hi").await.error(409, "conflict", None);
    assert!(
        conflict["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chat and SMS"),
        "{conflict}"
    );
    // After the conversation ended, nothing more is written.
    agent
        .post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    let late = send(&agent, &id, "still there?").await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .is_empty());
}

async fn a_customer_starts_a_chat_and_talks_with_the_agent(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let agent = chat_center(&c).await;
    let mut feed = Feed::connect(&agent, None).await;
    let anon = c.anon();
    the_pre_chat_form_is_validated(&c, &anon).await;

    let session = anon
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Alan Turing", "email": "alan@bletchley.test",
                   "question": "Can I upgrade <b>now</b>?"}),
        )
        .await
        .expect(201);
    let id = session["engagement_id"].as_str().unwrap().to_string();
    let token = session["session_token"].as_str().unwrap();
    assert_eq!(session["expires_in"], 12 * 3600);
    let customer = anon.with_token(token);

    // It rings the chat agent like any engagement, with the customer's answers.
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    let e = agent
        .get(&format!("/v1/engagements/{id}"))
        .await
        .expect(200);
    assert_eq!(e["channel"], "chat");
    assert_eq!(e["consumer"]["display_name"], "Alan Turing");
    assert_eq!(e["consumer"]["email"], "alan@bletchley.test");

    messages_flow_both_ways(&agent, &customer, &mut feed, &id).await;

    the_session_token_opens_this_chat_only(&agent, &customer, &id).await;

    a_flood_of_messages_is_refused(&anon).await;
}

/// The pre-chat form, as the entry point wants it; an entry point without web chat takes
/// none.
async fn the_pre_chat_form_is_validated(c: &Center, anon: &Api) {
    anon.post("/v1/chat/web-chat/sessions", json!({"name": "Alan"}))
        .await
        .error(422, "invalid_field", Some("email"));
    anon.post(
        "/v1/chat/web-chat/sessions",
        json!({"name": " ", "email": "alan@bletchley.test"}),
    )
    .await
    .error(422, "invalid_field", Some("name"));
    // An entry point without web chat takes none.
    anon.post(
        &format!("/v1/chat/{}/sessions", c.entry_id),
        json!({"name": "Alan", "email": "alan@bletchley.test"}),
    )
    .await
    .error(404, "not_found", None);
}

/// The question is the first message: written while the chat queued, the agent reads it in
/// the history when they join (as one does after a transfer); from then on each message
/// reaches the agent's socket as it is written, and the customer's view has them all.
async fn messages_flow_both_ways(agent: &Api, customer: &Api, feed: &mut Feed, id: &str) {
    let history = agent
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200);
    assert_eq!(history[0]["body"], "Can I upgrade <b>now</b>?");
    assert_eq!(history[0]["author"]["kind"], "consumer");
    assert_eq!(history[0]["author"]["display_name"], "Alan Turing");
    // From then on each message reaches the agent's socket as it is written.
    send(agent, id, "Yes: which plan?").await.expect(201);
    let mine = customer
        .post("/v1/chat/session/messages", json!({"body": "Enterprise."}))
        .await
        .expect(201);
    assert_eq!(mine["author"]["kind"], "consumer");
    let mut live = Vec::new();
    while live.len() < 2 {
        let e = feed
            .wait_for("engagement.message_added", Duration::from_secs(5))
            .await;
        live.push(e["data"]["message"]["body"].clone());
    }
    assert_eq!(live, [json!("Yes: which plan?"), json!("Enterprise.")]);
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert_eq!(view["engagement_id"], json!(id));
    assert_eq!(view["state"], "connected");
    let said: Vec<(&str, &str)> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["author"]["kind"].as_str().unwrap(),
                m["body"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("consumer", "Can I upgrade <b>now</b>?"),
            ("agent", "Yes: which plan?"),
            ("consumer", "Enterprise.")
        ]
    );
}

/// The session token is the customer's, for this chat only: nothing else takes it, and
/// agents' tokens do not open the customer's side; once the chat ends, the customer can
/// still read it but not write.
async fn the_session_token_opens_this_chat_only(agent: &Api, customer: &Api, id: &str) {
    customer
        .get("/v1/engagements")
        .await
        .error(401, "unauthorized", None);
    agent
        .get("/v1/chat/session")
        .await
        .error(401, "unauthorized", None);
    customer
        .post(
            "/v1/chat/session/messages",
            json!({"body": "x".repeat(4001)}),
        )
        .await
        .error(422, "invalid_field", Some("body"));
    // Once the chat ends, the customer can still read it but not write.
    agent
        .post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    customer
        .post("/v1/chat/session/messages", json!({"body": "Hello?"}))
        .await
        .error(409, "conflict", None);
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert_eq!(view["state"], "wrap_up");
    assert_eq!(view["messages"].as_array().unwrap().len(), 3);
}

/// A flood is refused, saying when to try again (10 messages in 10 seconds), in another
/// customer's chat, still waiting in the queue (customers write from the start).
async fn a_flood_of_messages_is_refused(anon: &Api) {
    let other = anon
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Grace", "email": "grace@navy.test"}),
        )
        .await
        .expect(201);
    let other = anon.with_token(other["session_token"].as_str().unwrap());
    for i in 0..10 {
        other
            .post(
                "/v1/chat/session/messages",
                json!({"body": format!("hello {i}")}),
            )
            .await
            .expect(201);
    }
    let flood = other
        .post("/v1/chat/session/messages", json!({"body": "one too many"}))
        .await;
    assert_eq!(flood.status, 429, "{}", flood.body);
    assert!(
        flood.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many messages"),
        "{}",
        flood.body
    );
}

/// A customer's chat socket: its frames, read until `until` holds for the last one.
async fn customer_frames(
    base: &str,
    token: &str,
    after: i64,
    until: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let url = format!(
        "{}/v1/chat/session/socket?access_token={token}&after={after}",
        base.replacen("http://", "ws://", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the chat socket");
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                let frame: Value = serde_json::from_str(&t).unwrap();
                let done = until(&frame);
                frames.push(frame);
                if done {
                    return frames;
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("chat socket: {other:?}; had {frames:?}"),
        }
    }
}

/// The customer's socket replays the chat from `after=0`, resumes from a `seq`, goes on live,
/// and carries nothing of the engagement's internals.
async fn the_customer_socket_follows_the_chat(db: TestDb) {
    let c = Center::with_agents(db, 0).await;
    let agent = chat_center(&c).await;
    let base = c.server.base_url.clone();
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Alan", "email": "alan@bletchley.test", "question": "Hello?"}),
        )
        .await
        .expect(201);
    let id = session["engagement_id"].as_str().unwrap().to_string();
    let token = session["session_token"].as_str().unwrap().to_string();
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    send(&agent, &id, "Hi Alan, Chat Agent here.")
        .await
        .expect(201);

    let frames = customer_frames(&base, &token, 0, |f| {
        f["type"] == "message" && f["message"]["author"]["kind"] == "agent"
    })
    .await;
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["hello", "message", "agent_joined", "message"],
        "{frames:?}"
    );
    assert_eq!(frames[0]["engagement_id"], json!(id));
    assert_eq!(frames[0]["state"], "connected");
    assert_eq!(frames[1]["message"]["body"], "Hello?");
    assert_eq!(frames[2]["name"], "Chat Agent");
    assert_eq!(frames[3]["message"]["body"], "Hi Alan, Chat Agent here.");
    nothing_internal_reaches_the_customer(&c, &token, &frames).await;

    // Resumed after the agent joined: only what came later, then live.
    let joined = frames[2]["seq"].as_i64().unwrap();
    let agent2 = agent.clone();
    let id2 = id.clone();
    let later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(&agent2, &id2, "Anything else?").await.expect(201);
        agent2
            .post(&format!("/v1/engagements/{id2}/end"), json!({}))
            .await
            .expect(200);
    });
    let frames = customer_frames(&base, &token, joined, |f| f["type"] == "ended").await;
    later.await.unwrap();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["hello", "message", "message", "ended"],
        "{frames:?}"
    );
    assert_eq!(frames[1]["message"]["body"], "Hi Alan, Chat Agent here.");
    assert_eq!(frames[2]["message"]["body"], "Anything else?");
    let seqs: Vec<i64> = frames[1..]
        .iter()
        .map(|f| f["seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]) && seqs[0] > joined,
        "{seqs:?}"
    );

    only_a_session_token_opens_the_socket(&base, &agent).await;
}

/// Nothing internal reaches the customer (`frames` from their socket, or their session
/// view), and the agent's name does.
async fn nothing_internal_reaches_the_customer(c: &Center, token: &str, frames: &[Value]) {
    let text = serde_json::to_string(frames).unwrap();
    let view = serde_json::to_string(
        &c.anon()
            .with_token(token)
            .get("/v1/chat/session")
            .await
            .expect(200),
    )
    .unwrap();
    for internal in [
        "variables",
        "queue_id",
        "agent_ids",
        "agent_id",
        "chat@switchboard.test",
    ] {
        assert!(
            !text.contains(internal),
            "{internal} reached the customer's socket: {text}"
        );
        assert!(
            !view.contains(internal),
            "{internal} reached the customer's session: {view}"
        );
    }
    assert!(
        view.contains("Chat Agent"),
        "the agent's name is shown: {view}"
    );
}

/// Only a chat session token opens the customer's socket.
async fn only_a_session_token_opens_the_socket(base: &str, agent: &Api) {
    let ws = base.replacen("http://", "ws://", 1);
    let agent_token = agent.token.clone().unwrap();
    for bad in ["nope", agent_token.as_str()] {
        match tokio_tungstenite::connect_async(format!(
            "{ws}/v1/chat/session/socket?access_token={bad}"
        ))
        .await
        {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), 401)
            }
            other => panic!("the socket opened for {bad:?}: {:?}", other.map(|_| ())),
        }
    }
}

/// How many web chats were abandoned in the last 24 hours (the queue's statistics).
async fn abandoned_today(c: &Center) -> Value {
    let stats = c.admin.get("/v1/stats/queues").await.expect(200);
    stats
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "Web chat")
        .unwrap()["abandoned_24h"]
        .clone()
}

/// Start a web chat as a customer; (engagement id, the customer's API).
async fn customer_chat(c: &Center, name: &str) -> (String, Api) {
    let session = c
        .anon()
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": name, "email": "someone@example.test"}),
        )
        .await
        .expect(201);
    let id = session["engagement_id"].as_str().unwrap().to_string();
    let customer = c
        .anon()
        .with_token(session["session_token"].as_str().unwrap());
    (id, customer)
}

/// While nobody is ready the customers wait in order, see their place and, once the queue
/// has a pace, an estimate; a customer who leaves before an answer is abandoned (and counts
/// against the service level); typing goes both ways once an agent has the chat and is never
/// stored; the customer ending a live chat puts the agent in wrap-up.
async fn customers_wait_in_order_type_and_leave(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let agent = chat_center(&c).await;
    agent.set_not_ready("break").await;
    let (first, alan) = customer_chat(&c, "Alan").await;
    let (_second, grace) = customer_chat(&c, "Grace").await;
    let (third, ada) = customer_chat(&c, "Ada").await;
    let place = |v: &Value| v["queue"].clone();
    let a = alan.get("/v1/chat/session").await.expect(200);
    assert_eq!(a["state"], "queued");
    assert_eq!(
        place(&a),
        json!({"position": 1}),
        "no pace yet: no estimate"
    );
    assert_eq!(
        place(&grace.get("/v1/chat/session").await.expect(200))["position"],
        2
    );
    assert_eq!(
        place(&ada.get("/v1/chat/session").await.expect(200))["position"],
        3
    );

    one_who_gives_up_is_abandoned_and_the_next_moves_up(&c, &grace, &ada).await;

    // Typing while waiting tells nobody (and is fine).
    alan.post("/v1/chat/session/typing", json!({}))
        .await
        .expect(204);

    // The agent answers Alan (one chat at a time here, so Ada keeps waiting): now the queue
    // has a pace (1 answer in 30 min), and Ada, next, is told about 30 minutes.
    let mut rules = c.admin.get("/v1/busy-agent-rules").await.expect(200);
    rules["limits"]["chat"] = json!(1);
    c.admin.put("/v1/busy-agent-rules", rules).await.expect(200);
    agent.set_ready().await;
    agent
        .accept_when_offered(&first, Duration::from_secs(10))
        .await;
    agent.set_not_ready("break").await;
    let a = alan.get("/v1/chat/session").await.expect(200);
    assert_eq!(a["state"], "connected");
    assert!(a.get("queue").is_none(), "{a}");
    let d = ada.get("/v1/chat/session").await.expect(200);
    assert_eq!(
        place(&d),
        json!({"position": 1, "estimated_wait_secs": 1800}),
        "{d}"
    );

    typing_goes_both_ways_live_and_unstored(&c, &agent, &alan, &first, &third).await;

    // Alan ends the chat: the agent goes on to wrap-up; he can no longer write or type.
    alan.post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    let e = agent
        .get(&format!("/v1/engagements/{first}"))
        .await
        .expect(200);
    assert_eq!(e["state"], "wrap_up");
    alan.post("/v1/chat/session/typing", json!({}))
        .await
        .error(409, "conflict", None);
    alan.post("/v1/chat/session/messages", json!({"body": "hello?"}))
        .await
        .error(409, "conflict", None);
}

/// Grace gives up: abandoned (once), and Ada moves up.
async fn one_who_gives_up_is_abandoned_and_the_next_moves_up(c: &Center, grace: &Api, ada: &Api) {
    let place = |v: &Value| v["queue"].clone();
    // Grace gives up: abandoned, and Ada moves up.
    grace
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    assert_eq!(
        grace.get("/v1/chat/session").await.expect(200)["state"],
        "closed"
    );
    grace
        .post("/v1/chat/session/end", json!({}))
        .await
        .error(409, "conflict", None);
    assert_eq!(
        place(&ada.get("/v1/chat/session").await.expect(200))["position"],
        2
    );
    assert_eq!(abandoned_today(c).await, 1);
}

/// Typing, both ways, live and not stored; only the chat's agent (or a supervisor) types in
/// it, and only in a live chat.
async fn typing_goes_both_ways_live_and_unstored(
    c: &Center,
    agent: &Api,
    alan: &Api,
    first: &str,
    third: &str,
) {
    let mut feed = Feed::connect(agent, None).await;
    let base = c.server.base_url.clone();
    let token = alan.token.clone().unwrap();
    let agent2 = agent.clone();
    let first2 = first.to_string();
    let typer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        agent2
            .post(&format!("/v1/engagements/{first2}/typing"), json!({}))
            .await
            .expect(204);
    });
    let before = c.admin.latest_seq().await;
    let frames = customer_frames(&base, &token, before, |f| f["type"] == "typing").await;
    typer.await.unwrap();
    assert_eq!(frames.last().unwrap(), &json!({"type": "typing"}));
    alan.post("/v1/chat/session/typing", json!({}))
        .await
        .expect(204);
    let typing = feed.wait_frame("typing", Duration::from_secs(5)).await;
    assert_eq!(typing["engagement_id"], json!(first));
    assert_eq!(
        c.admin.latest_seq().await,
        before,
        "typing is not in the log"
    );
    // Only the chat's agent (or a supervisor) types in it, and only in a live chat.
    let other = c.agent(0).await;
    other
        .post(&format!("/v1/engagements/{first}/typing"), json!({}))
        .await
        .error(403, "forbidden", None);
    agent
        .post(&format!("/v1/engagements/{third}/typing"), json!({}))
        .await
        .error(403, "forbidden", None);
    c.admin
        .post(&format!("/v1/engagements/{third}/typing"), json!({}))
        .await
        .error(409, "conflict", None);
    feed.close().await;
}

/// Delivered and read receipts: each side marks the other side's messages up to one; receipts
/// only move forward (a repeat or a step back is accepted and says nothing), reading implies
/// delivery, and each move reaches the other side's socket.
async fn receipts_move_forward_and_reach_the_other_side(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let agent = chat_center(&c).await;
    let (id, customer) = customer_chat(&c, "Alan").await;
    let mine = customer
        .post("/v1/chat/session/messages", json!({"body": "Hello?"}))
        .await
        .expect(201)["message_id"]
        .clone();
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    let mut feed = Feed::connect(&agent, None).await;
    let mut theirs = Vec::new();
    for body in ["Hi Alan.", "How can I help?"] {
        send(&agent, &id, body).await.expect(201);
        let list = customer.get("/v1/chat/session").await.expect(200);
        theirs.push(list["messages"].as_array().unwrap().last().unwrap()["message_id"].clone());
    }

    customer
        .post(
            "/v1/chat/session/receipts",
            receipt(&theirs[1], "delivered"),
        )
        .await
        .expect(204);
    let e = feed
        .wait_for("engagement.message_receipt", Duration::from_secs(5))
        .await;
    assert_eq!(
        e["data"]["receipt"],
        json!({"reader": "consumer", "status": "delivered", "up_to": theirs[1]})
    );
    customer
        .post("/v1/chat/session/receipts", receipt(&theirs[0], "read"))
        .await
        .expect(204);
    let e = feed
        .wait_for("engagement.message_receipt", Duration::from_secs(5))
        .await;
    assert_eq!(
        e["data"]["receipt"],
        json!({"reader": "consumer", "status": "read", "up_to": theirs[0]})
    );
    receipts_only_move_forward_on_the_other_sides_messages(&c, &customer, &mine, &theirs).await;

    the_agents_receipt_reaches_the_customer(&c, &agent, &customer, &id, &mine).await;
    // Where each side stands, for a conversation reopened later.
    let mut now: Vec<Value> = agent
        .get(&format!("/v1/engagements/{id}/receipts"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone();
    now.sort_by_key(|r| r.to_string());
    let mut expected = vec![
        json!({"reader": "agent", "status": "delivered", "up_to": mine}),
        json!({"reader": "agent", "status": "read", "up_to": mine}),
        json!({"reader": "consumer", "status": "delivered", "up_to": theirs[1]}),
        json!({"reader": "consumer", "status": "read", "up_to": theirs[0]}),
    ];
    expected.sort_by_key(|r| r.to_string());
    assert_eq!(now, expected);
    feed.close().await;
}

/// A repeat or a step back changes nothing and says nothing; only the other side's messages
/// of this chat take receipts, with a known status.
async fn receipts_only_move_forward_on_the_other_sides_messages(
    c: &Center,
    customer: &Api,
    mine: &Value,
    theirs: &[Value],
) {
    let head = c.admin.latest_seq().await;
    customer
        .post("/v1/chat/session/receipts", receipt(&theirs[0], "read"))
        .await
        .expect(204);
    customer
        .post(
            "/v1/chat/session/receipts",
            receipt(&theirs[0], "delivered"),
        )
        .await
        .expect(204);
    assert_eq!(c.admin.latest_seq().await, head);
    // Only the other side's messages of this chat.
    customer
        .post("/v1/chat/session/receipts", receipt(mine, "read"))
        .await
        .error(422, "invalid_field", Some("message_id"));
    customer
        .post(
            "/v1/chat/session/receipts",
            receipt(&json!("00000000-0000-7000-8000-000000000001"), "read"),
        )
        .await
        .error(422, "invalid_field", Some("message_id"));
    customer
        .post(
            "/v1/chat/session/receipts",
            json!({"message_id": theirs[0], "status": "seen"}),
        )
        .await
        .error(422, "invalid_field", None);
}

/// The agent reads the customer's message: the customer's socket shows it; only the chat's
/// own agent gives the agent's receipts.
async fn the_agents_receipt_reaches_the_customer(
    c: &Center,
    agent: &Api,
    customer: &Api,
    id: &str,
    mine: &Value,
) {
    let before = c.admin.latest_seq().await;
    agent
        .post(
            &format!("/v1/engagements/{id}/receipts"),
            receipt(mine, "read"),
        )
        .await
        .expect(204);
    let token = customer.token.clone().unwrap();
    let frames = customer_frames(&c.server.base_url, &token, before, |f| {
        f["type"] == "receipt"
    })
    .await;
    let last = frames.last().unwrap();
    assert_eq!(
        (&last["status"], &last["up_to"]),
        (&json!("read"), mine),
        "{frames:?}"
    );
    // Only the chat's own agent gives the agent's receipts.
    c.agent(0)
        .await
        .post(
            &format!("/v1/engagements/{id}/receipts"),
            receipt(mine, "read"),
        )
        .await
        .error(403, "forbidden", None);
}

/// A receipt body: `status` up to message `m`.
fn receipt(m: &Value, status: &str) -> Value {
    json!({"message_id": m, "status": status})
}

/// The pre-chat form says whether a chat can be answered now: closed (opening hours, in a
/// time zone) refuses chats, nobody ready only says so; either way a chat that takes messages
/// offers "leave a message", which becomes a work item through the entry point it names.
async fn closed_or_unstaffed_chats_take_messages_as_work_items(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let agent = chat_center(&c).await;
    let anon = c.anon();
    let entry = anon.get("/v1/chat/web-chat").await.expect(200);
    assert_eq!(
        entry,
        json!({"entry_id": "web-chat", "require_email": true, "require_question": false,
               "available": true, "leave_message": false, "calls": false})
    );
    let message =
        json!({"name": "Alan", "email": "alan@bletchley.test", "message": "Call me back?"});
    anon.post("/v1/chat/web-chat/left-messages", message.clone())
        .await
        .error(404, "not_found", None);

    chat_settings_name_their_field(&c).await;

    nobody_ready_takes_a_left_message(&c, &agent, &anon, message).await;

    closed_hours_refuse_chats_and_open_hours_take_them(&c, &agent, &anon).await;
    // The entry point that takes the messages cannot go while the chat names it.
    c.admin
        .delete(&format!("/v1/entry-points/{}", c.entry_id))
        .await
        .error(409, "conflict", None);
}

/// The chat settings are checked, each error naming its field; then saved with a
/// leave-a-message entry point.
async fn chat_settings_name_their_field(c: &Center) {
    let put = |chat: Value| put_web_chat_settings(c, chat);
    let all_week = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    put(json!({"hours": {"time_zone": "Mars/Olympus", "weekly": []}}))
        .await
        .error(422, "invalid_field", Some("chat.hours.time_zone"));
    put(json!({"hours": {"time_zone": "Europe/Berlin", "weekly": [{"days": all_week, "open": "17:00", "close": "09:00"}]}}))
        .await
        .error(422, "invalid_field", Some("chat.hours.weekly[0].close"));
    put(json!({"leave_message_entry_id": "web-chat"}))
        .await
        .error(422, "invalid_field", Some("chat.leave_message_entry_id"));
    put(json!({"leave_message_entry_id": "nowhere"}))
        .await
        .error(404, "not_found", Some("chat.leave_message_entry_id"));
    put(json!({"require_email": true, "leave_message_entry_id": c.entry_id}))
        .await
        .expect(200);
}

/// Nobody ready: said, and a message can be left (checked, each error naming its field): a
/// work item through the named entry point.
async fn nobody_ready_takes_a_left_message(c: &Center, agent: &Api, anon: &Api, message: Value) {
    agent.set_not_ready("lunch").await;
    let entry = anon.get("/v1/chat/web-chat").await.expect(200);
    assert_eq!(
        (
            &entry["available"],
            &entry["unavailable"],
            &entry["leave_message"]
        ),
        (&json!(false), &json!("nobody_ready"), &json!(true))
    );
    anon.post(
        "/v1/chat/web-chat/left-messages",
        json!({"name": "Alan", "email": "alan@bletchley.test"}),
    )
    .await
    .error(422, "invalid_field", Some("message"));
    anon.post(
        "/v1/chat/web-chat/left-messages",
        json!({"name": "Alan", "email": "nope", "message": "x"}),
    )
    .await
    .error(422, "invalid_field", Some("email"));
    let left = anon
        .post("/v1/chat/web-chat/left-messages", message)
        .await
        .expect(201);
    let item = c
        .admin
        .get(&format!(
            "/v1/engagements/{}",
            left["engagement_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(item["channel"], "work_item");
    assert_eq!(item["work_item"]["name"], "Message from Alan", "{item}");
    assert_eq!(item["work_item"]["description"], "Call me back?", "{item}");
    assert_eq!(item["consumer"]["email"], "alan@bletchley.test");
    assert_eq!(
        item["flow_entry_id"],
        json!(c.entry_id),
        "routed through the named entry point"
    );
}

/// Closed (open every day but today, in UTC): said, with the week's hours, and starting a
/// chat is refused; open today, chats again.
async fn closed_hours_refuse_chats_and_open_hours_take_them(c: &Center, agent: &Api, anon: &Api) {
    let put = |chat: Value| put_web_chat_settings(c, chat);
    agent.set_ready().await;
    let other_days = tests::chat::other_days_utc();
    put(json!({"require_email": true, "leave_message_entry_id": c.entry_id,
               "hours": {"time_zone": "UTC", "weekly": [{"days": other_days, "open": "00:00", "close": "24:00"}]}}))
        .await
        .expect(200);
    let entry = anon.get("/v1/chat/web-chat").await.expect(200);
    assert_eq!(
        (&entry["available"], &entry["unavailable"]),
        (&json!(false), &json!("closed"))
    );
    // The week's hours as instants, for the page to show in the visitor's time zone: the six
    // other days run together, from tomorrow 00:00 UTC to the same weekday next week.
    let today_ms = tests::now_ms() / 86_400_000 * 86_400_000;
    assert_eq!(
        entry["opening_hours"],
        json!([{"opens_at": tests::rfc3339(today_ms + 86_400_000),
                "closes_at": tests::rfc3339(today_ms + 7 * 86_400_000)}]),
        "{entry}"
    );
    anon.post(
        "/v1/chat/web-chat/sessions",
        json!({"name": "Alan", "email": "alan@bletchley.test"}),
    )
    .await
    .error(409, "conflict", None);
    // Open today: chats again.
    put(json!({"require_email": true, "leave_message_entry_id": c.entry_id,
               "hours": {"time_zone": "UTC", "weekly": [{"days": [tests::chat::today_utc()], "open": "00:00", "close": "24:00"}]}}))
        .await
        .expect(200);
    assert_eq!(
        anon.get("/v1/chat/web-chat").await.expect(200)["available"],
        true
    );
    anon.post(
        "/v1/chat/web-chat/sessions",
        json!({"name": "Alan", "email": "alan@bletchley.test"}),
    )
    .await
    .expect(201);
}

/// Save the web-chat entry point's chat settings `chat` (its flow unchanged).
async fn put_web_chat_settings(c: &Center, chat: Value) -> tests::api::Reply {
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
            json!({"entry_id": "web-chat", "flow_id": flow_id, "chat": chat}),
        )
        .await
}

/// When a chat closes — after the agent's wrap-up, or abandoned by the customer before an
/// answer — Switchboard keeps its transcript: announced by a signed webhook with a
/// `transcript_url` that needs API credentials, listed with the interaction data, once.
async fn a_closed_chat_keeps_its_transcript(db: TestDb) {
    const SECRET: &str = "whsec_dHJhbnNjcmlwdHMtYXJlLWtlcHQtc2VjcmV0";
    let c = Center::with_agents(db, 1).await;
    let agent = chat_center(&c).await;
    let receiver = tests::receiver::Receiver::start(Some(SECRET)).await;
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "secret": SECRET,
                   "events": ["contact_center.engagement_messaging_transcript_completed"]}),
        )
        .await
        .expect(201);
    let (id, customer) = customer_chat(&c, "Alan").await;
    customer
        .post(
            "/v1/chat/session/messages",
            json!({"body": "Is <b>this</b> on?"}),
        )
        .await
        .expect(201);
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    send(&agent, &id, "Loud and clear.").await.expect(201);
    agent
        .post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    agent
        .post(&format!("/v1/engagements/{id}/close"), json!({}))
        .await
        .expect(200);

    let hook = receiver
        .wait_for(
            "contact_center.engagement_messaging_transcript_completed",
            Duration::from_secs(15),
        )
        .await;
    assert!(hook.standard_ok, "signed as Standard Webhooks");
    let object = &hook.json["payload"]["object"];
    assert_eq!(object["engagement_id"], json!(id));
    let url = object["transcript"]["transcript_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        url,
        format!("{}/v1/engagements/{id}/transcript", c.server.base_url)
    );
    assert_eq!(object["transcript"]["content_type"], "application/json");

    the_transcript_needs_credentials_and_is_listed(&c, &url, &id).await;

    an_abandoned_chat_keeps_its_transcript_too(&c, &agent, &receiver, &id).await;
}

/// The transcript at `url` needs credentials; with them it is the conversation, in order;
/// it is listed with the interaction data.
async fn the_transcript_needs_credentials_and_is_listed(c: &Center, url: &str, id: &str) {
    let anon = reqwest::get(url).await.unwrap();
    assert_eq!(anon.status(), 401);
    let made = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "crm", "scopes": ["recordings:read"]}),
        )
        .await
        .expect(201);
    let reader = c
        .anon()
        .client(
            made["client_id"].as_str().unwrap(),
            made["client_secret"].as_str().unwrap(),
        )
        .await;
    let file: Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(reader.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = file["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Is <b>this</b> on?", "Loud and clear."]);
    assert_eq!(file["messages"][1]["author"]["kind"], "agent");
    assert_eq!(file["consumer"]["display_name"], "Alan");

    // Listed with the interaction data.
    let today = &tests::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )[..10];
    let list = reader
        .get(&format!("/v1/transcripts?from={today}&to={today}"))
        .await
        .expect(200);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["engagement_id"] == json!(id)),
        "{list}"
    );
}

/// An abandoned chat (the customer left before an answer) keeps its transcript too; the
/// first chat's is announced once.
async fn an_abandoned_chat_keeps_its_transcript_too(
    c: &Center,
    agent: &Api,
    receiver: &tests::receiver::Receiver,
    id: &str,
) {
    agent.set_not_ready("break").await;
    let (gone, grace) = customer_chat(c, "Grace").await;
    grace
        .post("/v1/chat/session/messages", json!({"body": "Anyone?"}))
        .await
        .expect(201);
    grace
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    let seen = receiver
        .wait_until(
            "the abandoned chat's transcript",
            Duration::from_secs(15),
            |d| {
                d.iter()
                    .any(|h| h.json["payload"]["object"]["engagement_id"] == json!(gone))
            },
        )
        .await;
    assert!(seen
        .iter()
        .all(|h| h.event() == "contact_center.engagement_messaging_transcript_completed"));
    // Once: no second announcement for the first chat.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = receiver
        .deliveries()
        .iter()
        .filter(|h| h.json["payload"]["object"]["engagement_id"] == json!(id))
        .count();
    assert_eq!(first, 1);
}

/// A waiting chat whose customer went away (no request, no open socket) for
/// `--chat-abandon-after-secs` closes as abandoned and counts in the service level; one whose
/// customer keeps the chat socket open stays, and so does one an agent has.
async fn waiting_chats_of_customers_who_left_are_abandoned(db: TestDb) {
    let mut options = tests::api::server_options();
    options
        .extra_args
        .extend(["--chat-abandon-after-secs".into(), "2".into()]);
    let c = Center::start_with(db, options, 0).await;
    let agent = chat_center(&c).await;
    let (answered, _alan) = customer_chat(&c, "Alan").await;
    agent
        .accept_when_offered(&answered, Duration::from_secs(10))
        .await;
    agent.set_not_ready("break").await;
    let (gone, _grace) = customer_chat(&c, "Grace").await;
    let (staying, ada) = customer_chat(&c, "Ada").await;
    // Ada keeps her chat open on its socket.
    let url = format!(
        "{}/v1/chat/session/socket?access_token={}",
        c.server.base_url.replacen("http://", "ws://", 1),
        ada.token.as_deref().unwrap()
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let reader = tokio::spawn(async move { while socket.next().await.is_some() {} });

    let state = |id: String| {
        let admin = c.admin.clone();
        async move {
            admin
                .get(&format!("/v1/engagements/{id}"))
                .await
                .expect(200)
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let e = state(gone.clone()).await;
        if e["state"] == "closed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never abandoned: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Well past the limit for the others too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        state(staying.clone()).await["state"],
        "queued",
        "her socket is open"
    );
    assert_eq!(
        state(answered.clone()).await["state"],
        "connected",
        "an agent has it"
    );
    assert_eq!(abandoned_today(&c).await, 1);
    reader.abort();
}

/// A transferred chat keeps its history: the next agent reads everything said before, the
/// customer sees the first agent leave and the next join, and the conversation goes on.
async fn a_transferred_chat_keeps_its_history(db: TestDb) {
    let c = Center::with_agents(db, 0).await;
    let first = chat_center(&c).await;
    let (second_id, second) = tests::chat::chat_colleague(&c, "Grace").await;
    let (id, customer) = customer_chat(&c, "Alan").await;
    customer
        .post(
            "/v1/chat/session/messages",
            json!({"body": "First question"}),
        )
        .await
        .expect(201);
    first
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    send(&first, &id, "Let me pass you to Grace.")
        .await
        .expect(201);
    let before = c.admin.latest_seq().await;
    second.set_ready().await;
    first
        .post(
            &format!("/v1/engagements/{id}/transfer"),
            json!({"to": "agent", "agent_id": second_id}),
        )
        .await
        .expect(200);
    second
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    let history: Vec<Value> = second
        .get(&format!("/v1/engagements/{id}/messages"))
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(
        history,
        [json!("First question"), json!("Let me pass you to Grace.")]
    );
    send(&second, &id, "Grace here.").await.expect(201);
    // The first agent may no longer write in it.
    send(&first, &id, "Still me?")
        .await
        .error(403, "forbidden", None);
    let token = customer.token.clone().unwrap();
    let frames = customer_frames(&c.server.base_url, &token, before, |f| {
        f["type"] == "message" && f["message"]["body"] == "Grace here."
    })
    .await;
    let lines: Vec<String> = frames[1..]
        .iter()
        .map(|f| match f["type"].as_str().unwrap() {
            "message" => format!("message {}", f["message"]["body"].as_str().unwrap()),
            kind => format!("{kind} {}", f["name"].as_str().unwrap_or("")),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "agent_left Chat Agent",
            "agent_joined Grace",
            "message Grace here."
        ]
    );
}

/// The public forms are limited per client address (`--chat-start-limit` per 10 minutes):
/// beyond, 429 with a wait to retry, and nothing is started. Refused forms (a missing field)
/// do not count.
async fn one_address_cannot_flood_the_queues_with_chats(db: TestDb) {
    let mut options = tests::api::server_options();
    options
        .extra_args
        .extend(["--chat-start-limit".into(), "2".into()]);
    let c = Center::start_with(db, options, 0).await;
    chat_center(&c).await;
    let anon = c.anon();
    anon.post("/v1/chat/web-chat/sessions", json!({"name": "Alan"}))
        .await
        .error(422, "invalid_field", Some("email"));
    customer_chat(&c, "Alan").await;
    customer_chat(&c, "Grace").await;
    let before = c.admin.latest_seq().await;
    let refused = anon
        .post(
            "/v1/chat/web-chat/sessions",
            json!({"name": "Ada", "email": "ada@example.test"}),
        )
        .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many chats"),
        "{}",
        refused.body
    );
    assert_eq!(c.admin.latest_seq().await, before, "nothing was started");
}

/// A tiny PNG: the signature and the start of its header (the server checks the first bytes).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len, 7);
    bytes
}

/// Send a file as `api` to `path` (`?file_name=` from `name`), raw body.
async fn upload(
    api: &Api,
    path: &str,
    name: Option<&str>,
    kind: &str,
    body: Vec<u8>,
) -> tests::api::Reply {
    let mut url = reqwest::Url::parse(&format!("{}{path}", api.base)).unwrap();
    if let Some(name) = name {
        url.query_pairs_mut().append_pair("file_name", name);
    }
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", kind)
        .body(body);
    if let Some(t) = &api.token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    tests::api::Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    }
}

/// `GET` a file as `api`: status, `Content-Type`, `Content-Disposition`, bytes.
async fn download(api: &Api, path: &str) -> (u16, String, String, Vec<u8>) {
    let mut req = reqwest::Client::new().get(format!("{}{path}", api.base));
    if let Some(t) = &api.token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (status, kind, disposition) = (
        r.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    (status, kind, disposition, r.bytes().await.unwrap().to_vec())
}

/// Files both ways: an image from the customer and a PDF from the agent become messages with
/// an `attachment`, reach the agent's socket, and are served only to that chat's customer and
/// to those who may read the engagement. What is refused (kind, content that is not what the
/// type says, size, no name) says why and leaves no file behind.
async fn files_reach_only_the_chats_people(db: TestDb) {
    let data_dir = db.data_dir.clone();
    let mut options = tests::api::server_options();
    options
        .extra_args
        .extend(["--chat-attachment-max-bytes".into(), "100000".into()]);
    let c = Center::start_with(db, options, 1).await;
    let agent = chat_center(&c).await;
    let (id, customer) = customer_chat(&c, "Alan").await;
    let (other_id, other_customer) = customer_chat(&c, "Grace").await;
    agent
        .accept_when_offered(&id, Duration::from_secs(10))
        .await;
    let mut feed = Feed::connect(&agent, None).await;
    let view = customer.get("/v1/chat/session").await.expect(200);
    assert_eq!(view["attachment_max_bytes"], 100000);

    let mid = a_customers_picture_reaches_the_agent(&c, &agent, &customer, &mut feed, &id).await;
    let staff_path = format!("/v1/engagements/{id}/attachments/{mid}");

    let pdf = an_agents_pdf_reaches_the_customer(&agent, &customer, &id).await;

    nobody_else_reads_a_file(&c, &agent, &(other_id, other_customer), &mid, &staff_path).await;

    bad_files_are_refused_and_not_stored(&customer, &pdf, &data_dir, &id).await;

    // Files belong to live web chats: not after the agent ended it.
    agent
        .post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    let refused = upload(
        &agent,
        &format!("/v1/engagements/{id}/attachments"),
        Some("late.pdf"),
        "application/pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let refused = upload(
        &customer,
        "/v1/chat/session/attachments",
        Some("late.png"),
        "image/png",
        png(100),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    feed.close().await;
}

/// The customer sends a picture (its name is text, whatever it holds): the agent's feed has
/// it, the customer reads it inline, the agent and a supervisor read it too. Its message id.
async fn a_customers_picture_reaches_the_agent(
    c: &Center,
    agent: &Api,
    customer: &Api,
    feed: &mut Feed,
    id: &str,
) -> String {
    let name = "Rechnung März <b>\"1\"</b>.png";
    let picture = png(5000);
    let m = upload(
        customer,
        "/v1/chat/session/attachments",
        Some(name),
        "image/png",
        picture.clone(),
    )
    .await
    .expect(201);
    assert_eq!(m["body"], "");
    assert_eq!(m["author"]["kind"], "consumer");
    assert_eq!(
        m["attachment"],
        json!({"file_name": name, "content_type": "image/png", "size_bytes": 5000})
    );
    let mid = m["message_id"].as_str().unwrap().to_string();
    let event = feed
        .wait_for("engagement.message_added", Duration::from_secs(5))
        .await;
    assert_eq!(event["data"]["message"]["attachment"], m["attachment"]);

    let (status, kind, disposition, bytes) =
        download(customer, &format!("/v1/chat/session/attachments/{mid}")).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert_eq!(bytes, picture);
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert!(
        disposition
            .contains("filename*=UTF-8''Rechnung%20M%C3%A4rz%20%3Cb%3E%221%22%3C%2Fb%3E.png"),
        "{disposition}"
    );
    let staff_path = format!("/v1/engagements/{id}/attachments/{mid}");
    let (status, _, _, bytes) = download(agent, &staff_path).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, picture);
    assert_eq!(
        download(&c.admin, &staff_path).await.0,
        200,
        "a supervisor may read it"
    );
    mid
}

/// The agent sends a PDF; the customer has it in their conversation and can read it (as an
/// attachment). Its bytes.
async fn an_agents_pdf_reaches_the_customer(agent: &Api, customer: &Api, id: &str) -> Vec<u8> {
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let sent = upload(
        agent,
        &format!("/v1/engagements/{id}/attachments"),
        Some("terms.pdf"),
        "application/pdf",
        pdf.clone(),
    )
    .await
    .expect(201);
    assert_eq!(sent["author"]["kind"], "agent");
    let pdf_id = sent["message_id"].as_str().unwrap();
    let view = customer.get("/v1/chat/session").await.expect(200);
    let files: Vec<&Value> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.get("attachment"))
        .collect();
    assert_eq!(files.len(), 2, "{view}");
    let (status, kind, disposition, bytes) =
        download(customer, &format!("/v1/chat/session/attachments/{pdf_id}")).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(bytes, pdf);
    pdf
}

/// Nobody else reads the customer's file `mid`: another chat's customer, an agent it is not
/// offered to, no credentials, nor through another chat's engagement.
async fn nobody_else_reads_a_file(
    c: &Center,
    agent: &Api,
    other: &(String, Api),
    mid: &str,
    staff_path: &str,
) {
    let (other_id, other_customer) = other;
    // Nobody else: another chat's customer, an agent it is not offered to, no credentials.
    let (status, ..) = download(
        other_customer,
        &format!("/v1/chat/session/attachments/{mid}"),
    )
    .await;
    assert_eq!(status, 404);
    let stranger = c.agent(0).await;
    let (status, ..) = download(&stranger, staff_path).await;
    assert!(status == 403 || status == 404, "{status}");
    assert_eq!(download(&c.anon(), staff_path).await.0, 401);
    assert_eq!(
        download(&c.anon(), &format!("/v1/chat/session/attachments/{mid}"))
            .await
            .0,
        401
    );
    // A message id of another chat through this one's engagement is not found.
    let (status, ..) = download(
        agent,
        &format!("/v1/engagements/{other_id}/attachments/{mid}"),
    )
    .await;
    assert!(status == 403 || status == 404, "{status}");
}

/// Refused, with a reason, and nothing stored: markup, SVG, a type the bytes are not, too
/// big, no name, empty.
async fn bad_files_are_refused_and_not_stored(
    customer: &Api,
    pdf: &[u8],
    data_dir: &std::path::Path,
    id: &str,
) {
    let path = "/v1/chat/session/attachments";
    let refused = upload(
        customer,
        path,
        Some("page.html"),
        "text/html",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_eq!(refused.status, 415, "{}", refused.body);
    let refused = upload(
        customer,
        path,
        Some("logo.svg"),
        "image/svg+xml",
        b"<svg onload=alert(1)/>".to_vec(),
    )
    .await;
    assert_eq!(refused.status, 415, "{}", refused.body);
    let refused = upload(customer, path, Some("cat.png"), "image/png", pdf.to_vec()).await;
    assert_eq!(refused.status, 415, "{}", refused.body);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("image/png"),
        "{}",
        refused.body
    );
    let refused = upload(customer, path, Some("big.png"), "image/png", png(100_001)).await;
    assert_eq!(refused.status, 413, "{}", refused.body);
    upload(customer, path, None, "image/png", png(100))
        .await
        .error(422, "invalid_field", Some("file_name"));
    upload(customer, path, Some("empty.png"), "image/png", Vec::new())
        .await
        .error(422, "invalid_field", Some("body"));
    let stored = std::fs::read_dir(data_dir.join("blobs/attachments").join(id))
        .unwrap()
        .count();
    assert_eq!(stored, 2, "only the two files sent are kept");
}

both_stores!(
    files_reach_only_the_chats_people,
    one_address_cannot_flood_the_queues_with_chats,
    a_transferred_chat_keeps_its_history,
    waiting_chats_of_customers_who_left_are_abandoned,
    a_closed_chat_keeps_its_transcript,
    closed_or_unstaffed_chats_take_messages_as_work_items,
    receipts_move_forward_and_reach_the_other_side,
    customers_wait_in_order_type_and_leave,
    agents_write_in_a_chat_and_it_reaches_their_feed_in_order,
    what_is_refused_says_why,
    a_customer_starts_a_chat_and_talks_with_the_agent,
    the_customer_socket_follows_the_chat
);
