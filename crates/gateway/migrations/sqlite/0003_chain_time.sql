-- The chain's own clock, payments valued once, and money that paid nothing.

-- When the payment's block was made (unix seconds): on time or late is
-- decided by it, not by when the gateway saw it.
ALTER TABLE payments ADD COLUMN block_timestamp INTEGER NOT NULL DEFAULT 0;
UPDATE payments SET block_timestamp = created_at;
-- What the payment is worth in its session's currency (minor units), fixed
-- when it confirms: at its quote's rate if its block is within the quote's
-- lock, else at the rate of that moment.
ALTER TABLE payments ADD COLUMN credited_minor TEXT;
ALTER TABLE payments ADD COLUMN credited_rate TEXT;

-- The block time the watcher has scanned through.
ALTER TABLE chain_cursors ADD COLUMN block_timestamp INTEGER NOT NULL DEFAULT 0;

-- Set when a session expired before every network's watcher had scanned
-- past its expiry (the outage allowance ran out).
ALTER TABLE sessions ADD COLUMN expired_while_chains_behind INTEGER NOT NULL DEFAULT 0;

-- Money that paid nothing: the part of each confirmed payment beyond what
-- its session needed (an excess, dust after expiry, a short payment of a
-- session that expired, money after completion). Kept apart from the
-- gateway's own money, even once the coins are swept, until refunded.
CREATE TABLE unallocated (
    payment_id     INTEGER PRIMARY KEY REFERENCES payments(id),
    session_id     TEXT NOT NULL REFERENCES sessions(id),
    chain_id       INTEGER NOT NULL,
    token          TEXT NOT NULL,
    amount_raw     TEXT NOT NULL,
    amount_minor   TEXT NOT NULL,
    currency       TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX unallocated_by_session ON unallocated(session_id);
