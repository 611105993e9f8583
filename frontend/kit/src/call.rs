//! One leg of a web call as a browser holds it (docs/voice.md), for the visitor's chat page
//! and the agent's call bar alike: the microphone (and what to say when it is refused or
//! missing), one peer connection to Switchboard with two audio lines — the first sendrecv
//! (the microphone out, the other party back), the second recvonly (a barging supervisor) —
//! each played by an `<audio>` element, the offer (with the browser's ICE candidates gathered
//! for a moment: the server learns its address from its checks anyway) and the answer.

use crate::dom::{after, attr, el};
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Element, HtmlMediaElement, MediaStream, MediaStreamConstraints, MediaStreamTrack,
    RtcConfiguration, RtcIceGatheringState, RtcPeerConnection, RtcPeerConnectionState,
    RtcRtpSender, RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType,
    RtcSessionDescriptionInit,
};

/// How long the offer waits for the browser's own ICE candidates.
const GATHER_MS: i32 = 2_000;

/// Why there is no microphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicProblem {
    /// The browser (or the person) refused it.
    Refused,
    /// There is none.
    Missing,
    /// Anything else, in the browser's words.
    Other(String),
}

impl MicProblem {
    /// What to tell the person, ending with what they can do.
    pub fn message(&self, then: &str) -> String {
        match self {
            MicProblem::Refused => format!("The browser blocks the microphone for this page. Allow it (the icon in the address bar), then {then}."),
            MicProblem::Missing => format!("No microphone was found. Connect one, then {then}."),
            MicProblem::Other(why) => format!("The microphone could not be opened ({why}). {then}."),
        }
    }
}

/// The microphone (a given input device, or the default one).
pub async fn microphone(device: Option<&str>) -> Result<MediaStream, MicProblem> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or(MicProblem::Other("no media devices in this page".into()))?;
    let constraints = MediaStreamConstraints::new();
    match device.filter(|d| !d.is_empty()) {
        Some(id) => {
            let exact = crate::object(&[("exact", id.into())]);
            constraints.set_audio(&crate::object(&[("deviceId", exact)]));
        }
        None => constraints.set_audio(&JsValue::TRUE),
    }
    let asked = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|_| MicProblem::Other("getUserMedia is not available".into()))?;
    match JsFuture::from(asked).await {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(e) => Err(match crate::text(&e, "name").as_deref() {
            Some("NotAllowedError" | "SecurityError") => MicProblem::Refused,
            Some("NotFoundError" | "OverconstrainedError") => MicProblem::Missing,
            _ => MicProblem::Other(crate::text(&e, "message").unwrap_or_default()),
        }),
    }
}

/// Stops every track of `stream` (the browser's "in use" indicator goes).
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(t) = track.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

/// The first audio track of `stream`.
pub fn audio_track(stream: &MediaStream) -> Option<MediaStreamTrack> {
    stream.get_audio_tracks().get(0).dyn_into().ok()
}

/// A peer connection to Switchboard and the two `<audio>` elements that play it (a clone is
/// another handle to the same).
#[derive(Clone)]
pub struct Leg {
    pub pc: RtcPeerConnection,
    sender: RtcRtpSender,
    /// `[main, extra]`: the other party, a barging supervisor.
    pub audio: [Element; 2],
}

impl Leg {
    /// A leg sending `mic` (`ice_servers`: the `iceServers` array the server gave).
    pub fn new(ice_servers: &JsValue, mic: &MediaStream, test: &str) -> Result<Leg, JsValue> {
        let config = RtcConfiguration::new();
        if Array::is_array(ice_servers) {
            config.set_ice_servers(ice_servers);
        }
        let pc = RtcPeerConnection::new_with_configuration(&config)?;
        let track = audio_track(mic).ok_or_else(|| JsValue::from_str("no audio track"))?;
        let main = RtcRtpTransceiverInit::new();
        main.set_direction(RtcRtpTransceiverDirection::Sendrecv);
        let extra = RtcRtpTransceiverInit::new();
        extra.set_direction(RtcRtpTransceiverDirection::Recvonly);
        let lines = [
            pc.add_transceiver_with_media_stream_track_and_init(&track, &main),
            pc.add_transceiver_with_str_and_init("audio", &extra),
        ];
        let audio = [el("audio", ""), el("audio", "")];
        for (i, (line, element)) in lines.iter().zip(&audio).enumerate() {
            attr(element, "autoplay", "");
            attr(
                element,
                "data-test",
                &format!("{test}{}", ["", "-extra"][i]),
            );
            // The connection's statistics stay reachable from the page (what browser tests
            // and a support engineer's console read: `getStats()`).
            let _ = Reflect::set(element, &"switchboardPeer".into(), &pc);
            let stream = MediaStream::new_with_tracks(&Array::of1(&line.receiver().track()))?;
            if let Some(media) = element.dyn_ref::<HtmlMediaElement>() {
                media.set_src_object(Some(&stream));
                let _ = media.play();
            }
        }
        let sender = lines[0].sender();
        Ok(Leg { pc, sender, audio })
    }

    /// The offer to send: made, set, and its candidates gathered (for at most two seconds).
    pub async fn offer(&self) -> Result<String, JsValue> {
        let offer = JsFuture::from(self.pc.create_offer()).await?;
        let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        local.set_sdp(&crate::text(&offer, "sdp").unwrap_or_default());
        JsFuture::from(self.pc.set_local_description(&local)).await?;
        let mut waited = 0;
        while self.pc.ice_gathering_state() != RtcIceGatheringState::Complete && waited < GATHER_MS
        {
            sleep(50).await;
            waited += 50;
        }
        Ok(self
            .pc
            .local_description()
            .map(|d| d.sdp())
            .unwrap_or_default())
    }

    /// The server's answer.
    pub async fn answer(&self, sdp: &str) -> Result<(), JsValue> {
        let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        answer.set_sdp(sdp);
        JsFuture::from(self.pc.set_remote_description(&answer)).await?;
        Ok(())
    }

    /// Sends another microphone (a different input device) without a new offer.
    pub fn replace_track(&self, track: &MediaStreamTrack) {
        let _ = self.sender.replace_track(Some(track));
    }

    /// Plays the call on another output device (`setSinkId`, where the browser has it).
    pub fn set_output(&self, device: &str) {
        for element in &self.audio {
            if let Ok(set) = Reflect::get(element, &"setSinkId".into()) {
                if let Some(f) = set.dyn_ref::<js_sys::Function>() {
                    let _ = f.call1(element, &device.into());
                }
            }
        }
    }

    /// Calls `lost` when the connection has been down (`disconnected` or `failed`) for
    /// `after_ms`: the server holding the call went away, or the network changed. The answer
    /// is a new leg and a new offer (the server replaces the old leg; with several instances
    /// the offer reaches whichever holds the call now).
    pub fn on_lost(&self, after_ms: i32, lost: impl Fn() + 'static) {
        let pc = self.pc.clone();
        let lost = std::rc::Rc::new(lost);
        let changed = Closure::<dyn Fn()>::new(move || {
            let down = |pc: &RtcPeerConnection| {
                matches!(
                    pc.connection_state(),
                    RtcPeerConnectionState::Disconnected | RtcPeerConnectionState::Failed
                )
            };
            if !down(&pc) {
                return;
            }
            let (pc, lost) = (pc.clone(), lost.clone());
            after(after_ms, move || {
                if down(&pc) {
                    lost();
                }
            });
        });
        self.pc
            .set_onconnectionstatechange(Some(changed.into_js_value().unchecked_ref()));
    }

    pub fn close(&self) {
        self.pc.set_onconnectionstatechange(None);
        self.pc.close();
        for element in &self.audio {
            element.remove();
        }
    }
}

/// Is the leg's audio connected?
pub fn is_connected(leg: &Leg) -> bool {
    leg.pc.connection_state() == RtcPeerConnectionState::Connected
}

/// The call's wire payload for `call_offer`: `{"type":"call_offer","sdp":…}` (and the
/// engagement, on the agent's socket).
pub fn offer_frame(sdp: &str, engagement: Option<&str>) -> String {
    let mut fields = vec![
        ("type", JsValue::from_str("call_offer")),
        ("sdp", sdp.into()),
    ];
    if let Some(id) = engagement {
        fields.push(("engagement_id", id.into()));
    }
    js_sys::JSON::stringify(&crate::object(&fields))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Resolves after `ms`.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        after(ms, move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
    });
    let _ = JsFuture::from(promise).await;
}
