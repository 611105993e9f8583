#!/usr/bin/env python3
"""Writes backend/assets/hold.opus, the music a held caller hears: a soft 4-second C-E-G-E
arpeggio at 48 kHz, mono, encoded once with libsndfile's Opus encoder (pip: soundfile, numpy).

The server plays its Opus packets as they are (no encoder on the live path), so the file is
committed; run this only to change the sound. Its notes avoid 440 and 880 Hz, the tones the
voice tests give the visitor and the agent.
"""
import pathlib
import numpy as np
import soundfile as sf

RATE = 48_000
NOTE_SECONDS = 0.5
NOTES_HZ = [523.25, 659.25, 783.99, 659.25, 523.25, 659.25, 783.99, 1046.5]

def note(freq: float) -> np.ndarray:
    t = np.arange(int(RATE * NOTE_SECONDS)) / RATE
    envelope = np.minimum(1.0, t / 0.02) * np.exp(-3.0 * t)
    tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
    return 0.25 * envelope * tone

samples = np.concatenate([note(f) for f in NOTES_HZ]).astype(np.float32)
out = pathlib.Path(__file__).resolve().parent.parent / "backend" / "assets" / "hold.opus"
sf.write(out, samples, RATE, format="OGG", subtype="OPUS", compression_level=0.8)
print(f"wrote {out} ({out.stat().st_size} bytes, {len(samples) / RATE:.1f} s)")
