// The cohort dashboard: `status` (servers, health, last verify) and `serve`, a read-only page on
// 127.0.0.1 only, opened in headless Chromium (Debian package chromium) with a screenshot saved
// under test-artifacts/.
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';
import { runVerify } from '../src/checks/run.ts';
import { dashboard, renderDashboardHtml, renderDashboardText } from '../src/evidence/dashboard.ts';
import { renderHtml } from '../src/evidence/verify-report/html.ts';
import { SERVE_HOST, startServe } from '../src/evidence/serve.ts';
import { saveLastVerify } from '../src/evidence/verify-report/state.ts';
import { cli, KEY_A, NOW } from './helpers.ts';
import { cohortOf, FAKE_CHECKS, serversOf, VERSION } from './report-fixtures.ts';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const cohort = cohortOf();
// alice: all up; bob: db2 stopped; carol: running but SSH does not answer on .2.x
const servers = serversOf(cohort, (c, s) => (c === 'bob' && s === 'db2' ? 'stopped' : 'running'));
const probe = async (s: { address: string }) => !s.address.startsWith('10.98.2.');
const reportP = runVerify(cohort, servers, { checks: FAKE_CHECKS, probe, version: VERSION, candidate: 'bob' });

function http(url: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function chromium(args: string[]): Promise<string> {
  const which = await execa('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { reject: false });
  if (which.exitCode !== 0)
    throw new Error('Chromium is missing: apt-get install -y chromium (listed in scripts/host-packages.txt)');
  const profile = mkdtempSync(join(tmpdir(), 'asd-chromium-'));
  const r = await execa(
    which.stdout.trim(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, ...args],
    { reject: false, timeout: 60_000 },
  );
  if (r.exitCode !== 0) throw new Error(`chromium failed (${r.exitCode}): ${r.stderr.slice(-500)}`);
  return r.stdout;
}

describe('dashboard data', () => {
  it('gives each server its health and each candidate its last verify result', async () => {
    const d = await dashboard(cohort, servers, await reportP, { probe, now: NOW });
    const health = (c: string) =>
      d.candidates
        .find((x) => x.id === c)!
        .servers.map((s) => `${s.name}:${s.health}`)
        .join(' ');
    expect(health('alice')).toBe('gateway:up app:up db1:up db2:up mon:up');
    expect(health('bob')).toBe('gateway:up app:up db1:up db2:down mon:up');
    expect(health('carol')).toBe('gateway:no-ssh app:no-ssh db1:no-ssh db2:no-ssh mon:no-ssh');
    expect(d.candidates.find((x) => x.id === 'bob')!.lastVerify).toMatchObject({
      reachable: true,
      pass: 2,
      fail: 1,
      criteriaFailed: 1,
    });
    expect(d.candidates.find((x) => x.id === 'alice')!.lastVerify).toBeUndefined();
    // the original `status --json` fields are all still there
    expect(Object.keys(d.candidates[0]!.servers[0]!)).toEqual(
      expect.arrayContaining(['name', 'role', 'state', 'address', 'sshPort', 'user', 'keyPath', 'machine']),
    );
    const text = renderDashboardText(d, 'en');
    expect(text).toMatch(/bob {2}— {2}last verify .*: 1 criterion passed, 1 failed, 30 not run/);
    expect(text).toMatch(/db2 +db +stopped +down/);
    expect(text).toMatch(/app +app +running +NO SSH/);
    expect(renderDashboardText(d, 'fr')).toContain('pas encore de vérification');
  });
});

describe('dashboard on the AWS target', () => {
  it("shows the expiry and the estimated hourly cost of each candidate's servers", async () => {
    const aws = cohortOf('target: aws\nexpires: 2026-12-31\nadmin: {cidrs: [203.0.113.0/24]}\n');
    const d = await dashboard(aws, new Map(), undefined, { now: NOW });
    // eu-west-3: t3.nano + 4 x t3.small, 5 x 8 GiB root + 2 x 10 GiB data gp3 at 0.0928 USD/GiB-month
    const expected = 0.0059 + 4 * 0.0236 + (60 * 0.0928) / 730;
    expect(d.candidates[0]!.costPerHour).toBeCloseTo(expected, 4);
    expect(d.expires).toBe('2026-12-31');
    const text = renderDashboardText(d, 'en');
    expect(text).toContain('expires 2026-12-31');
    expect(text).toContain(`estimated ${expected.toFixed(4)} USD per hour`);
    expect((await dashboard(cohort, servers, undefined, { probe })).candidates[0]!.costPerHour).toBeUndefined();
  });
});

describe('asd-lab serve', () => {
  const started: { close: () => void }[] = [];
  afterAll(() =>
    started.forEach((s) => {
      s.close();
    }),
  );

  it('listens on 127.0.0.1 only, serves the page, the JSON and the report, and refuses any change', async () => {
    const report = await reportP;
    const { server, url } = await startServe({
      page: async () =>
        renderDashboardHtml(await dashboard(cohort, servers, report, { probe }), 'en', {
          refreshSeconds: 10,
          diagramSvg: '<svg><text>diagram-here</text></svg>',
        }),
      json: async () => dashboard(cohort, servers, report, { probe }),
      report: async () => renderHtml(report, 'en'),
    });
    started.push(server);
    expect((server.address() as AddressInfo).address).toBe(SERVE_HOST);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await http(url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<meta http-equiv="refresh" content="10">');
    expect(JSON.parse((await http(`${url}status.json`)).body).candidates).toHaveLength(3);
    expect((await http(`${url}report.html`)).body).toContain('Verification report — cohort demo');
    for (const m of ['POST', 'PUT', 'DELETE']) expect((await http(url, m)).status).toBe(405);
    expect((await http(`${url}../../etc/passwd`)).status).toBe(404);
  });

  it('renders in headless Chromium: screenshot in test-artifacts/ and the content a trainer needs', async () => {
    const report = await reportP;
    const { server, url } = await startServe({
      page: async () => renderDashboardHtml(await dashboard(cohort, servers, report, { probe }), 'fr', {}),
      json: async () => ({}),
      report: async () => renderHtml(report, 'fr'),
    });
    started.push(server);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'serve-dashboard.png');
    await chromium([`--screenshot=${shot}`, '--window-size=1280,1600', url]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    const dom = await chromium(['--dump-dom', url]);
    expect(dom).toContain('asd-lab — promotion demo');
    for (const id of ['alice', 'bob', 'carol']) expect(dom).toContain(`id="cand-${id}"`);
    expect(dom).toContain('PAS DE SSH');
    expect(dom).toContain('dernière vérification');
    const reportShot = join(ARTIFACTS, 'serve-report.png');
    await chromium([`--screenshot=${reportShot}`, '--window-size=1280,2000', `${url}report.html`]);
    expect(statSync(reportShot).size).toBeGreaterThan(10_000);
  });

  it('the CLI serves the state of a cohort and status shows the same data', async () => {
    const state = mkdtempSync(join(tmpdir(), 'asd-serve-'));
    const file = join(state, 'c.yaml');
    writeFileSync(
      file,
      `cohort: srv\ncandidates: [{id: ann, sshKey: "${KEY_A}"}]\nlocal: {subnetPool: 10.240.26.0/24, subnetPrefix: 27}\n`,
    );
    const c = (await import('../src/core/model/load.ts')).parseCohort(
      `cohort: srv\ncandidates: [{id: ann, sshKey: "${KEY_A}"}]\n`,
      'x',
    );
    saveLastVerify(await runVerify(c, new Map(), { checks: FAKE_CHECKS, version: VERSION }), state);
    const env = { ASD_LAB_STATE: state };
    const status = await cli(['-c', file, '--json', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    const d = JSON.parse(status.stdout);
    expect(d.candidates[0].servers.map((s: { name: string; health: string }) => `${s.name}:${s.health}`)).toEqual([
      'gateway:down',
      'app:down',
      'db1:down',
      'db2:down',
      'mon:down',
    ]);
    expect(d.candidates[0].lastVerify).toMatchObject({ reachable: false });
    expect((await cli(['-c', file, 'status', '--watch', '0'], env)).stderr).toContain('--watch takes a number of seconds');
    const child = execa(process.execPath, [join(REPO_ROOT, 'bin/asd-lab.js'), '-c', file, 'serve', '--port', '0'], {
      env: { ...process.env, ...env, LANG: 'C.UTF-8' },
      reject: false,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('serve did not print its URL within 20 s')), 20_000);
        child.stdout!.on('data', (b: Buffer) => {
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(b.toString());
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
      });
      const page = await http(url);
      expect(page.status).toBe(200);
      expect(page.body).toContain('asd-lab — cohort srv');
      expect(page.body).toContain('candidate unreachable');
    } finally {
      child.kill('SIGTERM');
      await child;
    }
  });
});
