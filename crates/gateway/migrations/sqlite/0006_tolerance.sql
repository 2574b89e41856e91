-- How short a payment may fall and still pay a session (minor units),
-- fixed when the session is created.
ALTER TABLE sessions ADD COLUMN tolerance_minor TEXT NOT NULL DEFAULT '0';

-- A merchant's defaults.
CREATE TABLE merchant_settings (
    merchant_id  TEXT PRIMARY KEY REFERENCES merchants(id),
    -- AccountSettings as JSON.
    settings     TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
