-- People who sign in to the merchant dashboard, and their signed-in
-- browsers. A user belongs to one merchant; emails are kept lowercased.
CREATE TABLE dashboard_users (
    id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- Wrong passwords in a row; from the fifth the account is locked,
    -- each time twice as long, until `locked_until` (unix seconds).
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX dashboard_users_by_merchant ON dashboard_users (merchant_id);

-- A signed-in browser: its cookie, stored as a SHA-256 hash, and the token
-- each of its changes must carry (CSRF).
CREATE TABLE dashboard_sign_ins (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES dashboard_users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sign_ins_by_user ON dashboard_sign_ins (user_id);
