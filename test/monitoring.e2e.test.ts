// The supervision, end to end, on a real lab (container driver): `up` deploys it (site.yml imports
// monitoring.yml), every server's agent is scraped over TLS with the credential, plain HTTP and a
// wrong password are refused, every node's firewall drops are counted in Prometheus, the weekly
// developers' report is written on mon by its own service, a drill's alert (ssh-failures: ten failed
// logins) reaches the webhook and resolves, and `down` leaves nothing — the cohort's scrape
// credential included.
// Real servers, real Ansible: needs root (fails otherwise with the reason).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSIBLE_DIR, runPlaybook } from '../src/tools/ansible.ts';
import { labServers } from '../src/lifecycle/index.ts';
import { loadCohort } from '../src/core/model/load.ts';
import { MON_REPORTS_DIR } from '../src/modules/monitoring/app-report-files.ts';
import { monServer, promAlerts, promQuery, rootScript } from '../src/modules/monitoring/remote.ts';
import {
  agentsUp,
  drillReceived,
  familiesPresent,
  reportsExist,
  scrapesSecured,
  sloRulesLoaded,
} from '../src/modules/monitoring/checks.ts';
import type { CheckDefinition } from '../src/checks/types.ts';
import { cli, KEY_A } from './helpers.ts';
import { requireHost, traces } from './local-helpers.ts';
import { cohortPaths } from '../src/core/state.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-lab-mon-e2e-'));
const file = join(dir, 'h-mon.yaml');
// The module's own cohort and address pool; three servers: what the supervision needs.
writeFileSync(
  file,
  `cohort: h-mon
local: {subnetPool: 10.240.8.0/22, subnetPrefix: 27}
# its own jump port: e2e suites run side by side on one host
access: {port: 2233}
candidates:
  - id: hmon
    sshKey: ${KEY_A}
    overrides:
      servers:
        - {name: mon, role: mon, memoryMiB: 768}
        - {name: app, role: app}
        - {name: db1, role: db}
`,
);
const MACHINES = ['mon', 'app', 'db1'].map((s) => `hmon-${s}`);
const { cohort } = loadCohort(file);

async function check(def: CheckDefinition) {
  const servers = (await labServers(cohort)).get('hmon') ?? [];
  return def.run({ cohort, candidate: cohort.candidates[0]!, servers });
}

describe('supervision end to end (container driver)', () => {
  beforeAll(async () => {
    await requireHost('container');
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);
  afterAll(async () => {
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);

  it('up deploys the servers and the monitoring module', async () => {
    const r = await cli(['--json', 'up', '-c', file, '--no-verify']);
    let json: { candidates: { id: string; ok: boolean; error?: string }[] };
    try {
      json = JSON.parse(r.stdout) as typeof json;
    } catch {
      throw new Error(`up printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    expect(json.candidates.map((c) => [c.id, c.ok, c.error ?? ''])).toEqual([['hmon', true, '']]);
    expect(existsSync(join(cohortPaths(cohort.cohort).cohortDir, 'monitoring', 'scrape-password'))).toBe(true);
  }, 1_800_000);

  it('a second run of monitoring.yml changes nothing', async () => {
    const paths = cohortPaths(cohort.cohort);
    const r = await runPlaybook({
      inventoryFile: paths.inventory,
      playbook: resolve(ANSIBLE_DIR, 'monitoring.yml'),
      logFile: join(dir, 'monitoring-2.json'),
    });
    expect(r.failedTasks).toEqual({});
    expect(r.changedTasks).toEqual({});
    expect(r.ok).toBe(true);
  }, 900_000);

  it('every agent is up in Prometheus, over HTTPS with the credential; the SLO rules and every family are loaded', async () => {
    // The first scrape happens within one interval (30 s) of Prometheus' start.
    let outcome = await check(agentsUp);
    for (let i = 0; i < 12 && outcome[0]!.status !== 'pass'; i++) {
      await new Promise((r) => setTimeout(r, 5000));
      outcome = await check(agentsUp);
    }
    expect(outcome[0]!.status, outcome[0]!.evidence).toBe('pass');
    for (const m of MACHINES) expect(outcome[0]!.evidence).toContain(`${m}=1`);
    for (const def of [sloRulesLoaded, familiesPresent]) {
      const o = await check(def);
      expect(
        o.map((x) => [x.status, x.evidence]),
        def.id,
      ).toEqual([['pass', o[0]!.evidence]]);
    }
  }, 120_000);

  it('a fresh lab has no standing alarm: the app nobody deployed yet is neither scraped nor probed, no alert fires', async () => {
    const servers = (await labServers(cohort)).get('hmon') ?? [];
    const mon = monServer(servers)!;
    // The app's jobs have no target before `asd-lab app deploy` (their file_sd files are empty).
    expect(await promQuery(mon, 'up{job=~"app|blackbox_http"}')).toEqual([]);
    // Nothing firing in Prometheus, nothing pending about the app, and Alertmanager holds nothing.
    const alerts = await promAlerts(mon);
    expect(alerts.filter((a) => a.state === 'firing').map((a) => `${a.labels.alertname} ${a.labels.instance ?? ''}`)).toEqual([]);
    expect(alerts.filter((a) => /^(app|blackbox_http)$/.test(a.labels.job ?? '')).map((a) => a.labels.alertname)).toEqual([]);
    const r = await cli(['--json', 'alerts', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    const held = JSON.parse(r.stdout) as { candidates: { id: string; error?: string; alerts: { name: string }[] }[] };
    expect(held.candidates.map((c) => [c.id, c.error ?? '', c.alerts.map((a) => a.name)])).toEqual([['hmon', '', []]]);
  }, 120_000);

  it('every target is scraped over TLS with auth; plain HTTP, no credential and a wrong password are refused', async () => {
    const o = await check(scrapesSecured);
    expect(o.filter((x) => x.status !== 'pass').map((x) => `${x.server ?? ''}: ${x.evidence}`)).toEqual([]);
    expect(o[0]!.evidence).toMatch(/all https:\/\/ with the lab CA and basic auth/);
    const perServer = o.slice(1);
    expect(perServer.map((x) => x.server).sort()).toEqual(['app', 'db1', 'mon']);
    for (const x of perServer) {
      expect(x.evidence).toContain('plain HTTP: 400 (TLS required)');
      expect(x.evidence).toContain('HTTPS without credential: 401');
      expect(x.evidence).toContain('wrong password: 401');
    }
  }, 120_000);

  it('firewall drops: asd_nftables_dropped_packets_total is in Prometheus for every node, and counts packets sent to a closed port', async () => {
    const servers = (await labServers(cohort)).get('hmon') ?? [];
    const mon = monServer(servers)!;
    const app = servers.find((s) => s.name === 'app')!;
    const query = 'asd_nftables_dropped_packets_total{chain="input"}';
    const drops = async () => new Map((await promQuery(mon, query)).map((x) => [x.metric.instance ?? '', Number(x.value[1])]));
    // The textfile is written 5 s after deployment, then every 30 s; scraped every 30 s.
    let before = await drops();
    for (let i = 0; i < 12 && MACHINES.some((m) => !before.has(m)); i++) {
      await new Promise((r) => setTimeout(r, 5000));
      before = await drops();
    }
    expect([...before.keys()].sort()).toEqual([...MACHINES].sort());
    // 300 connections from the host to a port no rule opens: each SYN (and its retransmissions)
    // matches no accept rule of app's input chain, reaches the counter and is dropped by the policy.
    const SENT = 300;
    const started = Date.now();
    await Promise.all(
      Array.from(
        { length: SENT },
        () =>
          new Promise<void>((done) => {
            const sock = connect({ host: app.address, port: 5555 });
            const end = () => {
              sock.destroy();
              done();
            };
            sock.setTimeout(1500, end);
            sock.on('error', end);
            sock.on('connect', end);
          }),
      ),
    );
    let after = await drops();
    while (Date.now() - started < 180_000 && (after.get('hmon-app') ?? 0) - before.get('hmon-app')! < SENT) {
      await new Promise((r) => setTimeout(r, 10_000));
      after = await drops();
    }
    const grew = (after.get('hmon-app') ?? 0) - before.get('hmon-app')!;
    console.log(
      `firewall drops of hmon-app: ${before.get('hmon-app')} -> ${after.get('hmon-app')} (+${grew}) in Prometheus ${Math.round((Date.now() - started) / 1000)} s after ${SENT} connections to a closed port; others: ${MACHINES.filter(
        (m) => m !== 'hmon-app',
      )
        .map((m) => `${m} +${(after.get(m) ?? 0) - before.get(m)!}`)
        .join(', ')}`,
    );
    expect(grew).toBeGreaterThanOrEqual(SENT);
    // The same number at the source: the named counter of the ruleset, read on the server.
    const nft = await rootScript(app, 'nft -j list counter inet asd_lab input_dropped\n');
    expect(nft.code, nft.stderr).toBe(0);
    const packets = (JSON.parse(nft.stdout) as { nftables: { counter?: { packets: number } }[] }).nftables.find((x) => x.counter)!
      .counter!.packets;
    expect(packets).toBeGreaterThanOrEqual(after.get('hmon-app')!);
  }, 300_000);

  it("the weekly developers' report: the timer is active; its service writes the report on mon; CP10.3 passes and names where it is", async () => {
    const servers = (await labServers(cohort)).get('hmon') ?? [];
    const mon = monServer(servers)!;
    const timer = await rootScript(
      mon,
      'systemctl is-enabled asd-app-report.timer; systemctl is-active asd-app-report.timer; systemctl show -p TimersCalendar --value asd-app-report.timer\n',
    );
    expect(timer.stdout.split('\n').slice(0, 2)).toEqual(['enabled', 'active']);
    // systemd normalizes "weekly" to Monday 00:00.
    expect(timer.stdout).toMatch(/OnCalendar=Mon \*-\*-\* 00:00:00 ; next_elapse=Mon /);
    const before = await check(reportsExist);
    expect(before[0]!.status, before[0]!.evidence).toBe('not-run');
    const started = Date.now();
    const r = await rootScript(
      mon,
      `systemctl start asd-app-report.service; rc=$?
echo "rc=$rc"
journalctl -u asd-app-report.service -n 5 --no-pager -o cat
f=$(ls -1 ${MON_REPORTS_DIR}/app-*.html | tail -n 1)
echo "file=$f"
stat -c 'owner=%U mode=%a' "$f"
cat "$f"
`,
      300_000,
    );
    const seconds = Math.round((Date.now() - started) / 1000);
    expect(r.stdout, r.stderr).toMatch(/^rc=0$/m);
    console.log(`asd-app-report.service on hmon-mon: ${seconds} s; ${/^file=.*$/m.exec(r.stdout)?.[0]}`);
    expect(r.stdout).toMatch(new RegExp(`^file=${MON_REPORTS_DIR}/app-\\d{8}T\\d{4}Z\\.html$`, 'm'));
    expect(r.stdout).toMatch(/^owner=asd-app-report mode=644$/m);
    expect(r.stdout).toContain('<h1>Application report — hmon (h-mon)</h1>');
    expect(r.stdout).toMatch(/by asd-app-report\.timer on \S+ from the candidate's Prometheus/);
    expect(r.stdout).toContain('<h2>Availability and error budget</h2>');
    // The credential never reaches a command line or the journal.
    const pw = await rootScript(mon, 'cat /etc/prometheus/secrets/scrape-password\n');
    expect(pw.stdout.trim().length).toBeGreaterThan(10);
    expect(r.stdout).not.toContain(pw.stdout.trim());
    const after = await check(reportsExist);
    expect(after[0]!.status, after[0]!.evidence).toBe('pass');
    expect(after[0]!.evidence).toMatch(
      new RegExp(
        `^latest hmon-mon:${MON_REPORTS_DIR}/app-\\d{8}T\\d{4}Z\\.html \\(weekly job asd-app-report\\.timer\\), 0\\.0 days old`,
      ),
    );
  }, 420_000);

  it('drill ssh-failures: the alert fires, reaches the security webhook, and resolves', async () => {
    const started = Date.now();
    const r = await cli(['--json', 'drill', 'ssh-failures', '-c', file, '--timeout', '900']);
    let result: { ok: boolean; error?: string; steps: { step: string; elapsedSeconds: number; detail: string }[] };
    try {
      result = JSON.parse(r.stdout) as typeof result;
    } catch {
      throw new Error(`drill printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    expect(result.error ?? '', JSON.stringify(result.steps)).toBe('');
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => s.step)).toEqual([
      'triggered',
      'firing',
      'notified',
      'restored',
      'resolved',
      'resolvedNotified',
    ]);
    expect(result.steps.find((s) => s.step === 'notified')!.detail).toContain('security');
    // Bounded: fires within 3 minutes, resolved notice within 10.
    expect(result.steps.find((s) => s.step === 'notified')!.elapsedSeconds).toBeLessThan(180);
    expect(result.steps.at(-1)!.elapsedSeconds).toBeLessThan(600);
    expect(r.code).toBe(0);
    console.log(
      `drill ssh-failures: ${JSON.stringify(result.steps.map((s) => [s.step, s.elapsedSeconds]))} (${Math.round((Date.now() - started) / 1000)} s in all)`,
    );
    const received = await check(drillReceived);
    expect(received[0]!.status, received[0]!.evidence).toBe('pass');
    expect(received[0]!.evidence).toContain('SshAuthFailuresHigh (hmon-app, team security)');
  }, 1_000_000);

  it('alerts --json lists what Alertmanager holds, each with name, severity, team, state, since', async () => {
    const r = await cli(['--json', 'alerts', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { candidates: { id: string; mon: string; alerts: Record<string, string>[] }[] };
    expect(out.candidates.map((c) => [c.id, c.mon])).toEqual([['hmon', 'hmon-mon']]);
    for (const a of out.candidates[0]!.alerts) {
      for (const k of ['name', 'severity', 'team', 'state', 'since']) expect(a[k], `${a.name}: ${k}`).toBeTruthy();
    }
  }, 120_000);

  it('down leaves nothing: no process, mount or cgroup of the lab, no credential', async () => {
    const r = await cli(['down', '-c', file, '--purge']);
    expect(r.code).toBe(0);
    for (const m of MACHINES) expect(await traces(m), m).toEqual([]);
    expect(existsSync(join(cohortPaths(cohort.cohort).cohortDir, 'monitoring'))).toBe(false);
  }, 600_000);
});
