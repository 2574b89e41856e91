-- Indexes for what the API's lists and the workers ask most, each a range
-- on an index rather than a scan.
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints(merchant_id, created_at, id);
CREATE INDEX api_keys_by_merchant ON api_keys(merchant_id, created_at, id);
CREATE INDEX sessions_by_merchant_status ON sessions(merchant_id, status, created_at, id);
CREATE INDEX events_by_merchant_type ON events(merchant_id, type, seq);
CREATE INDEX refunds_by_merchant_status ON refunds(merchant_id, status, created_at, id);
-- Due deliveries: only pending rows are ever looked for, by time and by
-- endpoint; ended ones (most rows) stay out of these indexes.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_pending_due ON deliveries(next_attempt_ms, endpoint_id) WHERE status = 'pending';
CREATE INDEX deliveries_pending_by_endpoint ON deliveries(endpoint_id, next_attempt_ms) WHERE status = 'pending';
-- Retention finds old events by age.
CREATE INDEX events_by_age ON events(created_at);
