-- When each web chat's customer was last seen (a request with their session token, or their
-- chat socket open). A chat still waiting for an agent whose customer has been gone longer than
-- --chat-abandon-after-secs closes as abandoned. Shared by every instance, so a customer whose
-- socket is on another instance is not taken for gone.
CREATE TABLE chat_presence (
    engagement_id TEXT PRIMARY KEY NOT NULL,
    seen_at_ms    BIGINT NOT NULL
);
