// The developers' weekly report job of the mon server (src/modules/monitoring/report-job.ts, role
// monitoring_report) without a server: its arguments, its objectives file, one run against a fake
// Prometheus and one against a real local HTTPS server (lab-like CA, basic auth), the bundle the
// role builds, and the CP10.3 check's reading of what the mon server holds.
// Needs openssl (a throwaway CA) and the repository's esbuild.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../src/core/repo.ts';
import { MON_REPORTS_DIR, reportAgeDays } from '../src/modules/monitoring/app-report-files.ts';
import type { ReportSource } from '../src/modules/monitoring/app-report.ts';
import { monitoringOptions } from '../src/modules/monitoring/options.ts';
import { EVENT_LOG } from '../src/modules/monitoring/remote.ts';
import {
  JobUsageError,
  localSource,
  main,
  parseJobArgs,
  readSlo,
  runJob,
  type JobOptions,
} from '../src/modules/monitoring/report-job.ts';
import { SLO_DEFAULTS } from '../src/core/model/slo.ts';
import { latestReport, parseMonReports } from '../src/modules/monitoring/checks.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-report-job-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const REQUIRED = [
  '--out',
  '/var/lib/asd-app-report',
  '--cohort',
  'h-mon',
  '--candidate',
  'alice',
  '--password-file',
  '/run/credentials/x/scrape-password',
];

describe('arguments of the job', () => {
  it("takes the required options and defaults the rest to the mon server's layout", () => {
    expect(parseJobArgs(REQUIRED)).toEqual({
      out: '/var/lib/asd-app-report',
      since: '7d',
      cohort: 'h-mon',
      candidate: 'alice',
      prometheusUrl: 'https://localhost:9090',
      caFile: '/etc/asd-lab/pki/ca.crt',
      user: 'prometheus',
      passwordFile: '/run/credentials/x/scrape-password',
      eventsFile: undefined,
      sloFile: undefined,
      timeoutMs: 60_000,
    });
    const o = parseJobArgs([
      ...REQUIRED,
      '--since',
      '24h',
      '--prometheus-url',
      'https://mon.lab:9443/',
      '--events-file',
      '/run/e.jsonl',
      '--timeout-seconds',
      '5',
    ]);
    expect([o.since, o.prometheusUrl, o.eventsFile, o.timeoutMs]).toEqual(['24h', 'https://mon.lab:9443', '/run/e.jsonl', 5000]);
  });

  it('refuses, with the reason, what would make a wrong or insecure report', () => {
    const bad: [string[], RegExp][] = [
      [['--out', '/x'], /missing options: --cohort, --candidate, --password-file/],
      [[...REQUIRED, '--since', '1w'], /--since takes a period/],
      [[...REQUIRED, '--since', '1m'], /--since takes a period/],
      [[...REQUIRED, '--prometheus-url', 'http://localhost:9090'], /must be an https:\/\/ URL/],
      [[...REQUIRED, '--prometheus-url', 'not a url'], /must be an https:\/\/ URL/],
      [[...REQUIRED, '--timeout-seconds', '0'], /--timeout-seconds takes a whole number/],
      [[...REQUIRED, '--events-file', 'events.jsonl'], /--events-file takes an absolute path, got events.jsonl/],
      [[...REQUIRED, '--verbose'], /invalid arguments: .*verbose/],
      [[...REQUIRED, 'extra'], /invalid arguments/],
    ];
    for (const [args, message] of bad) {
      expect(() => parseJobArgs(args), args.join(' ')).toThrow(JobUsageError);
      expect(() => parseJobArgs(args), args.join(' ')).toThrow(message);
    }
  });

  it('main() exits 2 with the usage on wrong arguments, without asking anything', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['--out', '/x'])).toBe(2);
      expect(err.mock.calls.flat().join('\n')).toContain('usage: asd-app-report --out DIR');
    } finally {
      err.mockRestore();
    }
  });
});

describe("objectives file (the cohort's slo: block)", () => {
  it("absent or {} gives the lab's defaults; a partial block defaults the rest; a wrong one is refused", () => {
    expect(readSlo(undefined)).toEqual(SLO_DEFAULTS);
    const f = join(tmp, 'slo.json');
    writeFileSync(f, '{}\n');
    expect(readSlo(f)).toEqual(SLO_DEFAULTS);
    writeFileSync(f, JSON.stringify({ prod: { availabilityPercent: 99.5, p95LatencyMs: 500 } }));
    expect(readSlo(f)).toEqual({ ...SLO_DEFAULTS, prod: { availabilityPercent: 99.5, p95LatencyMs: 500 } });
    writeFileSync(f, JSON.stringify({ prod: { availabilityPercent: 99.9, p95LatencyMs: 250 } }));
    expect(() => readSlo(f)).toThrow(/not a valid slo: block: prod.p95LatencyMs/);
    writeFileSync(f, '{');
    expect(() => readSlo(f)).toThrow(JobUsageError);
  });
});

/** A Prometheus that answers every query with one prod series (as the API's data.result). */
const fakeSource = (events: string): ReportSource => ({
  query: async (expr) => {
    if (expr.startsWith('topk')) return [{ metric: { env: 'prod', route: '/api/orders', code: '503' }, value: [0, '4'] }];
    const v = expr.includes('code=~')
      ? '20'
      : expr.includes('histogram_quantile(0.95')
        ? '0.25'
        : expr.includes('probe_success')
          ? '1'
          : '10000';
    return [{ metric: { env: 'prod' }, value: [0, v] }];
  },
  range: async (_expr, start) => [
    {
      metric: { env: 'prod' },
      values: [
        [start, '1'],
        [start + 60, '2'],
      ],
    },
  ],
  events: async () => (await import('../src/modules/monitoring/api-types.ts')).parseEvents(events),
});

function jobOptions(out: string, extra: Partial<JobOptions> = {}): JobOptions {
  return { ...parseJobArgs(REQUIRED), out, ...extra };
}

describe('one run of the job', () => {
  it('writes the same Markdown, HTML and SVG files as asd-lab report app, named by the time', async () => {
    const out = join(tmp, 'reports');
    mkdirSync(out);
    const event = JSON.stringify({
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
          startsAt: 's',
          endsAt: '',
          summary: '',
          fingerprint: '',
          labels: {},
        },
      ],
    });
    const files = await runJob(jobOptions(out), fakeSource(`${event}\n`), new Date('2026-11-30T00:00:00Z'));
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'app-20261130T0000Z.md',
      'app-20261130T0000Z.html',
      'app-20261130T0000Z-chart-1.svg',
      'app-20261130T0000Z-chart-2.svg',
      'app-20261130T0000Z-chart-3.svg',
    ]);
    const md = readFileSync(files[0]!, 'utf8');
    expect(md).toContain('# Application report — alice (h-mon)');
    expect(md).toMatch(/Generated 2026-11-30T00:00:00Z by asd-app-report\.timer on \S+ from the candidate's Prometheus/);
    // 20 errors in 10000 requests: 99.8 % against 99.9 % — the objective is missed.
    expect(md).toContain('| prod | 10000 | 20 | 99.800 % | 99.9 % | MISSED |');
    expect(md).toContain('| prod | /api/orders | 503 | 4 |');
    expect(md).toContain('| AppSaturated | warning | alice-app | 1 |');
    const html = readFileSync(files[1]!, 'utf8');
    expect(html).toContain('<h1>Application report — alice (h-mon)</h1>');
    expect(html).toContain('by asd-app-report.timer on');
    expect(readFileSync(files[2]!, 'utf8')).toMatch(/^<svg /);
  });

  it('refuses a missing output directory (exit 2), and reports a failing Prometheus (exit 1)', async () => {
    await expect(runJob(jobOptions(join(tmp, 'nope')), fakeSource(''))).rejects.toThrow(
      /the output directory .*nope does not exist/,
    );
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      mkdirSync(join(tmp, 'out2'));
      expect(await main([...REQUIRED.slice(2), '--out', join(tmp, 'out2'), '--ca-file', join(tmp, 'no-ca.crt')])).toBe(1);
      expect(err.mock.calls.flat().join('\n')).toMatch(
        /no report written: cannot query Prometheus at https:\/\/localhost:9090: .*no-ca\.crt/,
      );
    } finally {
      err.mockRestore();
    }
  });
});

describe('the local Prometheus over HTTPS (lab CA, basic auth)', () => {
  let server: Server;
  let port = 0;
  const seen: { auth?: string; url?: string }[] = [];
  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(tmp, 'key.pem'),
        '-out',
        join(tmp, 'ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=other',
        '-keyout',
        join(tmp, 'other.key'),
        '-out',
        join(tmp, 'other.crt'),
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(join(tmp, 'password'), 's3cret-of-the-cohort\n');
    server = createServer({ key: readFileSync(join(tmp, 'key.pem')), cert: readFileSync(join(tmp, 'ca.crt')) }, (req, res) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      if (req.headers.authorization !== `Basic ${Buffer.from('prometheus:s3cret-of-the-cohort').toString('base64')}`) {
        res.writeHead(401).end('Unauthorized');
        return;
      }
      const u = new URL(req.url!, 'https://localhost');
      const result =
        u.pathname === '/api/v1/query_range'
          ? [{ metric: { env: 'prod' }, values: [[Number(u.searchParams.get('start')), '3']] }]
          : [{ metric: { env: 'prod' }, value: [0, '42'] }];
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server?.close());

  const opts = (extra: Partial<JobOptions> = {}) =>
    jobOptions(tmp, {
      prometheusUrl: `https://localhost:${port}`,
      caFile: join(tmp, 'ca.crt'),
      passwordFile: join(tmp, 'password'),
      timeoutMs: 5000,
      ...extra,
    });

  it('asks with the credential from the password file and verifies the certificate against the CA', async () => {
    const src = localSource(opts());
    expect(await src.query('up')).toEqual([{ metric: { env: 'prod' }, value: [0, '42'] }]);
    expect(await src.range('up', 100, 200, 60)).toEqual([{ metric: { env: 'prod' }, values: [[100, '3']] }]);
    expect(seen.at(-1)!.url).toBe('/api/v1/query_range?query=up&start=100&end=200&step=60');
    expect(await src.events()).toEqual([]);
  });

  it('fails on a certificate the CA did not sign, and on a wrong password', async () => {
    await expect(localSource(opts({ caFile: join(tmp, 'other.crt') })).query('up')).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
    writeFileSync(join(tmp, 'wrong'), 'nope\n');
    await expect(localSource(opts({ passwordFile: join(tmp, 'wrong') })).query('up')).rejects.toThrow('/api/v1/query: HTTP 401');
  });

  it('a whole run writes the report from it', async () => {
    const out = join(tmp, 'from-https');
    mkdirSync(out);
    const files = await runJob(opts({ out }));
    expect(readFileSync(files[1]!, 'utf8')).toContain('Application report — alice (h-mon)');
  });
});

describe('what role monitoring_report deploys', () => {
  const role = resolve(REPO_ROOT, 'ansible/roles/monitoring_report');
  const defaults = parse(readFileSync(join(role, 'defaults/main.yml'), 'utf8')) as Record<string, unknown>;

  it('uses the paths the library and the check use', () => {
    expect(defaults.monitoring_report_dir).toBe(MON_REPORTS_DIR);
    expect(defaults.monitoring_report_password_file).toBe(monitoringOptions().paths.passwordFile);
    expect(defaults.monitoring_report_ca_file).toBe(monitoringOptions().paths.caFile);
    expect(defaults.monitoring_report_event_log).toBe(EVENT_LOG);
    expect(defaults.monitoring_report_on_calendar).toBe('weekly');
    expect(existsSync(resolve(REPO_ROOT, defaults.monitoring_report_entry as string))).toBe(true);
  });

  it('a hardened oneshot as its own user, the credential by LoadCredential, a persistent weekly timer', () => {
    const unit = readFileSync(join(role, 'templates/asd-app-report.service.j2'), 'utf8');
    for (const line of [
      'Type=oneshot',
      'User={{ monitoring_report_user }}',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'ProtectSystem=strict',
      'LoadCredential=scrape-password:{{ monitoring_report_password_file }}',
      'StateDirectory={{ monitoring_report_dir | basename }}',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
    expect(unit).toContain('--password-file %d/scrape-password');
    const timer = readFileSync(join(role, 'templates/asd-app-report.timer.j2'), 'utf8').split('\n');
    expect(timer).toContain('OnCalendar={{ monitoring_report_on_calendar }}');
    expect(timer).toContain('Persistent=true');
  });

  it('the bundle the controller builds (esbuild, node 18, one file) runs: usage and exit 2', () => {
    const out = join(tmp, 'bundle.cjs');
    execFileSync(
      resolve(REPO_ROOT, 'node_modules/.bin/esbuild'),
      [
        defaults.monitoring_report_entry as string,
        '--bundle',
        '--platform=node',
        '--target=node18',
        '--format=cjs',
        '--log-level=warning',
        `--outfile=${out}`,
      ],
      { cwd: REPO_ROOT },
    );
    const bundle = readFileSync(out, 'utf8');
    // Nothing of the controller side (SSH client, lab driver) is in it.
    expect(bundle).not.toMatch(/ssh2|src\/lab\/local\.ts|execa/);
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [out], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, LANG: 'C' } });
    } catch (err) {
      code = (err as { status: number }).status;
      stderr = (err as { stderr: string }).stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain('usage: asd-app-report');
  });
});

describe('CP10.3 check: reports on the mon server', () => {
  it('reads the timer state and the report pages of the mon server', () => {
    expect(
      parseMonReports(
        'timer=active\napp-20261123T0000Z.html\napp-20261123T0000Z.md\napp-20261123T0000Z-chart-1.svg\napp-20261130T0000Z.html\n',
      ),
    ).toEqual({ timer: 'active', pages: ['app-20261123T0000Z.html', 'app-20261130T0000Z.html'] });
    expect(parseMonReports('timer=\n')).toEqual({ timer: 'unknown', pages: [] });
  });

  it("takes the newest of the controller's and the mon server's, and its age from its name", () => {
    expect(latestReport(['app-20261120T1000Z.html'], ['app-20261130T0000Z.html'])).toEqual({
      name: 'app-20261130T0000Z.html',
      where: 'mon',
    });
    expect(latestReport(['app-20261201T1000Z.html'], ['app-20261130T0000Z.html'])).toEqual({
      name: 'app-20261201T1000Z.html',
      where: 'controller',
    });
    expect(latestReport([], [])).toBeUndefined();
    expect(reportAgeDays('app-20261130T0000Z.html', Date.UTC(2026, 11, 8, 12))).toBeCloseTo(8.5, 6);
    expect(reportAgeDays('nope.html')).toBeNaN();
  });
});
