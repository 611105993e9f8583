-- Wallboards (issue 27): a read-only view of some queues for a screen on the wall. `config` is
-- the wallboard as JSON with the id of its token (a wallboard token names it; deleting the row
-- revokes the token).
CREATE TABLE wallboards (
    wallboard_id   TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL,
    name           TEXT NOT NULL,
    config         TEXT NOT NULL
);
CREATE UNIQUE INDEX wallboards_name ON wallboards (account_id, name);
