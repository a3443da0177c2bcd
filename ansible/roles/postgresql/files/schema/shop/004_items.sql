-- shop, migration 004: the reference application's work items (reference-app/src/db.ts, the same table).
-- The application creates it itself only on a database it owns (its tests, the forges' service
-- containers); in the lab the application role may not run DDL, so the owner role applies it here.
CREATE TABLE items (
  id           bigserial PRIMARY KEY,
  text         text        NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
  words        integer,
  created_at   timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX items_pending ON items (id) WHERE processed_at IS NULL;
