-- Flow event callouts, delivered from the event log like webhooks: a per-account cursor, a
-- delivery row per (flow callout, event) with its rendered body (retries send the same
-- bytes), attempts in webhook_attempts (delivery ids are unique across both).
CREATE TABLE callout_settings (
    account_id   TEXT PRIMARY KEY NOT NULL,
    secret       TEXT NOT NULL,
    cursor_seq   BIGINT NOT NULL
);

CREATE TABLE callout_deliveries (
    delivery_id      TEXT PRIMARY KEY NOT NULL,
    account_id       TEXT NOT NULL,
    flow_id          TEXT NOT NULL,
    callout_index    BIGINT NOT NULL,
    trigger_name     TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    event_id         TEXT NOT NULL,
    url              TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempt_count    BIGINT NOT NULL DEFAULT 0,
    schedule_pos     BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms  BIGINT,
    lease_until_ms   BIGINT NOT NULL DEFAULT 0,
    committed_at_ms  BIGINT NOT NULL,
    created_at_ms    BIGINT NOT NULL
);
CREATE UNIQUE INDEX callout_deliveries_event ON callout_deliveries (flow_id, callout_index, event_seq);
CREATE INDEX callout_deliveries_due ON callout_deliveries (account_id, status, next_attempt_ms);
CREATE INDEX callout_deliveries_by_flow ON callout_deliveries (flow_id, event_seq);
