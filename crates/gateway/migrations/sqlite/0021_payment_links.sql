-- Payment links: a public URL that makes a session for each visitor. The
-- cart is kept as asked (products by id are looked up again at each visit,
-- so an archived one stops the link), and as priced when made (to show).
CREATE TABLE payment_links (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    cart                 TEXT NOT NULL,
    line_items           TEXT NOT NULL,
    amount_minor         TEXT NOT NULL,
    currency             TEXT NOT NULL,
    adjustable_quantity  INTEGER NOT NULL DEFAULT 0,
    max_quantity         INTEGER,
    metadata             TEXT NOT NULL,
    success_url          TEXT NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX payment_links_by_merchant ON payment_links(merchant_id, created_at, id);

-- The link a session was made for.
ALTER TABLE sessions ADD COLUMN payment_link_id TEXT;
