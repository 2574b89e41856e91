-- Tokens nobody configured, sent to a deposit address: never credited,
-- never ignored: reported on the session so they can be recovered by hand.
CREATE TABLE unknown_tokens (
    chain_id      BIGINT NOT NULL,
    tx_hash       TEXT NOT NULL,
    log_index     BIGINT NOT NULL,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    contract      TEXT NOT NULL,
    amount_raw    TEXT NOT NULL,
    block_number  BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX unknown_tokens_by_session ON unknown_tokens(session_id);
