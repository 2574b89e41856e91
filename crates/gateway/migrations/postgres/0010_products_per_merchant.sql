-- Product ids are unique per merchant, not across the gateway: one merchant
-- can no longer squat another's id, nor learn which ids exist from a 409.
ALTER TABLE products DROP CONSTRAINT products_pkey;
ALTER TABLE products ADD PRIMARY KEY (merchant_id, id);
