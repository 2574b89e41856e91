-- Refunds paid out for an order, each once (by the gateway's refund id).
CREATE TABLE order_refunds (
    refund_id     TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders(id),
    amount_minor  TEXT NOT NULL,
    received_at   INTEGER NOT NULL
);
