-- Confirmed payments not yet taken into a sweep round. The sweeper looks
-- only at these, through a partial index, where it used to join every
-- payment ever confirmed on the network on each step.
ALTER TABLE payments ADD COLUMN in_sweep INTEGER NOT NULL DEFAULT 0;
UPDATE payments SET in_sweep = 1
WHERE EXISTS (SELECT 1 FROM sweeps w
              WHERE w.quote_id = payments.quote_id AND w.chain_id = payments.chain_id
                AND w.token = payments.token AND payments.id <= w.swept_through);
CREATE INDEX payments_unswept ON payments(chain_id, session_id)
WHERE status = 'confirmed' AND in_sweep = 0;
