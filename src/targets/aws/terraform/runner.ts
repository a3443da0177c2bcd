// Runs the terraform binary on synthesized stacks (Terraform JSON): init, validate, plan -out, then
// show -json. Engine-neutral: it knows directories and Terraform, not cdktf.
//
// Provider installation: a CLI config file written by us (never the user's ~/.terraformrc) points to
// the filesystem mirror when it exists; otherwise the user's TF_CLI_CONFIG_FILE is honoured if that
// file exists, else Terraform installs directly. TF_PLUGIN_CACHE_DIR is shared by all stacks so that
// a provider downloaded or unpacked once serves the 30 stacks of a cohort.
import { MIN_VERSIONS } from '../../../core/versions.ts';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ExecaError } from 'execa';
import { t } from '../../../core/i18n/index.ts';
import { summarizePlan, type PlanJson, type StackPlan, type StackRef } from './plan-summary.ts';
import { AsdError, type AsdErrorOptions } from '../../../core/errors.ts';

export const AWS_PROVIDER = { host: 'registry.terraform.io', namespace: 'hashicorp', type: 'aws', version: '5.100.0' } as const;
/** From MIN_VERSIONS (src/core/versions.ts), the one statement of the minimums. */
export const MIN_TERRAFORM = MIN_VERSIONS.terraform.split('.').map(Number) as [number, number, number];
/** Written in each stack directory for an offline run only, removed otherwise (Terraform merges *_override.tf.json). */
export const OFFLINE_OVERRIDE = 'asd_lab_offline_override.tf.json';
export const PLAN_FILE = 'asd-lab.tfplan';

/** Terraform is missing or one of its commands failed on a stack (kind 'operation'). */
export class TerraformError extends AsdError {
  constructor(
    message: string,
    readonly stackName?: string,
    opts: AsdErrorOptions = {},
  ) {
    super(message, opts);
  }
}

export interface RunnerOptions {
  /** Plan without any AWS API call: fake credentials, every AWS check skipped, provider from the mirror only. */
  offline?: boolean;
  /** Default: $ASD_LAB_TERRAFORM, else `terraform` on PATH. */
  terraformBin?: string;
  /** Default: $ASD_LAB_TF_MIRROR, else /opt/tf-plugins. */
  mirrorDir?: string;
  /** Default: $TF_PLUGIN_CACHE_DIR, else $XDG_CACHE_HOME/asd-lab/terraform-plugins. */
  pluginCacheDir?: string;
  /** Where the CLI config file is written. Default: ./.asd-lab */
  workDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Terraform {
  bin: string;
  version: string;
  offline: boolean;
  /** The mirror in use, if any. */
  mirror?: string;
  /** The CLI config file in use, if any (ours, or the user's). */
  cliConfigFile?: string;
  pluginCacheDir: string;
  env: Record<string, string | undefined>;
  /**
   * The dependency lock file of the first stack initialized. Copied into the stacks that have none:
   * Terraform (>= 1.4) only links a provider from the plugin cache when the lock file already holds
   * its checksum; otherwise it unpacks the provider again for each stack (measured in docs/aws.md).
   */
  seedLock?: string;
}

const platform = () => `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

/** Where the AWS provider sits in a mirror, unpacked or packed layout; undefined when absent. */
export function mirrorHasAws(mirror: string): string | undefined {
  const { host, namespace, type, version } = AWS_PROVIDER;
  const base = join(mirror, host, namespace, type);
  const candidates = [join(base, version, platform()), join(base, `terraform-provider-${type}_${version}_${platform()}.zip`)];
  return candidates.find((p) => existsSync(p));
}

function cliConfig(mirror: string, offline: boolean): string {
  const aws = `${AWS_PROVIDER.host}/${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type}`;
  const lines = [
    '# Written by asd-lab (src/targets/aws/terraform/runner.ts) on every run; edits are lost.',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(aws)}]`,
    '  }',
  ];
  // Offline: no direct block at all, so Terraform cannot reach a registry even by accident.
  if (!offline) lines.push('  direct {', `    exclude = [${JSON.stringify(aws)}]`, '  }');
  lines.push('}', '');
  return lines.join('\n');
}

/** Find Terraform, check the mirror, write the CLI config; throws TerraformError with the fix. */
export async function prepareTerraform(opts: RunnerOptions = {}): Promise<Terraform> {
  const penv = opts.env ?? process.env;
  const bin = opts.terraformBin ?? penv.ASD_LAB_TERRAFORM ?? 'terraform';
  let version: string;
  try {
    const r = await execa(bin, ['version', '-json'], { env: { CHECKPOINT_DISABLE: '1' }, timeout: 30_000 });
    version = String((JSON.parse(r.stdout) as { terraform_version?: string }).terraform_version);
  } catch (err) {
    const e = err as ExecaError;
    if (e.code === 'ENOENT' || e.code === 'EACCES') throw new TerraformError(t('tf.notFound', { bin }));
    throw new TerraformError(t('tf.notFound', { bin: `${bin}: ${e.shortMessage ?? String(err)}` }));
  }
  const [maj = 0, min = 0] = version.split('.').map(Number);
  if (maj < MIN_TERRAFORM[0] || (maj === MIN_TERRAFORM[0] && min < MIN_TERRAFORM[1]))
    throw new TerraformError(t('tf.tooOld', { version }));

  const offline = opts.offline ?? false;
  const mirrorDir = resolve(opts.mirrorDir ?? penv.ASD_LAB_TF_MIRROR ?? '/opt/tf-plugins');
  const mirror = mirrorHasAws(mirrorDir) ? mirrorDir : undefined;
  if (offline && !mirror) {
    const { host, namespace, type, version: v } = AWS_PROVIDER;
    throw new TerraformError(
      t('tf.mirrorMissing', {
        mirror: mirrorDir,
        provider: `${namespace}/${type} ${v}`,
        platform: platform(),
        path: join(mirrorDir, host, namespace, type, v, platform()),
      }),
    );
  }
  const workDir = resolve(opts.workDir ?? '.asd-lab');
  const pluginCacheDir = resolve(
    opts.pluginCacheDir ??
      penv.TF_PLUGIN_CACHE_DIR ??
      join(penv.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'asd-lab', 'terraform-plugins'),
  );
  mkdirSync(pluginCacheDir, { recursive: true });

  let cliConfigFile: string | undefined;
  if (mirror) {
    mkdirSync(workDir, { recursive: true });
    cliConfigFile = join(workDir, offline ? 'terraform-offline.rc' : 'terraform.rc');
    writeFileSync(cliConfigFile, cliConfig(mirror, offline));
  } else if (penv.TF_CLI_CONFIG_FILE && existsSync(penv.TF_CLI_CONFIG_FILE)) {
    cliConfigFile = penv.TF_CLI_CONFIG_FILE;
  }

  const env: Record<string, string | undefined> = {
    ...penv,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_PLUGIN_CACHE_DIR: pluginCacheDir,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1', // no version check call to HashiCorp
  };
  if (!cliConfigFile) delete env.TF_CLI_CONFIG_FILE; // a missing file only earns a warning per command
  if (offline) {
    // Real credentials must never reach an offline run: drop them and every way to find them.
    for (const k of Object.keys(env)) if (/^AWS_/.test(k) && k !== 'AWS_CA_BUNDLE') delete env[k];
    Object.assign(env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    });
  }
  return { bin, version, offline, mirror, cliConfigFile, pluginCacheDir, env };
}

/** Provider settings merged into the stack by Terraform for an offline run: no AWS API is ever called. */
export const OFFLINE_PROVIDER = {
  provider: {
    aws: {
      // Fake, obviously: AWS rejects them, so even a mistaken apply cannot do anything.
      access_key: 'AKIAOFFLINEPLAN00000',
      secret_key: 'asd-lab-offline-plan-not-a-secret',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_region_validation: true,
      skip_metadata_api_check: 'true',
    },
  },
  // No data source may call AWS: the AMI stays the variable, the instance types are not looked up.
  variable: { aws_lookups: { default: false } },
};

async function tf(t0: Terraform, stack: StackRef, command: string, args: string[]) {
  try {
    return await execa(t0.bin, [command, ...args], {
      cwd: stack.dir,
      env: t0.env,
      extendEnv: false,
      maxBuffer: 512 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as ExecaError;
    const detail = String(e.stderr || e.stdout || e.shortMessage || err)
      .trim()
      .split('\n')
      .slice(-30)
      .join('\n');
    throw new TerraformError(t('plan.terraformFailed', { command, stack: stack.name, detail }), stack.name);
  }
}

export const LOCK_FILE = '.terraform.lock.hcl';

/** Write or remove the offline override, seed the lock file, then `terraform init` (local backend, providers via the config). */
export async function initStack(t0: Terraform, stack: StackRef): Promise<void> {
  const override = join(stack.dir, OFFLINE_OVERRIDE);
  if (t0.offline) writeFileSync(override, `${JSON.stringify(OFFLINE_PROVIDER, null, 2)}\n`);
  else rmSync(override, { force: true });
  const lock = join(stack.dir, LOCK_FILE);
  if (t0.seedLock && !existsSync(lock)) writeFileSync(lock, t0.seedLock);
  await tf(t0, stack, 'init', ['-input=false', '-no-color']);
  if (!t0.seedLock && existsSync(lock)) t0.seedLock = readFileSync(lock, 'utf8');
}

export interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
}

/** `terraform validate -json` (needs init): valid, and the diagnostics when not. */
export async function validateStack(t0: Terraform, stack: StackRef): Promise<{ valid: boolean; diagnostics: Diagnostic[] }> {
  const r = await execa(t0.bin, ['validate', '-json', '-no-color'], {
    cwd: stack.dir,
    env: t0.env,
    extendEnv: false,
    reject: false,
  });
  let out: { valid: boolean; diagnostics?: Diagnostic[] };
  try {
    out = JSON.parse(r.stdout) as typeof out;
  } catch {
    throw new TerraformError(
      t('plan.terraformFailed', { command: 'validate', stack: stack.name, detail: String(r.stderr || r.stdout).trim() }),
      stack.name,
    );
  }
  return { valid: out.valid, diagnostics: out.diagnostics ?? [] };
}

export interface PlanOptions {
  /** Extra -var settings. `asd-lab plan` always sets plan_only=true (placeholders allowed, see stacks/). */
  vars?: Record<string, string>;
}

/** `terraform plan -out` then `terraform show -json` of that plan (needs init). */
export async function planStack(t0: Terraform, stack: StackRef, opts: PlanOptions = {}): Promise<PlanJson> {
  const vars = Object.entries(opts.vars ?? {}).map(([k, v]) => `-var=${k}=${v}`);
  // Offline: nothing to refresh against (the credentials are fake); the plan is against the state as recorded.
  const refresh = t0.offline ? ['-refresh=false'] : [];
  await tf(t0, stack, 'plan', ['-input=false', '-no-color', '-lock-timeout=60s', `-out=${PLAN_FILE}`, ...refresh, ...vars]);
  const shown = await tf(t0, stack, 'show', ['-json', '-no-color', PLAN_FILE]);
  return JSON.parse(shown.stdout) as PlanJson;
}

export type PlanEvent = { stack: StackRef; phase: 'init' | 'plan' | 'done' | 'failed'; error?: Error };

export interface PlanStacksOptions extends PlanOptions {
  /** Stacks planned at once. Default: the number of cores. */
  concurrency?: number;
  onEvent?: (e: PlanEvent) => void;
}

/** Run fn over items, at most `limit` at a time; results in input order; every item runs even if some fail. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export const defaultConcurrency = () => availableParallelism();

/**
 * Init, plan and summarize every stack, `concurrency` at a time. The first init runs alone: the
 * plugin cache is not safe for concurrent writers, and once it is warm the others only link to it.
 */
export async function planStacks(t0: Terraform, stacks: StackRef[], opts: PlanStacksOptions = {}): Promise<StackPlan[]> {
  const emit = opts.onEvent ?? (() => {});
  if (stacks.length === 0) return [];
  emit({ stack: stacks[0]!, phase: 'init' });
  await initStack(t0, stacks[0]!);
  const settled = await mapLimit(stacks, opts.concurrency ?? defaultConcurrency(), async (stack, i) => {
    try {
      if (i > 0) {
        emit({ stack, phase: 'init' });
        await initStack(t0, stack);
      }
      emit({ stack, phase: 'plan' });
      const plan = summarizePlan(stack, await planStack(t0, stack, opts));
      emit({ stack, phase: 'done' });
      return plan;
    } catch (err) {
      emit({ stack, phase: 'failed', error: err as Error });
      throw err;
    }
  });
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failures.length > 0)
    throw new TerraformError(
      failures.map((f) => f.message).join('\n\n'),
      failures[0] instanceof TerraformError ? failures[0].stackName : undefined,
    );
  return settled.map((s) => (s as PromiseFulfilledResult<StackPlan>).value);
}
