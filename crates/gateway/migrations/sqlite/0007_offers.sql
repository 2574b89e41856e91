-- A refund offered on the session's cashier page keeps its claim token:
-- the session id, which shows it, is already the shopper's capability.
ALTER TABLE refunds ADD COLUMN offered_token TEXT;
