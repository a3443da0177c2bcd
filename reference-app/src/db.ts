// PostgreSQL access with node-postgres. The schema is created at start-up (when absent) under an
// advisory lock, so that several instances starting together do not race. v1 and v2 share the same schema:
// rolling back from v2 to v1 never needs a down-migration.
import pg from 'pg';

export interface Item {
  id: number;
  text: string;
  words: number | null;
  createdAt: string;
  processedAt: string | null;
}

const MIGRATION_LOCK = 4_210_001; // any constant shared by every instance of the app

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  id           bigserial PRIMARY KEY,
  text         text        NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
  words        integer,
  created_at   timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX IF NOT EXISTS items_pending ON items (id) WHERE processed_at IS NULL;
`;

export function makePool(databaseUrl: string | undefined, max = 5): pg.Pool {
  // Without a connection string, node-postgres reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
  return new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 10_000,
    statement_timeout: 5000,
    application_name: 'asd-app',
  });
}

/**
 * Creates the schema when it is absent. In the lab the DBA's migrations create it (the data
 * module's 004_items.sql) and the application role may not run DDL: an existing table is left as is.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const exists = await pool.query("SELECT to_regclass('public.items') IS NOT NULL AS ok");
  if (exists.rows[0]?.ok) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(SCHEMA);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const toItem = (r: Record<string, unknown>): Item => ({
  id: Number(r.id),
  text: String(r.text),
  words: r.words === null ? null : Number(r.words),
  createdAt: new Date(r.created_at as string).toISOString(),
  processedAt: r.processed_at ? new Date(r.processed_at as string).toISOString() : null,
});

export async function ping(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}

export async function createItem(pool: pg.Pool, text: string): Promise<Item> {
  const r = await pool.query('INSERT INTO items (text) VALUES ($1) RETURNING *', [text]);
  return toItem(r.rows[0]);
}

export async function getItem(pool: pg.Pool, id: number): Promise<Item | undefined> {
  const r = await pool.query('SELECT * FROM items WHERE id = $1', [id]);
  return r.rows[0] ? toItem(r.rows[0]) : undefined;
}

export async function listItems(pool: pg.Pool, limit: number): Promise<Item[]> {
  const r = await pool.query('SELECT * FROM items ORDER BY id DESC LIMIT $1', [limit]);
  return r.rows.map(toItem);
}

export async function stats(pool: pg.Pool): Promise<{ items: number; processed: number; pending: number; words: number }> {
  const r = await pool.query(
    `SELECT count(*)::int AS items, count(processed_at)::int AS processed,
            (count(*) - count(processed_at))::int AS pending, coalesce(sum(words), 0)::int AS words FROM items`,
  );
  const row = r.rows[0];
  return { items: row.items, processed: row.processed, pending: row.pending, words: row.words };
}

/**
 * Take the oldest pending item, let `work` process it, mark it done, in one transaction.
 * SKIP LOCKED lets several workers share the queue without taking the same item.
 */
export async function processNext(pool: pg.Pool, work: (item: Item) => Promise<number>): Promise<Item | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const r = await client.query('SELECT * FROM items WHERE processed_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED');
    if (!r.rows[0]) {
      await client.query('COMMIT');
      return undefined;
    }
    const item = toItem(r.rows[0]);
    const words = await work(item);
    const u = await client.query('UPDATE items SET words = $2, processed_at = now() WHERE id = $1 RETURNING *', [item.id, words]);
    await client.query('COMMIT');
    return toItem(u.rows[0]);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function pendingCount(pool: pg.Pool): Promise<number> {
  const r = await pool.query('SELECT count(*)::int AS n FROM items WHERE processed_at IS NULL');
  return r.rows[0].n;
}
