#!/usr/bin/env python3
"""Decodes an audio file with libsndfile (libopus for Ogg/Opus) — an implementation that is
not Switchboard's — and writes what the Rust tests need to stdout: one JSON line
{"channels": C, "rate": R, "frames": N}, then N*C little-endian float32 samples, interleaved.
"""
import json
import sys

import numpy as np
import soundfile as sf

data, rate = sf.read(sys.argv[1], dtype="float32", always_2d=True)
header = {"channels": int(data.shape[1]), "rate": int(rate), "frames": int(data.shape[0])}
sys.stdout.buffer.write((json.dumps(header) + "\n").encode())
sys.stdout.buffer.write(np.ascontiguousarray(data, dtype="<f4").tobytes())
