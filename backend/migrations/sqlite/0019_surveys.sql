-- Satisfaction surveys (issue 27): an entry point's survey settings (JSON, shared::survey::Survey;
-- null: none), and each engagement's one answer (`doc`: shared::survey::SurveyResponse as JSON;
-- the columns are what lists filter and page by).
ALTER TABLE entry_points ADD COLUMN survey TEXT;

CREATE TABLE survey_responses (
    engagement_id  TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    answered_at_ms BIGINT NOT NULL,
    doc            TEXT NOT NULL
);
CREATE INDEX survey_responses_by_time ON survey_responses (account_id, answered_at_ms);
