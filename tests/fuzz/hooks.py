"""Schemathesis hooks for Switchboard's API fuzzing (tests/tests/fuzz.rs).

Serializers for the bodies that are not JSON: CSP violation reports
(`application/csp-report`, JSON a browser sends under its own media type), recording uploads
(`audio/*`, raw bytes), chat attachments (images and PDF, raw bytes) and WebVTT transcripts
(`text/vtt`). Then `before_call`: the rules
`/openapi.json` states only in prose, applied to each generated request.
"""

import json
import re
import uuid
from datetime import datetime

import schemathesis


@schemathesis.serializer("application/csp-report")
def csp_report(ctx, value):
    return json.dumps(value).encode()


def raw_bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return bytes(v % 256 for v in value if isinstance(v, int))
    return str(value).encode()


@schemathesis.serializer("audio/*")
def audio(ctx, value):
    return raw_bytes(value)


@schemathesis.serializer("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
def chat_file(ctx, value):
    """Chat attachments: raw bytes (the server checks that they start like the kind says)."""
    return raw_bytes(value)


@schemathesis.serializer("text/vtt")
def webvtt(ctx, value):
    return str(value).encode()


# ---- The rules the document states in prose ---------------------------------------------------
#
# JSON Schema cannot relate two values, so these rules are in the document's descriptions and
# docs/api.md, and here: each generated request is brought within them before it is sent, so
# positive_data_acceptance tests everything else. Each repair keeps the request valid against
# the schema.

FLOWS = re.compile(r"^/v1/flows(/[^/]+)?$")
QUEUES = re.compile(r"^/v1/queues(/[^/]+)?$")
WINDOWS = {
    "/v1/recordings", "/v1/transcripts", "/v1/notes", "/v1/dispositions/assigned", "/v1/surveys",
    "/v1/reports/engagements", "/v1/reports/queues", "/v1/reports/agents",
}


def is_positive(case):
    """Only requests the document calls valid are repaired; invalid ones go out as drawn."""
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    return mode is None or getattr(mode, "is_positive", True)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not is_positive(case):
        return
    path = case.operation.path
    method = case.method.upper()
    if method in ("POST", "PUT") and FLOWS.match(path) and isinstance(case.body, dict):
        flow_graph(case.body, case.path_parameters or {})
    elif method in ("POST", "PUT") and QUEUES.match(path) and isinstance(case.body, dict):
        queue_overflow(case.body, case.path_parameters or {})
    elif method == "POST" and path == "/v1/engagements" and isinstance(case.body, dict):
        start_request(case)
    elif method == "GET" and path in WINDOWS and case.query:
        window(case.query)
    elif method == "POST" and path == "/v1/engagements/{id}/recordings" and case.query:
        ordered_times(case.query, "recording_start_time", "recording_end_time")


def flow_graph(body, path_parameters):
    """`start` names a step; `next`/`then`/`otherwise` name steps of the flow; no loops; a flow
    does not route to itself; callout body templates are JSON."""
    steps = body.get("steps")
    if isinstance(steps, dict) and steps:
        names = sorted(steps)
        body["start"] = names[0]
        own = path_parameters.get("id")
        for i, name in enumerate(names):
            step = steps[name]
            if not isinstance(step, dict):
                continue
            following = names[i + 1] if i + 1 < len(names) else None
            kind = step.get("type")
            if kind in ("condition", "set_variable") and following is None:
                steps[name] = {"type": "route_to_queue", "queue_id": str(uuid.uuid4())}
            elif kind == "condition":
                step["then"] = following
                step["otherwise"] = following
            elif kind == "set_variable":
                step["next"] = following
            elif kind == "route_to_flow" and own is not None and step.get("flow_id") == own:
                step["flow_id"] = str(uuid.uuid4())
    callouts = body.get("callouts")
    for callout in callouts if isinstance(callouts, list) else []:
        if isinstance(callout, dict) and isinstance(callout.get("body_template"), str):
            as_json = json.dumps(callout["body_template"])
            callout["body_template"] = as_json if len(as_json) <= 10000 else "{}"


def queue_overflow(body, path_parameters):
    """A queue does not overflow into itself."""
    overflow = body.get("overflow")
    if isinstance(overflow, dict) and overflow.get("queue_id") in (
        path_parameters.get("id"),
        body.get("queue_id"),
    ):
        overflow["queue_id"] = str(uuid.uuid4())


def start_request(case):
    """Variable names are unique; the work_item channel needs work_item_variables; an
    Idempotency-Key names one request (a reused key with another body is refused)."""
    body = case.body
    variables = body.get("variables")
    if isinstance(variables, list):
        seen, unique = set(), []
        for v in variables:
            name = v.get("name") if isinstance(v, dict) else None
            key = name if isinstance(name, str) else repr(name)
            if key not in seen:
                seen.add(key)
                unique.append(v)
        body["variables"] = unique
    channels = body.get("channels")
    if (
        isinstance(channels, list)
        and channels
        and isinstance(channels[0], dict)
        and channels[0].get("channel") == "work_item"
        and not isinstance(body.get("work_item_variables"), dict)
    ):
        body["work_item_variables"] = {"work_item_name": "Fuzzed work item"}
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def window(query):
    """`to` is not before `from` and at most a month after it; page tokens come from the
    server."""
    query.pop("next_page_token", None)
    if query.get("from") is not None:
        query["to"] = query["from"]


def ordered_times(query, start, end):
    """A recording does not end before it starts."""
    try:
        a, b = datetime.fromisoformat(query[start]), datetime.fromisoformat(query[end])
        if b < a:
            query[start], query[end] = query[end], query[start]
    except (KeyError, TypeError, ValueError):
        pass
