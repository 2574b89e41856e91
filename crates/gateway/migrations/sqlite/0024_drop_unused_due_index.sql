-- An index on pending deliveries that no query uses: the due endpoints,
-- the claim and the backlog figures all go by (endpoint_id,
-- next_attempt_ms). Each delivery cost it an index insert when queued and a
-- delete when it settled, and in a busy log about 4 % of the pages written.
DROP INDEX deliveries_pending_due;
