-- Tender gateway schema. Timestamps are unix seconds (milliseconds where
-- named *_ms). Money (integer minor units) and token amounts (integer base
-- units) are stored as decimal strings: they overflow 64-bit integers.

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    secret_hash  TEXT NOT NULL UNIQUE,
    redacted     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    name         TEXT NOT NULL,
    description  TEXT,
    image_url    TEXT,
    price_minor  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL
);
CREATE INDEX products_by_merchant ON products(merchant_id, created_at, id);

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    merchant_id       TEXT NOT NULL REFERENCES merchants(id),
    status            TEXT NOT NULL,
    line_items        TEXT NOT NULL,
    amount_due_minor  TEXT NOT NULL,
    currency          TEXT NOT NULL,
    metadata          TEXT NOT NULL,
    success_url       TEXT NOT NULL,
    cancel_url        TEXT,
    expires_at        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX sessions_by_merchant ON sessions(merchant_id, created_at, id);
CREATE INDEX sessions_by_status_expiry ON sessions(status, expires_at);

-- Atomic counters (deposit address derivation index).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('deposit_index', -1);

CREATE TABLE quotes (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions(id),
    network          TEXT NOT NULL,
    chain_id         INTEGER NOT NULL,
    token            TEXT NOT NULL,
    decimals         INTEGER NOT NULL,
    amount_raw       TEXT NOT NULL,
    deposit_index    INTEGER NOT NULL UNIQUE,
    deposit_address  TEXT NOT NULL,
    rate_price       TEXT NOT NULL,
    rate_currency    TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (chain_id, deposit_address)
);
CREATE INDEX quotes_by_session ON quotes(session_id, created_at);

CREATE TABLE payments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    TEXT NOT NULL REFERENCES sessions(id),
    quote_id      TEXT NOT NULL REFERENCES quotes(id),
    chain_id      INTEGER NOT NULL,
    tx_hash       TEXT NOT NULL,
    -- -1 for a native transfer, else the Transfer log's index.
    log_index     INTEGER NOT NULL,
    token         TEXT NOT NULL,
    amount_raw    TEXT NOT NULL,
    from_address  TEXT NOT NULL,
    block_number  INTEGER NOT NULL,
    block_hash    TEXT NOT NULL,
    gas_fee_raw   TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (chain_id, tx_hash, log_index)
);
CREATE INDEX payments_by_session ON payments(session_id);
CREATE INDEX payments_pending ON payments(status, chain_id);

-- The watcher's persisted position per chain.
CREATE TABLE chain_cursors (
    chain_id      INTEGER PRIMARY KEY,
    block_number  INTEGER NOT NULL,
    block_hash    TEXT NOT NULL
);

CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants(id),
    url             TEXT NOT NULL,
    enabled_events  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    -- Set when the endpoint answered 410 Gone.
    disabled_at     INTEGER,
    deleted_at      INTEGER
);

-- Signing secrets: the current one has no expiry; a rotated-out one signs
-- too until it expires.
CREATE TABLE webhook_endpoint_secrets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints(id),
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER
);
CREATE INDEX endpoint_secrets ON webhook_endpoint_secrets(endpoint_id);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    type         TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_by_merchant ON events(merchant_id, created_at, id);
CREATE INDEX events_by_session ON events(session_id);

-- The outbox: one row per (event, endpoint), written with the event.
CREATE TABLE deliveries (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           TEXT NOT NULL REFERENCES events(id),
    endpoint_id        TEXT NOT NULL REFERENCES webhook_endpoints(id),
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms    INTEGER NOT NULL,
    locked_until_ms    INTEGER NOT NULL DEFAULT 0,
    last_status_code   INTEGER,
    last_error         TEXT,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_ms);
CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, status);

CREATE TABLE delivery_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id   INTEGER NOT NULL REFERENCES deliveries(id),
    attempted_ms  INTEGER NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER NOT NULL,
    error         TEXT
);
CREATE INDEX attempts_by_delivery ON delivery_attempts(delivery_id);

-- Idempotency-Key records: the first answer to (scope, key) is replayed for
-- 24 hours. `status_code` is NULL while the first request is in progress.
CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    INTEGER,
    response_body  BLOB,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
