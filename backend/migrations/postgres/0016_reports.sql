-- Reports (docs/reports.md): projections of the event log, built by the report projector as
-- events commit. `report_cursors` says how far each account's log has been read; everything
-- else is derived and could be rebuilt by deleting it and resetting the cursor to 0.

-- A supervisor's queue set: the queues whose reports and live figures they may read.
ALTER TABLE agents ADD COLUMN supervised_queue_ids TEXT NOT NULL DEFAULT '[]';

CREATE TABLE report_cursors (
    account_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);

-- One row per engagement: `doc` is the report row (shared::reports::EngagementReport), the
-- other columns are what the API filters and pages by; `progress` is the projector's state
-- while the engagement is open.
CREATE TABLE report_engagements (
    engagement_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    closed_at_ms BIGINT,
    channel TEXT NOT NULL,
    first_queue_id TEXT,
    last_queue_id TEXT,
    first_agent_id TEXT,
    last_agent_id TEXT,
    outcome TEXT,
    doc TEXT NOT NULL,
    progress TEXT
);

CREATE INDEX report_engagements_by_created ON report_engagements (account_id, created_at_ms, engagement_id);
CREATE INDEX report_engagements_by_closed ON report_engagements (account_id, closed_at_ms, engagement_id);

-- Per queue and per agent, one row per 15-minute UTC bucket (every IANA zone's offset is a
-- multiple of 15 minutes today, so local 15-minute, hourly and daily intervals are unions of
-- whole buckets).
CREATE TABLE report_queue_buckets (
    account_id TEXT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    queue_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, bucket_ms, queue_id)
);

CREATE TABLE report_agent_buckets (
    account_id TEXT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, bucket_ms, agent_id)
);

-- Each agent's status and what they hold, as of the cursor (time still running is counted up
-- to the moment a report is read).
CREATE TABLE report_agent_state (
    account_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, agent_id)
);
