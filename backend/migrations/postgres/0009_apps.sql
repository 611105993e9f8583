-- Side-panel apps: web pages the widget shows as tabs beside the engagements of the queues that
-- list them (a queue's `app_ids`, in its configuration document).
CREATE TABLE apps (
    app_id        TEXT PRIMARY KEY NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    icon_url      TEXT
);
CREATE UNIQUE INDEX apps_name ON apps (account_id, name);
