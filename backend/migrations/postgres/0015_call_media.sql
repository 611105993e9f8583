-- Web calls' media when several instances share one database (docs/voice.md): which instance
-- holds each live call's legs (the one its visitor's first offer reached), and the offers that
-- reached another instance, handed to the holder here and answered here. A call's row goes
-- when the call ends; a signal's when its sender has read the answer.
CREATE TABLE call_media (
    engagement_id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    opened_ms BIGINT NOT NULL
);

CREATE TABLE call_signals (
    signal_id TEXT PRIMARY KEY,
    -- The holder asked to answer.
    instance_id TEXT NOT NULL,
    engagement_id TEXT NOT NULL,
    -- `caller`, or `agent` (an agent or a supervisor: agent_id, role, device say who).
    party TEXT NOT NULL,
    agent_id TEXT,
    role TEXT,
    device TEXT,
    sdp TEXT NOT NULL,
    -- Set by the holder: the answer, or why not (a message for the sender's socket).
    answer TEXT,
    error TEXT,
    created_ms BIGINT NOT NULL
);

CREATE INDEX call_signals_by_holder ON call_signals (instance_id, created_ms);
