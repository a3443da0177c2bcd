// The read-only web page of `asd-lab serve`, bound to the loopback address only: GET / (the
// dashboard page), GET /status.json (the same data), GET /report.html (the last verify report).
// Every other method is refused: nothing can be changed through it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SERVE_HOST = '127.0.0.1';

export interface ServePages {
  page: () => Promise<string>;
  json: () => Promise<unknown>;
  report: () => Promise<string | undefined>;
}

export async function startServe(pages: ServePages, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, {
        'content-type': `${type}; charset=utf-8`,
        'cache-control': 'no-store',
        // Self-contained pages: no script, no external resource.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, 'text/plain', 'read-only\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const run = async () => {
      if (path === '/') send(200, 'text/html', await pages.page());
      else if (path === '/status.json') send(200, 'application/json', `${JSON.stringify(await pages.json(), null, 2)}\n`);
      else if (path === '/report.html') {
        const r = await pages.report();
        if (r) send(200, 'text/html', r);
        else send(404, 'text/plain', 'no verify result yet: run asd-lab verify\n');
      } else send(404, 'text/plain', 'not found\n');
    };
    run().catch((err: unknown) => send(500, 'text/plain', `${(err as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, SERVE_HOST, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${SERVE_HOST}:${addr.port}/` };
}
