//! Checking audio the way an ear would: a file decoded by libsndfile/libopus
//! (`tests/tools/decode-audio.py`, installed by `scripts/setup.sh`), and a Goertzel filter that
//! says how much of a tone a stretch of samples holds.

use std::path::Path;

/// A decoded file: one sample vector per channel.
pub struct Decoded {
    pub rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl Decoded {
    pub fn seconds(&self) -> f64 {
        self.channels.first().map_or(0, Vec::len) as f64 / self.rate as f64
    }

    /// Samples `from..to` seconds of `channel`.
    pub fn window(&self, channel: usize, from: f64, to: f64) -> &[f32] {
        let samples = &self.channels[channel];
        let at = |s: f64| ((s * self.rate as f64) as usize).min(samples.len());
        &samples[at(from)..at(to)]
    }
}

/// Decodes `file` (any format libsndfile reads, Ogg/Opus included).
pub fn decode(file: &Path) -> Result<Decoded, String> {
    let root = crate::workspace_root();
    let python = root.join(".tools/py/bin/python");
    let output = std::process::Command::new(&python)
        .arg(root.join("tests/tools/decode-audio.py"))
        .arg(file)
        .output()
        .map_err(|e| format!("{}: {e} (run scripts/setup.sh)", python.display()))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let newline = output
        .stdout
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("no header")?;
    let header: serde_json::Value =
        serde_json::from_slice(&output.stdout[..newline]).map_err(|e| e.to_string())?;
    let channels = header["channels"].as_u64().ok_or("channels")? as usize;
    let rate = header["rate"].as_u64().ok_or("rate")? as u32;
    let mut out = vec![Vec::new(); channels];
    for (i, chunk) in output.stdout[newline + 1..].chunks_exact(4).enumerate() {
        out[i % channels].push(f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
    }
    Ok(Decoded {
        rate,
        channels: out,
    })
}

/// Writes a WAV file (16-bit PCM, mono, 48 kHz) of a `freq` tone `seconds` long at half
/// scale: what a fake microphone plays.
pub fn write_tone(path: &Path, freq: f64, seconds: u32) {
    let rate = 48_000u32;
    let samples: Vec<i16> = (0..rate * seconds)
        .map(|i| {
            let t = i as f64 / rate as f64;
            (0.5 * (2.0 * std::f64::consts::PI * freq * t).sin() * i16::MAX as f64) as i16
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, wav).expect("the tone file is written");
}

/// The strength of `freq` in `samples` (Goertzel), as the amplitude of a sine at that
/// frequency would read: a full-scale tone ≈ 1.0, silence ≈ 0.
pub fn tone_level(samples: &[f32], rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = x as f64 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_finds_the_tone_it_is_tuned_to() {
        let rate = 48_000;
        let tone: Vec<f32> = (0..rate)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / rate as f64).sin()) as f32
            })
            .collect();
        assert!((tone_level(&tone, rate, 440.0) - 0.5).abs() < 0.01);
        assert!(tone_level(&tone, rate, 880.0) < 0.01);
        assert_eq!(tone_level(&[], rate, 440.0), 0.0);
    }
}
