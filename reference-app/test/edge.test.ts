import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type Api } from '../src/api.ts';
import { createEdge, parseBackends } from '../src/edge.ts';
import { base, config, get, pool, quiet, resetDb } from './helpers.ts';

describe('the edge in front of API instances', () => {
  let p: pg.Pool;
  let dir: string;
  let file: string;
  let edge: ReturnType<typeof createEdge>;
  let e: string;
  const apis: Api[] = [];
  const write = (generation: number, list: Api[]) =>
    writeFile(
      file,
      JSON.stringify({ generation, backends: list.map((a) => ({ id: `api-${apis.indexOf(a)}`, url: base(a.server) })) }),
    );
  const status = async () =>
    (await get(`${e}/_edge/status`)).body as { generation: number; backends: { id: string; up: boolean }[] };

  beforeAll(async () => {
    p = pool();
    await resetDb(p);
    dir = await mkdtemp(path.join(os.tmpdir(), 'asd-edge-'));
    file = path.join(dir, 'backends.json');
    for (const v of ['v1', 'v1', 'v2']) {
      const a = createApi(config({ APP_VERSION: v }), p, quiet);
      await a.start();
      apis.push(a);
    }
    await write(1, apis.slice(0, 2));
    edge = createEdge(
      { port: 0, host: '127.0.0.1', backendsFile: file, intervalMs: 50, healthPath: '/readyz', fallThreshold: 2, timeoutMs: 500 },
      quiet,
    );
    await edge.start();
    e = base(edge.server);
  });
  afterAll(async () => {
    await edge?.stop();
    for (const a of apis) await a.stop().catch(() => undefined);
    await p?.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('validates the backends file', () => {
    expect(() => parseBackends('{"backends": []}')).toThrow(/generation/);
    expect(() => parseBackends('{"generation": 1, "backends": [{"id": "a", "url": "ftp://x"}]}')).toThrow(/bad backend/);
  });

  it('forwards to the healthy backends of the current generation', async () => {
    expect(await status()).toMatchObject({ generation: 1, backends: [{ up: true }, { up: true }] });
    expect((await get(`${e}/version`)).body.version).toBe('v1');
  });

  it('keeps idle client connections longer than clients do, so that no reused connection is closed under a request', async () => {
    const r = await fetch(`${e}/version`);
    await r.arrayBuffer();
    // Node's server announces its idle timeout; clients (undici, browsers) close theirs before it.
    expect(Number(/timeout=(\d+)/.exec(r.headers.get('keep-alive') ?? '')?.[1])).toBeGreaterThanOrEqual(60);
  });

  it('replaces instances one by one with no failed request', async () => {
    let failures = 0;
    const errors: string[] = [];
    let done = 0;
    let stop = false;
    const load = (async () => {
      while (!stop && done < 5000) {
        const r = await fetch(`${e}/api/items?limit=1`).catch((err: Error) => err);
        if (r instanceof Error || r.status !== 200) {
          failures += 1;
          errors.push(r instanceof Error ? String(r.cause ?? r) : `${r.status} ${await r.text()}`);
        } else await r.text();
        done += 1;
      }
    })();
    // surge: add the v2 instance, then take api-0 out and stop it, as `asd-lab app update` does
    await write(2, [apis[0]!, apis[1]!, apis[2]!]);
    await expect.poll(async () => (await status()).generation, { timeout: 15_000 }).toBe(2);
    await write(3, [apis[1]!, apis[2]!]);
    await expect.poll(async () => (await status()).generation, { timeout: 15_000 }).toBe(3);
    await apis[0]!.stop();
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await load;
    expect(done).toBeGreaterThan(20);
    expect(errors).toEqual([]);
    expect(failures).toBe(0);
  });

  it('takes a backend that dies without notice out, retrying its requests elsewhere', async () => {
    let failures = 0;
    await apis[1]!.stop(); // api-1, still listed in generation 3
    for (let i = 0; i < 50; i++) {
      const r = await get(`${e}/version`);
      if (r.status !== 200) failures += 1;
      else expect(r.body.version).toBe('v2');
    }
    expect(failures).toBe(0);
    await expect.poll(async () => (await status()).backends.find((b) => b.id === 'api-1')?.up, { timeout: 15_000 }).toBe(false);
    const m = (await get(`${e}/_edge/metrics`)).text;
    expect(m).toMatch(/edge_retries_total [1-9]/);
  });

  it('answers 502 when no backend is left', async () => {
    await writeFile(file, JSON.stringify({ generation: 9, backends: [] }));
    await expect.poll(async () => (await status()).generation, { timeout: 15_000 }).toBe(9);
    expect((await get(`${e}/version`)).status).toBe(502);
  });
});
