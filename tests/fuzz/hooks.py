"""Schemathesis hooks for Switchboard's API fuzzing (tests/tests/fuzz.rs).

Two request bodies are not JSON: CSP violation reports (`application/csp-report`, JSON a
browser sends under its own media type) and recording uploads (`audio/*`, raw bytes).
"""

import json

import schemathesis


@schemathesis.serializer("application/csp-report")
def csp_report(ctx, value):
    return json.dumps(value).encode()


@schemathesis.serializer("audio/*")
def audio(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return bytes(v % 256 for v in value if isinstance(v, int))
    return str(value).encode()
