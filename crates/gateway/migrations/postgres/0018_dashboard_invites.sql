-- One-time links a dashboard user sends to bring someone into their
-- merchant's dashboard: the link's token kept as a SHA-256 hash, for the
-- email it was made for, until it is accepted or expires.
CREATE TABLE dashboard_invites (
    token_hash TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    email TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES dashboard_users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE INDEX dashboard_invites_by_merchant ON dashboard_invites (merchant_id);
