// The AWS target's lifecycle: `up`, `down`, `status` and `verify` on `target: aws`, with the shapes
// of the local target (UpResult, DownResult, the dashboard, the verify report).
//
// up:   preflight (credentials, input) -> synth -> apply the network stack -> apply the candidate
//       stacks in parallel (bounded) -> inventory from `terraform output -json` -> Ansible through
//       the bastion (ProxyJump) -> the checks through the bastion.
// down: destroy the candidate stacks (parallel, bounded) -> the network stack, refused while a
//       candidate stack still holds resources -> the verified wipe (what still carries the tag).
// Nothing here was run against a real AWS account: docs/aws.md, "What was run against AWS".
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsdError } from '../core/errors.ts';
import { hostName } from '../core/hosts.ts';
import { t } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { cohortPaths, type CohortPaths } from '../core/state.ts';
import { dashboard } from '../evidence/dashboard.ts';
import type { VerifyReportV1 } from '../evidence/verify-report/schema.ts';
import { loadLastVerify } from '../evidence/verify-report/state.ts';
import { credentialsInText, findCredentials } from '../targets/aws/credentials.ts';
import { awsLabHosts, awsLabServers, type AwsLab } from '../targets/aws/inventory.ts';
import {
  applyStack,
  defaultConcurrency,
  destroyStack,
  mapLimit,
  prepareTerraform,
  stackOutputs,
  stateResources,
  type StackRef,
  type Terraform,
  type TfOutputs,
} from '../targets/aws/terraform/index.ts';
import { awsPaths } from '../targets/aws/paths.ts';
import { wipeCheck } from '../targets/aws/wipe.ts';
import { ensureLabKey } from '../targets/local/driver.ts';
import { runPlaybook } from '../tools/ansible.ts';
import { writeJumpConfig } from '../tools/jump-ssh.ts';
import { ANSIBLE_DIR } from '../core/repo.ts';
import { selectCandidates } from './candidates.ts';
import { buildInventory, renderInventory } from './inventory.ts';
import { withLock } from './lock.ts';
import { silentSink, type ProgressSink } from './progress.ts';
import { runVerify } from '../checks/run.ts';
import { saveLastVerify } from '../evidence/verify-report/state.ts';
import type { PlaybookResult } from '../tools/ansible.ts';

/** One candidate of `up` on AWS: the shape of the local target's CandidateUp (src/lifecycle/up.ts). */
export interface AwsCandidateUp {
  id: string;
  ok: boolean;
  step?: string;
  error?: string;
  servers: { name: string; role: string; address: string }[];
  ansible?: Pick<PlaybookResult, 'stats' | 'changedTasks' | 'failedTasks' | 'logFile'>;
  changed: number;
}

export interface AwsUpResult {
  cohort: string;
  candidates: AwsCandidateUp[];
  verify?: VerifyReportV1;
  ok: boolean;
}

/** The options of `up`/`down` that only the AWS target reads. */
export interface AwsExtras {
  /** Debian 12 AMI id: overrides the lookup and the AMI recorded by the last up. */
  ami?: string;
  /** Stacks applied or destroyed at once (default: the number of cores). */
  concurrency?: number;
  /** The cohort file's text: refused if it holds something that looks like an AWS credential. */
  cohortText?: string;
  cohortFile?: string;
}

export { awsPaths };

export interface AwsOptions extends AwsExtras {
  candidate?: string;
  stateDir?: string;
  verify?: boolean;
  wait?: boolean;
  progress?: ProgressSink;
  env?: NodeJS.ProcessEnv;
  /** Terraform options (tests: the binary, the mirror). */
  terraform?: Parameters<typeof prepareTerraform>[0];
  /** Wipe check: attempts and delay (tests). */
  wipe?: { attempts?: number; delayMs?: number };
}

/**
 * Everything `up` and `down` check before anything is created or destroyed: no credential in the
 * cohort file, credentials for the AWS provider, the trainers' e-mail for the budget, the AWS layout.
 * Throws one error listing every problem.
 */
export async function awsPreflight(cohort: Cohort, opts: AwsOptions, action: 'up' | 'down'): Promise<void> {
  if (cohort.target !== 'aws') throw new AsdError(t('aws.notAws', { cohort: cohort.cohort }), { kind: 'usage' });
  const problems: string[] = [];
  const lines = opts.cohortText ? credentialsInText(opts.cohortText) : [];
  if (lines.length)
    problems.push(t('aws.secretInCohort', { file: opts.cohortFile ?? 'cohort', lines: lines.join(', '), count: lines.length }));
  const creds = findCredentials(opts.env ?? process.env);
  if (!creds.found)
    problems.push(t('aws.noCredentials', { action, lookedFor: creds.lookedFor.map((l) => `  - ${l}`).join('\n') }));
  if (action === 'up' && !cohort.aws.learnerLab && !cohort.admin.email)
    problems.push(t('aws.emailRequired', { file: opts.cohortFile ?? 'cohort' }));
  const { awsTopology, AwsInputError } = await import('../../stacks/index.ts');
  try {
    awsTopology(cohort);
  } catch (err) {
    if (err instanceof AwsInputError) problems.push(...err.problems);
    else throw err;
  }
  if (problems.length)
    throw new AsdError(problems.join('\n'), { kind: credsOnly(problems, creds.found) ? 'user' : 'usage', problems });
}

/** Missing credentials alone is a "not possible here" (exit 1); bad input is a usage error (exit 2). */
const credsOnly = (problems: string[], found?: string) => problems.length === 1 && !found;

interface Synth {
  network: StackRef;
  candidates: StackRef[];
  /** Candidate stacks on disk whose candidate left the cohort: destroyed by down. */
  orphans: StackRef[];
}

/** The AMI the last up recorded in the network state (so that a later up does not look it up again). */
function recordedAmi(stateFile: string): string | undefined {
  if (!existsSync(stateFile)) return undefined;
  const v = (JSON.parse(readFileSync(stateFile, 'utf8')) as { outputs?: TfOutputs }).outputs?.cohort_ami_id?.value;
  return typeof v === 'string' && v.startsWith('ami-') && v !== 'ami-unpinned-debian-12-amd64' ? v : undefined;
}

async function synth(
  cohort: Cohort,
  a: ReturnType<typeof awsPaths>,
  amiId: string | undefined,
  keyFile?: string,
): Promise<Synth> {
  const { synthCohort, awsTopology } = await import('../../stacks/index.ts');
  // The lab key is in the instances' user data: the same synthesis for up, down and status.
  const labPublicKey = keyFile && existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined;
  const topo = awsTopology(cohort);
  const recorded = recordedAmi(join(a.tfState, topo.networkStack, 'terraform.tfstate'));
  const stacks = synthCohort(cohort, a.out, {
    stateDir: a.tfState,
    amiId: amiId ?? recorded,
    extraAdminKeys: labPublicKey ? [labPublicKey] : [],
  });
  const network = stacks.find((s) => s.kind === 'network')!;
  const candidates = stacks.filter((s) => s.kind === 'candidate');
  const dir = join(a.out, 'stacks');
  const orphans = readdirSync(dir)
    .filter((n) => n.startsWith(`${cohort.cohort}-cand-`) && !candidates.some((c) => c.name === n))
    .map((n) => ({ name: n, kind: 'candidate', candidate: n.slice(`${cohort.cohort}-cand-`.length), dir: join(dir, n) }));
  return { network, candidates, orphans };
}

/** The inventory and the ssh_config of each bastion, from the stacks' outputs. */
export function writeAwsInventory(cohort: Cohort, lab: AwsLab, paths: CohortPaths, keyPath: string): string {
  const a = awsPaths(paths);
  mkdirSync(a.ssh, { recursive: true, mode: 0o700 });
  const configs = new Map<string, string>();
  for (const [cand, jump] of lab.jumps) {
    if (configs.has(jump.inventoryName)) continue;
    const { sshCommonArgs } = writeJumpConfig(join(a.ssh, `ssh_config-${jump.inventoryName}`), {
      host: jump.host,
      port: 22,
      user: 'asd-admin',
      keyPath,
      knownHostsFile: a.knownHosts,
      strictHostKeys: 'accept-new',
    });
    configs.set(jump.inventoryName, sshCommonArgs);
    void cand;
  }
  const hosts = lab.hosts.map((h) => {
    const jump = lab.jumps.get(h.candidate);
    const isJump = !jump || hostName(h.candidate, h.server) === jump.inventoryName;
    return isJump ? h : { ...h, vars: { ...h.vars, ansible_ssh_common_args: configs.get(jump.inventoryName) } };
  });
  mkdirSync(paths.cohortDir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.inventory, renderInventory(buildInventory(cohort, hosts, { keyPath, pkiDir: paths.pki })));
  return paths.inventory;
}

async function readLab(tf: Terraform, cohort: Cohort, s: Synth): Promise<AwsLab> {
  const network = await stackOutputs(tf, s.network);
  const outs = new Map<string, TfOutputs>();
  for (const c of s.candidates) outs.set(c.candidate!, await stackOutputs(tf, c));
  return awsLabHosts(cohort, network, outs);
}

export async function upAws(cohort: Cohort, opts: AwsOptions = {}): Promise<AwsUpResult> {
  const candidates = selectCandidates(cohort, opts.candidate);
  await awsPreflight(cohort, opts, 'up');
  const progress = opts.progress ?? silentSink;
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const a = awsPaths(paths);
  const tf = await prepareTerraform({ offline: false, workDir: a.root, ...opts.terraform });
  return withLock(paths.lock, cohort.cohort, { wait: opts.wait, say: (l) => progress.say(l) }, async () => {
    const key = await ensureLabKey(cohort.cohort, { stateDir: paths.state });
    const s = await synth(cohort, a, opts.ami, key.publicKey);
    const log = (name: string) => join(a.logs, `${name}.log`);
    await progress.group(undefined, [
      {
        title: t('aws.step.network', { stack: s.network.name }),
        run: () => applyStack(tf, s.network, { logFile: log(s.network.name) }),
      },
    ]);
    const ami = (await stackOutputs(tf, s.network)).cohort_ami_id?.value as string;
    const results: AwsCandidateUp[] = candidates.map((c) => ({ id: c.id, ok: false, servers: [], changed: 0 }));
    const wanted = s.candidates.filter((c) => candidates.some((x) => x.id === c.candidate));
    await mapLimit(wanted, opts.concurrency ?? defaultConcurrency(), async (stack) => {
      const r = results.find((x) => x.id === stack.candidate)!;
      try {
        await progress.group(t('up.candidate', { candidate: r.id }), [
          {
            title: t('aws.step.candidate', { stack: stack.name }),
            run: () => applyStack(tf, stack, { logFile: log(stack.name), vars: { debian_ami_id: ami } }),
          },
        ]);
        r.ok = true;
      } catch (err) {
        r.step = t('aws.step.candidate', { stack: stack.name });
        r.error = (err as Error).message;
      }
    });
    const lab = await readLab(tf, cohort, s);
    const inventory = writeAwsInventory(cohort, lab, paths, key.privateKey);
    mkdirSync(paths.logs, { recursive: true });
    // The servers boot and run cloud-init: wait until each answers over SSH through its bastion.
    await runPlaybook({
      inventoryFile: inventory,
      playbook: join(ANSIBLE_DIR, 'aws-wait.yml'),
      logFile: join(paths.logs, 'ansible-aws-wait.jsonl'),
    });
    if (lab.jumps.has('')) {
      const r = await runPlaybook({
        inventoryFile: inventory,
        limit: 'bastion',
        logFile: join(paths.logs, 'ansible-bastion.jsonl'),
      });
      if (!r.ok)
        throw new AsdError(
          t('up.ansibleFailed', { log: r.logFile, failed: Object.values(r.failedTasks).flat().join('; ') || '?' }),
        );
    }
    await mapLimit(
      results.filter((r) => r.ok),
      2,
      async (r) => {
        const run = await runPlaybook({
          inventoryFile: inventory,
          limit: `candidate_${r.id.replace(/-/g, '_')}`,
          logFile: join(paths.logs, `ansible-${r.id}.jsonl`),
        });
        r.ansible = { stats: run.stats, changedTasks: run.changedTasks, failedTasks: run.failedTasks, logFile: run.logFile };
        r.changed = Object.values(run.stats).reduce((n, x) => n + x.changed, 0);
        if (!run.ok) {
          r.ok = false;
          r.step = t('up.step.ansible');
          r.error = t('up.ansibleFailed', {
            log: run.logFile,
            failed:
              Object.entries(run.failedTasks)
                .map(([h, x]) => `${h}: ${x.join('; ')}`)
                .join('\n') || '?',
          });
        }
      },
    );
    const servers = awsLabServers(cohort, lab, { keyPath: key.privateKey, knownHostsFile: awsPaths(paths).knownHosts });
    for (const r of results)
      r.servers = (servers.get(r.id) ?? []).map((x) => ({ name: x.machine ?? x.name, role: x.role, address: x.address }));
    let report: VerifyReportV1 | undefined;
    const upCands = cohort.candidates.filter((c) => results.some((r) => r.ok && r.id === c.id));
    if ((opts.verify ?? true) && upCands.length) {
      // What verifyLab does (src/lifecycle/verify.ts), which dispatches here for aws: no import circle.
      report = await runVerify({ ...cohort, candidates: upCands }, servers, {});
      saveLastVerify(report, paths.state);
    }
    const failedChecks = report?.candidates.some((c) => c.checks.some((x) => x.status === 'fail')) ?? false;
    return { cohort: cohort.cohort, candidates: results, verify: report, ok: results.every((r) => r.ok) && !failedChecks };
  });
}

/** The local target's DownResult (src/lifecycle/down.ts), plus what AWS still holds. */
export interface AwsDownResult {
  cohort: string;
  candidates: { id: string; removed: string[] }[];
  /** The network stack's resources destroyed (the local target lists its jump host here). */
  jump: string[];
  /** Stacks still holding resources (down refused the network stack because of them). */
  remaining: { stack: string; resources: string[] }[];
  /** ARNs still tagged with the cohort after the destroy (the verified wipe). */
  left: string[];
}

export async function downAws(cohort: Cohort, opts: AwsOptions = {}): Promise<AwsDownResult> {
  selectCandidates(cohort, opts.candidate);
  await awsPreflight(cohort, opts, 'down');
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const a = awsPaths(paths);
  const tf = await prepareTerraform({ offline: false, workDir: a.root, ...opts.terraform });
  return withLock(paths.lock, cohort.cohort, { wait: opts.wait, say: opts.progress?.say }, async () => {
    const s = await synth(cohort, a, opts.ami, `${paths.labKey}.pub`);
    const log = (name: string) => join(a.logs, `${name}.log`);
    const all = [...s.candidates, ...s.orphans];
    const targets = opts.candidate ? all.filter((c) => c.candidate === opts.candidate) : all;
    const out: AwsDownResult = { cohort: cohort.cohort, candidates: [], jump: [], remaining: [], left: [] };
    await mapLimit(targets, opts.concurrency ?? defaultConcurrency(), async (stack) => {
      const before = await stateResources(tf, stack);
      // a failed destroy shows as resources still in its state, reported below
      if (before.length) await destroyStack(tf, stack, { logFile: log(stack.name) }).catch(() => undefined); // see above
      const after = await stateResources(tf, stack);
      out.candidates.push({ id: stack.candidate!, removed: before.filter((r) => !after.includes(r)) });
    });
    for (const stack of all) {
      const left = await stateResources(tf, stack);
      if (left.length) out.remaining.push({ stack: stack.name, resources: left });
    }
    if (opts.candidate) return out;
    if (out.remaining.length) return out; // the network stays: candidates still use it
    const before = await stateResources(tf, s.network);
    if (before.length) await destroyStack(tf, s.network, { logFile: log(s.network.name) }).catch(() => undefined); // what is left is reported
    const after = await stateResources(tf, s.network);
    out.jump = before.filter((r) => !after.includes(r));
    if (after.length) {
      out.remaining.push({ stack: s.network.name, resources: after });
      return out;
    }
    out.left = await wipeCheck(tf, a.wipe, cohort.cohort, cohort.aws.region, { logFile: log('wipe-check'), ...opts.wipe });
    return out;
  });
}

/** `status` on AWS: the servers from the stacks' outputs (local state: no AWS call), health through the bastion. */
export async function awsStatus(cohort: Cohort, opts: AwsOptions = {}) {
  if (cohort.target !== 'aws') throw new AsdError(t('aws.notAws', { cohort: cohort.cohort }), { kind: 'usage' });
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  return dashboard(cohort, await awsServers(cohort, opts), loadLastVerify(cohort.cohort, paths.state));
}

/**
 * The AWS lab as the last `up` left it, from the stacks' outputs in the local state files (no AWS
 * call); undefined before the network stack was applied.
 */
export async function awsLab(cohort: Cohort, opts: AwsOptions = {}): Promise<AwsLab | undefined> {
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const a = awsPaths(paths);
  if (!existsSync(join(a.out, 'stacks'))) return undefined;
  const tf = await prepareTerraform({ offline: false, workDir: a.root, ...opts.terraform });
  const s = await synth(cohort, a, opts.ami, `${paths.labKey}.pub`);
  const network = await stackOutputs(tf, s.network);
  if (network.network_applied?.value !== true) return undefined;
  return readLab(tf, cohort, s);
}

/** The cohort's servers on AWS as the checks see them (empty lists before the first up). */
export async function awsServers(cohort: Cohort, opts: AwsOptions = {}) {
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  return awsLabServers(cohort, await awsLab(cohort, opts), { keyPath: paths.labKey, knownHostsFile: awsPaths(paths).knownHosts });
}
