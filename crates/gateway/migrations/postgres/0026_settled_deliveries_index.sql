-- An endpoint's deliveries by status, for its health figures, now of the
-- settled ones only: a pending delivery is in the claim's index
-- (deliveries_pending_by_endpoint) already. The index of every delivery
-- took an entry when one was queued and moved it when it settled, the most
-- pages of any index in a busy log; this one takes it once, as it settles.
-- Queries name `status <> 'pending'` to use it.
DROP INDEX deliveries_by_endpoint;
CREATE INDEX deliveries_settled_by_endpoint ON deliveries(endpoint_id, status) WHERE status <> 'pending';
