-- The language a session's cashier speaks, when the merchant chose one.
ALTER TABLE sessions ADD COLUMN locale TEXT;
