//! The web call's parts on both sides (the visitor's chat page and the agent's call bar name
//! them alike: `call-status`, `call-mute`, `call-audio`, `call-error`), and what a call's
//! peer connection says about itself (`getStats()`).

use super::{ChatPage, Widget};
use crate::browser::Browser;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Magnitudes heard at asked frequencies (Hz → linear magnitude): `ChatPage::heard`,
/// `Widget::heard`.
pub type Heard = HashMap<u32, f64>;

fn heard_script(freqs: &[u32]) -> String {
    HEARD.replace("arguments[0]", &serde_json::json!(freqs).to_string())
}

fn read_heard(v: Value) -> Heard {
    let map: HashMap<String, f64> = serde_json::from_value(v).expect("levels by frequency");
    map.into_iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
        .collect()
}

/// The call's statistics, read from the peer connection behind `[data-test=call-audio]`:
/// audio packets and energy received (the line that received most), and the addresses of the
/// selected candidate pair. `null` until the connection has a selected pair.
const STATS: &str = r#"return (async () => {
  const audio = document.querySelector('[data-test=call-audio]');
  if (!audio || !audio.switchboardPeer) return null;
  const stats = await audio.switchboardPeer.getStats();
  let inbound = null, pair = null;
  const byId = new Map();
  stats.forEach((s) => {
    byId.set(s.id, s);
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && (!inbound || s.packetsReceived > inbound.packetsReceived)) inbound = s;
  });
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
  });
  if (!pair) return null;
  const at = (id) => { const c = byId.get(id); return c ? (c.address || c.ip) : null; };
  return {
    packets: inbound ? inbound.packetsReceived : 0,
    energy: inbound ? inbound.totalAudioEnergy : 0,
    local: at(pair.localCandidateId),
    remote: at(pair.remoteCandidateId),
  };
})();"#;

/// What the page's call hears, by frequency: the received audio of every line of the peer
/// connection behind `[data-test=call-audio]`, summed into one WebAudio analyser, its spectrum
/// averaged over about a second; for each asked frequency, the strongest magnitude (linear)
/// within ±3 Hz. `arguments[0]`: the frequencies.
const HEARD: &str = r#"return (async (freqs) => {
  const audio = document.querySelector('[data-test=call-audio]');
  if (!audio || !audio.switchboardPeer) return null;
  const ctx = new AudioContext();
  await ctx.resume();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 16384;
  analyser.smoothingTimeConstant = 0;
  for (const r of audio.switchboardPeer.getReceivers()) {
    if (r.track && r.track.kind === 'audio') ctx.createMediaStreamSource(new MediaStream([r.track])).connect(analyser);
  }
  const bins = new Float32Array(analyser.frequencyBinCount), sum = new Float64Array(bins.length);
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  await pause(400);
  const reads = 8;
  for (let i = 0; i < reads; i++) {
    analyser.getFloatFrequencyData(bins);
    bins.forEach((db, k) => { sum[k] += Number.isFinite(db) ? Math.pow(10, db / 20) : 0; });
    await pause(150);
  }
  const width = ctx.sampleRate / analyser.fftSize, heard = {};
  for (const f of freqs) {
    let best = 0;
    for (let k = Math.floor((f - 3) / width); k <= Math.ceil((f + 3) / width); k++) best = Math.max(best, sum[k] / reads);
    heard[f] = best;
  }
  await ctx.close();
  return heard;
})(arguments[0]);"#;

fn status_script(contains: &str) -> String {
    format!(
        "const s = document.querySelector('[data-test=call-status]'); return s && s.textContent.includes({}) ? s.textContent : null;",
        serde_json::json!(contains)
    )
}

impl ChatPage {
    /// A visitor's browser on the website at `url` with a fake microphone playing `wav` (or a
    /// microphone the browser refuses), the chat opened from the bubble.
    pub async fn with_microphone(url: &str, wav: Option<&Path>) -> ChatPage {
        let mut browser = Browser::with_microphone(wav).await;
        browser.widget_frame = "[data-switchboard-chat=frame]";
        browser.client.goto(url).await.unwrap();
        let page = ChatPage { browser };
        page.open_bubble().await;
        page
    }

    /// Fill in the name and press **Call**.
    pub async fn call(&self, name: &str) {
        self.fill("name", name).await;
        self.browser.click_in_widget("[data-test=call]").await;
    }

    /// Wait until the call's status line says `contains`; the line.
    pub async fn wait_call_status(&self, contains: &str) -> Value {
        self.eval(
            &format!("the call status '{contains}'"),
            &status_script(contains),
        )
        .await
    }

    /// Wait until the page says the call is recorded.
    pub async fn wait_recorded_notice(&self) -> Value {
        self.eval(
            "the recording notice",
            "const n = document.querySelector('[data-test=call-recorded]'); return n && !n.hidden ? n.textContent : null;",
        )
        .await
    }

    /// The call's statistics (see `STATS`), once connected.
    pub async fn call_stats(&self) -> Value {
        self.eval("the visitor's call statistics", STATS).await
    }

    /// What the visitor's call hears at `freqs` (see `HEARD`).
    pub async fn heard(&self, freqs: &[u32]) -> Heard {
        read_heard(
            self.eval("what the visitor hears", &heard_script(freqs))
                .await,
        )
    }

    pub async fn toggle_call_mute(&self) {
        self.browser.click_in_widget("[data-test=call-mute]").await;
    }
}

impl Widget {
    /// A new browser with a fake microphone playing `wav`, the standalone widget signed in as
    /// `email` and ready.
    pub async fn ready_with_microphone(
        base_url: &str,
        email: &str,
        password: &str,
        wav: &Path,
    ) -> Widget {
        let browser = Browser::with_microphone(Some(wav)).await;
        browser
            .ready_in_standalone_widget(&format!("{base_url}/widget/"), email, password)
            .await;
        Widget::standalone(browser)
    }

    /// A new browser with a fake microphone playing `wav`, the standalone widget signed in
    /// as `email` (a supervisor or admin: the supervisor view).
    pub async fn supervisor_with_microphone(
        base_url: &str,
        email: &str,
        password: &str,
        wav: &Path,
    ) -> Widget {
        let widget = Widget::open_in(Browser::with_microphone(Some(wav)).await, base_url).await;
        widget.browser.sign_in_here(email, password).await;
        widget
    }

    /// From the supervisor view: listen to the live engagement `id`.
    pub async fn listen(&self, id: &str) {
        self.click(&format!(
            "[data-test=live-engagements] li[data-engagement='{id}'] [data-test=listen]"
        ))
        .await;
    }

    /// Wait until the supervisor view's call section for `id` is headed `contains`
    /// ("Listening", "Barged in").
    pub async fn wait_monitored_call(&self, id: &str, contains: &str) -> Value {
        self.eval(
            &format!("the monitored call '{contains}'"),
            &format!(
                "const h = document.querySelector(\"[data-test=monitored-call][data-engagement='{id}'] h4\"); return h && h.textContent.includes({}) ? h.textContent : null;",
                serde_json::json!(contains)
            ),
        )
        .await
    }

    /// Wait until the call bar's status says `contains`.
    pub async fn wait_call_status(&self, contains: &str) -> Value {
        self.eval(
            &format!("the call bar '{contains}'"),
            &status_script(contains),
        )
        .await
    }

    /// The call bar's statistics (see `STATS`), once connected.
    pub async fn call_stats(&self) -> Value {
        self.eval("the agent's call statistics", STATS).await
    }

    /// What the (first) call bar's call hears at `freqs` (see `HEARD`).
    pub async fn heard(&self, freqs: &[u32]) -> Heard {
        read_heard(
            self.eval("what the call bar hears", &heard_script(freqs))
                .await,
        )
    }

    /// The call bar's microphone level meter reads something.
    pub async fn wait_mic_level(&self) -> Value {
        self.eval(
            "the microphone level",
            "const m = document.querySelector('[data-test=call-level]'); return m && m.value > 0.01 ? m.value : null;",
        )
        .await
    }
}
