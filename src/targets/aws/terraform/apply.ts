// terraform apply / destroy / output / state list of one synthesized stack, with the output of each
// command kept in a log file (never printed whole: it can be long; never holding a credential:
// Terraform prints none, and TF_LOG is never set here).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa, type ExecaError } from 'execa';
import { t } from '../../../core/i18n/index.ts';
import type { StackRef } from './plan-summary.ts';
import { initStack, TerraformError, type Terraform } from './runner.ts';

/** `terraform output -json`, and the outputs of a state: name -> {value, type, sensitive}. */
export type TfOutputs = Record<string, { value: unknown; type?: unknown; sensitive?: boolean }>;

export interface ApplyOptions {
  vars?: Record<string, string>;
  /** Where the command's output is appended. */
  logFile: string;
}

async function run(t0: Terraform, stack: StackRef, args: string[], logFile?: string) {
  try {
    const r = await execa(t0.bin, args, {
      cwd: stack.dir,
      env: { ...t0.env, TF_LOG: undefined, TF_LOG_PATH: undefined },
      extendEnv: false,
      maxBuffer: 512 * 1024 * 1024,
      all: true,
    });
    if (logFile) log(logFile, `$ terraform ${args.join(' ')}\n${r.all ?? ''}\n`);
    return r;
  } catch (err) {
    const e = err as ExecaError;
    if (logFile) log(logFile, `$ terraform ${args.join(' ')}\n${String(e.all ?? e.stderr ?? '')}\n`);
    const detail = String(e.stderr || e.stdout || e.shortMessage || err)
      .trim()
      .split('\n')
      .slice(-30)
      .join('\n');
    throw new TerraformError(t('plan.terraformFailed', { command: args[0]!, stack: stack.name, detail }), stack.name);
  }
}

function log(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, text, { mode: 0o600 });
}

const varArgs = (vars: Record<string, string> = {}) => Object.entries(vars).map(([k, v]) => `-var=${k}=${v}`);

/** init then `terraform apply -auto-approve`: the plan is made and applied in one command. */
export async function applyStack(t0: Terraform, stack: StackRef, opts: ApplyOptions): Promise<void> {
  await initStack(t0, stack);
  await run(
    t0,
    stack,
    ['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=120s', ...varArgs(opts.vars)],
    opts.logFile,
  );
}

/** `terraform destroy -auto-approve` (init first: the directory may be fresh). */
export async function destroyStack(t0: Terraform, stack: StackRef, opts: ApplyOptions): Promise<void> {
  await initStack(t0, stack);
  await run(
    t0,
    stack,
    ['destroy', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=120s', ...varArgs(opts.vars)],
    opts.logFile,
  );
}

/** The outputs recorded in the stack's state (no AWS call: read from the local state file). */
export async function stackOutputs(t0: Terraform, stack: StackRef): Promise<TfOutputs> {
  if (!existsSync(`${stack.dir}/.terraform`)) await initStack(t0, stack);
  const r = await run(t0, stack, ['output', '-json', '-no-color']);
  return JSON.parse(r.stdout || '{}') as TfOutputs;
}

/** The local state file of a synthesized stack (its backend block), undefined when it has none. */
export function stateFileOf(stack: StackRef): string | undefined {
  const file = join(stack.dir, 'cdk.tf.json');
  if (!existsSync(file)) return undefined;
  const json = JSON.parse(readFileSync(file, 'utf8')) as { terraform?: { backend?: { local?: { path?: string } } } };
  return json.terraform?.backend?.local?.path;
}

/** Managed resources still in the stack's state (`terraform state list`, data sources left out). */
export async function stateResources(t0: Terraform, stack: StackRef): Promise<string[]> {
  const state = stateFileOf(stack);
  if (!state || !existsSync(state)) return [];
  if (!existsSync(`${stack.dir}/.terraform`)) await initStack(t0, stack);
  const r = await run(t0, stack, ['state', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('data.'));
}
