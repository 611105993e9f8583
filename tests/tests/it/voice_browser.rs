//! A web call between two real headless Chromiums, each with a fake microphone (the visitor
//! plays 440 Hz, Ada 880 Hz), media on loopback only: the visitor calls from the website's
//! bubble, Ada accepts in the widget, both receive audio over a loopback candidate pair
//! (`getStats()`), hold and resume, mute, hang up; the recording downloaded through the API
//! decodes (libsndfile) to the call's length with the visitor's tone on the left and Ada's on
//! the right (Goertzel). A browser that refuses the microphone gets the message.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::api::{Api, Center};
use tests::audio::{decode, tone_level, write_tone};
use tests::chat::Website;
use tests::db::TestDb;
use tests::pages::{ChatPage, Widget};
use tests::process::ServerOptions;
use tests::voice::{add_ada, voice_queue_and_flow};

const VISITOR_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 880.0;

/// A center whose `web-chat` entry point (the one the test website's bubble opens) takes
/// calls into a voice queue, Ada in it; and the website, allowed to embed.
async fn call_center_with_website() -> (Center, Website) {
    let (listener, site_origin) = Website::bind().await;
    let c = Center::start_with(
        TestDb::sqlite(),
        ServerOptions {
            allowed_origins: vec![site_origin.clone()],
            ..tests::api::server_options()
        },
        0,
    )
    .await;
    let site = Website::serve(listener, site_origin, &c.server.base_url);
    let (queue, flow) = voice_queue_and_flow(&c.admin).await;
    c.admin
        .post(
            "/v1/entry-points",
            json!({"entry_id": "web-chat", "flow_id": flow, "chat": {"calls": true}}),
        )
        .await
        .expect(201);
    add_ada(&c.admin, &queue).await;
    (c, site)
}

fn assert_loopback(stats: &Value, who: &str) {
    for end in ["local", "remote"] {
        assert_eq!(
            stats[end], "127.0.0.1",
            "{who}'s media stays on loopback: {stats}"
        );
    }
}

/// One end of the call in a browser.
#[derive(Clone, Copy)]
enum End<'a> {
    Visitor(&'a ChatPage),
    Agent(&'a Widget),
}

impl End<'_> {
    async fn stats(self) -> Value {
        match self {
            End::Visitor(page) => page.call_stats().await,
            End::Agent(widget) => widget.call_stats().await,
        }
    }

    /// Reads statistics until the audio received has grown past `from` (packets and energy).
    async fn receives_more(self, from: &Value, who: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let now = self.stats().await;
            let grew = now["packets"].as_f64() > from["packets"].as_f64().map(|p| p + 25.0)
                && now["energy"].as_f64() > from["energy"].as_f64().map(|e| e + 0.01);
            if grew {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "{who} receives no audio: {from} → {now}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_calls_ada_from_the_website_and_the_call_is_recorded_in_stereo() {
    let (c, site) = call_center_with_website().await;
    let tones = tempfile::tempdir().unwrap();
    let (visitor_wav, agent_wav) = (
        tones.path().join("visitor.wav"),
        tones.path().join("agent.wav"),
    );
    write_tone(&visitor_wav, VISITOR_HZ, 30);
    write_tone(&agent_wav, AGENT_HZ, 30);
    let ada = Widget::ready_with_microphone(
        &c.server.base_url,
        "ada@switchboard.test",
        "ada-agent-password",
        &agent_wav,
    )
    .await;
    let visitor = ChatPage::with_microphone(&site.origin, Some(&visitor_wav)).await;

    visitor.call("Grace Hopper").await;
    visitor.wait_call_status("Calling").await;
    ada.wait_offer().await;
    ada.accept_offer().await;
    ada.wait_call_status("On the call").await;
    let answered = Instant::now();
    visitor.wait_call_status("On the call with Ada").await;
    visitor.wait_recorded_notice().await;
    ada.wait_mic_level().await;

    let (caller, agent) = (End::Visitor(&visitor), End::Agent(&ada));
    let zero = json!({"packets": 0, "energy": 0});
    let heard_by_visitor = caller.receives_more(&zero, "the visitor").await;
    let heard_by_ada = agent.receives_more(&zero, "Ada").await;
    assert_loopback(&heard_by_visitor, "the visitor");
    assert_loopback(&heard_by_ada, "Ada");

    // Hold: the visitor hears the hold music; resume.
    ada.click("[data-test=inactive]").await;
    caller
        .receives_more(&heard_by_visitor, "the held visitor")
        .await;
    ada.click("[data-test=resume]").await;

    // Muted, the visitor sends silence: Ada's received energy stops growing.
    visitor.toggle_call_mute().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let muted_from = agent.stats().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let muted_to = agent.stats().await;
    let gained = muted_to["energy"].as_f64().unwrap() - muted_from["energy"].as_f64().unwrap();
    assert!(
        gained < 0.005,
        "nothing reaches Ada from a muted visitor: {muted_from} → {muted_to}"
    );
    visitor.toggle_call_mute().await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    ada.click("[data-test=end]").await;
    let call_seconds = answered.elapsed().as_secs_f64();
    visitor.wait_call_status("Call ended").await;
    the_recording_has_each_tone_on_its_side(&c, call_seconds).await;
    visitor.close().await;
    ada.browser.close().await;
}

async fn the_recording_has_each_tone_on_its_side(c: &Center, call_seconds: f64) {
    let recording = wait_for_recording(&c.admin).await;
    let url = recording["download_url"].as_str().unwrap();
    let bytes = reqwest::Client::new()
        .get(url)
        .bearer_auth(c.admin.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.opus");
    std::fs::write(&path, &bytes).unwrap();
    let audio = decode(&path).expect("libsndfile decodes the recording");
    assert_eq!(audio.channels.len(), 2, "two channels");
    assert!(
        (audio.seconds() - call_seconds).abs() <= 1.5,
        "{} s recorded of a {call_seconds} s call",
        audio.seconds()
    );
    // Two seconds from the first stretch of talking, before hold. The browsers' own voice
    // processing (noise suppression) turns a steady tone well down: the check is which tone
    // dominates each side, and that each is there at all.
    let (from, to) = (1.0, 3.0);
    let level =
        |channel: usize, hz: f64| tone_level(audio.window(channel, from, to), audio.rate, hz);
    let (left, right) = (0, 1);
    assert!(
        level(left, VISITOR_HZ) > 4.0 * level(left, AGENT_HZ) && level(left, VISITOR_HZ) > 0.0005,
        "the visitor's 440 Hz on the left: {} vs {}",
        level(left, VISITOR_HZ),
        level(left, AGENT_HZ)
    );
    assert!(
        level(right, AGENT_HZ) > 4.0 * level(right, VISITOR_HZ) && level(right, AGENT_HZ) > 0.0005,
        "Ada's 880 Hz on the right: {} vs {}",
        level(right, AGENT_HZ),
        level(right, VISITOR_HZ)
    );
}

async fn wait_for_recording(admin: &Api) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The default window: the last 30 days.
        let list = admin.get("/v1/recordings").await;
        if list.status == 200 {
            if let Some(r) = list.body["items"].as_array().and_then(|a| a.first()) {
                return r.clone();
            }
        }
        assert!(Instant::now() < deadline, "no recording: {}", list.body);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_microphone_says_what_to_do_and_starts_nothing() {
    let (c, site) = call_center_with_website().await;
    let visitor = ChatPage::with_microphone(&site.origin, None).await;
    visitor.call("Grace Hopper").await;
    let message = visitor.form_error().await;
    assert!(message.contains("microphone"), "{message}");
    assert!(message.contains("start a chat instead"), "{message}");
    let engagements = c.admin.get("/v1/engagements").await.expect(200);
    assert_eq!(
        engagements.as_array().map_or(0, Vec::len),
        0,
        "no call was started: {engagements}"
    );
    visitor.close().await;
}
