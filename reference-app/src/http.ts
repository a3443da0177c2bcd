// HTTP plumbing shared by the API, the worker's health endpoint and the edge: JSON answers,
// bounded request bodies, request metrics, graceful close.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, type Registry } from './metrics.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readJson(req: http.IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/.test(type)) throw new HttpError(415, 'the body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `the body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

export interface RequestMetrics {
  duration: Histogram;
  inFlight: Gauge;
  inFlightLimit: Gauge;
  errors: Counter;
}

/** The three application indicators of docs/indicators.md, with the names the alerts use. */
export function requestMetrics(registry: Registry, maxInFlight: number): RequestMetrics {
  return {
    duration: registry.register(
      new Histogram('http_request_duration_seconds', 'Duration of HTTP requests, by method, route and status code.'),
    ),
    inFlight: registry.register(new Gauge('http_requests_in_flight', 'HTTP requests being served now.', 0)),
    inFlightLimit: registry.register(
      new Gauge('http_requests_in_flight_limit', 'The most HTTP requests served at once; more get 503.', maxInFlight),
    ),
    errors: registry.register(
      new Counter('http_request_errors_total', 'HTTP requests answered with a 5xx status, by route and status code.'),
    ),
  };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | void;

/**
 * Wrap a router with the request metrics and the in-flight limit. `route` maps a request to its
 * route template (bounded label values: unknown paths are counted as "other").
 */
export function instrument(
  m: RequestMetrics,
  maxInFlight: number,
  route: (method: string, path: string) => string,
  handler: Handler,
): http.RequestListener {
  let inFlight = 0;
  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const r = route(req.method ?? 'GET', url.pathname);
    inFlight += 1;
    m.inFlight.set(inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      m.inFlight.set(inFlight);
      const code = String(res.statusCode);
      m.duration.observe(Number(process.hrtime.bigint() - started) / 1e9, { method: req.method ?? 'GET', route: r, code });
      if (res.statusCode >= 500) m.errors.inc({ route: r, code });
    };
    res.on('finish', finish);
    res.on('close', finish);
    if (inFlight > maxInFlight) {
      sendJson(res, 503, { error: 'too many requests in flight' });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (!res.headersSent) sendJson(res, status, { error: status === 500 ? 'internal error' : (err as Error).message });
        else res.destroy();
        if (status === 500)
          console.error(JSON.stringify({ level: 'error', msg: 'request failed', route: r, error: (err as Error).message }));
      });
  };
}

export async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stop accepting, let the requests in flight finish (at most `graceMs`), then close what is left. */
export async function closeGracefully(server: http.Server, graceMs = 10_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
