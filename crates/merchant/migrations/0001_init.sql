-- The demo shop's orders, the webhooks it has applied, and its shipments.

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    session_id  TEXT UNIQUE,
    status      TEXT NOT NULL,
    tx_hash     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One row per applied webhook: `webhook-id` is the idempotency key.
CREATE TABLE webhook_events (
    id           TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    order_id     TEXT,
    received_at  INTEGER NOT NULL
);

-- Fulfilment happens once per order, enforced here.
CREATE TABLE shipments (
    order_id    TEXT PRIMARY KEY REFERENCES orders(id),
    created_at  INTEGER NOT NULL
);
