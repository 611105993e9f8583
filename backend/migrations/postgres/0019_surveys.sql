-- Satisfaction surveys (issue 27): an entry point's survey settings (JSON, shared::survey::Survey;
-- null: none), and each engagement's one answer (`doc`: shared::survey::SurveyResponse as JSON;
-- the columns are what lists filter and page by: `queue_id`, the queue the answer counts for,
-- keeps a supervisor to their queues).
ALTER TABLE entry_points ADD COLUMN survey TEXT;

CREATE TABLE survey_responses (
    engagement_id  TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    queue_id       TEXT,
    answered_at_ms BIGINT NOT NULL,
    doc            TEXT NOT NULL
);
CREATE INDEX survey_responses_by_time ON survey_responses (account_id, answered_at_ms);
