-- Recordings and transcripts uploaded by connectors. The files live in the blob store
-- (`blob_key`); a row is written only after its file is.
CREATE TABLE recordings (
    recording_id             TEXT PRIMARY KEY NOT NULL,
    account_id               TEXT NOT NULL,
    engagement_id            TEXT NOT NULL,
    agent_id                 TEXT,
    channel                  TEXT NOT NULL,
    content_type             TEXT NOT NULL,
    size_bytes               BIGINT NOT NULL,
    blob_key                 TEXT NOT NULL,
    recording_start_ms       BIGINT NOT NULL,
    recording_end_ms         BIGINT NOT NULL,
    transcript_key           TEXT,
    transcript_content_type  TEXT,
    transcript_completed_ms  BIGINT,
    created_at_ms            BIGINT NOT NULL
);
CREATE INDEX recordings_by_start ON recordings (account_id, recording_start_ms, recording_id);
CREATE INDEX recordings_by_end ON recordings (account_id, recording_end_ms, recording_id);
CREATE INDEX recordings_by_engagement ON recordings (engagement_id);

-- One transcript per messaging or email engagement (a new upload replaces it).
CREATE TABLE engagement_transcripts (
    engagement_id    TEXT PRIMARY KEY NOT NULL,
    account_id       TEXT NOT NULL,
    channel          TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    blob_key         TEXT NOT NULL,
    completed_at_ms  BIGINT NOT NULL
);

CREATE INDEX engagements_by_created ON engagements (account_id, created_at_ms);
CREATE INDEX engagements_by_closed ON engagements (account_id, closed_at_ms);
