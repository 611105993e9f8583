-- Configuration, auth, engagements and offers. Config documents (queues, flows, routing
-- profiles, busy-agent rules) are stored as validated JSON text: the routing engine loads them
-- whole, and the shape is owned by the `shared` crate.

CREATE TABLE server_keys (
    key_id         INTEGER PRIMARY KEY,
    secret_hex     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE account_settings (
    account_id       TEXT PRIMARY KEY NOT NULL,
    busy_rules       TEXT NOT NULL,
    allowed_origins  TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE api_clients (
    client_id      TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    secret_hash    TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE skills (
    skill_id       TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL
);
CREATE UNIQUE INDEX skills_name ON skills (account_id, name);

CREATE TABLE dispositions (
    disposition_id TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    code           TEXT
);
CREATE UNIQUE INDEX dispositions_name ON dispositions (account_id, name);

CREATE TABLE queues (
    queue_id       TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    config         TEXT NOT NULL
);
CREATE UNIQUE INDEX queues_name ON queues (account_id, name);

CREATE TABLE flows (
    flow_id        TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    config         TEXT NOT NULL
);
CREATE UNIQUE INDEX flows_name ON flows (account_id, name);

CREATE TABLE entry_points (
    account_id     TEXT NOT NULL,
    entry_id       TEXT NOT NULL,
    flow_id        TEXT NOT NULL,
    profile_id     TEXT,
    description    TEXT,
    PRIMARY KEY (account_id, entry_id)
);

CREATE TABLE routing_profiles (
    profile_id     TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    config         TEXT NOT NULL
);
CREATE UNIQUE INDEX routing_profiles_name ON routing_profiles (account_id, name);

CREATE TABLE agents (
    agent_id            TEXT PRIMARY KEY NOT NULL,
    account_id          TEXT NOT NULL,
    email               TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL,
    password_hash       TEXT,
    status              TEXT NOT NULL,
    status_reason       TEXT,
    skills              TEXT NOT NULL,
    queues              TEXT NOT NULL,
    busy_rules          TEXT,
    idle_since_ms       BIGINT NOT NULL,
    last_offer_ms       BIGINT NOT NULL,
    consecutive_misses  BIGINT NOT NULL DEFAULT 0,
    created_at_ms       BIGINT NOT NULL
);
CREATE UNIQUE INDEX agents_email ON agents (account_id, email);

CREATE TABLE engagements (
    engagement_id     TEXT PRIMARY KEY NOT NULL,
    account_id        TEXT NOT NULL,
    channel           TEXT NOT NULL,
    channel_source    TEXT,
    direction         TEXT NOT NULL,
    state             TEXT NOT NULL,
    entry_id          TEXT,
    flow_id           TEXT,
    queue_id          TEXT,
    base_priority     BIGINT NOT NULL,
    required_skills   TEXT NOT NULL,
    skills_relaxed    BIGINT NOT NULL DEFAULT 0,
    excluded_agents   TEXT NOT NULL DEFAULT '[]',
    preferred_agent   TEXT,
    preferred_until_ms BIGINT,
    agent_id          TEXT,
    consumer          TEXT,
    work_item         TEXT,
    variables         TEXT NOT NULL,
    -- "<work_item_id>\n<work_item_name>" while active; NULL once closed (NULLs never collide).
    work_item_key     TEXT,
    due_at_ms         BIGINT,
    overflow_at_ms    BIGINT,
    disposition_id    TEXT,
    close_reason      TEXT,
    created_at_ms     BIGINT NOT NULL,
    queued_at_ms      BIGINT,
    offered_at_ms     BIGINT,
    connected_at_ms   BIGINT,
    wrap_up_at_ms     BIGINT,
    closed_at_ms      BIGINT
);
CREATE UNIQUE INDEX engagements_active_work_item ON engagements (account_id, work_item_key);
CREATE INDEX engagements_by_state ON engagements (account_id, state);
CREATE INDEX engagements_by_agent ON engagements (agent_id, state);

CREATE TABLE offers (
    engagement_id  TEXT NOT NULL,
    agent_id       TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    channel        TEXT NOT NULL,
    offered_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (engagement_id, agent_id)
);
CREATE INDEX offers_by_agent ON offers (agent_id);
CREATE INDEX offers_by_expiry ON offers (account_id, expires_at_ms);

CREATE TABLE notes (
    note_id        TEXT PRIMARY KEY NOT NULL,
    engagement_id  TEXT NOT NULL,
    agent_id       TEXT,
    body           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX notes_by_engagement ON notes (engagement_id, created_at_ms);

CREATE TABLE idempotency_keys (
    account_id     TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT NOT NULL,
    response       TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);

CREATE INDEX events_by_agent ON events (account_id, agent_id, seq);
