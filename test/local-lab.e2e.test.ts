// End to end, as a trainer runs it: `up` brings one candidate's full reference lab (gateway, app,
// db1, db2, mon, with the data and monitoring modules) up on this machine and no check fails; the
// app deployed and updated in test turns the container checks to pass; a second `up` changes
// nothing; `down` leaves nothing of the lab. Real servers, real Ansible, real Lynis, real
// PostgreSQL and Prometheus: needs root (fails otherwise).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName } from '../src/local/index.ts';
import { cli, KEY_A } from './helpers.ts';
import { requireHost, traces } from './local-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-lab-e2e-'));
const file = join(dir, 'e2e.yaml');
writeFileSync(file, `cohort: e2e\nlocal: {subnetPool: 10.231.250.0/24, subnetPrefix: 27}\ncandidates:\n  - id: solo\n    sshKey: ${KEY_A}\n`);
const MACHINES = ['gateway', 'app', 'db1', 'db2', 'mon'].map((s) => `solo-${s}`);

/** Checks whose evidence needs an operation after `up`: a deployed app, a drill, a report, a cluster. */
const AFTER_UP = [
  'app-test-version-built', 'app-tests-run', 'app-defects-reported', 'containers-running-with-limits', 'containers-on-lab-network',
  'containers-remote-volume', 'containers-updated', 'monitoring-alert-received', 'monitoring-reports', 'k8s-app-available-in-prod',
];

interface UpJson {
  candidates: { id: string; ok: boolean; changed: number; error?: string; ansible?: { changedTasks: Record<string, string[]> } }[];
  verify?: { candidates: { id: string; checks: { competency: string; check: string; status: string; evidence: string }[] }[] };
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
    expect(notRun.map((x) => x.check).filter((id) => !AFTER_UP.includes(id)), 'not run although up should make them pass').toEqual([]);
    // Each one says what to run (or what is missing) to get evidence.
    for (const x of notRun) expect(x.evidence, x.check).toMatch(/asd-lab |npm run |kubeconfig/);
    // The base layer, the data module and the supervision pass right after up.
    for (const id of ['data-servers-operational', 'data-access-rights', 'data-backed-up', 'monitoring-agents-up', 'monitoring-scrape-tls-auth', 'monitoring-logs-central']) {
      expect(all.filter((x) => x.check.startsWith(id) && x.status === 'pass').length, id).toBeGreaterThan(0);
    }
    const checks = r.json.verify!.candidates[0]!.checks;
    // Every server is checked for each access rule and audited by Lynis.
    for (const id of ['ssh-password-refused', 'ssh-root-refused', 'firewall-default-drop', 'lynis-hardening-index', 'server-works', 'server-matches-model']) {
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
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no server "nope" for candidate solo \(servers: gateway, app, db1, db2, mon\)/);
  });

  it('the app built, deployed and updated in test, and a report for developers, turn those checks to pass', async () => {
    for (const version of ['v1', 'v2']) {
      const img = await cli(['app', 'image', '-c', file, '--version', version]);
      expect(img.code, img.stderr).toBe(0);
    }
    for (const argv of [['app', 'deploy', 'test', '--version', 'v1'], ['app', 'smoke', 'test'], ['app', 'update', 'test', '--version', 'v2'], ['report', 'app']]) {
      const r = await cli([...argv, '-c', file, '--candidate', 'solo']);
      expect(r.code, `${argv.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const v = await cli(['--json', 'verify', '-c', file]);
    const checks = (JSON.parse(v.stdout) as { candidates: { checks: { check: string; status: string; evidence: string }[] }[] }).candidates[0]!.checks;
    const after = ['app-test-version-built', 'containers-running-with-limits', 'containers-on-lab-network', 'containers-remote-volume', 'containers-updated', 'monitoring-reports'];
    for (const id of after) {
      const found = checks.filter((x) => x.check.startsWith(id));
      expect(found.length, id).toBeGreaterThan(0);
      expect(found.map((x) => `${x.check}: ${x.status} ${x.evidence}`).filter((x) => !x.includes(': pass ')), id).toEqual([]);
    }
    expect(checks.filter((x) => x.status === 'fail').map((x) => `${x.check}: ${x.evidence}`)).toEqual([]);
  }, 900_000);

  it('a second up converges: Ansible reports zero changed tasks', async () => {
    const r = await up(['--no-verify']);
    const cand = r.json.candidates[0]!;
    expect(cand.ok).toBe(true);
    expect(cand.ansible?.changedTasks ?? {}).toEqual({});
    expect(cand.changed).toBe(0);
  }, 1_800_000);

  it('down leaves nothing: no process, mount, cgroup, link or nft rule of the lab', async () => {
    const r = await cli(['down', '-c', file, '--purge']);
    expect(r.code).toBe(0);
    for (const m of MACHINES) expect(await traces(m), m).toEqual([]);
    // The app's containers (network namespaces asdapp-*) and their volume mounts went first.
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/asdapp-/);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/\/app\/mnt\/e2e\//);
    const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(bridgeName('e2e', 0));
    const rules = (await execa('nft', ['list', 'ruleset'])).stdout;
    expect(rules).not.toContain(`asd-lab:${bridgeName('e2e', 0)}`);
    const status = JSON.parse((await cli(['--json', 'status', '-c', file])).stdout) as { candidates: { servers: { state: string }[] }[] };
    expect(status.candidates[0]!.servers.every((s) => s.state === 'missing')).toBe(true);
  }, 600_000);
});
