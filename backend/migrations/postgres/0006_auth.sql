-- Sign-in throttling: failed attempts per key (an account identifier or a client address) in
-- a window that starts at the first failure. Shared by every instance on PostgreSQL.
CREATE TABLE signin_failures (
    throttle_key     TEXT PRIMARY KEY NOT NULL,
    failures         BIGINT NOT NULL,
    window_start_ms  BIGINT NOT NULL
);

-- Sessions: every agent and API-client token names one (`sid`); a token is valid only while
-- its session is neither revoked nor expired. Signing out, revoking an agent's sessions,
-- deleting an API client or rotating its secret end them.
CREATE TABLE auth_sessions (
    session_id      TEXT PRIMARY KEY NOT NULL,
    account_id      TEXT NOT NULL,
    principal_kind  TEXT NOT NULL,
    subject         TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT
);
CREATE INDEX auth_sessions_subject ON auth_sessions (account_id, principal_kind, subject);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at_ms);
