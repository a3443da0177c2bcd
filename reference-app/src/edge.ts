// The edge: the one address of an environment. It forwards each request to one of the healthy
// API instances listed in a backends file, which the deploy tool rewrites while it replaces
// instances one by one. Together with the active health checks and one retry on a connection
// error, this is what lets an update run without a failed request.
//
// Backends file (JSON): {"generation": 3, "backends": [{"id": "api-1", "url": "http://10.0.0.5:8080"}]}
// GET /_edge/status answers {"generation", "backends": [{"id", "url", "up"}]} so that the deploy
// tool knows when a change has been taken into account.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { closeGracefully, listen, sendJson } from './http.ts';
import type { Logger } from './log.ts';
import { CONTENT_TYPE, Counter, Gauge, Registry } from './metrics.ts';

export interface EdgeOptions {
  port: number;
  host: string;
  backendsFile: string;
  /** How often the backends file is read and the backends are probed. */
  intervalMs: number;
  healthPath: string;
  /** Consecutive failed probes before a backend is taken out. */
  fallThreshold: number;
  timeoutMs: number;
}

interface Backend {
  id: string;
  url: URL;
  up: boolean;
  failures: number;
}

export interface BackendsFile {
  generation: number;
  backends: { id: string; url: string }[];
}

export function parseBackends(text: string): BackendsFile {
  const v = JSON.parse(text) as BackendsFile;
  if (!Number.isInteger(v?.generation) || !Array.isArray(v.backends))
    throw new Error('backends file: expected {"generation": n, "backends": [...]}');
  for (const b of v.backends) {
    if (typeof b?.id !== 'string' || typeof b.url !== 'string' || !/^http:\/\//.test(b.url))
      throw new Error(`backends file: bad backend ${JSON.stringify(b)}`);
  }
  return v;
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETUNREACH']);

export function createEdge(opts: EdgeOptions, log: Logger) {
  const registry = new Registry();
  const requests = registry.register(new Counter('edge_requests_total', 'Requests forwarded by the edge, by status code.'));
  const retries = registry.register(
    new Counter('edge_retries_total', 'Requests retried on another backend after a connection error.'),
  );
  const upstreamErrors = registry.register(
    new Counter('edge_upstream_errors_total', 'Requests that failed on every backend tried.'),
  );
  const healthy = registry.register(new Gauge('edge_backends_up', 'Backends that pass their health check.', 0));
  let generation = -1;
  let lastText = '';
  let lastError = '';
  let backends: Backend[] = [];
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  // No keep-alive to the backends: an instance that is being stopped never hands us a dying socket.
  const agent = new http.Agent({ keepAlive: false });

  const probe = (b: Backend) =>
    new Promise<boolean>((resolve) => {
      const req = http.get(new URL(opts.healthPath, b.url), { agent, timeout: opts.timeoutMs }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
    });

  const reload = async () => {
    try {
      const text = await readFile(opts.backendsFile, 'utf8');
      if (text === lastText) return;
      const parsed = parseBackends(text);
      const old = new Map(backends.map((b) => [b.id + b.url, b]));
      // A new backend must pass one probe before it gets traffic; a known one keeps its state.
      const list = parsed.backends.map((x) => old.get(x.id + x.url) ?? { id: x.id, url: new URL(x.url), up: false, failures: 0 });
      await Promise.all(list.filter((b) => !old.has(b.id + b.url)).map(async (b) => (b.up = await probe(b))));
      backends = list;
      generation = parsed.generation;
      lastText = text;
      log.info('backends loaded', { generation, backends: list.map((b) => `${b.id}=${b.up ? 'up' : 'down'}`) });
    } catch (err) {
      // Said once per distinct problem, not at every poll.
      const msg = (err as Error).message;
      if (msg !== lastError) log.warn('backends file not loaded', { error: msg });
      lastError = msg;
      return;
    }
    lastError = '';
  };

  const check = async () => {
    await Promise.all(
      backends.map(async (b) => {
        const ok = await probe(b);
        if (ok) {
          if (!b.up) log.info('backend up', { id: b.id });
          b.up = true;
          b.failures = 0;
        } else if (++b.failures >= opts.fallThreshold && b.up) {
          b.up = false;
          log.warn('backend down', { id: b.id });
        }
      }),
    );
    healthy.set(backends.filter((b) => b.up).length);
  };

  const loop = async () => {
    await reload();
    await check();
    timer = setTimeout(() => void loop(), opts.intervalMs);
  };

  const pick = (exclude: Set<Backend>): Backend | undefined => {
    let up = backends.filter((b) => b.up && !exclude.has(b));
    // Every backend marked down (slow probes under load, say): try them anyway rather than answer
    // 502 at once, as load balancers do past their "panic threshold".
    if (!up.length) up = backends.filter((b) => !exclude.has(b));
    if (!up.length) return undefined;
    next = (next + 1) % up.length;
    return up[next];
  };

  const forward = (b: Backend, req: http.IncomingMessage, body: Buffer) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', connection: 'close' };
      const up = http.request(new URL(req.url ?? '/', b.url), { method: req.method, headers, agent, timeout: 30_000 }, resolve);
      up.on('timeout', () => up.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })));
      up.on('error', reject);
      up.end(body);
    });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://edge');
    if (url.pathname === '/_edge/status') {
      return sendJson(res, 200, { generation, backends: backends.map((b) => ({ id: b.id, url: b.url.toString(), up: b.up })) });
    }
    if (url.pathname === '/_edge/metrics') {
      healthy.set(backends.filter((b) => b.up).length);
      res.writeHead(200, { 'content-type': CONTENT_TYPE });
      return void res.end(registry.render());
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const idempotent = req.method === 'GET' || req.method === 'HEAD';
    const tried = new Set<Backend>();
    for (let attempt = 0; attempt < Math.max(3, backends.length); attempt++) {
      const b = pick(tried);
      if (!b) break;
      tried.add(b);
      try {
        const up = await forward(b, req, body);
        // Hop-by-hop headers concern the edge's connection to the backend, not the client's.
        const headers = { ...up.headers };
        for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[h];
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        requests.inc({ code: String(up.statusCode) });
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        log.debug('upstream error', { backend: b.id, code, error: (err as Error).message, attempt });
        // A refused connection never reached the app: safe to retry any method. Other errors only for reads.
        if (!(code === 'ECONNREFUSED' || (idempotent && RETRYABLE.has(code)))) break;
        retries.inc();
        b.failures += 1;
      }
    }
    upstreamErrors.inc();
    requests.inc({ code: '502' });
    sendJson(res, 502, { error: 'no backend could answer' });
  });

  // Clients keep their connection to the edge open between requests. Were the edge to close an idle
  // one just as a client reuses it, that request would fail without reaching any backend (the classic
  // keep-alive race): the edge keeps idle connections longer than clients do (load balancers use 60 s).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    server,
    registry,
    status: () => ({ generation, backends: backends.map((b) => ({ id: b.id, up: b.up })) }),
    async start() {
      await loop();
      const port = await listen(server, opts.port, opts.host);
      log.info('edge listening', { port, backendsFile: opts.backendsFile });
      return port;
    },
    async stop() {
      if (timer) clearTimeout(timer);
      await closeGracefully(server);
    },
  };
}
