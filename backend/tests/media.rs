//! The media engine with real WebRTC on both ends: softphone peers (`tests::voice`, str0m as a
//! full ICE agent) on loopback UDP, the engine as the server runs it. Who hears whom, hold
//! music, a listening supervisor, a reloaded caller, and the recording's two channels.

use backend::media::{Media, MediaConfig, MediaEvent, Monitor, Party};
use std::time::Duration;
use tests::voice::{connect_all, hear_each_other, read_recording, talk, Peer, AGENT, CALLER};

const SUPERVISOR: u8 = 3;

fn media() -> (Media, tokio::sync::mpsc::UnboundedReceiver<MediaEvent>) {
    Media::start(&MediaConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_ip: None,
        relay_delay: None,
    })
    .expect("the media engine starts on loopback")
}

async fn join(media: &Media, call: uuid::Uuid, party: Party, tag: u8) -> Peer {
    let (mut peer, offer) = Peer::new(tag);
    let answer = media
        .offer(call, party, offer)
        .await
        .expect("the offer is accepted");
    assert!(
        answer.contains("127.0.0.1"),
        "the server's only candidate is the loopback address it is bound to:\n{answer}"
    );
    assert!(answer.contains("a=ice-lite"), "the server is ICE-lite");
    peer.accept_answer(&answer).expect("the answer is accepted");
    peer
}

#[tokio::test(flavor = "multi_thread")]
async fn caller_and_agent_hear_each_other_hold_mutes_them_and_a_supervisor_listens() {
    let (media, mut events) = media();
    let call = uuid::Uuid::now_v7();
    media.open(call);
    media.record(call, true);
    let mut caller = join(&media, call, Party::Caller, CALLER).await;
    let mut agent = join(&media, call, Party::Agent, AGENT).await;
    connect_all(&mut [&mut caller, &mut agent]);

    // One second of both talking: each hears the other on its Main line, nobody hears itself.
    hear_each_other(
        &mut caller,
        &mut agent,
        Duration::from_secs(1),
        40,
        "caller and agent",
    );
    assert_eq!(caller.heard[0].by_tag[CALLER as usize], 0);
    // How fast is measured by `voice-bench` (a timed assertion here would only be flaky).

    // Hold: the caller hears the hold music (not the agent), the agent hears nothing.
    media.hold(call, true);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (before_music, before_agent) = (caller.heard[0].by_tag[0], agent.heard[0].total());
    talk(
        &mut [&mut caller, &mut agent],
        &[true, true],
        Duration::from_secs(1),
    );
    assert!(
        caller.heard[0].by_tag[0] - before_music >= 40,
        "the caller hears hold music"
    );
    assert!(
        agent.heard[0].total() - before_agent <= 2,
        "the agent hears nothing on hold"
    );
    media.hold(call, false);

    // A listening supervisor: the caller on Main, the agent on Extra; nobody hears them.
    media.monitor(call, 7, Some(Monitor::Listen));
    let mut supervisor = join(&media, call, Party::Supervisor(7), SUPERVISOR).await;
    connect_all(&mut [&mut caller, &mut agent, &mut supervisor]);
    talk(
        &mut [&mut caller, &mut agent, &mut supervisor],
        &[true, true, true],
        Duration::from_secs(1),
    );
    assert!(
        supervisor.heard[0].by_tag[CALLER as usize] >= 40,
        "{:?}",
        supervisor.heard
    );
    assert!(
        supervisor.heard[1].by_tag[AGENT as usize] >= 40,
        "{:?}",
        supervisor.heard
    );
    for party in [&caller, &agent] {
        assert_eq!(
            party.heard[0].by_tag[SUPERVISOR as usize], 0,
            "a listener is not heard"
        );
        assert_eq!(
            party.heard[1].by_tag[SUPERVISOR as usize], 0,
            "a listener is not heard"
        );
    }

    // Barge: now both hear the supervisor, on their Extra line.
    media.monitor(call, 7, Some(Monitor::Barge));
    tokio::time::sleep(Duration::from_millis(50)).await;
    talk(
        &mut [&mut caller, &mut agent, &mut supervisor],
        &[true, true, true],
        Duration::from_secs(1),
    );
    for party in [&caller, &agent] {
        assert!(
            party.heard[1].by_tag[SUPERVISOR as usize] >= 40,
            "{:?}",
            party.heard
        );
    }

    media.end(call);
    let recording = recording_of(&mut events, call).await;
    let (_, caller_frames, agent_frames) = read_recording(&recording);
    // Talking for ~4 s in all, of which 1 s on hold (silence in the file).
    assert!(
        (120..=200).contains(&caller_frames),
        "caller frames {caller_frames}"
    );
    assert!(
        (120..=200).contains(&agent_frames),
        "agent frames {agent_frames}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_who_offers_again_replaces_their_leg_on_the_same_call() {
    let (media, _events) = media();
    let call = uuid::Uuid::now_v7();
    media.open(call);
    let mut first = join(&media, call, Party::Caller, CALLER).await;
    let mut agent = join(&media, call, Party::Agent, AGENT).await;
    connect_all(&mut [&mut first, &mut agent]);
    // The page reloads: a new peer connection for the same party.
    let mut second = join(&media, call, Party::Caller, CALLER).await;
    connect_all(&mut [&mut second, &mut agent]);
    talk(
        &mut [&mut second, &mut agent],
        &[true, true],
        Duration::from_secs(1),
    );
    assert!(second.heard[0].by_tag[AGENT as usize] >= 40);
    assert!(agent.heard[0].by_tag[CALLER as usize] >= 40);
    let stats = media.stats().await.unwrap();
    assert_eq!((stats.calls, stats.legs), (1, 2), "the old leg is gone");
    first.poll();
}

#[tokio::test]
async fn offers_for_unknown_calls_or_without_audio_are_refused() {
    let (media, _events) = media();
    let (_, offer) = Peer::new(CALLER);
    let err = media
        .offer(uuid::Uuid::now_v7(), Party::Caller, offer)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no call"), "{err}");
    let call = uuid::Uuid::now_v7();
    media.open(call);
    let err = media
        .offer(call, Party::Caller, "v=0 nonsense".into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SDP offer"), "{err}");
}

#[test]
fn all_interfaces_without_a_public_address_is_refused() {
    let err = Media::start(&MediaConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        public_ip: None,
        relay_delay: None,
    })
    .err()
    .expect("refused");
    assert!(err.to_string().contains("--media-public-ip"), "{err}");
}

async fn recording_of(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<MediaEvent>,
    call: uuid::Uuid,
) -> Vec<u8> {
    let mut file = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("the recording ends within 5 s")
            .expect("events");
        match event {
            MediaEvent::RecordingStarted { call: c, bytes, .. } if c == call => file = bytes,
            MediaEvent::RecordingData { call: c, bytes } if c == call => file.extend(bytes),
            MediaEvent::RecordingEnded {
                call: c,
                bytes,
                duration,
                ..
            } if c == call => {
                file.extend(bytes);
                assert!(duration > Duration::from_secs(3), "{duration:?}");
                return file;
            }
            _ => {}
        }
    }
}
/// The recorder's file read by someone else's decoder (libsndfile + libopus): two channels at
/// 48 kHz, the right length, the caller's audio on the left and the agent's on the right.
/// Real Opus frames come from the hold music clip (C5 = 523 Hz for its first half second).
#[test]
fn a_recording_decodes_elsewhere_with_each_party_on_their_channel() {
    use backend::media::hold::HoldAudio;
    use backend::media::recording::{Channel, Recorder};
    let clip = HoldAudio::built_in();
    let mut recorder = Recorder::new(42);
    let mut file = recorder.take();
    // 4 s: the caller plays the clip from the start, the agent from 2 s on.
    for slot in 0..200u64 {
        let now = slot * 960 + 200;
        recorder.push(
            Channel::Caller,
            1,
            now,
            10_000 + slot * 960,
            clip.packet(slot),
        );
        if slot >= 100 {
            let n = slot - 100;
            recorder.push(Channel::Agent, 2, now, 99_000 + n * 960, clip.packet(n));
        }
        recorder.advance(now);
        file.extend(recorder.take());
    }
    let (tail, counts) = recorder.finish(200 * 960);
    file.extend(tail);
    assert_eq!(counts.frames, 300);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.opus");
    std::fs::write(&path, &file).unwrap();
    let decoded = tests::audio::decode(&path).expect("libsndfile decodes the recording");
    assert_eq!((decoded.channels.len(), decoded.rate), (2, 48_000));
    assert!(
        (decoded.seconds() - 4.0).abs() < 0.05,
        "{} s",
        decoded.seconds()
    );
    let c5 = |channel, from, to| {
        tests::audio::tone_level(decoded.window(channel, from, to), 48_000, 523.25)
    };
    let (left, right) = (0, 1);
    assert!(
        c5(left, 0.1, 0.45) > 0.05,
        "the caller's note on the left: {}",
        c5(left, 0.1, 0.45)
    );
    assert!(
        c5(right, 0.1, 0.45) < 0.005,
        "nothing on the right yet: {}",
        c5(right, 0.1, 0.45)
    );
    assert!(
        c5(right, 2.1, 2.45) > 0.05,
        "the agent's note on the right: {}",
        c5(right, 2.1, 2.45)
    );
}

/// A caller whose network blocks UDP: their peer has no UDP candidate and reaches the server
/// over ICE-TCP (the answer's passive TCP candidate on the media port); the agent is on UDP.
/// They hear each other, and the recording has both.
#[tokio::test(flavor = "multi_thread")]
async fn a_caller_without_udp_talks_over_ice_tcp() {
    let (media, mut events) = media();
    let call = uuid::Uuid::now_v7();
    media.open(call);
    media.record(call, true);
    let (mut caller, offer) = Peer::new_tcp(CALLER);
    assert!(
        !offer.contains("a=candidate"),
        "no UDP: the offer has no candidate"
    );
    let answer = media
        .offer(call, Party::Caller, offer)
        .await
        .expect("the offer is accepted");
    assert!(
        answer.lines().any(|l| l.contains(" tcp ")
            && l.contains("127.0.0.1")
            && l.contains("tcptype passive")),
        "the answer offers a passive TCP candidate on loopback:\n{answer}"
    );
    caller
        .accept_answer(&answer)
        .expect("the caller connects over TCP");
    let mut agent = join(&media, call, Party::Agent, AGENT).await;
    connect_all(&mut [&mut caller, &mut agent]);
    hear_each_other(
        &mut caller,
        &mut agent,
        Duration::from_secs(1),
        40,
        "the caller on TCP",
    );
    media.end(call);
    let mut file = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(MediaEvent::RecordingStarted { bytes, .. })) => file = bytes,
            Ok(Some(MediaEvent::RecordingData { bytes, .. })) => file.extend(bytes),
            Ok(Some(MediaEvent::RecordingEnded { bytes, .. })) => {
                file.extend(bytes);
                break;
            }
            Ok(Some(_)) => {}
            other => panic!("no recording: {other:?}"),
        }
    }
    let (_, caller_frames, agent_frames) = read_recording(&file);
    assert!(
        caller_frames >= 40 && agent_frames >= 40,
        "each party on its channel: {caller_frames} / {agent_frames}"
    );
}
