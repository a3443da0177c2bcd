// The local target's lifecycle, as `up` and `down` run it: prerequisites, golden image, then per
// candidate network -> servers -> Ansible -> checks. One candidate's failure does not stop the others.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { t } from '../../core/i18n/index.ts';
import { buildInventory, renderInventory, type InventoryHost } from '../../lifecycle/inventory.ts';
import {
  createServer, destroyServer, downNetwork, ensureImage, ensureLabKey, listServers, planCohort, preflight,
  resolveStateDir, SCRIPTS_DIR, TOOLS, upNetwork, type Accel, type CandidatePlan, type Driver, type LocalServer,
} from './index.ts';
import type { Candidate, Cohort } from '../../core/model/cohort.ts';
import { runPlaybook, type PlaybookResult } from '../../tools/ansible.ts';
import type { LabServer } from '../../checks/types.ts';
import { down as appDown } from '../../modules/containers/deploy.ts';
import { APP_ENVS } from '../../core/model/containers.ts';
import { appPaths } from '../../modules/containers/paths.ts';

export interface LabPaths {
  state: string;
  cohortDir: string;
  inventory: string;
  pki: string;
  logs: string;
}

export function labPaths(cohort: Cohort, stateDir = resolveStateDir()): LabPaths {
  const cohortDir = join(stateDir, 'cohorts', cohort.cohort);
  return {
    state: stateDir,
    cohortDir,
    inventory: join(cohortDir, 'inventory.yml'),
    pki: join(cohortDir, 'pki'),
    logs: join(cohortDir, 'logs'),
  };
}

/**
 * The host's Debian packages: one list (scripts/host-packages.txt) for `up` and CI, so that the
 * README's two commands (`up`, then `npm test`) work on a fresh machine. "#" starts a comment.
 */
export function hostPackages(): string[] {
  const file = join(SCRIPTS_DIR, 'host-packages.txt');
  return readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

/** Debian packages for the tools `up` needs and does not find (empty when all are there). */
export async function missingPackages(driver: Driver): Promise<string[]> {
  const needed = [...TOOLS.filter((x) => x.drivers.includes(driver)), { command: 'ansible-playbook', pkg: 'ansible' }];
  const missing = new Set<string>();
  // With dpkg, the whole host list is checked (the modules' tools: buildah, sshfs, graphviz...).
  const dpkg = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...hostPackages()], { reject: false });
  if (dpkg.exitCode !== null && (dpkg.stdout || dpkg.stderr)) {
    const installed = new Set(dpkg.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
    for (const pkg of hostPackages()) if (!installed.has(pkg)) missing.add(pkg);
  }
  for (const tool of needed) {
    const r = await execa('sh', ['-c', `command -v ${tool.command} || test -x /usr/sbin/${tool.command} || test -x /sbin/${tool.command}`], { reject: false });
    if (r.exitCode !== 0) missing.add(tool.pkg);
  }
  return [...missing];
}

/** Install missing packages with apt when we are root on Debian/Ubuntu; otherwise say how. */
export async function installPrerequisites(driver: Driver, say: (line: string) => void): Promise<void> {
  const pkgs = await missingPackages(driver);
  if (pkgs.length === 0) return;
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) return; // preflight lists each missing tool with its package
  say(t('up.installing', { packages: pkgs.join(' ') }));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-qq'], { env });
  await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

export function selectCandidates(cohort: Cohort, id?: string): Candidate[] {
  if (!id) return cohort.candidates;
  const found = cohort.candidates.find((c) => c.id === id);
  if (!found) throw new Error(t('lab.unknownCandidate', { candidate: id, known: cohort.candidates.map((c) => c.id).join(', ') }));
  return [found];
}

/** The servers of a cohort as the checks and `status` see them, model servers not created included. */
export async function labServers(cohort: Cohort, stateDir = resolveStateDir()): Promise<Map<string, LabServer[]>> {
  const existing = (await listServers(stateDir)).filter((s) => s.cohort === cohort.cohort);
  const out = new Map<string, LabServer[]>();
  for (const plan of planCohort(cohort)) {
    const list: LabServer[] = plan.servers.map((s) => {
      const found = existing.find((x) => x.name === s.name);
      return {
        name: s.spec.name, role: s.spec.role, machine: s.name,
        state: found ? found.state : 'missing',
        address: found?.address ?? s.ip, sshPort: 22, user: 'asd-admin',
        keyPath: found?.keyPath ?? join(stateDir, 'keys', cohort.cohort, 'id_ed25519'),
      };
    });
    // Servers of this candidate that the model no longer lists still show (and `down` removes them).
    for (const x of existing.filter((e) => e.candidate === plan.candidate.id && !plan.servers.some((s) => s.name === e.name))) {
      list.push({ name: x.name.slice(plan.candidate.id.length + 1), role: x.role, machine: x.name, state: x.state, address: x.address, sshPort: 22, user: x.user, keyPath: x.keyPath });
    }
    out.set(plan.candidate.id, list);
  }
  return out;
}

/** Write the cohort's inventory from the servers that run, and return its path. */
export async function writeInventory(cohort: Cohort, paths: LabPaths, keyPath: string): Promise<string> {
  const running = (await listServers(paths.state)).filter((s) => s.cohort === cohort.cohort && s.state === 'running');
  const plans = planCohort(cohort);
  const hosts: InventoryHost[] = [];
  for (const plan of plans) {
    for (const s of plan.servers) {
      const live = running.find((r) => r.name === s.name);
      if (live) hosts.push({ candidate: plan.candidate.id, server: s.spec.name, role: s.spec.role, address: live.address, subnet: plan.subnet, knownHostsFile: live.knownHostsFile });
    }
  }
  mkdirSync(paths.cohortDir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.inventory, renderInventory(buildInventory(cohort, hosts, { keyPath, pkiDir: paths.pki })));
  return paths.inventory;
}

export interface UpOptions {
  candidate?: string;
  driver?: Driver;
  accel?: Accel;
  stateDir?: string;
}

export interface CandidateUp {
  id: string;
  ok: boolean;
  step?: string;
  error?: string;
  servers: LocalServer[];
  ansible?: Pick<PlaybookResult, 'stats' | 'changedTasks' | 'failedTasks' | 'logFile'>;
  changed: number;
}

/** The steps of one candidate, so that the CLI can show them as progress. */
export function candidateSteps(cohort: Cohort, plan: CandidatePlan, paths: LabPaths, opts: UpOptions & { keyPath: string }) {
  const result: CandidateUp = { id: plan.candidate.id, ok: false, servers: [], changed: 0 };
  const steps: { title: string; run: () => Promise<void> }[] = [
    { title: t('up.step.network', { bridge: plan.bridge, subnet: plan.subnet }), run: async () => void (await upNetwork(cohort, plan.candidate, { stateDir: paths.state })) },
    ...plan.servers.map((s) => ({
      title: t('up.step.server', { server: s.name, address: s.ip }),
      run: async () => {
        result.servers.push(await createServer(cohort, plan.candidate, s.spec, { stateDir: paths.state, driver: opts.driver, accel: opts.accel }));
      },
    })),
    {
      title: t('up.step.ansible'),
      run: async () => {
        await writeInventory(cohort, paths, opts.keyPath);
        mkdirSync(paths.logs, { recursive: true });
        const r = await runPlaybook({
          inventoryFile: paths.inventory,
          limit: `candidate_${plan.candidate.id.replace(/-/g, '_')}`,
          logFile: join(paths.logs, `ansible-${plan.candidate.id}.json`),
        });
        result.ansible = { stats: r.stats, changedTasks: r.changedTasks, failedTasks: r.failedTasks, logFile: r.logFile };
        result.changed = Object.values(r.stats).reduce((n, s) => n + s.changed, 0);
        if (!r.ok) {
          const failed = Object.entries(r.failedTasks).map(([h, tasks]) => `${h}: ${tasks.join('; ')}`).join('\n');
          throw new Error(t('up.ansibleFailed', { log: r.logFile, failed: failed || '?' }));
        }
      },
    },
  ];
  return { result, steps };
}

export interface DownOptions {
  candidate?: string;
  stateDir?: string;
  /** Also remove the cohort's keys, CA and inventory (not the shared golden image). */
  purge?: boolean;
}

/** Stop and remove a candidate's servers (those of the model and any left over) and network. */
export async function downCandidate(cohort: Cohort, cand: Candidate, stateDir: string): Promise<string[]> {
  const removed: string[] = [];
  // The app's containers sit on the candidate's bridge and may hold an sshfs mount of the app
  // server: they go first, while the network and the server still exist.
  for (const env of APP_ENVS) {
    removed.push(...(await appDown({ cohort, candidate: cand, env, stateDir, say: () => undefined })));
  }
  const servers = (await listServers(stateDir)).filter((s) => s.cohort === cohort.cohort && s.candidate === cand.id);
  for (const s of servers) {
    await destroyServer(s.name, { stateDir });
    removed.push(s.name);
  }
  await downNetwork(cohort, cand, { stateDir });
  return removed;
}

export function purgeCohort(cohort: Cohort, paths: LabPaths): void {
  rmSync(paths.cohortDir, { recursive: true, force: true });
  rmSync(join(paths.state, 'keys', cohort.cohort), { recursive: true, force: true });
  // The app's deployment records and mount points of this cohort (images are shared, they stay).
  const app = appPaths(paths.state);
  const mnt = join(app.root, 'mnt', cohort.cohort);
  // Never delete through a volume still mounted there (it holds the app server's files).
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${mnt}/`));
  if (mounted.length) throw new Error(t('down.stillMounted', { mounts: mounted.join(', ') }));
  for (const dir of [join(app.root, 'deploy', cohort.cohort), mnt]) rmSync(dir, { recursive: true, force: true });
}

export { ensureImage, ensureLabKey, preflight, planCohort };
