-- When a payment got its last confirmation (the dashboard's timeline);
-- NULL while pending, and again if a reorg takes it off the chain.
ALTER TABLE payments ADD COLUMN confirmed_at BIGINT;
