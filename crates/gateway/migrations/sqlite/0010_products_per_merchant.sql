-- Product ids are unique per merchant, not across the gateway: one merchant
-- can no longer squat another's id, nor learn which ids exist from a 409.
-- SQLite cannot change a primary key in place: the table is rebuilt.
CREATE TABLE products_by_merchant_id (
    id           TEXT NOT NULL,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    name         TEXT NOT NULL,
    description  TEXT,
    image_url    TEXT,
    price_minor  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, id)
);
INSERT INTO products_by_merchant_id
    SELECT id, merchant_id, name, description, image_url, price_minor, currency, active, created_at
    FROM products;
DROP TABLE products;
ALTER TABLE products_by_merchant_id RENAME TO products;
CREATE INDEX products_by_merchant ON products(merchant_id, created_at, id);
