-- Interaction data Switchboard sends back (webhooks) or the reconciliation job finds (events
-- API). Every row is keyed so that applying the same event twice changes nothing.

-- Each event applied, by its id (webhook-id = the event's id): the dedupe table.
CREATE TABLE applied_events (
    event_id      TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,
    event         TEXT NOT NULL,
    source        TEXT NOT NULL,          -- 'webhook' or 'reconcile'
    applied_at_ms INTEGER NOT NULL
);

CREATE TABLE notes (
    note_id       TEXT PRIMARY KEY,
    engagement_id TEXT NOT NULL,
    ticket_id     TEXT,
    contact_id    TEXT,
    body          TEXT NOT NULL,
    agent_id      TEXT,
    created_at_ms INTEGER NOT NULL,
    source        TEXT NOT NULL
);

CREATE TABLE dispositions (
    engagement_id TEXT PRIMARY KEY,
    ticket_id     TEXT,
    contact_id    TEXT,
    name          TEXT NOT NULL,
    code          TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL
);

CREATE TABLE recordings (
    recording_id  TEXT PRIMARY KEY,
    engagement_id TEXT NOT NULL,
    ticket_id     TEXT,
    contact_id    TEXT,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    download_url  TEXT NOT NULL,
    -- The CRM's own copy (downloaded with its API credentials), once it has it.
    local_path    TEXT,
    transcript    TEXT,
    source        TEXT NOT NULL
);

CREATE TABLE transcripts (
    engagement_id TEXT PRIMARY KEY,
    ticket_id     TEXT,
    contact_id    TEXT,
    content_type  TEXT NOT NULL,
    body          TEXT NOT NULL,
    source        TEXT NOT NULL
);

CREATE TABLE reconcile_runs (
    run_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER,
    after_seq      INTEGER NOT NULL,
    up_to_seq      INTEGER,
    seen           INTEGER NOT NULL DEFAULT 0,
    applied        INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    trigger        TEXT NOT NULL
);
