-- Every transaction the gateway sends, through one nonce-safe sender.

-- The next nonce per (chain, signer): handed out in the write transaction
-- that stores the signed transaction. A signer is 'treasury' or
-- 'deposit:{index}'.
CREATE TABLE nonces (
    chain_id  INTEGER NOT NULL,
    signer    TEXT NOT NULL,
    next      INTEGER NOT NULL,
    PRIMARY KEY (chain_id, signer)
);

-- Payouts, sweep gas and sweeps. 'unsigned' until its turn (no nonce
-- held); 'unsent' once signed and stored, until a node accepts it;
-- 'pending' until mined, then 'mined' or 'reverted'; 'void' if a sweep
-- finds nothing worth its gas. A node that refuses it outright gives its
-- nonce back ('unsigned' again, tried later). A transaction stuck unmined
-- is replaced at the same nonce with higher fees (tx_hash is the latest
-- signing; outgoing_hashes has them all).
CREATE TABLE outgoing (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chain_id       INTEGER NOT NULL,
    signer         TEXT NOT NULL,
    sender         TEXT NOT NULL,
    nonce          INTEGER,
    purpose        TEXT NOT NULL,
    to_address     TEXT NOT NULL,
    token_address  TEXT,
    amount_raw     TEXT NOT NULL,
    -- Fees per unit of gas of the latest signing: max_fee alone for a legacy
    -- transaction.
    max_fee        TEXT,
    priority_fee   TEXT,
    -- The most the gas may cost per unit (a deposit's funded budget); a
    -- native sweep sends amount_raw less its gas.
    fee_cap        TEXT,
    raw_tx         TEXT,
    tx_hash        TEXT,
    status         TEXT NOT NULL,
    mined_hash     TEXT,
    block_number   INTEGER,
    sent_at        INTEGER,
    replacements   INTEGER NOT NULL DEFAULT 0,
    tries          INTEGER NOT NULL DEFAULT 0,
    next_try_at    INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (chain_id, signer, nonce)
);
CREATE INDEX outgoing_open ON outgoing(chain_id, status);

CREATE TABLE outgoing_hashes (
    tx_hash      TEXT PRIMARY KEY,
    outgoing_id  INTEGER NOT NULL REFERENCES outgoing(id)
);

-- A payout is one outgoing transaction at a time; a reverted one is tried
-- again (a new transaction) after a pause, up to a limit.
ALTER TABLE settlements ADD COLUMN outgoing_id INTEGER REFERENCES outgoing(id);
ALTER TABLE settlements ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE settlements ADD COLUMN next_try_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE settlements ADD COLUMN last_error TEXT;

-- Payouts in flight from before: the sender follows them from now on.
INSERT INTO outgoing (chain_id, signer, sender, nonce, purpose, to_address, token_address,
                      amount_raw, max_fee, priority_fee, fee_cap, raw_tx, tx_hash, status,
                      sent_at, created_at, updated_at)
SELECT chain_id, 'treasury', '', nonce, 'payout', address, NULL, amount_raw, '0', NULL, NULL,
       raw_tx, tx_hash, 'pending', updated_at, created_at, updated_at
FROM settlements WHERE status = 'sent';
UPDATE settlements SET outgoing_id = (SELECT o.id FROM outgoing o WHERE o.tx_hash = settlements.tx_hash)
WHERE status = 'sent';
INSERT INTO outgoing_hashes (tx_hash, outgoing_id)
SELECT tx_hash, id FROM outgoing;

-- A sweep is a round per deposit address: gas first for a token, then the
-- sweep; a later payment to a swept address starts another round.
ALTER TABLE sweeps ADD COLUMN funding_id INTEGER REFERENCES outgoing(id);
ALTER TABLE sweeps ADD COLUMN sweep_id INTEGER REFERENCES outgoing(id);
ALTER TABLE sweeps ADD COLUMN swept_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN next_try_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN last_error TEXT;
-- Sweeps from before: done ones covered every payment so far; in-flight
-- ones start over (their coins are where a new round finds them).
UPDATE sweeps SET swept_through = (SELECT COALESCE(MAX(p.id), 0) FROM payments p
                                   WHERE p.quote_id = sweeps.quote_id)
WHERE status = 'done';
UPDATE sweeps SET status = 'new', tx_hash = NULL, raw_tx = NULL WHERE status != 'done';
