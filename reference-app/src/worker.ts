// The background worker: takes pending items from PostgreSQL, counts their words, writes an
// export file to DATA_DIR (the remote volume in the lab) and marks them processed. It serves
// /metrics, /healthz and /readyz on METRICS_PORT.
import { mkdir, rename, writeFile, access, constants } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type pg from 'pg';
import type { AppConfig } from './config.ts';
import * as db from './db.ts';
import { closeGracefully, instrument, listen, requestMetrics, sendJson } from './http.ts';
import type { Logger } from './log.ts';
import { CONTENT_TYPE, Counter, Gauge, processMetrics, Registry } from './metrics.ts';

export function countWords(text: string): number {
  const words = text
    .trim()
    .split(/\s+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  return words.length;
}

export interface Worker {
  server: http.Server;
  registry: Registry;
  start(): Promise<number>;
  /** Process every pending item now (used by tests and at each tick). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function createWorker(cfg: AppConfig, pool: pg.Pool, log: Logger): Worker {
  const registry = new Registry();
  const refresh = processMetrics(registry);
  const m = requestMetrics(registry, cfg.maxInFlight);
  const processed = registry.register(new Counter('worker_jobs_processed_total', 'Items processed by the worker.'));
  const failed = registry.register(
    new Counter('worker_job_failures_total', 'Items whose processing failed (retried at the next tick).'),
  );
  const pending = registry.register(new Gauge('worker_queue_pending', 'Items waiting to be processed, at the last tick.', 0));
  const lastSuccess = registry.register(
    new Gauge('worker_last_success_timestamp_seconds', 'When the worker last processed an item.', 0),
  );
  const exportsDir = path.join(cfg.dataDir, 'exports');
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopping = false;

  const writeExport = async (item: db.Item, words: number) => {
    await mkdir(exportsDir, { recursive: true });
    const file = path.join(exportsDir, `item-${item.id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ id: item.id, words, version: cfg.version, env: cfg.env })}\n`);
    await rename(tmp, file); // atomic on the same filesystem: readers never see half a file
  };

  const drain = async (): Promise<number> => {
    let n = 0;
    for (;;) {
      if (stopping) break;
      const done = await db.processNext(pool, async (item) => {
        const words = countWords(item.text);
        await writeExport(item, words);
        return words;
      });
      if (!done) break;
      n += 1;
      processed.inc();
      lastSuccess.set(Date.now() / 1000);
    }
    pending.set(await db.pendingCount(pool));
    return n;
  };

  const tick = () => {
    running = drain()
      .catch((err: unknown) => {
        failed.inc();
        log.warn('processing failed', { error: (err as Error).message });
      })
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, cfg.pollMs);
      });
  };

  const server = http.createServer(
    instrument(
      m,
      cfg.maxInFlight,
      (_m, p) => (['/healthz', '/readyz', '/metrics'].includes(p) ? p : 'other'),
      async (_req, res, url) => {
        if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
        if (url.pathname === '/readyz') {
          try {
            await db.ping(pool);
            await mkdir(cfg.dataDir, { recursive: true });
            await access(cfg.dataDir, constants.W_OK);
            return sendJson(res, 200, { status: 'ready', dataDir: cfg.dataDir });
          } catch (err) {
            return sendJson(res, 503, { status: 'not ready', error: (err as Error).message });
          }
        }
        if (url.pathname === '/metrics') {
          refresh();
          const body = registry.render();
          res.writeHead(200, { 'content-type': CONTENT_TYPE });
          return void res.end(body);
        }
        return sendJson(res, 404, { error: 'not found' });
      },
    ),
  );

  return {
    server,
    registry,
    drain,
    async start() {
      await db.migrate(pool);
      const port = await listen(server, cfg.port, cfg.host);
      log.info('worker started', { port, dataDir: cfg.dataDir, version: cfg.version });
      tick();
      return port;
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
      await closeGracefully(server);
    },
  };
}
