// The local target's operations, as the CLI (up/down/status/ssh/verify) calls them. Each one runs
// a script of scripts/ and is idempotent like it: calling it twice changes nothing the second time.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Candidate, Cohort, ServerSpec } from '../../core/model/cohort.ts';
import { serversOf } from '../../core/model/cohort.ts';
import { t } from '../../core/i18n/index.ts';
import { LocalError } from './errors.ts';
import type { CandidatePlan } from './plan.ts';
import { planCandidate } from './plan.ts';
import type { Accel, Driver } from './preflight.ts';
import { runScript, type RunOptions } from './scripts.ts';
import { listServers, type LocalServer } from './servers.ts';
import { resolveStateDir, statePaths } from '../../core/state.ts';

export interface LocalOptions extends RunOptions {
  /** State directory; default resolveStateDir() ($ASD_LAB_STATE, /var/lib/asd-lab, ./.asd-lab). */
  stateDir?: string;
}

const stateOf = (o: LocalOptions) => o.stateDir ?? resolveStateDir();

export interface ImageInfo {
  /** Directory of the image: rootfs/ (lower directory) and, with vm, vm-current/ (kernel, disk). */
  dir: string;
  hash: string;
}

/** Build the golden image, or reuse the cached one (rebuilt only when the package list changes). */
export async function ensureImage(opts: LocalOptions & { vm?: boolean; force?: boolean } = {}): Promise<ImageInfo> {
  const args = ['--state-dir', stateOf(opts)];
  if (opts.vm) args.push('--vm');
  if (opts.force) args.push('--force');
  const out = await runScript('build-image.sh', args, opts);
  const dir = /^IMAGE=(.*)$/m.exec(out)?.[1] ?? '';
  return { dir, hash: path.basename(dir) };
}

export interface LabKey {
  privateKey: string;
  publicKey: string;
}

/**
 * The cohort's lab key pair (ed25519), made once under <state>/keys/<cohort>/ with mode 0600:
 * Ansible and `asd-lab ssh` log in with it as asd-admin. The state directory is outside git
 * (/var/lib/asd-lab, or ./.asd-lab which .gitignore lists).
 */
export async function ensureLabKey(cohort: string, opts: LocalOptions = {}): Promise<LabKey> {
  const dir = statePaths(stateOf(opts)).keys(cohort);
  const privateKey = path.join(dir, 'id_ed25519');
  const publicKey = `${privateKey}.pub`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!existsSync(privateKey) || !existsSync(publicKey)) {
    for (const f of [privateKey, publicKey]) if (existsSync(f)) await execa('rm', ['-f', f]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `asd-lab@${cohort}`, '-f', privateKey]);
  }
  chmodSync(privateKey, 0o600);
  return { privateKey, publicKey };
}

/** Bring up the candidate's bridge, gateway address and isolation rules. */
export async function upNetwork(cohort: Cohort, cand: Candidate, opts: LocalOptions = {}): Promise<CandidatePlan> {
  const plan = planCandidate(cohort, cand);
  await runScript(
    'lab-network.sh',
    ['up', '--bridge', plan.bridge, '--gateway', plan.gatewayCidr, '--label', `cohort=${cohort.cohort} candidate=${cand.id}`],
    opts,
  );
  return plan;
}

/** Remove the candidate's bridge and rules (and the nftables table with the last candidate). */
export async function downNetwork(cohort: Cohort, cand: Candidate, opts: LocalOptions = {}): Promise<void> {
  const plan = planCandidate(cohort, cand);
  await runScript('lab-network.sh', ['down', '--bridge', plan.bridge], opts);
}

export interface CreateOptions extends LocalOptions {
  /** Default: cohort.local.driver. */
  driver?: Driver;
  /** vm driver: auto (default), kvm (fail if KVM cannot boot Linux here) or tcg. */
  accel?: Accel;
  /** Seconds to wait for SSH; default 60 (container) or 300 (vm). */
  timeoutSec?: number;
  /** authorized_keys of asd-admin; default: the cohort's lab public key (ensureLabKey). */
  authorizedKeysFile?: string;
  /** Which twin creates the server: the bash script (default) or the Python one. */
  implementation?: 'bash' | 'python';
}

/** Create (or start again) one server of a candidate; resolves when it answers SSH. */
export async function createServer(
  cohort: Cohort,
  cand: Candidate,
  server: string | ServerSpec,
  opts: CreateOptions = {},
): Promise<LocalServer> {
  const stateDir = stateOf(opts);
  const plan = planCandidate(cohort, cand);
  const wanted = typeof server === 'string' ? server : server.name;
  const s = plan.servers.find((x) => x.spec.name === wanted);
  if (!s) {
    throw new LocalError(
      t('local.unknownServer', {
        server: wanted,
        candidate: cand.id,
        known: serversOf(cohort, cand)
          .map((x) => x.name)
          .join(', '),
      }),
    );
  }
  const keyFile = opts.authorizedKeysFile ?? (await ensureLabKey(cohort.cohort, { stateDir })).publicKey;
  const args = [
    '--name',
    s.name,
    '--role',
    s.spec.role,
    '--memory',
    String(s.spec.memoryMiB),
    '--cpus',
    String(s.spec.cpus),
    '--network',
    plan.bridge,
    '--address',
    s.address,
    '--gateway',
    plan.gateway,
    '--ssh-key',
    keyFile,
    '--driver',
    opts.driver ?? cohort.local.driver,
    '--state-dir',
    stateDir,
    '--accel',
    opts.accel ?? 'auto',
    '--cohort',
    cohort.cohort,
    '--candidate',
    cand.id,
  ];
  if (opts.timeoutSec) args.push('--timeout', String(opts.timeoutSec));
  await runScript(opts.implementation === 'python' ? 'create_server.py' : 'create-server.sh', args, opts);
  const found = (await listServers(stateDir)).find((x) => x.name === s.name);
  if (!found) throw new LocalError(t('local.scriptFailed', { script: 'create-server.sh', detail: `no state for ${s.name}` }));
  return found;
}

/** Stop and remove one server (by machine name); a missing server is not an error. */
export async function destroyServer(
  name: string,
  opts: LocalOptions & { implementation?: 'bash' | 'python' } = {},
): Promise<void> {
  await runScript(
    opts.implementation === 'python' ? 'destroy_server.py' : 'destroy-server.sh',
    ['--name', name, '--state-dir', stateOf(opts)],
    opts,
  );
}

export { listServers };
