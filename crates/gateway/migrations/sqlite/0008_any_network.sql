-- Money sent to a deposit address on another network, or in another
-- accepted token, than its quote: credited at the rate when it confirms
-- while the session is open, flagged.
ALTER TABLE payments ADD COLUMN off_quote INTEGER NOT NULL DEFAULT 0;

-- A sweep per deposit address, network and token: money can reach one
-- deposit key on any network, in any accepted token.
CREATE TABLE sweeps_by_coin (
    quote_id       TEXT NOT NULL REFERENCES quotes(id),
    chain_id       INTEGER NOT NULL,
    token          TEXT NOT NULL,
    status         TEXT NOT NULL,
    tx_hash        TEXT,
    raw_tx         TEXT,
    funding_id     INTEGER REFERENCES outgoing(id),
    sweep_id       INTEGER REFERENCES outgoing(id),
    swept_through  INTEGER NOT NULL DEFAULT 0,
    next_try_at    INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (quote_id, chain_id, token)
);
INSERT INTO sweeps_by_coin (quote_id, chain_id, token, status, tx_hash, raw_tx, funding_id,
                            sweep_id, swept_through, next_try_at, last_error, created_at, updated_at)
SELECT w.quote_id, w.chain_id, q.token, w.status, w.tx_hash, w.raw_tx, w.funding_id, w.sweep_id,
       w.swept_through, w.next_try_at, w.last_error, w.created_at, w.updated_at
FROM sweeps w JOIN quotes q ON q.id = w.quote_id;
DROP TABLE sweeps;
ALTER TABLE sweeps_by_coin RENAME TO sweeps;
CREATE INDEX sweeps_open ON sweeps(chain_id, status);
