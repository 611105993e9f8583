-- The messages of chat and SMS conversations, in the order they were written. Each one is also
-- an `engagement.message_added` event in the log (same transaction), which is how the agent's
-- and the consumer's sockets deliver it and resume by `seq`; this table is what the history
-- and the transcript read.
CREATE TABLE messages (
    message_id       TEXT PRIMARY KEY NOT NULL,
    engagement_id    TEXT NOT NULL,
    author_kind      TEXT NOT NULL,
    author_agent_id  TEXT,
    author_name      TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL
);
CREATE INDEX messages_by_engagement ON messages (engagement_id, created_at_ms, message_id);
