-- The sessions a transaction paid, found by its hash alone (the list's
-- `txHash` filter; the unique key starts with the chain).
CREATE INDEX payments_by_tx ON payments (tx_hash);
