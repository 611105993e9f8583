-- How far each side of a conversation has received and read the other side's messages: one row
-- per (chat, reader, status), moved only forward. Each move is also an
-- `engagement.message_receipt` event in the log (same transaction), which is how the sockets
-- deliver it; this table is what keeps a receipt from moving back.
CREATE TABLE message_receipts (
    engagement_id    TEXT NOT NULL,
    reader           TEXT NOT NULL,
    status           TEXT NOT NULL,
    up_to_message_id TEXT NOT NULL,
    up_to_ms         BIGINT NOT NULL,
    PRIMARY KEY (engagement_id, reader, status)
);
