// The monitoring deployment without servers: what Ansible renders (file_sd targets, web config)
// equals what the TypeScript library computes, the credential script, the alert receiver, the
// SSH counters, and the pure parts of alerts, drills and checks. Needs ansible-playbook, promtool
// and python3 (Debian: ansible, prometheus).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { toNiceJson } from '../src/modules/monitoring/deployed-targets.ts';
import { parse, stringify } from 'yaml';
import { alertRow, renderTable, sortRows } from '../src/cli/commands/alerts.ts';
import {
  devAlerts,
  envStats,
  parsePeriod,
  renderHtml,
  renderMarkdown,
  svgChart,
  type AppReport,
} from '../src/modules/monitoring/app-report.ts';
import { SLO_DEFAULTS } from '../src/core/model/slo.ts';
import type { InventoryHost } from '../src/core/hosts.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { loadCohort } from '../src/core/model/load.ts';
import { drillTarget, fillBytes, renderTimeline, SCENARIO_DEFS, type DrillResult } from '../src/modules/monitoring/drills.ts';
import { monitoringOptions } from '../src/modules/monitoring/options.ts';
import { curlWithCredential, firingThenResolved, parseEvents, shq } from '../src/modules/monitoring/remote.ts';
import { SCRAPE_JOBS, scrapeJobsManifest, scrapeTargets } from '../src/modules/monitoring/scrape-jobs.ts';
import { renderWebConfig } from '../src/modules/monitoring/web-config.ts';
import { MONITORING_CHECKS } from '../src/modules/monitoring/checks.ts';
import type { LabServer } from '../src/core/lab-server.ts';

const ROLES = resolve(REPO_ROOT, 'ansible/roles');
const tmp = mkdtempSync(join(tmpdir(), 'asd-mon-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTS: InventoryHost[] = [
  { candidate: 'alice', server: 'gateway', role: 'gateway', address: '10.98.0.2', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'app', role: 'app', address: '10.98.0.3', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'db1', role: 'db', address: '10.98.0.4', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'mon', role: 'mon', address: '10.98.0.6', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'apptest', role: 'app', address: '10.98.0.7', subnet: '10.98.0.0/24', env: 'test' },
];
/** Another candidate of the same cohort: alice's Prometheus must never scrape it. */
const BOB: InventoryHost = {
  candidate: 'bob',
  server: 'app',
  role: 'app',
  address: '10.98.1.3',
  subnet: '10.98.1.0/24',
  env: 'prod',
};
const BCRYPT_FIXTURE = '$2b$10$3UWspWdb9bFLZ.isWm5aGebCeho6CZBcTC76JNu2tEl1cq8TMby3W';

function server(name: string, role: string, state: LabServer['state'] = 'running'): LabServer {
  return {
    name,
    machine: `alice-${name}`,
    role,
    state,
    address: '10.0.0.1',
    sshPort: 22,
    user: 'asd-admin',
    keyPath: '/nonexistent',
  };
}

describe('what Ansible renders equals what the library computes', () => {
  it.each([true, false])(
    'file_sd targets of role prometheus = scrapeTargets(), per candidate (app deployed: %s); web config = renderWebConfig()',
    (deployed) => {
      const hosts = HOSTS.map((h) => ({ ...h, appDeployed: deployed }));
      const inv = {
        all: {
          hosts: Object.fromEntries(
            [...hosts, BOB].map((h) => [
              `${h.candidate}-${h.server}`,
              {
                ansible_connection: 'local',
                ansible_python_interpreter: process.env.ASD_PYTHON ?? '/usr/bin/python3',
                lab_candidate: h.candidate,
                lab_server: h.server,
                lab_role: h.role,
                lab_env: h.env,
                lab_app_deployed: h.appDeployed ?? false,
              },
            ]),
          ),
          children: { mon: { hosts: { 'alice-mon': null } } },
        },
      };
      writeFileSync(join(tmp, 'inv.yml'), stringify(inv, { nullStr: '' }));
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(scrapeJobsManifest({ data: true })));
      const play = [
        {
          hosts: 'alice-mon',
          gather_facts: false,
          become: false,
          vars: { monitoring_scrape_password_bcrypt: BCRYPT_FIXTURE },
          tasks: [
            {
              name: 'targets',
              'ansible.builtin.template': {
                src: join(ROLES, 'prometheus/templates/targets.json.j2'),
                dest: `${tmp}/{{ item.name }}.yml`,
                mode: '0644',
              },
              loop: `{{ (lookup('ansible.builtin.file', '${join(tmp, 'manifest.json')}') | from_json).jobs }}`,
            },
            {
              name: 'web',
              'ansible.builtin.template': {
                src: resolve(REPO_ROOT, 'monitoring/generated/web-config.yml.j2'),
                dest: join(tmp, 'web-config.yml'),
                mode: '0640',
              },
            },
          ],
        },
      ];
      writeFileSync(join(tmp, 'play.yml'), stringify(play));
      execFileSync('ansible-playbook', ['-i', join(tmp, 'inv.yml'), join(tmp, 'play.yml')], {
        cwd: tmp,
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'default', ANSIBLE_LOCALHOST_WARNING: 'false' },
        stdio: 'pipe',
      });
      const expected = scrapeTargets(hosts, { data: true });
      expect(expected.size).toBe(SCRAPE_JOBS.length);
      // The app's scrape and probe list alice's app servers only once her app is deployed.
      expect(expected.get('targets/blackbox_http.yml')!.map((g) => g.targets[0])).toEqual(
        deployed ? ['https://alice-app/', 'https://alice-apptest/'] : [],
      );
      expect(expected.get('targets/app.yml')!.length).toBe(deployed ? 2 : 0);
      for (const [file, groups] of expected) {
        const rendered = JSON.parse(readFileSync(join(tmp, file.replace('targets/', '')), 'utf8')) as unknown;
        expect(rendered, file).toEqual(groups);
      }
      const node = JSON.parse(readFileSync(join(tmp, 'node.yml'), 'utf8')) as { targets: string[] }[];
      expect(node.flatMap((g) => g.targets)).not.toContain('bob-app:9100');
      // Same document (the template quotes the hash, the library's YAML writer does not need to).
      expect(parse(readFileSync(join(tmp, 'web-config.yml'), 'utf8'))).toEqual(
        parse(renderWebConfig(monitoringOptions(), BCRYPT_FIXTURE)),
      );
    },
    120_000,
  );

  it('the job table names every job with its roles and target pattern', () => {
    const m = scrapeJobsManifest({ data: true });
    expect(m.jobs.find((j) => j.name === 'node')).toEqual({
      name: 'node',
      roles: ['gateway', 'app', 'db', 'mon', 'k8s'],
      target: '{host}:9100',
    });
    expect(m.jobs.find((j) => j.name === 'blackbox_http')).toMatchObject({ target: 'https://{host}/', deployed_by: 'app' });
    expect(m.jobs.filter((j) => j.deployed_by).map((j) => j.name)).toEqual(['app', 'blackbox_http']);
    expect(scrapeJobsManifest({ data: false }).jobs.map((j) => j.name)).not.toContain('postgres');
    const committed = JSON.parse(
      readFileSync(resolve(REPO_ROOT, 'monitoring/generated/prometheus/scrape-jobs.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(m);
  });
});

describe('scrape credential (role monitoring_web, controller side)', () => {
  it('is created once, 0600 in a 0700 directory, the hash verifies the password, and nothing is printed', () => {
    const dir = join(tmp, 'secrets');
    const script = join(ROLES, 'monitoring_web/files/make-scrape-secret');
    const first = execFileSync(script, [dir, '4'], { encoding: 'utf8' });
    expect(first.trim()).toBe('changed');
    const pw = readFileSync(join(dir, 'scrape-password'), 'utf8');
    const hash = readFileSync(join(dir, 'scrape-password.bcrypt'), 'utf8');
    expect(pw.length).toBeGreaterThanOrEqual(32);
    expect(hash).toMatch(/^\$2[aby]\$04\$[./A-Za-z0-9]{53}$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['scrape-password', 'scrape-password.bcrypt']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const check = execFileSync(
      'python3',
      ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])', pw, hash],
      { encoding: 'utf8' },
    );
    expect(check.trim()).toBe('True');
    expect(execFileSync(script, [dir, '4'], { encoding: 'utf8' }).trim()).toBe('unchanged');
    expect(readFileSync(join(dir, 'scrape-password'), 'utf8')).toBe(pw);
    // A hash that no longer matches (password changed by hand) is rebuilt.
    writeFileSync(join(dir, 'scrape-password'), 'another-password-of-thirty-two-chars');
    expect(execFileSync(script, [dir, '4'], { encoding: 'utf8' }).trim()).toBe('changed');
    expect(first + execFileSync(script, [dir, '4'], { encoding: 'utf8' })).not.toContain(pw);
  });

  it('the command that reads it on mon hands it to curl on stdin, never on the command line', () => {
    const cmd = curlWithCredential('https://localhost:9090/api/v1/query', { query: 'up{job="node"}' });
    expect(cmd).toContain('-K -');
    expect(cmd).toContain(`"$(cat '/etc/prometheus/secrets/scrape-password')"`);
    expect(cmd).toContain(`--data-urlencode 'query=up{job="node"}'`);
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(execFileSync('/bin/sh', ['-c', `printf %s ${shq('a\'b "c" $d')}`], { encoding: 'utf8' })).toBe(`a'b "c" $d`);
  });
});

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

describe('alert receiver (role alert_receiver)', () => {
  let proc: ChildProcess | undefined;
  afterAll(() => proc?.kill());

  it('stores each Alertmanager notification as one JSON line, refuses anything else', async () => {
    const port = await freePort();
    const log = join(tmp, 'events.jsonl');
    proc = spawn(
      'python3',
      [join(ROLES, 'alert_receiver/files/asd-alert-receiver'), '--listen-port', String(port), '--log', log],
      { stdio: 'ignore' },
    );
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const alert = (status: string) => ({
      status,
      labels: { alertname: 'SshAuthFailuresHigh', severity: 'warning', team: 'security', instance: 'alice-app', env: 'prod' },
      annotations: { summary: '12 failed SSH authentications on alice-app in 5 minutes' },
      startsAt: '2026-11-29T08:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: 'abc',
    });
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const payload = (status: string) => ({
      version: '4',
      status,
      receiver: 'security',
      groupKey: '{}:{alertname="SshAuthFailuresHigh"}',
      alerts: [alert(status)],
    });
    expect((await post('/hooks/security', payload('firing'))).status).toBe(200);
    expect((await post('/hooks/security', payload('resolved'))).status).toBe(200);
    expect((await post('/hooks/../etc', payload('firing'))).status).toBe(404);
    expect((await post('/hooks/security', '{not json')).status).toBe(400);
    expect((await post('/hooks/security', { hello: 1 })).status).toBe(400);
    const events = parseEvents(readFileSync(log, 'utf8'));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ team: 'security', receiver: 'security', status: 'firing' });
    expect(events[0]!.alerts[0]).toMatchObject({
      alertname: 'SshAuthFailuresHigh',
      severity: 'warning',
      team: 'security',
      instance: 'alice-app',
      status: 'firing',
    });
    const p = firingThenResolved(events, (a) => a.alertname === 'SshAuthFailuresHigh' && a.instance === 'alice-app');
    expect(p.firing?.team).toBe('security');
    expect(p.resolved).toBeDefined();
    expect(firingThenResolved(events, () => true, Date.parse(events[1]!.received) + 1)).toEqual({
      firing: undefined,
      resolved: undefined,
    });
  }, 30_000);

  it('a half-written line does not hide the others', () => {
    expect(parseEvents('{"received":"x","alerts":[]}\n{"recei\n\n')).toHaveLength(1);
  });
});

describe('SSH counters (role security_metrics)', () => {
  it('counts an unknown user once, refused keys and passwords, root and password logins; not "Failed none"', () => {
    const lines = [
      'Invalid user bob from 10.0.0.9 port 4242',
      'Connection closed by invalid user bob 10.0.0.9 port 4242 [preauth]',
      'Failed password for invalid user bob from 10.0.0.9 port 4242 ssh2',
      'Failed publickey for alice from 10.0.0.9 port 1 ssh2: ED25519 SHA256:x',
      'Failed password for alice from 10.0.0.9 port 1 ssh2',
      'Failed none for alice from 10.0.0.9 port 1 ssh2',
      'Accepted publickey for root from 10.0.0.9 port 2 ssh2: ED25519 SHA256:x',
      'Accepted password for carol from 10.0.0.9 port 3 ssh2',
      'Accepted keyboard-interactive/pam for dave from 10.0.0.9 port 3 ssh2',
      'Accepted publickey for asd-admin from 10.0.0.1 port 5 ssh2: ED25519 SHA256:y',
    ];
    const code = `import importlib.machinery, importlib.util, json, sys
l = importlib.machinery.SourceFileLoader('m', sys.argv[1]); s = importlib.util.spec_from_loader('m', l); m = importlib.util.module_from_spec(s); l.exec_module(m)
print(json.dumps(m.count(json.loads(sys.argv[2]))))`;
    const out = execFileSync(
      'python3',
      ['-c', code, join(ROLES, 'security_metrics/files/asd-ssh-metrics'), JSON.stringify(lines)],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual([3, 1, 2]);
  });
});

describe('alerts and drills: the parts that need no server', () => {
  it('alert rows: critical first then oldest, inhibited shown as such', () => {
    const mk = (
      name: string,
      severity: string,
      startsAt: string,
      state: 'active' | 'suppressed',
      inhibitedBy: string[] = [],
    ) => ({
      labels: { alertname: name, severity, team: 'ops', instance: 'alice-app' },
      annotations: { summary: `${name} summary` },
      startsAt,
      endsAt: '',
      updatedAt: '',
      fingerprint: name,
      status: { state, silencedBy: [], inhibitedBy },
      receivers: [{ name: 'ops' }],
    });
    const rows = sortRows(
      [
        mk('B', 'warning', '2026-11-29T08:00:00Z', 'suppressed', ['x']),
        mk('A', 'critical', '2026-11-29T09:00:00Z', 'active'),
        mk('C', 'warning', '2026-11-29T07:00:00Z', 'active'),
      ].map(alertRow),
    );
    expect(rows.map((r) => [r.name, r.state])).toEqual([
      ['A', 'active'],
      ['C', 'active'],
      ['B', 'suppressed (inhibited)'],
    ]);
    const table = renderTable(rows).split('\n');
    expect(table[0]).toMatch(/^ALERT\s+SEVERITY\s+TEAM\s+STATE\s+SINCE\s+WHERE\s+SUMMARY$/);
    expect(table[1]).toMatch(/^A\s+critical\s+ops\s+active\s+2026-11-29T09:00:00Z\s+alice-app\s+A summary$/);
  });

  it("disk-fill writes what leaves 3 % free, and refuses the host's shared disk", async () => {
    expect(fillBytes(1000, 500)).toBe(470);
    expect(fillBytes(1000, 20)).toBe(0);
    // A file system of 100 GiB with half free: 47 GiB to write, far above the 2 GiB limit.
    expect(fillBytes(100 * 1024 ** 3, 50 * 1024 ** 3)).toBeGreaterThan(2 * 1024 ** 3);
  });

  it("drill targets: the named server, else the first running server of the scenario's roles", () => {
    const servers = [server('gateway', 'gateway'), server('app', 'app', 'stopped'), server('db1', 'db'), server('mon', 'mon')];
    expect(drillTarget(servers, SCENARIO_DEFS['ssh-failures']).name).toBe('gateway');
    expect(drillTarget(servers, SCENARIO_DEFS['pg-down']).name).toBe('db1');
    expect(drillTarget(servers, SCENARIO_DEFS['node-down'], 'alice-mon').name).toBe('mon');
    expect(() => drillTarget(servers, SCENARIO_DEFS['node-down'], 'app')).toThrow('server app is stopped');
    expect(() => drillTarget(servers, SCENARIO_DEFS['node-down'], 'nope')).toThrow(
      'no server "nope" in this lab (servers: gateway, app, db1, mon)',
    );
    expect(() => drillTarget([server('mon', 'mon')], SCENARIO_DEFS['pg-down'])).toThrow(
      'no running server for drill pg-down (roles tried: db)',
    );
  });

  it('the timeline prints every step with its delay from the fault', () => {
    const r: DrillResult = {
      scenario: 'ssh-failures',
      candidate: 'alice',
      server: 'alice-app',
      alert: 'SshAuthFailuresHigh',
      ok: true,
      steps: [
        { step: 'triggered', at: '2026-11-29T08:00:00.000Z', elapsedSeconds: 0, detail: '12 failed SSH logins' },
        { step: 'firing', at: '2026-11-29T08:01:10.000Z', elapsedSeconds: 70, detail: '' },
        { step: 'resolvedNotified', at: '2026-11-29T08:07:00.000Z', elapsedSeconds: 420, detail: '' },
      ],
    };
    const text = renderTimeline(r);
    expect(text).toContain('Timeline of drill ssh-failures on alice-app (alert SshAuthFailuresHigh)');
    expect(text).toContain('+  70 s  2026-11-29T08:01:10Z  firing in Prometheus');
    expect(text).toContain('420 s from fault to resolution notice');
    expect(renderTimeline({ ...r, ok: false, error: 'no "firing in Prometheus" within 900 s' })).toContain(
      'drill FAILED: no "firing in Prometheus" within 900 s',
    );
  });
});

describe('verify checks of the supervision', () => {
  it('are not-run, with the reason, without a mon server or with the module off; fail when mon is stopped', async () => {
    const { cohort } = loadCohort(undefined);
    const candidate = cohort.candidates[0]!;
    for (const check of MONITORING_CHECKS) {
      const none = await check.run({ cohort, candidate, servers: [server('app', 'app')] });
      expect(none, check.id).toEqual([
        { status: 'not-run', evidence: "no server with role mon in this candidate's lab: nothing runs the supervision" },
      ]);
      const off = await check.run({
        cohort: { ...cohort, modules: { ...cohort.modules, monitoring: false } },
        candidate,
        servers: [server('mon', 'mon')],
      });
      expect(off[0]!.status, check.id).toBe('not-run');
      const stopped = await check.run({ cohort, candidate, servers: [server('mon', 'mon', 'stopped')] });
      expect(stopped, check.id).toEqual([{ status: 'fail', evidence: 'the monitoring server alice-mon is stopped' }]);
    }
    expect(new Set(MONITORING_CHECKS.map((c) => c.criterion))).toEqual(
      new Set(['CP9.1', 'CP9.2', 'CP9.3', 'CP10.1', 'CP10.2', 'CP10.3']),
    );
  });
});

describe("developers' report (asd-lab report app)", () => {
  it('periods: 5 minutes to 90 days', () => {
    expect(parsePeriod('7d')).toBe(7 * 86400);
    expect(parsePeriod('90m')).toBe(5400);
    for (const bad of ['1m', '91d', '7', 'd7', '1w', '']) expect(parsePeriod(bad), bad).toBeUndefined();
  });

  it('availability, error budget and latency per environment against the SLO', () => {
    const m = (o: Record<string, string>) => new Map(Object.entries(o));
    const stats = envStats(SLO_DEFAULTS, {
      requests: m({ prod: '100000', test: '50' }),
      errors: m({ prod: '50', test: '5' }),
      p50: m({ prod: '0.02' }),
      p95: m({ prod: '0.25' }),
      p99: m({ prod: 'NaN' }),
      topErrors: m({}),
      saturation: m({ prod: '0.5' }),
      probeAvailability: m({ prod: '1' }),
    });
    const prod = stats.find((e) => e.env === 'prod')!;
    // 99.95 % against 99.9 %: half of the budget spent.
    expect(prod.availabilityPercent).toBeCloseTo(99.95, 6);
    expect(prod.budgetLeftPercent).toBeCloseTo(50, 6);
    expect([prod.p50Ms, prod.p95Ms, prod.p99Ms, prod.p95ObjectiveMs]).toEqual([20, 250, undefined, 300]);
    expect(prod.maxSaturationPercent).toBe(50);
    // test: 90 % against 99 %: the budget is overspent ten times.
    expect(stats.find((e) => e.env === 'test')!.budgetLeftPercent).toBeCloseTo(-900, 6);
    expect(stats.find((e) => e.env === 'preprod')!.availabilityPercent).toBeUndefined();
    const report: AppReport = {
      cohort: 'c',
      candidate: 'alice',
      generated: '2026-11-29T08:00:00Z',
      period: '7d',
      from: 'a',
      to: 'b',
      envs: stats,
      topErrors: [{ env: 'prod', route: '/api/orders', code: '503', count: 42 }],
      alerts: devAlerts(
        [
          {
            received: '2026-11-29T07:00:00Z',
            team: 'dev',
            receiver: 'dev',
            status: 'firing',
            groupKey: '',
            alerts: [
              {
                alertname: 'AppSaturated',
                status: 'firing',
                severity: 'warning',
                team: 'dev',
                instance: 'alice-app',
                env: 'prod',
                startsAt: 's1',
                endsAt: '',
                summary: '',
                fingerprint: '',
                labels: {},
              },
            ],
          },
          {
            received: '2026-11-29T07:05:00Z',
            team: 'dev',
            receiver: 'dev',
            status: 'firing',
            groupKey: '',
            alerts: [
              {
                alertname: 'AppSaturated',
                status: 'firing',
                severity: 'warning',
                team: 'dev',
                instance: 'alice-app',
                env: 'prod',
                startsAt: 's1',
                endsAt: '',
                summary: '',
                fingerprint: '',
                labels: {},
              },
            ],
          },
          {
            received: '2026-11-29T07:05:00Z',
            team: 'ops',
            receiver: 'ops',
            status: 'firing',
            groupKey: '',
            alerts: [
              {
                alertname: 'NodeDown',
                status: 'firing',
                severity: 'critical',
                team: 'ops',
                instance: 'alice-app',
                env: 'prod',
                startsAt: 's2',
                endsAt: '',
                summary: '',
                fingerprint: '',
                labels: {},
              },
            ],
          },
        ],
        0,
      ),
      charts: [
        {
          title: 'Requests per second',
          unit: 'req/s',
          series: [
            {
              env: 'prod',
              points: [
                [1000, 1],
                [2000, 3],
              ],
            },
          ],
        },
        { title: 'Empty', unit: 'ms', series: [] },
      ],
    };
    expect(report.alerts).toEqual([{ alertname: 'AppSaturated', severity: 'warning', instance: 'alice-app', firings: 1 }]);
    const md = renderMarkdown(report, 'x-chart-');
    expect(md).toContain('| prod | 100000 | 50 | 99.950 % | 99.9 % | met | 50.0 % | 100.00 % |');
    expect(md).toContain('| test | 50 | 5 | 90.000 % | 99 % | MISSED | -900.0 % |');
    expect(md).toContain('| prod | 20 ms | 250 ms | — | 300 ms |');
    expect(md).toContain('| prod | /api/orders | 503 | 42 |');
    expect(md).toContain('![Requests per second](x-chart-1.svg)');
    const html = renderHtml(report);
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    const svg = svgChart(report.charts[0]!);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path d="M56.0,');
    expect(svgChart(report.charts[1]!)).toContain('no data in the period');
  });
});

describe("the app's targets written by app deploy", () => {
  it("are the bytes the role's template writes (to_nice_json: keys sorted, 4 spaces), so the next converge changes nothing", async () => {
    const groups = [
      { targets: ['s-app:8080'], labels: { instance: 's-app', env: 'prod', candidate: 's', server: 'app', role: 'app' } },
    ];
    const py = await execa(
      'python3',
      ['-c', "import json,sys; print(json.dumps(json.load(sys.stdin), indent=4, sort_keys=True, separators=(',', ': ')))"],
      { input: JSON.stringify(groups) },
    );
    expect(`${toNiceJson(groups)}\n`).toBe(`${py.stdout}\n`);
    expect(toNiceJson([])).toBe('[]');
  });
});
