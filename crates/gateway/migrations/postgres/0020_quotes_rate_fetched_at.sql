-- When the price a quote's rate comes from was fetched from its feed (the
-- cashier shows it); NULL for a configured price or a token paid one for one.
ALTER TABLE quotes ADD COLUMN rate_fetched_at BIGINT;
