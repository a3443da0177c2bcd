-- shop, migration 002: orders get a status, and the back office lists them by status and date.
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'
  CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'));
CREATE INDEX orders_status_created_at ON orders (status, created_at);
