-- The demo CRM's own records. Switchboard never writes here; the CRM writes what the widget
-- and the API tell it.
CREATE TABLE contacts (
    contact_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,
    email      TEXT NOT NULL,
    company    TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tickets (
    ticket_id   TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    contact_id  TEXT NOT NULL REFERENCES contacts (contact_id),
    priority    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'open',
    -- The Switchboard engagement routing this ticket, once routed.
    engagement_id TEXT
);

-- One entry per finished engagement (idempotent on engagement_id: the widget, a reload and a
-- webhook may all report the same call).
CREATE TABLE call_logs (
    engagement_id TEXT PRIMARY KEY,
    contact_id    TEXT REFERENCES contacts (contact_id),
    ticket_id     TEXT REFERENCES tickets (ticket_id),
    channel       TEXT NOT NULL,
    direction     TEXT NOT NULL,
    duration_secs INTEGER NOT NULL,
    notes         TEXT NOT NULL DEFAULT '',
    disposition   TEXT NOT NULL DEFAULT '',
    agent_email   TEXT NOT NULL DEFAULT '',
    logged_at_ms  INTEGER NOT NULL
);

-- The CRM's own API client at Switchboard, created once by `--provision-with-admin`.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
