-- Each merchant's events are numbered by a counter on its row, taken last
-- in the transaction that records them: the row stays locked until commit,
-- so a merchant's events are numbered in commit order without a lock on
-- anything else (events.seq was MAX(seq) + 1 over every merchant).
ALTER TABLE merchants ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
UPDATE merchants SET event_seq = (SELECT COALESCE(MAX(seq), 0) FROM events WHERE events.merchant_id = merchants.id);
