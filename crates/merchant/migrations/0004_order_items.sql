-- Every product an order was for and how many (JSON: [{"productId", "quantity"}]);
-- NULL for an order made before carts, which is its product_id and quantity.
ALTER TABLE orders ADD COLUMN items TEXT;
