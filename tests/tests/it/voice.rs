//! Web calls through the real server, on both stores: the visitor presses **Call** (the chat
//! page's API), sends their SDP offer on the chat socket; the call rings Ada like any
//! engagement; she accepts and offers on her agent socket. Softphone peers (`tests::voice`,
//! WebRTC on loopback UDP) then talk through the server's media port: each hears the other,
//! hold plays music to the visitor, and when the call ends its recording — two channels,
//! the caller left and the agent right, as long as the call — is announced by webhook and
//! downloaded with `Range`. What is refused says why.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, Center, Feed};
use tests::both_stores;
use tests::db::TestDb;
use tests::receiver::Receiver;
use tests::voice::{
    call_center, connect_all, hear_each_other, read_recording, talk, voice_queue_and_flow, Peer,
    Visitor, AGENT, CALLER,
};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// The visitor calls and Ada answers: both peers connected through the server.
struct Call {
    visitor: Visitor,
    caller: Peer,
    feed: Feed,
    agent: Peer,
}

async fn a_visitor_calls_and_ada_answers(c: &Center, ada: &Api) -> Call {
    let entry = c.anon().get("/v1/chat/web-call").await.expect(200);
    assert_eq!(entry["calls"], true, "the chat page offers Call: {entry}");
    let mut visitor = Visitor::call(&c.anon(), "web-call", "Grace Hopper").await;
    let (mut caller, offer) = Peer::new(CALLER);
    let answer = visitor
        .offer(&offer)
        .await
        .expect("the visitor's offer is answered");
    assert!(
        answer.contains("a=ice-lite") && answer.contains("127.0.0.1"),
        "{answer}"
    );
    caller.accept_answer(&answer).unwrap();

    let id = visitor.engagement.clone();
    let mut feed = Feed::connect(ada, None).await;
    ada.accept_when_offered(&id, Duration::from_secs(10)).await;
    let (mut agent, offer) = Peer::new(AGENT);
    let answer = feed
        .call_offer(&id, &offer)
        .await
        .expect("Ada's offer is answered");
    agent.accept_answer(&answer).unwrap();
    connect_all(&mut [&mut caller, &mut agent]);
    Call {
        visitor,
        caller,
        feed,
        agent,
    }
}

async fn a_web_call_is_relayed_held_recorded_and_announced(db: TestDb) {
    let c = Center::start_with(db, server_options(), 0).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "secret": SECRET, "events": ["contact_center.recording_completed"]}),
        )
        .await
        .expect(201);
    let ada = call_center(&c).await;
    let mut call = a_visitor_calls_and_ada_answers(&c, &ada).await;
    let started = Instant::now();
    let id = call.visitor.engagement.clone();
    they_hear_each_other(&mut call);
    call.visitor.next_frame("call_recording").await;
    hold_plays_music_to_the_visitor(&ada, &mut call, &id).await;
    ada.post(&format!("/v1/engagements/{id}/end"), json!({}))
        .await
        .expect(200);
    let seconds = started.elapsed().as_secs_f64();
    call.visitor.next_frame("ended").await;
    let recording = call
        .feed
        .wait_for("recording.completed", Duration::from_secs(20))
        .await["data"]["recording"]
        .clone();
    the_recording_has_both_parties_for_the_call(&c, &receiver, &recording, seconds).await;
}

fn they_hear_each_other(call: &mut Call) {
    hear_each_other(
        &mut call.caller,
        &mut call.agent,
        Duration::from_secs(2),
        80,
        "the visitor and Ada",
    );
    let caller = &call.caller.heard[0];
    assert_eq!(caller.by_tag[CALLER as usize], 0, "nobody hears themselves");
}

async fn hold_plays_music_to_the_visitor(ada: &Api, call: &mut Call, id: &str) {
    ada.post(&format!("/v1/engagements/{id}/inactive"), json!({}))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (music, heard_by_ada) = (call.caller.heard[0].by_tag[0], call.agent.heard[0].total());
    talk(
        &mut [&mut call.caller, &mut call.agent],
        &[true, true],
        Duration::from_secs(1),
    );
    assert!(
        call.caller.heard[0].by_tag[0] - music >= 40,
        "the held visitor hears music"
    );
    assert!(
        call.agent.heard[0].total() - heard_by_ada <= 2,
        "nobody hears the other on hold"
    );
    ada.post(&format!("/v1/engagements/{id}/resume"), json!({}))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = call.agent.heard[0].by_tag[CALLER as usize];
    talk(
        &mut [&mut call.caller, &mut call.agent],
        &[true, true],
        Duration::from_secs(1),
    );
    assert!(
        call.agent.heard[0].by_tag[CALLER as usize] - before >= 40,
        "resumed"
    );
}

async fn the_recording_has_both_parties_for_the_call(
    c: &Center,
    receiver: &Receiver,
    recording: &Value,
    call_seconds: f64,
) {
    assert_eq!(recording["content_type"], "audio/ogg");
    let hook = receiver
        .wait_for(
            "contact_center.recording_completed",
            Duration::from_secs(20),
        )
        .await;
    assert!(hook.standard_ok && hook.zoom_ok);
    let announced = &hook.json["payload"]["object"]["recording"];
    assert_eq!(announced["recording_id"], recording["recording_id"]);
    let url = recording["download_url"].as_str().unwrap();
    let get = |range: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .get(url)
            .bearer_auth(c.admin.token.as_deref().unwrap());
        if let Some(r) = range {
            req = req.header("range", r);
        }
        req.send()
    };
    let head = get(Some("bytes=0-3")).await.unwrap();
    assert_eq!(head.status(), 206);
    assert_eq!(head.bytes().await.unwrap().as_ref(), b"OggS");
    let file = get(None).await.unwrap().bytes().await.unwrap().to_vec();
    let (seconds, caller_frames, agent_frames) = read_recording(&file);
    // The recording runs from the moment both were connected to the end of the call.
    assert!(
        (seconds - call_seconds).abs() <= 1.0,
        "{seconds} s recorded of a {call_seconds} s call"
    );
    let duration = recording["recording_duration"].as_f64().unwrap();
    assert!(
        (duration - seconds).abs() <= 1.0,
        "{duration} s in the metadata"
    );
    // 2 s + 1 s of talking each, the held second silent.
    assert!(
        (130..=170).contains(&caller_frames),
        "caller frames {caller_frames}"
    );
    assert!(
        (130..=170).contains(&agent_frames),
        "agent frames {agent_frames}"
    );
}

async fn what_is_refused_says_why(db: TestDb) {
    let c = Center::start_with(db, server_options(), 0).await;
    let ada = call_center(&c).await;
    // An entry point that takes chats but not calls.
    let entries = c.admin.get("/v1/entry-points").await.expect(200);
    let flow = entries.as_array().unwrap()[0]["flow_id"].clone();
    c.admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "chat-only", "flow_id": flow, "chat": {}}),
        )
        .await
        .expect(201);
    assert_eq!(
        c.anon().get("/v1/chat/chat-only").await.expect(200)["calls"],
        false
    );
    c.anon()
        .post("/v1/chat/chat-only/calls", json!({"name": "Grace"}))
        .await
        .error(404, "not_found", None);
    c.anon()
        .post("/v1/chat/web-call/calls", json!({"name": ""}))
        .await
        .error(422, "invalid_field", Some("name"));

    let mut visitor = Visitor::call(&c.anon(), "web-call", "Grace Hopper").await;
    let bad = visitor.offer("v=0 nonsense").await.unwrap_err();
    assert!(bad.contains("SDP offer"), "{bad}");
    visitor.send(json!({"type": "dance"})).await;
    assert_eq!(visitor.next_frame("call_error").await["type"], "call_error");

    // Ada may not offer for a call before she accepts it, nor for one that is not hers.
    let id = visitor.engagement.clone();
    let (_, caller_offer) = Peer::new(CALLER);
    visitor
        .offer(&caller_offer)
        .await
        .expect("the visitor's offer");
    let mut feed = Feed::connect(&ada, None).await;
    let (_, offer) = Peer::new(AGENT);
    let early = feed.call_offer(&id, &offer).await.unwrap_err();
    assert!(
        early.contains("not offered or assigned to you") || early.contains("accept"),
        "{early}"
    );
    let unnamed = {
        feed.send_json(json!({"type": "call_offer", "sdp": offer}))
            .await;
        feed.wait_frame("call_error", Duration::from_secs(5)).await
    };
    assert!(
        unnamed["message"]
            .as_str()
            .unwrap()
            .contains("engagement_id"),
        "{unnamed}"
    );

    // A call that ended takes no more offers.
    c.anon()
        .with_token(&visitor.token)
        .post("/v1/chat/session/end", json!({}))
        .await
        .expect(204);
    let ended = visitor.offer(&caller_offer).await.unwrap_err();
    assert!(ended.contains("ended"), "{ended}");
}

/// Without a media socket (`--media-listen off`) web calls cannot be turned on, and say why.
async fn without_a_media_socket_calls_cannot_be_turned_on(db: TestDb) {
    let mut options = server_options();
    options
        .extra_args
        .extend(["--media-listen".into(), "off".into()]);
    let c = Center::start_with(db, options, 0).await;
    let (_, flow) = voice_queue_and_flow(&c.admin).await;
    let refused = c
        .admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "web-call", "flow_id": flow, "chat": {"calls": true}}),
        )
        .await
        .error(409, "conflict", None);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--media-listen"),
        "{refused}"
    );
}

both_stores!(
    a_web_call_is_relayed_held_recorded_and_announced,
    what_is_refused_says_why,
    without_a_media_socket_calls_cannot_be_turned_on
);
