-- Refunds, claimed by the shopper on a claim page, paid by the treasury.

CREATE TABLE refunds (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants(id),
    session_id         TEXT NOT NULL REFERENCES sessions(id),
    -- 'payment' (the merchant's money, a debt) or 'unallocated' (held).
    source             TEXT NOT NULL,
    basis              TEXT NOT NULL,
    network_fee        TEXT NOT NULL,
    reason             TEXT,
    -- Its value in the session's currency (minor units).
    currency           TEXT NOT NULL,
    amount_minor       TEXT NOT NULL,
    -- Paid on this network, in this token.
    network            TEXT NOT NULL,
    chain_id           BIGINT NOT NULL,
    token              TEXT NOT NULL,
    token_address      TEXT,
    decimals           BIGINT NOT NULL,
    -- The rate that fixes a 'session_rate' or 'token' refund's token amount.
    rate_price         TEXT,
    -- Token base units: fixed at creation, or at the claim for 'current_rate'.
    amount_raw         TEXT,
    -- The claim link's token, hashed (the link is the capability).
    claim_hash         TEXT NOT NULL UNIQUE,
    claim_expires_at   BIGINT NOT NULL,
    -- 'pending', 'claimed', 'completed', 'failed', 'canceled'.
    status             TEXT NOT NULL,
    destination        TEXT,
    outgoing_id        BIGINT REFERENCES outgoing(id),
    tx_hash            TEXT,
    failure            TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX refunds_by_merchant ON refunds(merchant_id, created_at, id);
CREATE INDEX refunds_by_session ON refunds(session_id);
CREATE INDEX refunds_by_status ON refunds(status, chain_id);

-- What a merchant owes the gateway for refunds of its payments: taken off
-- its next payouts in the same currency.
CREATE TABLE merchant_debts (
    refund_id     TEXT PRIMARY KEY REFERENCES refunds(id),
    merchant_id   TEXT NOT NULL REFERENCES merchants(id),
    currency      TEXT NOT NULL,
    amount_minor  TEXT NOT NULL,
    repaid_minor  TEXT NOT NULL DEFAULT '0',
    created_at    BIGINT NOT NULL
);
CREATE INDEX merchant_debts_by_merchant ON merchant_debts(merchant_id, currency);

-- What the payout of a session took off for the merchant's debts.
ALTER TABLE settlements ADD COLUMN debt_minor TEXT NOT NULL DEFAULT '0';
