-- Tokens, reorg detection, settlement and sweeps.

-- The ERC-20 contract of a quote's token; NULL for the native token.
ALTER TABLE quotes ADD COLUMN token_address TEXT;
-- What a quote covers, in the session's currency (minor units): the whole
-- amount due, or what was left of it when the shopper re-quoted.
ALTER TABLE quotes ADD COLUMN covers_minor TEXT NOT NULL DEFAULT '0';

-- Recent block hashes per chain, to notice a reorg.
CREATE TABLE chain_blocks (
    chain_id  BIGINT NOT NULL,
    number    BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (chain_id, number)
);

-- Where each merchant's proceeds go.
CREATE TABLE settlement_destinations (
    merchant_id  TEXT PRIMARY KEY REFERENCES merchants(id),
    network      TEXT NOT NULL,
    token        TEXT NOT NULL,
    address      TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- One payout per paid session. The signed transaction is stored before it
-- is broadcast, so a crash can only re-send the same bytes.
CREATE TABLE settlements (
    session_id     TEXT PRIMARY KEY REFERENCES sessions(id),
    network        TEXT NOT NULL,
    chain_id       BIGINT NOT NULL,
    token          TEXT NOT NULL,
    decimals       BIGINT NOT NULL,
    address        TEXT NOT NULL,
    amount_raw     TEXT NOT NULL,
    fee_minor      TEXT NOT NULL,
    fee_currency   TEXT NOT NULL,
    nonce          BIGINT NOT NULL,
    raw_tx         TEXT NOT NULL,
    tx_hash        TEXT NOT NULL,
    -- 'sent' until it has its confirmations, then 'confirmed'.
    status         TEXT NOT NULL,
    block_number   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX settlements_by_status ON settlements(status, chain_id);

-- Moving a paid deposit into the treasury.
CREATE TABLE sweeps (
    quote_id    TEXT PRIMARY KEY REFERENCES quotes(id),
    chain_id    BIGINT NOT NULL,
    -- 'funding' (gas sent for a token sweep), 'sweeping', 'done'.
    status      TEXT NOT NULL,
    tx_hash     TEXT,
    raw_tx      TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX sweeps_by_status ON sweeps(status, chain_id);

-- Events in the order they happened (several can share a second).
ALTER TABLE events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_by_merchant_seq ON events(merchant_id, seq);
CREATE INDEX events_seq ON events(seq);

-- The watcher reads only quotes newer than the last it saw, per chain.
CREATE INDEX quotes_by_chain_and_index ON quotes(chain_id, deposit_index);
