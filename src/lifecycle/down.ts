// `down` as a library call: for each candidate, the modules' host-side pieces first (the app's
// containers sit on the candidate's bridge and may hold an sshfs mount of the app server), then
// the servers and the network; with purge, the cohort's keys, CA, inventory and records.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { t } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { cohortPaths, statePaths, type CohortPaths } from '../core/state.ts';
import { ENVIRONMENTS } from '../core/environments.ts';
import { down as appDown } from '../modules/containers/deploy.ts';
import { removeCandidate } from '../targets/local/cohort.ts';
import { planCandidate } from '../targets/local/plan.ts';
import { listServers } from '../targets/local/servers.ts';
import { ensureJump, removeJump } from '../targets/local/jump.ts';
import { LocalError } from '../targets/local/errors.ts';
import { selectCandidates } from './candidates.ts';
import { withLock } from './lock.ts';
import { downAws, type AwsDownResult, type AwsExtras } from './aws.ts';
import { silentSink } from './progress.ts';

export interface DownOptions {
  candidate?: string;
  stateDir?: string;
  /** Also remove the cohort's keys, CA and inventory (not the shared golden image). */
  purge?: boolean;
  /** Another `up` or `down` of the cohort is running: wait for it (default: refuse at once). */
  wait?: boolean;
  say?: (line: string) => void;
  /** Read by the aws target only (src/lifecycle/aws.ts). */
  aws?: AwsExtras;
}

export interface DownResult {
  cohort: string;
  candidates: { id: string; removed: string[] }[];
  /** What was removed of the jump host: the whole of it, or the candidate's account. */
  jump: string[];
  /** The cohort folder removed by purge. */
  purged?: string;
}

/** What `down` would remove: per candidate its servers on this host and its network; the purge. */
export interface DownPlan {
  cohort: string;
  candidates: { id: string; servers: string[]; bridge: string }[];
  /** The cohort folder --purge would delete. */
  purge?: string;
}

/** Read-only: the servers recorded on this host for each selected candidate (what down removes). */
export async function planDown(cohort: Cohort, opts: DownOptions = {}): Promise<DownPlan> {
  if (cohort.target !== 'local') throw new LocalError(t('up.awsNotHere'));
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const servers = (await listServers(paths.state)).filter((s) => s.cohort === cohort.cohort);
  return {
    cohort: cohort.cohort,
    candidates: selectCandidates(cohort, opts.candidate).map((c) => ({
      id: c.id,
      servers: servers.filter((s) => s.candidate === c.id).map((s) => s.name),
      bridge: planCandidate(cohort, c).bridge,
    })),
    ...(opts.purge && !opts.candidate ? { purge: paths.cohortDir } : {}),
  };
}

export async function down(cohort: Cohort, opts: DownOptions = {}): Promise<DownResult & Partial<AwsDownResult>> {
  if (cohort.target === 'aws')
    return downAws(cohort, { ...opts, ...opts.aws, progress: opts.say ? { ...silentSink, say: opts.say } : undefined });
  if (cohort.target !== 'local') throw new LocalError(t('up.awsNotHere'), undefined, { kind: 'usage' });
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  return withLock(paths.lock, cohort.cohort, { wait: opts.wait, say: opts.say }, () => downLocked(cohort, opts, paths));
}

async function downLocked(cohort: Cohort, opts: DownOptions, paths: CohortPaths): Promise<DownResult> {
  const out: DownResult = { cohort: cohort.cohort, candidates: [], jump: [] };
  // The jump first: no account may still open a server being removed.
  if (!opts.candidate) out.jump = await removeJump(cohort, paths.jump);
  else if (existsSync(paths.jump.accounts)) {
    const before = readJumpUsers(paths);
    await ensureJump(cohort, paths.jump, { candidates: [], remove: [opts.candidate], start: false });
    out.jump = before.filter((u) => !readJumpUsers(paths).includes(u)).map((u) => `account ${u}`);
  }
  for (const cand of selectCandidates(cohort, opts.candidate)) {
    const removed: string[] = [];
    for (const env of ENVIRONMENTS) {
      removed.push(...(await appDown({ cohort, candidate: cand, env, stateDir: paths.state, say: () => undefined })));
    }
    removed.push(...(await removeCandidate(cohort, cand, paths.state)));
    // The record of its last converge describes servers that no longer exist.
    const record = paths.convergeRecord(cand.id);
    if (existsSync(record)) {
      rmSync(record);
      removed.push(record);
    }
    out.candidates.push({ id: cand.id, removed });
  }
  if (opts.purge && !opts.candidate) {
    purgeCohort(cohort, paths);
    out.purged = paths.cohortDir;
  }
  return out;
}

/** Remove the cohort's state: keys, CA, inventory, records, the app's deployments and mount points. */
export function purgeCohort(cohort: Cohort, paths: CohortPaths): void {
  const app = statePaths(paths.state).app;
  const mnt = app.cohortMounts(cohort.cohort);
  // Never delete through a volume still mounted there (it holds the app server's files).
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${mnt}/`));
  if (mounted.length) throw new LocalError(t('down.stillMounted', { mounts: mounted.join(', ') }));
  rmSync(paths.cohortDir, { recursive: true, force: true });
  rmSync(paths.keys, { recursive: true, force: true });
  // The app's images are shared by the cohorts: they stay.
  for (const dir of [app.deployments(cohort.cohort), mnt]) rmSync(dir, { recursive: true, force: true });
}

function readJumpUsers(paths: CohortPaths): string[] {
  return (JSON.parse(readFileSync(paths.jump.accounts, 'utf8')) as { user: string }[]).map((a) => a.user);
}
