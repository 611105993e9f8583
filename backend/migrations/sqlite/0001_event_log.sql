-- Accounts (tenants) and the durable, ordered event log.
-- Timestamps are milliseconds since the Unix epoch; ids are UUID text; payloads are JSON text.
CREATE TABLE accounts (
    account_id     TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE,
    account_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    engagement_id  TEXT,
    agent_id       TEXT,
    occurred_at_ms BIGINT NOT NULL,
    data           TEXT NOT NULL
);

CREATE INDEX events_by_account ON events (account_id, seq);
CREATE INDEX events_by_engagement ON events (engagement_id, seq);
