// The HTTP API of the reference app. Routes:
//   GET  /healthz          liveness: the process answers
//   GET  /readyz           readiness: PostgreSQL answers and the instance is not draining
//   GET  /version          release (v1|v2), environment, features
//   GET  /metrics          Prometheus text format
//   GET  /api/items        latest items (?limit=1..100)
//   POST /api/items        {"text": "..."} -> 201, queued for the worker
//   GET  /api/items/:id
//   GET  /api/stats        v2 only: counts of items, processed, pending, words
import http from 'node:http';
import type pg from 'pg';
import type { AppConfig } from './config.ts';
import * as db from './db.ts';
import { closeGracefully, HttpError, instrument, listen, readJson, requestMetrics, sendJson } from './http.ts';
import type { Logger } from './log.ts';
import { CONTENT_TYPE, processMetrics, Registry } from './metrics.ts';
import { FEATURES } from './version.ts';

export interface Api {
  server: http.Server;
  registry: Registry;
  start(): Promise<number>;
  /** Readiness goes to 503 first, then the server closes after the requests in flight. */
  stop(): Promise<void>;
}

export function routeOf(_method: string, path: string): string {
  if (['/healthz', '/readyz', '/version', '/metrics', '/api/items', '/api/stats'].includes(path)) return path;
  if (/^\/api\/items\/[^/]+$/.test(path)) return '/api/items/:id';
  return 'other';
}

export function createApi(cfg: AppConfig, pool: pg.Pool, log: Logger): Api {
  const registry = new Registry();
  const refresh = processMetrics(registry);
  const m = requestMetrics(registry, cfg.maxInFlight);
  const features = FEATURES[cfg.version];
  let draining = false;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/readyz') {
      if (draining) return sendJson(res, 503, { status: 'draining' });
      try {
        await db.ping(pool);
        return sendJson(res, 200, { status: 'ready' });
      } catch (err) {
        return sendJson(res, 503, { status: 'database unavailable', error: (err as Error).message });
      }
    }
    if (method === 'GET' && path === '/version') {
      return sendJson(res, 200, { name: 'asd-app', version: cfg.version, env: cfg.env, features, node: process.version });
    }
    if (method === 'GET' && path === '/metrics') {
      refresh();
      const body = registry.render();
      res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    if (path === '/api/items') {
      if (method === 'GET') {
        const raw = url.searchParams.get('limit') ?? '20';
        const limit = Number(raw);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new HttpError(400, 'limit must be an integer from 1 to 100');
        return sendJson(res, 200, { items: await db.listItems(pool, limit) });
      }
      if (method === 'POST') {
        const body = (await readJson(req)) as { text?: unknown };
        if (typeof body?.text !== 'string' || body.text.trim() === '' || body.text.length > 10_000) {
          throw new HttpError(400, 'text must be a non-empty string of at most 10000 characters');
        }
        const item = await db.createItem(pool, body.text);
        log.info('item created', { id: item.id });
        res.setHeader('location', `/api/items/${item.id}`);
        return sendJson(res, 201, item);
      }
      throw new HttpError(405, 'method not allowed');
    }
    const one = /^\/api\/items\/([^/]+)$/.exec(path);
    if (one && method === 'GET') {
      const id = Number(one[1]);
      if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(400, 'the item id must be a positive integer');
      const item = await db.getItem(pool, id);
      return item ? sendJson(res, 200, item) : sendJson(res, 404, { error: `no item ${id}` });
    }
    if (path === '/api/stats' && method === 'GET' && features.includes('stats')) {
      return sendJson(res, 200, await db.stats(pool));
    }
    return sendJson(res, 404, { error: `no route ${method} ${path}` });
  };

  const server = http.createServer(instrument(m, cfg.maxInFlight, routeOf, handler));
  server.keepAliveTimeout = 5000;
  return {
    server,
    registry,
    async start() {
      await db.migrate(pool);
      const port = await listen(server, cfg.port, cfg.host);
      log.info('api listening', { port, version: cfg.version, env: cfg.env });
      return port;
    },
    async stop() {
      draining = true;
      await closeGracefully(server);
    },
  };
}
