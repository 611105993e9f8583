-- Webhook subscriptions and their delivery outbox.
--
-- The event log is the transactional outbox: every event commits with its change. Each
-- subscription keeps a cursor (`cursor_seq`); a delivery worker turns the events after it
-- into `webhook_deliveries` rows and advances the cursor in one transaction, so nothing that
-- committed is skipped and nothing is queued twice (unique per subscription and event).
CREATE TABLE webhooks (
    webhook_id                 TEXT PRIMARY KEY NOT NULL,
    account_id                 TEXT NOT NULL,
    url                        TEXT NOT NULL,
    events                     TEXT NOT NULL,
    description                TEXT,
    enabled                    BIGINT NOT NULL,
    validation                 TEXT NOT NULL,
    secret                     TEXT NOT NULL,
    previous_secret            TEXT,
    previous_secret_expires_ms BIGINT,
    cursor_seq                 BIGINT NOT NULL,
    failing_since_ms           BIGINT,
    disabled_reason            TEXT,
    created_at_ms              BIGINT NOT NULL,
    updated_at_ms              BIGINT NOT NULL
);
CREATE INDEX webhooks_by_account ON webhooks (account_id);

CREATE TABLE webhook_deliveries (
    delivery_id      TEXT PRIMARY KEY NOT NULL,
    webhook_id       TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    event_id         TEXT NOT NULL,
    event_name       TEXT NOT NULL,
    -- pending | succeeded | failed
    status           TEXT NOT NULL,
    -- Attempts made in all (the log's attempt numbers).
    attempt_count    BIGINT NOT NULL DEFAULT 0,
    -- Position in the retry schedule (reset by a redelivery).
    schedule_pos     BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT,
    -- A worker that claimed the delivery owns it until then (crash recovery).
    lease_until_ms   BIGINT NOT NULL DEFAULT 0,
    committed_at_ms  BIGINT NOT NULL,
    created_at_ms    BIGINT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, status, next_attempt_ms);

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL,
    attempt_no       BIGINT NOT NULL,
    attempted_at_ms  BIGINT NOT NULL,
    response_status  BIGINT,
    latency_ms       BIGINT NOT NULL,
    response_body    TEXT,
    error            TEXT,
    PRIMARY KEY (delivery_id, attempt_no)
);

CREATE INDEX events_by_account_time ON events (account_id, occurred_at_ms);
