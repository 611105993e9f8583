-- Canned responses (issue 27): short replies agents insert by shortcut. `owner_id` is the
-- agent whose own it is, or '' for the team's (shared); a shortcut is unique among each.
-- `config` is the response as JSON.
CREATE TABLE canned_responses (
    canned_response_id TEXT PRIMARY KEY NOT NULL,
    account_id         TEXT NOT NULL,
    owner_id           TEXT NOT NULL,
    shortcut           TEXT NOT NULL,
    config             TEXT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (account_id, owner_id, shortcut);
