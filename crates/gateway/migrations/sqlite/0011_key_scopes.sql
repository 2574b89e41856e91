-- Restricted API keys: what each may do (space-separated scope names; '*'
-- is a standard key, which every key made before scopes is), and the key
-- that created it, whose revocation revokes it too.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '*';
ALTER TABLE api_keys ADD COLUMN parent_id TEXT REFERENCES api_keys(id);
CREATE INDEX api_keys_by_parent ON api_keys(parent_id);
