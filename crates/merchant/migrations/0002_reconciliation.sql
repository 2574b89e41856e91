-- When the server last asked the gateway about an order (rate limit).
ALTER TABLE orders ADD COLUMN reconciled_at INTEGER;
