// Entry point of the image: `node /app/app.mjs api|worker|edge|probe URL`.
import { createApi } from './api.ts';
import { ConfigError, loadConfig } from './config.ts';
import { makePool } from './db.ts';
import { createEdge } from './edge.ts';
import { makeLogger } from './log.ts';
import { createWorker } from './worker.ts';

async function probe(url: string | undefined): Promise<number> {
  // The image has no curl: this is the health-check command (podman --health-cmd).
  if (!url) return 2;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const role = argv[0];
  if (role === 'probe') return probe(argv[1]);
  if (role !== 'api' && role !== 'worker' && role !== 'edge') {
    console.error('usage: app.mjs api|worker|edge|probe URL');
    return 2;
  }
  let cfg;
  try {
    cfg = loadConfig(process.env, role);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const log = makeLogger(cfg.logLevel, { role, version: cfg.version, env: cfg.env });
  // Signal handlers first: as PID 1 of a container, a process ignores SIGTERM unless it handles it,
  // and an instance stopped while it still waits for its database must exit at once.
  let stop: (() => Promise<void>) | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log.info('stopping', { signal: sig });
      if (!stop) process.exit(0);
      stop().finally(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  if (role === 'edge') {
    const edge = createEdge(
      {
        port: cfg.port,
        host: cfg.host,
        backendsFile: process.env.EDGE_BACKENDS ?? '/run/edge/backends.json',
        intervalMs: Number(process.env.EDGE_INTERVAL_MS ?? 250),
        healthPath: '/readyz',
        fallThreshold: 2,
        timeoutMs: 1000,
      },
      log,
    );
    await edge.start();
    stop = edge.stop;
  } else {
    const pool = makePool(cfg.databaseUrl);
    const svc = role === 'api' ? createApi(cfg, pool, log) : createWorker(cfg, pool, log);
    // The database may come up after us: retry the start-up (migration) for a while.
    for (let attempt = 1; ; attempt++) {
      try {
        await svc.start();
        break;
      } catch (err) {
        if (attempt >= 30) throw err;
        log.warn('start-up failed, retrying', { attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    stop = async () => {
      await svc.stop();
      await pool.end();
    };
  }
  await stopped;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(JSON.stringify({ level: 'error', msg: 'fatal', error: (err as Error).stack ?? String(err) }));
    process.exit(1);
  },
);
