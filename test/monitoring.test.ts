// The monitoring library (CP9, CP10): generated files are fresh, every alert has a runbook and
// promtool unit tests that make it fire and not fire, and the real Prometheus tools accept every
// generated file. promtool, amtool and blackbox_exporter come from Debian packages; a missing one
// fails the test with the package to install.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPETENCIES } from '../src/core/competencies.ts';
import type { InventoryHost } from '../src/core/hosts.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { alertmanagerConfig } from '../src/modules/monitoring/alertmanager-config.ts';
import { alertSpecs } from '../src/modules/monitoring/alerts.ts';
import { listFiles } from '../src/modules/monitoring/build.ts';
import { dashboards } from '../src/modules/monitoring/dashboards.ts';
import { configFiles, DASHBOARDS_DIR, GENERATED_DIR, generatedFiles } from '../src/modules/monitoring/generate.ts';
import { INDICATORS } from '../src/modules/monitoring/indicators.ts';
import { monitoringOptions } from '../src/modules/monitoring/options.ts';
import { rulesFiles } from '../src/modules/monitoring/rules.ts';
import { scrapeTargets } from '../src/modules/monitoring/scrape-jobs.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { KEY_A, NOW } from './helpers.ts';
import { APP_JOBS, appTargetFiles } from '../src/modules/monitoring/deployed-targets.ts';
import { SLO_DEFAULTS, sloSchema } from '../src/core/model/slo.ts';
import { SLO_ALERT_NAMES } from '../src/modules/monitoring/slo-rules.ts';
import { requireTool, runTool } from '../src/modules/monitoring/tools.ts';
import { FAMILIES, TEAMS, type AlertingRule } from '../src/modules/monitoring/types.ts';
import { renderWebConfig } from '../src/modules/monitoring/web-config.ts';

const MON = resolve(REPO_ROOT, 'monitoring');
const RULES_DIR = resolve(REPO_ROOT, GENERATED_DIR, 'prometheus/rules');
const TESTS_DIR = resolve(MON, 'tests');
const RUNBOOKS = resolve(REPO_ROOT, 'docs/runbooks');
const ALERTMANAGER_YML = resolve(REPO_ROOT, GENERATED_DIR, 'alertmanager/alertmanager.yml');
/** bcrypt (cost 10) of "asd-lab-test": a fixture, never a deployed secret. */
const BCRYPT_FIXTURE = '$2b$10$3UWspWdb9bFLZ.isWm5aGebCeho6CZBcTC76JNu2tEl1cq8TMby3W';

const tmp = mkdtempSync(join(tmpdir(), 'asd-monitoring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ruleFilePaths = () =>
  readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(RULES_DIR, f));
const testFilePaths = () =>
  readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => join(TESTS_DIR, f));

/** Alerting rules of the committed rules files. */
function committedAlerts(): AlertingRule[] {
  return ruleFilePaths()
    .flatMap((f) => (parse(readFileSync(f, 'utf8')) as { groups: { rules: AlertingRule[] }[] }).groups.flatMap((g) => g.rules))
    .filter((r) => 'alert' in r);
}

/** The reference lab of one candidate, with its stages (as the inventory gives them). */
const HOSTS: InventoryHost[] = [
  { candidate: 'alice', server: 'gateway', role: 'gateway', address: '10.98.0.2', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'app', role: 'app', address: '10.98.0.3', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'db1', role: 'db', address: '10.98.0.4', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'db2', role: 'db', address: '10.98.0.5', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'mon', role: 'mon', address: '10.98.0.6', subnet: '10.98.0.0/24', env: 'prod' },
  { candidate: 'alice', server: 'apptest', role: 'app', address: '10.98.0.7', subnet: '10.98.0.0/24', env: 'test' },
];

/** The same lab once the candidate's app is deployed (asd-lab app deploy). */
const DEPLOYED = HOSTS.map((h) => ({ ...h, appDeployed: true }));

describe('monitoring definitions', () => {
  it('generated files are up to date (run npm run monitoring) and nothing stale lies beside them', () => {
    const files = generatedFiles();
    for (const [path, content] of files) {
      let onDisk = '';
      try {
        onDisk = readFileSync(resolve(REPO_ROOT, path), 'utf8');
      } catch {
        onDisk = '(missing)';
      }
      expect(onDisk, `${path} is stale: run npm run monitoring`).toBe(content);
    }
    const extra = [GENERATED_DIR, DASHBOARDS_DIR]
      .flatMap((d) => listFiles(resolve(REPO_ROOT, d)))
      .map((f) => relative(REPO_ROOT, f))
      .filter((f) => !files.has(f));
    expect(extra, 'files no generator produces').toEqual([]);
    expect(files.has('docs/indicators.md')).toBe(true);
  });

  it('every indicator has a unique id, its family as prefix, a team and existing CP9/CP10 criteria', () => {
    const criteria = new Set(COMPETENCIES.flatMap((c) => c.criteria.map((x) => x.id)));
    expect(new Set(INDICATORS.map((i) => i.id)).size).toBe(INDICATORS.length);
    for (const i of INDICATORS) {
      expect(i.id.startsWith(`${i.family}.`), i.id).toBe(true);
      expect(TEAMS).toContain(i.team);
      expect(i.criteria.length, i.id).toBeGreaterThan(0);
      for (const c of i.criteria) {
        expect(criteria.has(c), `${i.id}: ${c}`).toBe(true);
        expect(c, i.id).toMatch(/^CP(9|10)\./);
      }
    }
    // The know-how of the title: resources, security, application performance, data, all covered.
    for (const f of FAMILIES)
      expect(
        INDICATORS.some((i) => i.family === f),
        f,
      ).toBe(true);
    for (const id of [
      'resource.cpu_usage',
      'resource.memory_usage',
      'resource.disk_usage',
      'resource.disk_free_in_24h',
      'resource.disk_io_saturation',
      'resource.network_errors',
      'resource.network_drops',
      'security.ssh_auth_failures',
      'security.ssh_root_logins',
      'security.ssh_password_logins',
      'security.firewall_drops',
      'security.tls_cert_expiry',
      'security.updates_pending',
      'application.request_rate',
      'application.error_ratio',
      'application.latency_p95',
      'application.latency_p99',
      'application.in_flight',
      'application.saturation',
      'data.replication_lag',
      'data.backup_age',
      'data.connection_usage',
      'availability.target_up',
      'availability.probe_success',
    ]) {
      expect(INDICATORS.map((i) => i.id)).toContain(id);
    }
  });

  it('every alert carries severity, team, an existing indicator and a runbook; every runbook has an alert', () => {
    const alerts = committedAlerts();
    const names = new Set(alerts.map((a) => a.alert));
    expect(names.size).toBeGreaterThan(20);
    for (const a of alerts) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels.severity);
      expect(TEAMS, a.alert).toContain(a.labels.team);
      expect(a.annotations.runbook_url, a.alert).toBe(`docs/runbooks/${a.alert}.md`);
      expect(
        INDICATORS.map((i) => i.id),
        a.alert,
      ).toContain(a.annotations.indicator);
      expect(a.annotations.summary && a.annotations.description, a.alert).toBeTruthy();
    }
    const runbooks = readdirSync(RUNBOOKS)
      .filter((f) => f.endsWith('.md'))
      .map((f) => f.slice(0, -3));
    expect(
      [...names].filter((n) => !runbooks.includes(n)),
      'alerts without a runbook',
    ).toEqual([]);
    expect(
      runbooks.filter((r) => !names.has(r)),
      'runbooks without an alert',
    ).toEqual([]);
    for (const r of runbooks) {
      const text = readFileSync(join(RUNBOOKS, `${r}.md`), 'utf8');
      for (const section of ['## What it means', '## Diagnose', '## Fix', '## Who fixes'])
        expect(text, `${r}: ${section}`).toContain(section);
      expect(text, `${r}: concrete commands`).toMatch(/```sh\n/);
    }
  });

  it('routes every team to its own webhook and inhibits per server, severity and SLO', () => {
    const cfg = alertmanagerConfig(monitoringOptions({ webhookBaseUrl: 'http://127.0.0.1:9999/x/' })) as {
      receivers: { name: string; webhook_configs: { url: string }[] }[];
      inhibit_rules: { source_matchers: string[] }[];
    };
    expect(cfg.receivers.map((r) => [r.name, r.webhook_configs[0]!.url])).toEqual(
      TEAMS.map((t) => [t, `http://127.0.0.1:9999/x/${t}`]),
    );
    expect(cfg.inhibit_rules.map((r) => r.source_matchers[0])).toEqual([
      'alertname="NodeDown"',
      'severity="critical"',
      'burn="fast"',
      'alertname="PostgresDown"',
    ]);
  });

  it('derives file_sd targets from the inventory: server names as instance, env per server, probes on the right roles', () => {
    // Before `asd-lab app deploy`, nothing scrapes or probes the app (no standing alarm); after, both start.
    const fresh = scrapeTargets(HOSTS, { data: true });
    expect(fresh.get('targets/blackbox_http.yml')).toEqual([]);
    expect(fresh.get('targets/app.yml')).toEqual([]);
    expect(fresh.get('targets/blackbox_ssh.yml')!.length).toBe(HOSTS.length);
    const t = scrapeTargets(DEPLOYED, { data: true });
    expect(t.get('targets/app.yml')!.map((g) => g.targets[0])).toEqual(['alice-app:8080', 'alice-apptest:8080']);
    expect(t.get('targets/node.yml')!.map((g) => g.targets[0])).toEqual([
      'alice-app:9100',
      'alice-apptest:9100',
      'alice-db1:9100',
      'alice-db2:9100',
      'alice-gateway:9100',
      'alice-mon:9100',
    ]);
    expect(t.get('targets/postgres.yml')!.map((g) => g.targets[0])).toEqual(['alice-db1:9187', 'alice-db2:9187']);
    expect(t.get('targets/blackbox_http.yml')).toEqual([
      {
        targets: ['https://alice-app/'],
        labels: { instance: 'alice-app', env: 'prod', candidate: 'alice', server: 'app', role: 'app' },
      },
      {
        targets: ['https://alice-apptest/'],
        labels: { instance: 'alice-apptest', env: 'test', candidate: 'alice', server: 'apptest', role: 'app' },
      },
    ]);
    expect(t.get('targets/prometheus.yml')!.map((g) => g.targets[0])).toEqual(['alice-mon:9090']);
    const noData = scrapeTargets(HOSTS, { data: false });
    expect([...noData.keys()]).not.toContain('targets/postgres.yml');
    expect([...noData.keys()]).not.toContain('targets/blackbox_postgres.yml');
    const rules = rulesFiles(monitoringOptions({ modules: { data: false } }));
    expect(rules.map((f) => f.file)).not.toContain('data.rules.yml');
    expect(alertSpecs({ data: false }).some((s) => s.team === 'db')).toBe(false);
  });
});

describe("the app's scrape and probe follow its deployment (asd-lab app deploy / app down)", () => {
  it('the files written live on mon are those Ansible writes: empty before a deploy, the app servers after', () => {
    const cohort = parseCohort(`cohort: d\ncandidates: [{id: alice, sshKey: "${KEY_A}"}]\n`, 't', { now: NOW });
    const servers = HOSTS.map((h) => ({ name: h.server, role: h.role, address: h.address, state: 'running' as const }));
    const before = appTargetFiles(cohort, 'alice', servers, false);
    expect([...before.keys()].sort()).toEqual(APP_JOBS.map((j) => `targets/${j}.yml`).sort());
    for (const groups of before.values()) expect(groups).toEqual([]);
    const after = appTargetFiles(cohort, 'alice', servers, true);
    expect(after.get('targets/blackbox_http.yml')!.map((g) => g.targets[0])).toEqual([
      'https://alice-app/',
      'https://alice-apptest/',
    ]);
    expect(after.get('targets/app.yml')!.map((g) => g.labels.instance)).toEqual(['alice-app', 'alice-apptest']);
    // A stopped server is not a target (the inventory lists running servers only).
    const stopped = servers.map((s) => (s.name === 'apptest' ? { ...s, state: 'stopped' as const } : s));
    expect(appTargetFiles(cohort, 'alice', stopped, true).get('targets/app.yml')!.length).toBe(1);
  });
});

describe('SLO block (to plug into the cohort model as `slo:`)', () => {
  it('defaults per environment, each environment defaulted on its own', () => {
    expect(sloSchema.parse(undefined)).toEqual(SLO_DEFAULTS);
    expect(SLO_DEFAULTS).toEqual({
      test: { availabilityPercent: 99.0, p95LatencyMs: 500 },
      preprod: { availabilityPercent: 99.5, p95LatencyMs: 300 },
      prod: { availabilityPercent: 99.9, p95LatencyMs: 300 },
    });
    expect(sloSchema.parse({ prod: { availabilityPercent: 99.95, p95LatencyMs: 200 } })).toEqual({
      ...SLO_DEFAULTS,
      prod: { availabilityPercent: 99.95, p95LatencyMs: 200 },
    });
  });

  it('refuses a latency objective the histogram cannot measure, and unknown keys, with clear messages', () => {
    const r = sloSchema.safeParse({ prod: { availabilityPercent: 99.9, p95LatencyMs: 250 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain(
      'must be a bound of the latency histogram, in milliseconds (5, 10, 25, 50, 100, 200, 300, 500',
    );
    expect(r.error!.issues[0]!.message).toContain('got 250');
    expect(sloSchema.safeParse({ staging: {} }).success).toBe(false);
    expect(sloSchema.safeParse({ prod: { availabilityPercent: 100, p95LatencyMs: 300 } }).success).toBe(false);
  });

  it('bad generator options fail before anything is generated, listing every problem', () => {
    let message = '';
    try {
      generatedFiles({
        webhookBaseUrl: 'ftp://x',
        paths: { caFile: 'ca.crt' } as never,
        slo: { test: { availabilityPercent: 99, p95LatencyMs: 42 } },
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid monitoring options; nothing was generated:\n/);
    expect(message).toContain('\nwebhookBaseUrl: ');
    expect(message).toContain('\npaths.caFile: must be an absolute path, got "ca.crt"');
    expect(message).toContain('\nslo.test.p95LatencyMs: must be a bound of the latency histogram');
  });

  it('the SLO drives the thresholds: a stricter objective lowers the burn-rate thresholds', () => {
    const slo = (p: number) =>
      rulesFiles(monitoringOptions({ slo: { prod: { availabilityPercent: p, p95LatencyMs: 300 } } }))
        .find((f) => f.file === 'slo.rules.yml')!
        .groups.find((g) => g.name === 'slo-alerts-prod')!
        .rules.find((r) => 'alert' in r && r.alert === 'SLOAvailabilityBurnRateFast')!.expr;
    expect(slo(99.9)).toContain(
      'env:slo_availability_errors:ratio_rate1h{env="prod"} > 0.0144 and env:slo_availability_errors:ratio_rate5m{env="prod"} > 0.0144',
    );
    expect(slo(99)).toContain('ratio_rate1h{env="prod"} > 0.144 and');
  });
});

describe('Prometheus tools accept the generated files (Debian: prometheus, prometheus-alertmanager, prometheus-blackbox-exporter)', () => {
  it('names the Debian package of a missing tool', async () => {
    await expect(requireTool('promtool', '/nonexistent')).rejects.toThrow(
      'promtool is not installed: run "apt-get install -y prometheus"',
    );
    await expect(requireTool('amtool', '/nonexistent')).rejects.toThrow('apt-get install -y prometheus-alertmanager');
    // The real ones must be here: these tests need them.
    for (const tool of ['promtool', 'amtool', 'prometheus-blackbox-exporter'] as const) await requireTool(tool);
  });

  it('promtool check rules (lint fatal) accepts every rules file, and rejects a broken one', async () => {
    const r = await runTool('promtool', ['check', 'rules', '--lint=all', '--lint-fatal', ...ruleFilePaths()]);
    expect(r.output).not.toMatch(/FAILED|WARNING/);
    expect(r.code, r.output).toBe(0);
    const bad = join(tmp, 'bad.rules.yml');
    writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(up[5m] > 1\n');
    expect((await runTool('promtool', ['check', 'rules', bad])).code).not.toBe(0);
  });

  it('promtool check config accepts prometheus.yml with its rules and file_sd targets, no warning', async () => {
    const dir = join(tmp, 'prometheus-check');
    const opts = monitoringOptions({
      paths: {
        caFile: join(tmp, 'ca.crt'),
        certFile: join(tmp, 'host.crt'),
        keyFile: join(tmp, 'host.key'),
        passwordFile: join(tmp, 'password'),
      },
    });
    for (const [p, c] of configFiles(opts)) {
      if (!p.startsWith('prometheus/')) continue;
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), c);
    }
    for (const [p, groups] of scrapeTargets(DEPLOYED, opts.modules)) {
      mkdirSync(join(dir, 'prometheus', p, '..'), { recursive: true });
      writeFileSync(join(dir, 'prometheus', p), JSON.stringify(groups));
    }
    writeFileSync(join(tmp, 'password'), 'asd-lab-test\n');
    const r = await runTool(
      'promtool',
      ['check', 'config', '--lint=all', '--lint-fatal', 'prometheus.yml'],
      join(dir, 'prometheus'),
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS: 6 rule files found');
    expect(r.output).not.toContain('WARNING');

    // Service discovery and relabelling, as Prometheus will do them (file_sd answers at once; the
    // timeout is how long promtool waits for more).
    const sd = async (job: string) => {
      const out = await runTool(
        'promtool',
        ['check', 'service-discovery', '--timeout=3s', 'prometheus.yml', job],
        join(dir, 'prometheus'),
      );
      expect(out.code, out.output).toBe(0);
      return JSON.parse(out.stdout) as { labels: Record<string, string> }[];
    };
    const node = await sd('node');
    expect(node.map((t) => [t.labels.instance, t.labels.__address__, t.labels.__scheme__])).toContainEqual([
      'alice-db1',
      'alice-db1:9100',
      'https',
    ]);
    const http = await sd('blackbox_http');
    // promtool prints targets in no fixed order.
    expect(
      http
        .map((t) => [
          t.labels.instance,
          t.labels.env,
          t.labels.__address__,
          t.labels.__param_target,
          t.labels.target,
          t.labels.__param_module,
        ])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['alice-app', 'prod', 'localhost:9115', 'https://alice-app/', 'https://alice-app/', 'http_2xx'],
      ['alice-apptest', 'test', 'localhost:9115', 'https://alice-apptest/', 'https://alice-apptest/', 'http_2xx'],
    ]);
  });

  it('promtool check web-config accepts the exporter web config once its hash is filled in', async () => {
    const cert = join(tmp, 'host.crt');
    const key = join(tmp, 'host.key');
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
        '/CN=alice-mon',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const template = readFileSync(resolve(REPO_ROOT, GENERATED_DIR, 'web-config.yml.j2'), 'utf8');
    expect(template).toContain('prometheus: "{{ monitoring_scrape_password_bcrypt }}"');
    const file = join(tmp, 'web-config.yml');
    writeFileSync(
      file,
      renderWebConfig(
        monitoringOptions({
          paths: { caFile: join(tmp, 'ca.crt'), certFile: cert, keyFile: key, passwordFile: join(tmp, 'pw') },
        }),
        BCRYPT_FIXTURE,
      ),
    );
    const r = await runTool('promtool', ['check', 'web-config', file]);
    expect(r.code, r.output).toBe(0);
    expect(() => renderWebConfig(monitoringOptions(), 'asd-lab-test')).toThrow('not a bcrypt hash');
  });

  it('amtool check-config accepts alertmanager.yml, and rejects a route to a missing receiver', async () => {
    const r = await runTool('amtool', ['check-config', ALERTMANAGER_YML]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('4 receivers');
    const bad = join(tmp, 'bad-am.yml');
    writeFileSync(bad, readFileSync(ALERTMANAGER_YML, 'utf8').replace('receiver: db', 'receiver: nobody'));
    expect((await runTool('amtool', ['check-config', bad])).code).not.toBe(0);
  });

  it("amtool routes each team's alerts to its own receiver, and alerts without a team to ops", async () => {
    const route = async (...labels: string[]) => {
      const r = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_YML}`, ...labels]);
      expect(r.code, r.output).toBe(0);
      return r.output
        .split('\n')
        .filter((l) => !l.startsWith('Warning'))
        .join('')
        .trim();
    };
    for (const team of TEAMS) {
      expect(await route(`team=${team}`, 'severity=critical')).toBe(team);
      expect(await route(`team=${team}`, 'severity=warning', 'alertname=X')).toBe(team);
    }
    expect(await route('team=unknown', 'severity=critical')).toBe('ops');
  });

  it('blackbox_exporter accepts blackbox.yml, whose modules are the ones the probe jobs use', async () => {
    const file = resolve(REPO_ROOT, GENERATED_DIR, 'blackbox/blackbox.yml');
    const r = await runTool('prometheus-blackbox-exporter', [`--config.file=${file}`, '--config.check']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('Config file is ok');
    const bad = join(tmp, 'bad-blackbox.yml');
    // It reads the file strictly: an unknown field fails (a misspelt option would otherwise be ignored).
    writeFileSync(bad, readFileSync(file, 'utf8').replace('tls: true', 'tls: true\n      telepathy: true'));
    expect((await runTool('prometheus-blackbox-exporter', [`--config.file=${bad}`, '--config.check'])).code).not.toBe(0);
  });
});

describe('promtool unit tests of the rules (monitoring/tests)', () => {
  interface UnitFile {
    rule_files: string[];
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  }
  const units = () => testFilePaths().map((f) => ({ f, y: parse(readFileSync(f, 'utf8')) as UnitFile }));

  it('promtool test rules passes on every test file', async () => {
    const r = await runTool('promtool', ['test', 'rules', ...testFilePaths()], TESTS_DIR);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain('FAILED');
  }, 120_000);

  it('every alert has at least one firing case and one not-firing case; every rules file is tested', () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    const tested = new Set<string>();
    for (const { f, y } of units()) {
      for (const rf of y.rule_files) tested.add(resolve(TESTS_DIR, rf));
      for (const t of y.tests) {
        for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : quiet).add(a.alertname);
      }
      expect(y.rule_files.length, f).toBeGreaterThan(0);
    }
    const names = [...new Set(committedAlerts().map((a) => a.alert))];
    expect(
      names.filter((n) => !firing.has(n)),
      'alerts never shown firing',
    ).toEqual([]);
    expect(
      names.filter((n) => !quiet.has(n)),
      'alerts never shown quiet',
    ).toEqual([]);
    expect(
      ruleFilePaths().filter((f) => !tested.has(f)),
      'rules files without tests',
    ).toEqual([]);
    for (const n of SLO_ALERT_NAMES) expect(firing.has(n)).toBe(true);
  });

  it('the tests are real: the SLO tests fail against rules generated from other objectives', async () => {
    const root = join(tmp, 'mutant');
    cpSync(TESTS_DIR, join(root, 'tests'), { recursive: true });
    const opts = monitoringOptions({ slo: { prod: { availabilityPercent: 95, p95LatencyMs: 300 } } });
    for (const [p, c] of configFiles(opts)) {
      mkdirSync(join(root, 'generated', p, '..'), { recursive: true });
      writeFileSync(join(root, 'generated', p), c);
    }
    const r = await runTool('promtool', ['test', 'rules', 'slo.test.yml'], join(root, 'tests'));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('alertname: SLOAvailabilityBurnRateFast');
  }, 60_000);
});

describe('Grafana dashboards', () => {
  it('one dashboard per family, well-formed, every panel an indicator', () => {
    const opts = monitoringOptions();
    const ds = dashboards(opts);
    expect([...ds.keys()]).toEqual(FAMILIES.map((f) => `asd-${f}.json`));
    const plotted = new Set<string>();
    for (const [name, d] of ds) {
      const onDisk = JSON.parse(readFileSync(resolve(REPO_ROOT, DASHBOARDS_DIR, name), 'utf8')) as typeof d & {
        uid: string;
        title: string;
        schemaVersion: number;
        panels: {
          id: number;
          type: string;
          title: string;
          gridPos: { w: number; h: number; x: number; y: number };
          datasource: { uid: string };
          targets: { expr: string; refId: string }[];
          fieldConfig: { defaults: { unit: string } };
        }[];
      };
      expect(onDisk.uid).toMatch(/^asd-[a-z]+$/);
      expect(onDisk.schemaVersion).toBeGreaterThan(30);
      expect(new Set(onDisk.panels.map((p) => p.id)).size).toBe(onDisk.panels.length);
      for (const p of onDisk.panels) {
        expect(p.type).toBe('timeseries');
        expect(p.datasource.uid).toBe('prometheus');
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        expect(p.targets).toHaveLength(1);
        expect(p.fieldConfig.defaults.unit).toBeTruthy();
        const ind = INDICATORS.find((i) => i.promql === p.targets[0]!.expr);
        expect(ind, `${name}: ${p.title}`).toBeDefined();
        plotted.add(ind!.id);
      }
    }
    expect(INDICATORS.filter((i) => !plotted.has(i.id)).map((i) => i.id)).toEqual([]);
  });

  it('every panel expression is valid PromQL (promtool check rules)', async () => {
    const exprs = [...dashboards(monitoringOptions()).values()].flatMap((d) =>
      (d.panels as { targets: { expr: string }[] }[]).map((p) => p.targets[0]!.expr),
    );
    const file = join(tmp, 'dashboard-exprs.rules.yml');
    const rules = exprs.map((expr, i) => ({ record: `asd:dashboard_check_${i}`, expr }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard-exprs', rules }] }));
    const r = await runTool('promtool', ['check', 'rules', file]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
