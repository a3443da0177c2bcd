// `up` as a library call: prerequisites, golden image, lab key, then per candidate network ->
// servers -> Ansible, then the checks. Re-running converges; one candidate's failure does not stop
// the others. The CLI, `reproduce`, the benchmarks and the e2e tests all call this.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import { t } from '../core/i18n/index.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';
import { cohortPaths, statePaths, type CohortPaths } from '../core/state.ts';
import type { VerifyReportV1 } from '../evidence/verify-report/schema.ts';
import { labServers } from '../targets/local/cohort.ts';
import { createServer, ensureImage, ensureLabKey, upNetwork } from '../targets/local/driver.ts';
import { LocalError } from '../targets/local/errors.ts';
import { hostPackageList, missingPackages, prepareHost, quietHostServices, systemdIsPid1 } from '../targets/local/packages.ts';
import { type CandidatePlan, planCohort } from '../targets/local/plan.ts';
import { ensureJump, jumpPreflight, type JumpResult } from '../targets/local/jump.ts';
import { preflight, type Accel, type Driver } from '../targets/local/preflight.ts';
import { listServers, type LocalServer } from '../targets/local/servers.ts';
import { describeEvent, runPlaybook, type PlaybookResult } from '../tools/ansible.ts';
import { ANSIBLE_DIR } from '../core/repo.ts';
import { parse } from 'yaml';
import { selectCandidates } from './candidates.ts';
import {
  candidateHosts,
  type ConvergeDecision,
  convergeInputs,
  type ConvergeReason,
  coverage,
  decide,
  probeHost,
  readRecord,
  recordedSet,
  runLimit,
  writeRecord,
} from './converge.ts';
import { writeInventory } from './inventory.ts';
import { withLock } from './lock.ts';
import { silentSink, type ProgressSink, type Step } from './progress.ts';
import { verifyLab } from './verify.ts';
import { upAws, type AwsExtras } from './aws.ts';

export interface UpOptions {
  candidate?: string;
  /** Default: the cohort's local.driver. */
  driver?: Driver;
  accel?: Accel;
  /** Run the checks at the end and save them as the last result (default true). */
  verify?: boolean;
  stateDir?: string;
  progress?: ProgressSink;
  /** Another `up` or `down` of the cohort is running: wait for it (default: refuse at once). */
  wait?: boolean;
  /** How many candidates' Ansible runs overlap (default: from the host's cores and free memory). */
  concurrency?: number;
  /** Run Ansible even where the inputs are unchanged and a probe finds no drift (default false). */
  converge?: boolean;
  /** Read by the aws target only (src/lifecycle/aws.ts). */
  aws?: AwsExtras;
}

export interface CandidateUp {
  id: string;
  ok: boolean;
  /** The step that failed, and why. */
  step?: string;
  error?: string;
  /** The local target's servers; on aws the name, role and address of each. */
  servers: Pick<LocalServer, 'name' | 'role' | 'address'>[];
  ansible?: Pick<PlaybookResult, 'stats' | 'changedTasks' | 'failedTasks' | 'logFile'>;
  /** Tasks Ansible changed: 0 on a converged lab. */
  changed: number;
  /** Whether Ansible ran and why (src/lifecycle/converge.ts), and what the drift probe covered. */
  converge?: { ran: boolean; reasons: ConvergeReason[]; probed?: ReturnType<typeof coverage> };
}

export interface UpResult {
  cohort: string;
  candidates: CandidateUp[];
  /** The cohort's jump host (asd-lab access): its port, pid and accounts, or why it failed. */
  jump?: {
    port: number;
    pid?: number;
    action?: JumpResult['action'];
    accounts: string[];
    refused: JumpResult['plan']['refused'];
    error?: string;
  };
  verify?: VerifyReportV1;
  /** Every candidate came up and no check failed. */
  ok: boolean;
}

/** What `up --dry-run` reports: what `up` would create, start, reuse or run, per candidate. */
export interface UpPlan {
  cohort: string;
  stateDir: string;
  driver: Driver;
  /** Debian packages `up` would install (as root, with apt). */
  packages: string[];
  /** Host services (of those packages) `up` would stop and disable, where systemd is PID 1. */
  hostServices: string[];
  image: { dir: string; action: 'build' | 'reuse' };
  labKey: { file: string; action: 'create' | 'reuse' };
  candidates: {
    id: string;
    network: { bridge: string; subnet: string; gateway: string; action: 'create' | 'reuse' };
    servers: {
      name: string;
      role: string;
      address: string;
      memoryMiB: number;
      cpus: number;
      action: 'create' | 'start' | 'keep';
    }[];
    ansible: { playbook: string; limit: string };
  }[];
  verify: boolean;
}

/** Runs a probe on every host at once; a host that cannot be probed is reported, not thrown. */
async function probeAll(
  hosts: string[],
  probe: (host: string) => Promise<string[]>,
): Promise<Record<string, string[] | { error: string }>> {
  const entries = await Promise.all(
    hosts.map(async (h) => {
      try {
        return [h, await probe(h)] as const;
      } catch (err) {
        return [h, { error: (err as Error).message }] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * How many candidates' Ansible runs overlap: one per two cores (a run keeps about one core busy
 * between the controller and its servers), and no more than the free memory holds at 1.5 GiB a
 * candidate. A 2-core host runs them one after the other; 16 cores run 8 at once.
 */
export function candidateConcurrency(cores = availableParallelism(), freeMiB = freemem() / 1048576): number {
  return Math.max(1, Math.min(Math.floor(cores / 2), Math.floor(freeMiB / 1536)));
}

/** A lock for async sections: the next caller waits until the previous one is done. */
function mutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = last.then(fn, fn);
    last = run.catch(() => undefined); // the caller of fn gets its error; the next one still runs
    return run;
  };
}

/** Why Ansible runs, in one line. */
function describeReasons(reasons: ConvergeReason[]): string {
  return reasons
    .map((r) => {
      switch (r.kind) {
        case 'forced':
          return t('up.converge.forced');
        case 'no-record':
          return t('up.converge.noRecord');
        case 'inputs':
          return t('up.converge.inputs', { parts: r.parts.join(', ') });
        case 'hosts':
          return t('up.converge.hosts', { hosts: [...r.added, ...r.removed].join(', ') });
        case 'drift':
          return t('up.converge.drift', { host: r.host, lines: r.lines.join('; ') });
        default:
          return t('up.converge.unreachable', { host: r.host, error: r.error });
      }
    })
    .join(' · ');
}

/** The Ansible group of one candidate (the --limit of its run). */
const ansibleLimit = (candidate: string) => `candidate_${candidate.replace(/-/g, '_')}`;

/**
 * `up --dry-run`: what `up` would do, from the model (planCohort) and what is already on this host
 * (the servers' records, the bridges, the image); it creates nothing, not even the state directory,
 * takes no lock and installs nothing.
 */
export async function planUp(cohort: Cohort, opts: UpOptions = {}): Promise<UpPlan> {
  if (cohort.target !== 'local') throw new LocalError(t('up.awsNotHere'));
  const candidates = selectCandidates(cohort, opts.candidate);
  const driver = opts.driver ?? cohort.local.driver;
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const existing = new Map((await listServers(paths.state)).map((s) => [s.name, s]));
  const image = statePaths(paths.state).currentImage;
  const packages = await missingPackages(driver);
  // Those running now, and those the packages to install will start (only as root, with systemd).
  const hostServices =
    process.getuid?.() === 0 && systemdIsPid1()
      ? [
          ...(await quietHostServices({ dryRun: true })),
          ...hostPackageList()
            .filter((p) => packages.includes(p.name))
            .flatMap((p) => p.stop),
        ]
      : [];
  return {
    cohort: cohort.cohort,
    stateDir: paths.state,
    driver,
    packages,
    hostServices,
    image: { dir: image, action: existsSync(image) ? 'reuse' : 'build' },
    labKey: { file: paths.labKey, action: existsSync(paths.labKey) ? 'reuse' : 'create' },
    candidates: planCohort(cohort)
      .filter((p) => candidates.some((c) => c.id === p.candidate.id))
      .map((p) => ({
        id: p.candidate.id,
        network: {
          bridge: p.bridge,
          subnet: p.subnet,
          gateway: p.gateway,
          action: existsSync(`/sys/class/net/${p.bridge}`) ? 'reuse' : 'create',
        },
        servers: p.servers.map((s) => {
          const found = existing.get(s.name);
          return {
            name: s.name,
            role: s.spec.role,
            address: s.address,
            memoryMiB: s.spec.memoryMiB,
            cpus: s.spec.cpus,
            action: !found ? 'create' : found.state === 'running' ? 'keep' : 'start',
          };
        }),
        ansible: { playbook: join(ANSIBLE_DIR, 'site.yml'), limit: ansibleLimit(p.candidate.id) },
      })),
    verify: opts.verify ?? true,
  };
}

/** The steps of one candidate, in order. */
function candidateSteps(
  cohort: Cohort,
  plan: CandidatePlan,
  paths: CohortPaths,
  result: CandidateUp,
  opts: UpOptions & { keyPath: string },
): Step[] {
  return [
    {
      title: t('up.step.network', { bridge: plan.bridge, subnet: plan.subnet }),
      run: async () => void (await upNetwork(cohort, plan.candidate, { stateDir: paths.state })),
    },
    ...plan.servers.map((s) => ({
      title: t('up.step.server', { server: s.name, address: s.ip }),
      run: async () => {
        result.servers.push(
          await createServer(cohort, plan.candidate, s.spec, { stateDir: paths.state, driver: opts.driver, accel: opts.accel }),
        );
      },
    })),
    {
      title: t('up.step.ansible'),
      run: async (update) => {
        await writeInventory(cohort, paths, opts.keyPath);
        mkdirSync(paths.logs, { recursive: true });
        const id = plan.candidate.id;
        const group = ansibleLimit(id);
        const hosts = candidateHosts(paths.inventory, group);
        const inventory = parse(readFileSync(paths.inventory, 'utf8')) as {
          all: { hosts: Record<string, { ansible_host: string }> };
        };
        // The probe checks each server's host key against the one recorded at its creation.
        const known = new Map((await listServers(paths.state)).map((srv) => [srv.name, srv.knownHostsFile]));
        const target = (host: string) => ({
          host: inventory.all.hosts[host]!.ansible_host,
          user: 'asd-admin',
          keyPath: opts.keyPath,
          knownHostsFile: known.get(host),
        });
        const record = readRecord(paths, id);
        let decision: ConvergeDecision = { converge: true, reasons: [{ kind: 'forced' }] };
        if (!opts.converge) {
          const inputs = convergeInputs(paths, id, paths.inventory, group);
          const same = record && !decide(record, inputs, hosts, {}).converge;
          // Probe only when nothing else already decides: the probe is the cost of a no-op up.
          const probes = same ? await probeAll(hosts, (h) => probeHost(target(h), recordedSet(record, h))) : {};
          decision = decide(record, inputs, hosts, probes);
          if (!decision.converge && record) {
            result.converge = { ran: false, reasons: [], probed: coverage(record) };
            update(t('up.converge.unchanged', coverage(record)));
            return;
          }
        }
        result.converge = { ran: true, reasons: decision.reasons };
        update(describeReasons(decision.reasons));
        const r = await runPlaybook({
          inventoryFile: paths.inventory,
          limit: runLimit(decision, group),
          logFile: join(paths.logs, `ansible-${plan.candidate.id}.jsonl`),
          // Each task as it starts and each failure as it happens; not every host's ok.
          onEvent: (e) => {
            if (e.kind !== 'result' || e.status === 'failed' || e.status === 'unreachable') update(describeEvent(e));
          },
        });
        result.ansible = { stats: r.stats, changedTasks: r.changedTasks, failedTasks: r.failedTasks, logFile: r.logFile };
        result.changed = Object.values(r.stats).reduce((n, s) => n + s.changed, 0);
        if (!r.ok) {
          const failed = Object.entries(r.failedTasks)
            .map(([h, tasks]) => `${h}: ${tasks.join('; ')}`)
            .join('\n');
          throw new Error(t('up.ansibleFailed', { log: r.logFile, failed: failed || '?' }));
        }
        // The record of this run: what it read and what its hosts now read back.
        const probes = await probeAll(hosts, (h) => probeHost(target(h), r.managed[h] ?? recordedSet(record, h)));
        const lost = Object.entries(probes).find(([, p]) => !Array.isArray(p));
        if (!lost)
          writeRecord(paths, id, {
            schema: 1,
            at: new Date().toISOString(),
            inputs: convergeInputs(paths, id, paths.inventory, group),
            hosts: Object.fromEntries(
              hosts.map((h) => [h, { managed: r.managed[h] ?? recordedSet(record, h), probe: probes[h] as string[] }]),
            ),
          });
      },
    },
  ];
}

export async function up(cohort: Cohort, opts: UpOptions = {}): Promise<UpResult> {
  if (cohort.target === 'aws') return upAws(cohort, { ...opts, ...opts.aws });
  if (cohort.target !== 'local') throw new LocalError(t('up.awsNotHere'), undefined, { kind: 'usage' });
  const progress = opts.progress ?? silentSink;
  const candidates = selectCandidates(cohort, opts.candidate);
  const driver = opts.driver ?? cohort.local.driver;
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const lockOpts = { wait: opts.wait, say: (l: string) => progress.say(l) };
  return withLock(paths.lock, cohort.cohort, lockOpts, () => upLocked(cohort, opts, { progress, candidates, driver, paths }));
}

async function upLocked(
  cohort: Cohort,
  opts: UpOptions,
  {
    progress,
    candidates,
    driver,
    paths,
  }: { progress: ProgressSink; candidates: Candidate[]; driver: Driver; paths: CohortPaths },
): Promise<UpResult> {
  await prepareHost(driver, (l) => progress.say(l));
  const plans = (
    await preflight(cohort, { driver, accel: opts.accel, stateDir: paths.state, say: (l) => progress.say(l) })
  ).filter((p) => candidates.some((c) => c.id === p.candidate.id));
  // The jump's port and folder are checked with the rest, before anything is created.
  const jumpProblems = await jumpPreflight(cohort, paths.jump);
  if (jumpProblems.length) throw new LocalError(jumpProblems.join('\n'));
  let keyPath = '';
  await progress.group(undefined, [
    {
      title: t('up.image'),
      run: async (update) => void (await ensureImage({ stateDir: paths.state, vm: driver === 'vm', onLine: update })),
    },
    {
      title: t('up.key'),
      run: async () => void (keyPath = (await ensureLabKey(cohort.cohort, { stateDir: paths.state })).privateKey),
    },
  ]);
  // Networks and servers are created one candidate at a time (host-wide bridges, nftables and
  // cgroups); the Ansible runs of several candidates overlap, as many at once as the host allows.
  const concurrency = opts.concurrency ?? candidateConcurrency();
  const creating = mutex();
  const results: CandidateUp[] = plans.map((plan) => ({ id: plan.candidate.id, ok: false, servers: [], changed: 0 }));
  const groups = plans.map((plan, i) => {
    const result = results[i]!;
    const steps = candidateSteps(cohort, plan, paths, result, { ...opts, driver, keyPath });
    return {
      title: t('up.candidate', { candidate: plan.candidate.id }),
      steps: steps.map((s, k) => ({
        title: s.title,
        run: async (update: (line: string) => void) => {
          try {
            // Every step but the last (Ansible) creates host-wide things.
            await (k < steps.length - 1 ? creating(() => s.run(update)) : s.run(update));
          } catch (err) {
            result.step = s.title;
            result.error = (err as Error).message;
            throw err;
          }
        },
      })),
    };
  });
  const errors = await progress.groups(groups, concurrency);
  // Recorded in each result (step and error); the other candidates still came up.
  errors.forEach((err, i) => {
    if (err) results[i]!.error ??= err.message;
    else results[i]!.ok = true;
  });
  // The jump host after the servers: its accounts may open only servers that exist.
  let jump: UpResult['jump'];
  await progress
    .group(undefined, [
      {
        title: t('up.jump', { port: cohort.access.port }),
        run: async () => {
          try {
            const j = await ensureJump(cohort, paths.jump, { candidates: candidates.map((c) => c.id) });
            jump = {
              port: j.plan.port,
              pid: j.pid,
              action: j.action,
              accounts: j.plan.accounts.map((a) => a.user),
              refused: j.plan.refused,
            };
          } catch (err) {
            jump = { port: cohort.access.port, accounts: [], refused: [], error: (err as Error).message };
            throw err;
          }
        },
      },
    ])
    .catch(() => undefined); // recorded in jump.error; the checks still run
  let report: VerifyReportV1 | undefined;
  const upCandidates = cohort.candidates.filter((c) => results.some((r) => r.ok && r.id === c.id));
  if ((opts.verify ?? true) && upCandidates.length > 0) {
    // The same report as `asd-lab verify`, saved as the last result (status, bundle, serve read it).
    report = await verifyLab(
      { ...cohort, candidates: upCandidates },
      { stateDir: paths.state, servers: await labServers(cohort, paths.state) },
    );
  }
  const failedChecks = report?.candidates.some((c) => c.checks.some((x) => x.status === 'fail')) ?? false;
  return {
    cohort: cohort.cohort,
    candidates: results,
    jump,
    verify: report,
    ok: results.every((r) => r.ok) && !failedChecks && !jump?.error,
  };
}
