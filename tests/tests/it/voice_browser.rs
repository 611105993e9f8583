//! A web call between two real headless Chromiums, each with a fake microphone (the visitor
//! plays 440 Hz, Ada 880 Hz), media on loopback only: the visitor calls from the website's
//! bubble, Ada accepts in the widget, both receive audio over a loopback candidate pair
//! (`getStats()`), hold and resume, mute, hang up; the recording downloaded through the API
//! decodes (libsndfile) to the call's length with the visitor's tone on the left and Ada's on
//! the right (Goertzel). A browser that refuses the microphone gets the message.

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tests::api::{Api, Center};
use tests::audio::{decode, tone_level, write_tone};
use tests::chat::Website;
use tests::db::TestDb;
use tests::pages::call::Heard;
use tests::pages::{ChatPage, Widget};
use tests::process::ServerOptions;
use tests::voice::{add_ada, voice_queue_and_flow};

const VISITOR_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 880.0;
const SUPERVISOR_HZ: f64 = 660.0;
const COLLEAGUE_HZ: f64 = 660.0;
/// The widget's note that another tab or window has Switchboard active.
const INACTIVE: &str = "[data-test=device-inactive]";

/// A center whose `web-chat` entry point (the one the test website's bubble opens) takes
/// calls into a voice queue, Ada in it; and the website, allowed to embed.
async fn call_center_with_website() -> (Center, Website) {
    call_center_with_website_on(0).await
}

/// [`call_center_with_website`] with the server on `port` (0: any).
async fn call_center_with_website_on(port: u16) -> (Center, Website) {
    let (listener, site_origin) = Website::bind().await;
    let c = Center::start_with(TestDb::sqlite(), website_server(&site_origin, port), 0).await;
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

fn website_server(site_origin: &str, port: u16) -> ServerOptions {
    ServerOptions {
        allowed_origins: vec![site_origin.to_string()],
        port,
        ..tests::api::server_options()
    }
}

/// Fake microphones' recordings: one WAV of a steady tone per party, in a temporary folder.
struct Tones(tempfile::TempDir);

impl Tones {
    fn new() -> Tones {
        Tones(tempfile::tempdir().unwrap())
    }

    /// `name`.wav playing `hz` for `seconds` (the browser loops it).
    fn wav(&self, name: &str, hz: f64, seconds: u32) -> std::path::PathBuf {
        let path = self.0.path().join(format!("{name}.wav"));
        write_tone(&path, hz, seconds);
        path
    }
}

/// Ada's widget, ready, in a new browser whose microphone plays `wav`.
async fn ada(c: &Center, wav: &Path) -> Widget {
    Widget::ready_with_microphone(
        &c.server.base_url,
        "ada@switchboard.test",
        "ada-agent-password",
        wav,
    )
    .await
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
    let tones = Tones::new();
    let (visitor_wav, agent_wav) = (
        tones.wav("visitor", VISITOR_HZ, 30),
        tones.wav("agent", AGENT_HZ, 30),
    );
    let ada = ada(&c, &agent_wav).await;
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

/// Ada takes a call from a visitor in a new browser: the two ends, connected.
async fn connected_call(
    c: &Center,
    site: &Website,
    visitor_wav: &Path,
    agent_wav: &Path,
) -> (ChatPage, Widget) {
    let ada = ada(c, agent_wav).await;
    let visitor = ChatPage::with_microphone(&site.origin, Some(visitor_wav)).await;
    visitor.call("Grace Hopper").await;
    ada.wait_offer().await;
    ada.accept_offer().await;
    ada.wait_call_status("On the call").await;
    visitor.wait_call_status("On the call with Ada").await;
    (visitor, ada)
}

/// Reads what `end` hears until `check` holds of it (15 s at most); the last reading.
async fn hears(end: End<'_>, freqs: &[u32], what: &str, check: impl Fn(&Heard) -> bool) -> Heard {
    hears_within(Duration::from_secs(15), end, freqs, what, check).await
}

async fn hears_within(
    time: Duration,
    end: End<'_>,
    freqs: &[u32],
    what: &str,
    check: impl Fn(&Heard) -> bool,
) -> Heard {
    let deadline = Instant::now() + time;
    loop {
        let heard = match end {
            End::Visitor(page) => page.heard(freqs).await,
            End::Agent(widget) => widget.heard(freqs).await,
        };
        if check(&heard) {
            return heard;
        }
        assert!(Instant::now() < deadline, "{what}: {heard:?}");
    }
}

/// `tone` is heard: within 20 dB of the loudest tone heard, and that one clearly there.
fn audible(h: &Heard, tone: u32) -> bool {
    let loudest = h.values().copied().fold(0.0, f64::max);
    loudest > 1e-3 && h[&tone] >= loudest / 10.0
}

/// `tone` is not heard: 40 dB or more below the loudest tone heard (a tone nobody plays to
/// this end reads some 70 dB below).
fn inaudible(h: &Heard, tone: u32) -> bool {
    let loudest = h.values().copied().fold(0.0, f64::max);
    loudest > 1e-3 && h[&tone] < loudest / 100.0
}

/// A supervisor (an admin, playing 660 Hz) listens from the supervisor view: they hear the
/// visitor and Ada, neither hears them; then they barge in and both hear them. Each step is an
/// `engagement.monitor_started` event naming them and the mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_listens_unheard_then_barges_in_heard_by_both() {
    let (c, site) = call_center_with_website().await;
    let tones = Tones::new();
    let (visitor_wav, agent_wav, supervisor_wav) = (
        tones.wav("visitor", VISITOR_HZ, 60),
        tones.wav("agent", AGENT_HZ, 60),
        tones.wav("supervisor", SUPERVISOR_HZ, 60),
    );
    let (visitor, ada) = connected_call(&c, &site, &visitor_wav, &agent_wav).await;
    let live = c
        .admin
        .get("/v1/engagements?state=connected")
        .await
        .expect(200);
    let id = live[0]["engagement_id"].as_str().unwrap().to_string();
    let sue = Widget::supervisor_with_microphone(
        &c.server.base_url,
        tests::api::ADMIN_EMAIL,
        tests::api::ADMIN_PASSWORD,
        &supervisor_wav,
    )
    .await;
    let (v, a, s) = (VISITOR_HZ as u32, AGENT_HZ as u32, SUPERVISOR_HZ as u32);
    let freqs = [v, a, s];
    let (caller, agent, supervisor) = (End::Visitor(&visitor), End::Agent(&ada), End::Agent(&sue));

    sue.listen(&id).await;
    sue.wait_monitored_call(&id, "Listening").await;
    sue.wait_call_status("On the call").await;
    assert_loopback(&sue.call_stats().await, "the supervisor");
    hears(
        supervisor,
        &freqs,
        "the listening supervisor hears the visitor and Ada",
        |h| audible(h, v) && audible(h, a) && inaudible(h, s),
    )
    .await;
    // The supervisor's audio reaches the server (it is sending); nobody gets it.
    let by_visitor = hears(caller, &freqs, "the visitor hears Ada", |h| audible(h, a)).await;
    assert!(
        inaudible(&by_visitor, s),
        "the visitor does not hear a listening supervisor: {by_visitor:?}"
    );
    let by_ada = hears(agent, &freqs, "Ada hears the visitor", |h| audible(h, v)).await;
    assert!(
        inaudible(&by_ada, s),
        "Ada does not hear a listening supervisor: {by_ada:?}"
    );

    sue.barge(&id).await;
    sue.wait_monitored_call(&id, "Barged in").await;
    hears(
        caller,
        &freqs,
        "the visitor hears the barging supervisor",
        |h| audible(h, s) && audible(h, a),
    )
    .await;
    hears(agent, &freqs, "Ada hears the barging supervisor", |h| {
        audible(h, s) && audible(h, v)
    })
    .await;

    let events = c
        .admin
        .get(&format!("/v1/events?after=0&limit=1000&engagement_id={id}"))
        .await
        .expect(200);
    let modes: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "engagement.monitor_started" && e["engagement_id"] == json!(id))
        .map(|e| e["data"]["mode"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(modes, ["monitor", "barge"], "{events}");

    sue.click(&format!("[data-test=monitor-leave][data-leave='{id}']"))
        .await;
    ada.click("[data-test=end]").await;
    visitor.wait_call_status("Call ended").await;
    for browser in [visitor.browser, ada.browser, sue.browser] {
        browser.close().await;
    }
}

/// Ada transfers the call to her colleague Bob (playing 660 Hz): the visitor stays on the
/// call, hears hold music until Bob accepts, then Bob; Ada's audio stops. The visitor then
/// reloads their page mid-call: the page takes the same call up again and hears Bob.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_moves_to_a_colleague_and_survives_the_visitors_reload() {
    let (c, site) = call_center_with_website().await;
    let queue = c.admin.get("/v1/queues").await.expect(200)[0].clone();
    let bob_id = c
        .admin
        .post(
            "/v1/agents",
            json!({"display_name": "Bob", "email": "bob@switchboard.test", "role": "agent",
                   "password": "bob-agent-password", "queues": [{"queue_id": queue["queue_id"]}]}),
        )
        .await
        .expect(201)["agent_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tones = Tones::new();
    let (visitor_wav, agent_wav, bob_wav) = (
        tones.wav("visitor", VISITOR_HZ, 60),
        tones.wav("agent", AGENT_HZ, 60),
        tones.wav("bob", COLLEAGUE_HZ, 60),
    );
    let (visitor, ada) = connected_call(&c, &site, &visitor_wav, &agent_wav).await;
    let bob = Widget::ready_with_microphone(
        &c.server.base_url,
        "bob@switchboard.test",
        "bob-agent-password",
        &bob_wav,
    )
    .await;
    let (v, a, b) = (VISITOR_HZ as u32, AGENT_HZ as u32, COLLEAGUE_HZ as u32);
    let freqs = [v, a, b];
    let caller = End::Visitor(&visitor);
    hears(caller, &freqs, "the visitor hears Ada", |h| audible(h, a)).await;

    ada.transfer_to_agent(&bob_id).await;
    bob.wait_offer().await;
    // Waiting for Bob, the visitor is still on the call and hears the hold music: neither
    // Ada (who has let go) nor silence.
    let waiting = visitor.call_stats().await;
    End::Visitor(&visitor)
        .receives_more(&waiting, "the visitor waiting for Bob")
        .await;
    let held = visitor.heard(&freqs).await;
    assert!(
        held[&a] < 1e-3 || inaudible(&held, a),
        "Ada is off the call: {held:?}"
    );
    bob.accept_offer().await;
    bob.wait_call_status("On the call").await;
    hears(caller, &freqs, "the visitor hears Bob, not Ada", |h| {
        audible(h, b) && inaudible(h, a)
    })
    .await;
    hears(End::Agent(&bob), &freqs, "Bob hears the visitor", |h| {
        audible(h, v)
    })
    .await;

    visitor.reload().await;
    visitor.wait_call_status("On the call").await;
    hears(
        caller,
        &freqs,
        "the visitor, back after a reload, hears Bob",
        |h| audible(h, b) && inaudible(h, a),
    )
    .await;
    let connected = c
        .admin
        .get("/v1/engagements?state=connected")
        .await
        .expect(200);
    assert_eq!(
        connected.as_array().map(Vec::len),
        Some(1),
        "still the one call: {connected}"
    );

    bob.click("[data-test=end]").await;
    visitor.wait_call_status("Call ended").await;
    for browser in [visitor.browser, ada.browser, bob.browser] {
        browser.close().await;
    }
}

/// The server restarts mid-call (same address, same database; a crash, a deploy): the
/// visitor's page and Ada's widget see their audio drop, their sockets come back, each offers
/// a new leg on the same call, and they hear each other again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_comes_back_after_a_server_restart() {
    let port = tests::process::free_port();
    let (mut c, site) = call_center_with_website_on(port).await;
    let tones = Tones::new();
    let (visitor_wav, agent_wav) = (
        tones.wav("visitor", VISITOR_HZ, 60),
        tones.wav("agent", AGENT_HZ, 60),
    );
    let (visitor, ada) = connected_call(&c, &site, &visitor_wav, &agent_wav).await;
    let (v, a) = (VISITOR_HZ as u32, AGENT_HZ as u32);
    let freqs = [v, a];
    let (caller, agent) = (End::Visitor(&visitor), End::Agent(&ada));
    hears(caller, &freqs, "the visitor hears Ada", |h| audible(h, a)).await;

    c.server.child.start_kill().unwrap();
    c.server.child.wait().await.unwrap();
    c.server = tests::process::start_switchboard(&c.db, website_server(&site.origin, port)).await;

    let back = Duration::from_secs(40);
    hears_within(
        back,
        caller,
        &freqs,
        "the visitor's audio drops with the server",
        |h| !audible(h, a),
    )
    .await;
    hears_within(
        back,
        caller,
        &freqs,
        "the visitor hears Ada after the restart",
        |h| audible(h, a),
    )
    .await;
    hears_within(
        back,
        agent,
        &freqs,
        "Ada hears the visitor after the restart",
        |h| audible(h, v),
    )
    .await;
    ada.click("[data-test=end]").await;
    visitor.wait_call_status("Call ended").await;
    visitor.close().await;
    ada.browser.close().await;
}

/// Ada has the widget open in two tabs: the call's audio is in the active one only; "Use
/// here" in the other moves it there (the visitor keeps hearing her), and the first lets go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_active_widget_has_the_calls_audio_and_use_here_moves_it() {
    let (c, site) = call_center_with_website().await;
    let tones = Tones::new();
    let (visitor_wav, agent_wav) = (
        tones.wav("visitor", VISITOR_HZ, 60),
        tones.wav("agent", AGENT_HZ, 60),
    );
    let ada = ada(&c, &agent_wav).await;
    let tabs = &ada.browser.client;
    let first = tabs.window().await.unwrap();
    let second = tabs.new_window(true).await.unwrap().handle;
    tabs.switch_to_window(second.clone()).await.unwrap();
    ada.browser
        .ready_in_standalone_widget(
            &format!("{}/widget/", c.server.base_url),
            "ada@switchboard.test",
            "ada-agent-password",
        )
        .await;
    ada.wait_shown("the second tab inactive", INACTIVE, true)
        .await;
    tabs.switch_to_window(first.clone()).await.unwrap();
    ada.wait_shown("the first tab active", INACTIVE, false)
        .await;

    let visitor = ChatPage::with_microphone(&site.origin, Some(&visitor_wav)).await;
    visitor.call("Grace Hopper").await;
    ada.wait_offer().await;
    ada.accept_offer().await;
    ada.wait_call_status("On the call").await;
    visitor.wait_call_status("On the call with Ada").await;
    let (v, a) = (VISITOR_HZ as u32, AGENT_HZ as u32);
    let freqs = [v, a];
    hears(
        End::Agent(&ada),
        &freqs,
        "the active tab hears the visitor",
        |h| audible(h, v),
    )
    .await;

    tabs.switch_to_window(second.clone()).await.unwrap();
    ada.wait_present("the call's panel in the inactive tab", "[data-call]")
        .await;
    assert_eq!(
        ada.run("const b = document.querySelector('[data-test=call-bar]'); return (b === null || b.hidden) && !document.querySelector('[data-test=call-audio]');").await,
        json!(true),
        "the inactive tab has no call bar and no audio"
    );

    ada.click("[data-test=use-here]").await;
    ada.wait_call_status("On the call").await;
    hears(
        End::Agent(&ada),
        &freqs,
        "the tab that took over hears the visitor",
        |h| audible(h, v),
    )
    .await;
    hears(
        End::Visitor(&visitor),
        &freqs,
        "the visitor hears Ada from her new tab",
        |h| audible(h, a),
    )
    .await;
    tabs.switch_to_window(first.clone()).await.unwrap();
    ada.eval(
        "the first tab to let the audio go",
        "return document.querySelector('[data-test=call-audio]') === null ? true : null;",
    )
    .await;

    tabs.switch_to_window(second).await.unwrap();
    ada.click("[data-test=end]").await;
    visitor.wait_call_status("Call ended").await;
    visitor.close().await;
    ada.browser.close().await;
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
