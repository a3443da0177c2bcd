// The sample candidate project (examples/project-shopfront) is clean for the linters a candidate's
// project is judged by, and its API really serves Prometheus metrics (on loopback). A linter that is
// missing fails the test with the package to install: never skipped.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';

const SAMPLE = resolve(REPO_ROOT, 'examples/project-shopfront');

async function tool(bin: string, pkg: string, args: string[], input?: string) {
  const r = await execa(bin, args, { cwd: SAMPLE, reject: false, all: true, input, env: { LANG: 'C.UTF-8', NO_COLOR: '1' } });
  if (r.exitCode === undefined) throw new Error(`${bin} is not installed: apt-get install -y ${pkg}`);
  return r;
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

describe('the sample project examples/project-shopfront', () => {
  it('yamllint, ansible-lint (production profile), promtool check and test rules: clean', async () => {
    const yl = await tool('yamllint', 'yamllint', ['--strict', '.']);
    expect(yl.exitCode, yl.all).toBe(0);
    const al = await tool('ansible-lint', 'ansible-lint', ['--offline', '--profile', 'production', 'ansible/deploy.yml']);
    expect(al.exitCode, al.all).toBe(0);
    const check = await tool('promtool', 'prometheus', ['check', 'rules', 'monitoring/alerts.yml']);
    expect(check.exitCode, check.all).toBe(0);
    expect(check.all).toContain('SUCCESS: 2 rules found');
    const test = await tool('promtool', 'prometheus', ['test', 'rules', 'monitoring/alerts.test.yml']);
    expect(test.exitCode, test.all).toBe(0);
  }, 180_000);

  it('its API answers on loopback and /metrics is valid Prometheus exposition', async () => {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'shopfront-'));
    const api = execa('python3', [join(SAMPLE, 'app/server.py')], {
      env: { SHOPFRONT_PORT: String(port), SHOPFRONT_DATA: data },
      reject: false,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      let products: Response | undefined;
      for (let i = 0; i < 50 && !products; i++) {
        products = await fetch(`${base}/products`).catch(() => undefined);
        if (!products) await new Promise((r) => setTimeout(r, 100));
      }
      expect(products?.status).toBe(200);
      const order = await fetch(`${base}/orders`, { method: 'POST', body: JSON.stringify({ product: 2, quantity: 1 }) });
      expect(order.status).toBe(201);
      expect((await fetch(`${base}/orders`, { method: 'POST', body: '{"product": 99}' })).status).toBe(400);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('shopfront_orders_total 1');
      expect(metrics).toContain('shopfront_http_requests_total{method="POST",path="/orders",code="400"} 1');
      const lint = await tool('promtool', 'prometheus', ['check', 'metrics'], metrics);
      expect(lint.exitCode, lint.all).toBe(0);
    } finally {
      api.kill();
      await api;
    }
  }, 60_000);
});
