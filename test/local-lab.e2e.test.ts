// End to end, as a trainer runs it: `up` brings one candidate's full reference lab (gateway, app,
// db1, db2, mon, with the data and monitoring modules) up on this machine and no check fails; the
// app released by the pipeline and updated turns the container checks to pass; a second `up` changes
// nothing; `down` leaves nothing of the lab. Real servers, real Ansible, real Lynis, real
// PostgreSQL and Prometheus: needs root (fails otherwise).
// The app step is the CP5/CP7/CP8 "done when": `pipeline run --approve` takes v1 through test,
// preprod and prod; prod is updated to v2 and rolled back under a load loop with no failed request;
// verify sees the containers' limits, network and remote volume in each environment.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netNames } from '../src/modules/containers/runtime.ts';
import { bridgeName } from '../src/targets/local/index.ts';
import { STAGE_IDS } from '../src/modules/pipeline/definition.ts';
import type { RunReport } from '../src/modules/pipeline/run.ts';
import { cli, KEY_A } from './helpers.ts';
import { requireHost, STATE, traces } from './local-helpers.ts';
import { statePaths } from '../src/core/state.ts';
import { loadCohort } from '../src/core/model/load.ts';
import { runVerify } from '../src/checks/run.ts';
import { DEPLOYMENT_CHECKS } from '../src/checks/deployment.ts';
import { labServers } from '../src/lifecycle/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-lab-e2e-'));
const file = join(dir, 'e2e.yaml');
writeFileSync(
  file,
  `cohort: e2e\nlocal: {subnetPool: 10.231.250.0/24, subnetPrefix: 27}\naccess: {port: 2231}\ncandidates:\n  - id: solo\n    sshKey: ${KEY_A}\n`,
);
const cohort = loadCohort(file).cohort;
const MACHINES = ['gateway', 'app', 'db1', 'db2', 'mon'].map((s) => `solo-${s}`);

/** Checks whose evidence needs an operation after `up`: a deployed app, a drill, a report, a cluster. */
const AFTER_UP = [
  'test-env-matches-spec',
  'app-reachable-by-users',
  'preprod-defects-reported',
  'app-test-version-built',
  'app-tests-run',
  'app-defects-reported',
  'containers-running-with-limits',
  'containers-on-lab-network',
  'containers-remote-volume',
  'containers-updated',
  'monitoring-alert-received',
  'monitoring-reports',
  'k8s-app-available-in-prod',
];

interface UpJson {
  candidates: {
    id: string;
    ok: boolean;
    changed: number;
    error?: string;
    ansible?: { changedTasks: Record<string, string[]>; stats: Record<string, unknown> };
    converge?: { ran: boolean; reasons: { kind: string; host?: string; lines?: string[] }[] };
  }[];
  verify?: { candidates: { id: string; checks: { competency: string; check: string; status: string; evidence: string }[] }[] };
}

const ENVS = ['test', 'preprod', 'prod'] as const;

/** The app's status of one environment (`app status ENV --json`). */
async function appStatus(env: string) {
  const r = await cli(['--json', 'app', 'status', env, '-c', file, '--candidate', 'solo']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    version?: string;
    instances: { id: string; role: string; ip: string; state: string; healthy: boolean }[];
  };
}

/** What users get: /version through the environment's edge, asked six times (every API instance answers). */
async function served(env: string): Promise<{ version: string; env: string }> {
  const edge = (await appStatus(env)).instances.find((i) => i.role === 'edge');
  if (!edge) throw new Error(`${env}: no edge`);
  const seen = new Set<string>();
  let last = { version: '', env: '' };
  for (let i = 0; i < 6; i++) {
    const body = (await (await fetch(`http://${edge.ip}:8080/version`, { signal: AbortSignal.timeout(5000) })).json()) as {
      version: string;
      env: string;
    };
    last = { version: body.version, env: body.env };
    seen.add(JSON.stringify(last));
  }
  if (seen.size !== 1) throw new Error(`${env}: the edge serves different releases: ${[...seen].join(', ')}`);
  return last;
}

/** `app update|rollback ... --json` on the solo candidate: must succeed with its load loop at 0 failed. */
async function appUpdate(argv: string[]) {
  const r = await cli(['--json', 'app', ...argv, '-c', file, '--candidate', 'solo']);
  expect(r.code, `${argv.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
  const out = JSON.parse(r.stdout) as {
    ok: boolean;
    seconds: number;
    replaced: number;
    load?: { total: number; failed: number; samples: string[] };
  };
  expect(out.ok).toBe(true);
  expect(out.replaced).toBe(2);
  expect(out.load, 'the load loop ran').toBeDefined();
  expect(out.load!.failed, out.load!.samples.join('; ')).toBe(0);
  expect(out.load!.total).toBeGreaterThan(0);
  return { ...out, load: out.load! };
}

/**
 * The app containers of this cohort that have a systemd-nspawn process, counted by environment:
 * distinct OCI bundles (one per container) under the cohort's app state.
 */
function appContainerProcesses(): Record<string, number> {
  const root = `--oci-bundle=${statePaths(STATE).app.root}/deploy/e2e/solo/`;
  const bundles = new Set<string>();
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const bundle = argv.find((a) => a.startsWith(root));
    if (bundle && argv[0]?.endsWith('systemd-nspawn')) bundles.add(bundle);
  }
  const count: Record<string, number> = {};
  for (const b of bundles) {
    const env = b.slice(root.length).split('/')[0]!;
    count[env] = (count[env] ?? 0) + 1;
  }
  return count;
}

async function up(extra: string[] = []) {
  const r = await cli(['--json', 'up', '-c', file, ...extra]);
  let json: UpJson;
  try {
    json = JSON.parse(r.stdout) as UpJson;
  } catch {
    throw new Error(`up printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, json };
}

describe('local target, end to end (container driver)', () => {
  beforeAll(async () => {
    await requireHost('container');
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);
  afterAll(async () => {
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);

  it('up brings the solo lab up: no check fails, and only checks that need a later operation are not run', async () => {
    const r = await up();
    const all = (r.json.verify?.candidates ?? []).flatMap((c) => c.checks);
    expect(r.json.candidates.map((c) => [c.id, c.ok, c.error ?? ''])).toEqual([['solo', true, '']]);
    expect(all.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.evidence}`)).toEqual([]);
    const notRun = all.filter((x) => x.status === 'not-run');
    expect(
      notRun.map((x) => x.check).filter((id) => !AFTER_UP.includes(id)),
      'not run although up should make them pass',
    ).toEqual([]);
    // Each one says what to run (or what is missing) to get evidence.
    for (const x of notRun) expect(x.evidence, x.check).toMatch(/asd-lab |npm run |kubeconfig/);
    // The base layer, the data module and the supervision pass right after up.
    for (const id of [
      'data-servers-operational',
      'data-access-rights',
      'data-backed-up',
      'monitoring-agents-up',
      'monitoring-scrape-tls-auth',
      'monitoring-logs-central',
    ]) {
      expect(all.filter((x) => x.check.startsWith(id) && x.status === 'pass').length, id).toBeGreaterThan(0);
    }
    const checks = r.json.verify!.candidates[0]!.checks;
    // Every server is checked for each access rule and audited by Lynis.
    for (const id of [
      'ssh-password-refused',
      'ssh-root-refused',
      'firewall-default-drop',
      'lynis-hardening-index',
      'server-works',
      'server-matches-model',
    ]) {
      expect(checks.filter((x) => x.check.startsWith(`${id} (`)).length, id).toBe(5);
    }
    expect(r.code).toBe(0);
  }, 1_800_000);

  it('status --json describes every server with the documented shape', async () => {
    const r = await cli(['--json', 'status', '-c', file]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { candidates: { id: string; servers: Record<string, unknown>[] }[] };
    expect(out.candidates).toHaveLength(1);
    expect(out.candidates[0]!.servers.map((s) => s.name)).toEqual(['gateway', 'app', 'db1', 'db2', 'mon']);
    for (const s of out.candidates[0]!.servers) {
      expect(s).toMatchObject({ state: 'running', sshPort: 22, user: 'asd-admin' });
      expect(s.address).toMatch(/^10\.231\.250\.\d+$/);
      expect(s.keyPath).toMatch(/id_ed25519$/);
    }
  });

  it('ssh runs one command on a server and returns its exit code', async () => {
    const ok = await cli(['ssh', '-c', file, 'solo', 'db1', '--', 'hostname']);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('solo-db1');
    const ko = await cli(['ssh', '-c', file, 'solo', 'db1', '--', 'exit 7']);
    expect(ko.code).toBe(7);
    const unknown = await cli(['ssh', '-c', file, 'solo', 'nope']);
    expect(unknown.code).toBe(2); // an unknown server is invalid input
    expect(unknown.stderr).toMatch(/no server "nope" for candidate solo \(servers: gateway, app, db1, db2, mon\)/);
  });

  it('pipeline run deploys v1 to test, preprod and prod; prod updated to v2 and rolled back with no failed request; the container checks pass in every environment', async () => {
    const reportDir = join(dir, 'pipeline-v1');
    const run = await cli([
      '--json',
      'pipeline',
      'run',
      '--approve',
      '--version',
      'v1',
      '-c',
      file,
      '--candidate',
      'solo',
      '--report-dir',
      reportDir,
    ]);
    // The report the run wrote, not only its exit code: every stage, its status and duration.
    const report = JSON.parse(readFileSync(join(reportDir, 'pipeline-run.json'), 'utf8')) as RunReport;
    console.log(
      `pipeline run v1: ${report.result}; ${report.stages.map((x) => `${x.id} ${x.status} ${(x.ms / 1000).toFixed(1)} s`).join(', ')}`,
    );
    expect(report.stages.map((x) => [x.id, x.status, x.status === 'failed' ? x.detail : ''])).toEqual(
      STAGE_IDS.map((id) => [id, id === 'approval' ? 'approved' : 'passed', '']),
    );
    expect(report.result).toBe('passed');
    expect(report.defects).toMatchObject({ failures: 0, errors: 0 });
    expect(report.defects!.tests).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    for (const env of ENVS) expect(await served(env), env).toEqual({ version: 'v1', env });

    // v2 is built (the v1 pipeline built v1 only), then released to prod and taken back, under load.
    const img = await cli(['app', 'image', '-c', file, '--version', 'v2']);
    expect(img.code, img.stderr).toBe(0);
    const up2 = await appUpdate(['update', 'prod', '--version', 'v2']);
    expect(await served('prod')).toEqual({ version: 'v2', env: 'prod' });
    const back = await appUpdate(['rollback', 'prod']);
    expect(await served('prod')).toEqual({ version: 'v1', env: 'prod' });
    console.log(
      `prod update v1 -> v2: ${up2.seconds.toFixed(1)} s, ${up2.load.total} requests, ${up2.load.failed} failed; rollback: ${back.seconds.toFixed(1)} s, ${back.load.total} requests, ${back.load.failed} failed`,
    );

    // What the pipeline's deploy stage runs for v2 on a running environment: a rolling update,
    // whose load loop deploy now reports.
    const dep = await cli(['--json', 'app', 'deploy', 'preprod', '--version', 'v2', '-c', file, '--candidate', 'solo']);
    expect(dep.code, `${dep.stdout}\n${dep.stderr}`).toBe(0);
    const depJson = JSON.parse(dep.stdout) as {
      update?: { from: string; replaced: number; load?: { total: number; failed: number } };
    };
    expect(depJson.update).toMatchObject({ from: 'v1', replaced: 2, load: { failed: 0 } });
    expect(depJson.update!.load!.total).toBeGreaterThan(0);
    console.log(`preprod deploy v2 over v1: ${depJson.update!.load!.total} requests, ${depJson.update!.load!.failed} failed`);
    expect(await served('preprod')).toEqual({ version: 'v2', env: 'preprod' });

    for (const argv of [
      ['app', 'update', 'test', '--version', 'v2'],
      ['report', 'app'],
    ]) {
      const r = await cli([...argv, '-c', file, '--candidate', 'solo']);
      expect(r.code, `${argv.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
    }
    // The pipeline's unit tests wrote their reports in the run's folder: verify reads them there.
    const v = await cli(['--json', 'verify', '-c', file], { ASD_APP_REPORTS: join(reportDir, 'app-reports') });
    const checks = (JSON.parse(v.stdout) as { candidates: { checks: { check: string; status: string; evidence: string }[] }[] })
      .candidates[0]!.checks;
    const show = (id: string) =>
      checks.filter((x) => x.check === id || x.check.startsWith(`${id} (`)).map((x) => `${x.check}: ${x.status} ${x.evidence}`);
    // One outcome per environment for the container checks, each a pass.
    for (const id of [
      'containers-running-with-limits',
      'containers-on-lab-network',
      'containers-remote-volume',
      'containers-updated',
    ]) {
      expect(
        checks
          .filter((x) => x.check.startsWith(`${id} (`))
          .map((x) => x.check)
          .sort(),
        id,
      ).toEqual(ENVS.map((e) => `${id} (${e})`).sort());
      expect(
        show(id).filter((x) => !x.includes(': pass ')),
        id,
      ).toEqual([]);
    }
    for (const id of ['app-test-version-built', 'app-tests-run', 'app-defects-reported', 'monitoring-reports']) {
      expect(show(id).length, id).toBeGreaterThan(0);
      expect(
        show(id).filter((x) => !x.includes(': pass ')),
        id,
      ).toEqual([]);
    }
    // What verify saw in prod: the rollback, and the model's limits.
    expect(show('containers-updated').find((x) => x.startsWith('containers-updated (prod)'))).toMatch(
      /rollback v2 -> v1 .*: ok; load loop \d+ requests, 0 failed/,
    );
    expect(show('containers-running-with-limits').find((x) => x.startsWith('containers-running-with-limits (prod)'))).toMatch(
      /api 160 MiB\/0\.5 CPU\/64 pids/,
    );
    expect(checks.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.evidence}`)).toEqual([]);
  }, 1_500_000);

  it('a second full run (up --converge) converges: Ansible reports zero changed tasks', async () => {
    const r = await up(['--no-verify', '--converge']);
    const cand = r.json.candidates[0]!;
    expect(cand.ok).toBe(true);
    expect(cand.converge?.ran).toBe(true);
    expect(cand.ansible?.changedTasks ?? {}).toEqual({});
    expect(cand.changed).toBe(0);
  }, 1_800_000);

  it('an up that changes nothing skips Ansible after probing; hand changes are drift that the next up repairs, and the checks see them', async () => {
    const noop = await up(['--no-verify']);
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.json.candidates[0]!.converge).toEqual({ ran: false, reasons: [], probed: expect.any(Object) });
    expect(noop.json.candidates[0]!.ansible).toBeUndefined();
    // On the app server, as a candidate might: a managed file edited, a service stopped.
    const edit = await cli([
      'ssh',
      '-c',
      file,
      'solo',
      'app',
      '--',
      'echo "# by hand" | sudo tee -a /etc/ssh/sshd_config && sudo systemctl stop prometheus-node-exporter',
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    const deployment = async () => {
      const report = await runVerify(cohort, await labServers(cohort, STATE), { checks: DEPLOYMENT_CHECKS });
      return report.candidates[0]!.checks.filter((c) => c.server === 'app').map((c) => `${c.check}=${c.status}: ${c.evidence}`);
    };
    const broken = await deployment();
    expect(broken.find((c) => c.startsWith('role-services-running (app)'))).toMatch(
      /=fail: not active: prometheus-node-exporter/,
    );
    expect(broken.find((c) => c.startsWith('flows-listening (app)'))).toMatch(/=fail: not listening: 9100 \(node-exporter\)/);
    const drift = await up(['--no-verify']);
    const cand = drift.json.candidates[0]!;
    expect(cand.ok, cand.error).toBe(true);
    expect(cand.converge?.ran).toBe(true);
    expect(cand.converge?.reasons).toEqual([
      {
        kind: 'drift',
        host: 'solo-app',
        lines: expect.arrayContaining([expect.stringMatching(/^\+ file \/etc\/ssh\/sshd_config /)]),
      },
    ]);
    // Only the drifted server is configured again.
    expect(Object.keys(cand.ansible?.stats ?? {})).toEqual(['solo-app']);
    expect(cand.ansible?.changedTasks['solo-app'] ?? []).not.toEqual([]);
    const after = await cli(['ssh', '-c', file, 'solo', 'app', '--', 'sudo cat /etc/ssh/sshd_config']);
    expect(after.stdout).not.toContain('# by hand');
    expect((await deployment()).filter((c) => !/=pass: /.test(c))).toEqual([]);
  }, 1_800_000);

  it('down leaves nothing: no process, mount, cgroup, link or nft rule of the lab', async () => {
    // The app's containers of all three environments are running before down...
    const ids: string[] = [];
    for (const env of ENVS) {
      const st = await appStatus(env);
      expect(st.instances.map((i) => i.role).sort(), env).toEqual(['api', 'api', 'edge', 'worker']);
      expect(
        st.instances.every((i) => i.state === 'running'),
        env,
      ).toBe(true);
      ids.push(...st.instances.map((i) => i.id));
    }
    expect(appContainerProcesses()).toEqual({ test: 4, preprod: 4, prod: 4 });
    const r = await cli(['down', '-c', file, '--purge']);
    expect(r.code).toBe(0);
    // ...and none of them is left after it: process, network namespace, cgroup.
    expect(appContainerProcesses()).toEqual({});
    const netns = (await execa('ip', ['netns', 'list'])).stdout;
    for (const id of ids) {
      expect(netns, id).not.toContain(netNames(id).netns);
      for (const c of ['asd-lab-app', 'memory/asd-lab-app', 'cpu/asd-lab-app', 'pids/asd-lab-app'])
        expect(existsSync(`/sys/fs/cgroup/${c}/${id}`), `${c}/${id}`).toBe(false);
    }
    for (const m of MACHINES) expect(await traces(m), m).toEqual([]);
    // The app's containers (network namespaces asdapp-*) and their volume mounts went first.
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/asdapp-/);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/\/app\/mnt\/e2e\//);
    const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(bridgeName('e2e', 0));
    const rules = (await execa('nft', ['list', 'ruleset'])).stdout;
    expect(rules).not.toContain(`asd-lab:${bridgeName('e2e', 0)}`);
    const status = JSON.parse((await cli(['--json', 'status', '-c', file])).stdout) as {
      candidates: { servers: { state: string }[] }[];
    };
    expect(status.candidates[0]!.servers.every((s) => s.state === 'missing')).toBe(true);
  }, 600_000);
});
