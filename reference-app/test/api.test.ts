import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createApi, routeOf, type Api } from '../src/api.ts';
import { makePool } from '../src/db.ts';
import { listen } from '../src/http.ts';
import { base, config, get, pool, post, quiet, resetDb } from './helpers.ts';

describe('the API on a real PostgreSQL', () => {
  let p: pg.Pool;
  let v1: Api;
  let v2: Api;
  let u1: string;
  let u2: string;

  beforeAll(async () => {
    p = pool();
    await resetDb(p);
    v1 = createApi(config({ APP_VERSION: 'v1' }), p, quiet);
    v2 = createApi(config({ APP_VERSION: 'v2' }), p, quiet);
    await v1.start();
    await v2.start(); // the second migration finds the schema in place
    u1 = base(v1.server);
    u2 = base(v2.server);
  });
  afterAll(async () => {
    await v1?.stop();
    await v2?.stop();
    await p?.end();
  });

  it('answers liveness and readiness', async () => {
    expect(await get(`${u1}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await get(`${u1}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('tells its release: v2 adds the stats feature', async () => {
    expect((await get(`${u1}/version`)).body).toMatchObject({ name: 'asd-app', version: 'v1', env: 'test', features: ['items'] });
    expect((await get(`${u2}/version`)).body).toMatchObject({ version: 'v2', features: ['items', 'stats'] });
  });

  it('creates, lists and reads items', async () => {
    const created = await post(`${u1}/api/items`, { text: 'hello brave new world' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ text: 'hello brave new world', words: null, processedAt: null });
    const one = await get(`${u2}/api/items/${created.body.id}`);
    expect(one.body.id).toBe(created.body.id);
    const list = await get(`${u1}/api/items?limit=5`);
    expect(list.body.items.map((i: { id: number }) => i.id)).toContain(created.body.id);
    expect((await get(`${u1}/api/items/999999`)).status).toBe(404);
  });

  it('serves /api/stats in v2 only', async () => {
    expect((await get(`${u1}/api/stats`)).status).toBe(404);
    const s = await get(`${u2}/api/stats`);
    expect(s.status).toBe(200);
    expect(s.body.items).toBeGreaterThanOrEqual(1);
    expect(s.body.items).toBe(s.body.processed + s.body.pending);
  });

  it('refuses bad input with 4xx and a reason', async () => {
    expect(await post(`${u1}/api/items`, { text: '' })).toMatchObject({ status: 400 });
    expect(await post(`${u1}/api/items`, '{not json')).toMatchObject({
      status: 400,
      body: { error: 'the body is not valid JSON' },
    });
    expect(await post(`${u1}/api/items`, 'text=x', 'application/x-www-form-urlencoded')).toMatchObject({ status: 415 });
    expect((await get(`${u1}/api/items?limit=1000`)).status).toBe(400);
    expect((await get(`${u1}/api/items/abc`)).status).toBe(400);
  });

  it('exposes the request duration histogram, the in-flight gauge and its limit', async () => {
    await get(`${u1}/version`);
    const m = await get(`${u1}/metrics`);
    expect(m.type).toMatch(/^text\/plain; version=0.0.4/);
    expect(m.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(m.text).toMatch(/http_request_duration_seconds_count\{code="200",method="GET",route="\/version"\} [1-9]/);
    expect(m.text).toMatch(
      /http_request_duration_seconds_bucket\{code="404",method="GET",route="\/api\/items\/:id",le="\+Inf"\} 1/,
    );
    // The scrape itself is in flight while the page is rendered.
    expect(m.text).toContain('http_requests_in_flight 1');
    expect(m.text).toContain('http_requests_in_flight_limit 64');
  });

  it('maps paths to bounded route labels', () => {
    expect(routeOf('GET', '/api/items/42')).toBe('/api/items/:id');
    expect(routeOf('GET', '/wp-admin')).toBe('other');
  });
});

describe('the API when PostgreSQL is unreachable', () => {
  it('is alive but not ready, answers 500 and counts the errors', async () => {
    // A pool that points at a closed port, as if the database had gone away after start-up.
    const dead = makePool('postgresql://nobody:x@127.0.0.1:1/none', 1);
    const api2 = createApi(config({ APP_VERSION: 'v2' }), dead, quiet);
    await listen(api2.server, 0, '127.0.0.1');
    const u = base(api2.server);
    try {
      expect((await get(`${u}/healthz`)).status).toBe(200);
      expect(await get(`${u}/readyz`)).toMatchObject({ status: 503, body: { status: 'database unavailable' } });
      expect((await get(`${u}/api/items`)).status).toBe(500);
      const m = (await get(`${u}/metrics`)).text;
      expect(m).toContain('http_request_errors_total{code="500",route="/api/items"} 1');
      expect(m).toContain('http_request_errors_total{code="503",route="/readyz"} 1');
    } finally {
      await api2.stop();
      await dead.end();
    }
  });

  it('finishes the request in flight when stopped, and refuses new connections', async () => {
    const p = pool();
    const api = createApi(config({ APP_VERSION: 'v1' }), p, quiet);
    await api.start();
    const port = (api.server.address() as AddressInfo).port;
    // A POST whose body arrives in two parts: the request is in flight when stop() is called.
    let finish: () => void = () => undefined;
    const answer = new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/items', method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"text": "in fl');
      finish = () => req.end('ight"}');
    });
    await expect.poll(() => api.registry.render().includes('http_requests_in_flight 1'), { timeout: 10_000 }).toBe(true);
    const stopping = api.stop();
    finish();
    expect(await answer).toBe(201);
    await stopping;
    expect(api.server.listening).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    await p.end();
  });
});
