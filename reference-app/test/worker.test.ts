import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as db from '../src/db.ts';
import { countWords, createWorker } from '../src/worker.ts';
import { base, config, get, pool, quiet, resetDb } from './helpers.ts';

describe('word count', () => {
  it('counts words, not punctuation or blanks', () => {
    expect(countWords('  hello, brave   new\nworld !  ')).toBe(4);
    expect(countWords('')).toBe(0);
    expect(countWords('élève — café 2024')).toBe(3);
  });
});

describe('the worker on a real PostgreSQL', () => {
  let p: pg.Pool;
  let dir: string;
  beforeAll(async () => {
    p = pool();
    await resetDb(p);
    await db.migrate(p);
    dir = await mkdtemp(path.join(os.tmpdir(), 'asd-app-data-'));
  });
  afterAll(async () => {
    await p?.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('processes pending items once, writes their exports and reports metrics', async () => {
    const a = await db.createItem(p, 'one two three');
    const b = await db.createItem(p, 'four');
    const w = createWorker(config({ DATA_DIR: dir, POLL_MS: '60000' }, 'worker'), p, quiet);
    await w.start(); // the first tick drains the queue
    try {
      await expect.poll(async () => (await db.getItem(p, b.id))?.processedAt, { timeout: 15_000 }).not.toBeNull();
      expect((await db.getItem(p, a.id))?.words).toBe(3);
      expect(JSON.parse(await readFile(path.join(dir, 'exports', `item-${a.id}.json`), 'utf8'))).toMatchObject({
        id: a.id,
        words: 3,
      });
      expect((await readdir(path.join(dir, 'exports'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await w.drain()).toBe(0); // nothing is processed twice
      const m = (await get(`${base(w.server)}/metrics`)).text;
      expect(m).toContain('worker_jobs_processed_total 2');
      expect(m).toContain('worker_queue_pending 0');
      expect((await get(`${base(w.server)}/readyz`)).status).toBe(200);
    } finally {
      await w.stop();
    }
  });

  it('is not ready when its data directory cannot be written, and keeps the item pending', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const item = await db.createItem(p, 'stays pending');
    const w = createWorker(config({ DATA_DIR: file, POLL_MS: '60000' }, 'worker'), p, quiet);
    await w.start();
    try {
      expect((await get(`${base(w.server)}/readyz`)).status).toBe(503);
      await expect(w.drain()).rejects.toThrow();
      expect((await db.getItem(p, item.id))?.processedAt).toBeNull();
    } finally {
      await w.stop();
    }
  });
});
