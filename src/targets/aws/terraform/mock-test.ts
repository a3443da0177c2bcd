// `terraform test` on a synthesized stack with the AWS provider MOCKED (mock_provider "aws",
// Terraform >= 1.7): Terraform plans and applies the stack's real configuration (expressions,
// counts, preconditions, postconditions, outputs, the local remote state of the network stack),
// but every AWS resource and data source gets values from the mocks written here, not from AWS.
// What this proves and leaves unproven: docs/aws.md, "What was run against AWS".
//
// No AWS API is called: the provider's own code never runs its CRUD (mocked), the credentials are
// removed from the environment (prepareTerraform offline) and the metadata endpoint is disabled.
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { t } from '../../../core/i18n/index.ts';
import type { TfOutputs } from './apply.ts';
import type { StackRef } from './plan-summary.ts';
import { OFFLINE_OVERRIDE, TerraformError, type Terraform } from './runner.ts';

export const MOCK_TEST_FILE = 'asd_lab_mock.tftest.hcl';
/** The account id of every mocked ARN (AWS's documentation account). */
export const MOCK_ACCOUNT = '123456789012';

export interface MockOptions {
  region: string;
  /** Instance types the mocked region offers, per zone (default: every type of the stack in every zone). */
  offered?: { type: string; zone: string }[];
  /** The AMI the mocked aws_ami lookup returns. */
  amiId?: string;
  /** Values of given resources (address -> attributes), e.g. the addresses of the instances. */
  overrides?: Record<string, Record<string, unknown>>;
  /** Defaults of other mocked data sources (type -> attributes). */
  data?: Record<string, Record<string, unknown>>;
}

export interface Assertion {
  condition: string;
  message: string;
}

export interface MockApplyOptions extends MockOptions {
  command?: 'apply' | 'plan';
  variables?: Record<string, string | boolean | number>;
  asserts?: Assertion[];
  /** Checkable objects that must fail (e.g. a data source's postcondition): the run passes only if they do. */
  expectFailures?: string[];
}

export interface MockApplyResult {
  status: 'pass' | 'fail' | 'error';
  seconds: number;
  outputs: TfOutputs;
  /** Addresses in the state after the run (managed and data). */
  resources: string[];
  diagnostics: { severity: string; summary: string; detail?: string }[];
}

/** Resource types whose ARN attributes the provider validates when another resource uses them. */
const ARN_TYPES: Record<string, (region: string) => string> = {
  aws_iam_role: () => `arn:aws:iam::${MOCK_ACCOUNT}:role/mocked`,
  aws_cloudwatch_log_group: (r) => `arn:aws:logs:${r}:${MOCK_ACCOUNT}:log-group:mocked`,
  aws_s3_bucket: () => 'arn:aws:s3:::mocked-bucket',
  aws_instance: (r) => `arn:aws:ec2:${r}:${MOCK_ACCOUNT}:instance/i-0123456789abcdef0`,
};

const hcl = (v: unknown): string => JSON.stringify(v).replaceAll('${', '$${');

/** The HCL of the mocks for one stack's Terraform JSON. */
export function mockHcl(stackJson: Record<string, any>, opts: MockOptions): string {
  const types = new Set(Object.keys(stackJson.resource ?? {}));
  const lines = ['mock_provider "aws" {'];
  for (const [type, arn] of Object.entries(ARN_TYPES)) {
    if (types.has(type)) lines.push(`  mock_resource "${type}" {`, `    defaults = { arn = ${hcl(arn(opts.region))} }`, '  }');
  }
  const data = stackJson.data ?? {};
  if (data.aws_ami)
    lines.push('  mock_data "aws_ami" {', `    defaults = { id = ${hcl(opts.amiId ?? 'ami-0123456789abcdef0')} }`, '  }');
  if (data.aws_caller_identity)
    lines.push('  mock_data "aws_caller_identity" {', `    defaults = { account_id = ${hcl(MOCK_ACCOUNT)} }`, '  }');
  const offerings = data.aws_ec2_instance_type_offerings?.lab_types;
  if (offerings) {
    const filter = (name: string) =>
      ((offerings.filter ?? []) as { name: string; values: string[] }[]).find((f) => f.name === name)?.values ?? [];
    const offered = opts.offered ?? filter('instance-type').flatMap((type) => filter('location').map((zone) => ({ type, zone })));
    lines.push(
      '  mock_data "aws_ec2_instance_type_offerings" {',
      `    defaults = { instance_types = ${hcl(offered.map((o) => o.type))}, locations = ${hcl(offered.map((o) => o.zone))} }`,
      '  }',
    );
  }
  for (const [type, values] of Object.entries(opts.data ?? {}))
    lines.push(`  mock_data "${type}" {`, `    defaults = ${hcl(values)}`, '  }');
  lines.push('}');
  for (const [target, values] of Object.entries(opts.overrides ?? {})) {
    lines.push('override_resource {', `  target = ${target}`, `  values = ${hcl(values)}`, '}');
  }
  return `${lines.join('\n')}\n`;
}

function runBlock(opts: MockApplyOptions): string {
  const lines = ['run "asd_lab_mock" {', `  command = ${opts.command ?? 'apply'}`];
  if (opts.variables && Object.keys(opts.variables).length) {
    lines.push('  variables {');
    for (const [k, v] of Object.entries(opts.variables)) lines.push(`    ${k} = ${hcl(v)}`);
    lines.push('  }');
  }
  if (opts.expectFailures?.length) lines.push(`  expect_failures = [${opts.expectFailures.join(', ')}]`);
  for (const a of opts.asserts ?? []) {
    lines.push('  assert {', `    condition     = ${a.condition}`, `    error_message = ${hcl(a.message)}`, '  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** `terraform init -backend=false` (the test keeps its state in memory), once per directory. */
export async function initForTest(t0: Terraform, stack: StackRef): Promise<void> {
  // The offline override would fix aws_lookups=false: the test sets what it means to test.
  rmSync(join(stack.dir, OFFLINE_OVERRIDE), { force: true });
  const r = await execa(t0.bin, ['init', '-backend=false', '-input=false', '-no-color'], {
    cwd: stack.dir,
    env: t0.env,
    extendEnv: false,
    reject: false,
  });
  if (r.exitCode !== 0)
    throw new TerraformError(t('plan.terraformFailed', { command: 'init', stack: stack.name, detail: r.stderr || r.stdout }));
}

/**
 * Write the test file (mocks + one run block) in the stack directory and run `terraform test
 * -json -verbose`; the state Terraform prints after the run gives the outputs.
 */
export async function mockApply(t0: Terraform, stack: StackRef, opts: MockApplyOptions): Promise<MockApplyResult> {
  const json = JSON.parse(readFileSync(join(stack.dir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    join(stack.dir, MOCK_TEST_FILE),
    `# Written by asd-lab (mock-test.ts): the AWS API is MOCKED here.\n${mockHcl(json, opts)}${runBlock(opts)}`,
  );
  const log = join(stack.dir, 'asd_lab_mock.jsonl');
  const t0ms = performance.now();
  const r = await execa(t0.bin, ['test', '-json', '-verbose', '-no-color', `-filter=${MOCK_TEST_FILE}`], {
    cwd: stack.dir,
    env: t0.env,
    extendEnv: false,
    reject: false,
    stdout: { file: log },
  });
  const seconds = (performance.now() - t0ms) / 1000;
  const out: MockApplyResult = { status: 'error', seconds, outputs: {}, resources: [], diagnostics: [] };
  if (!existsSync(log))
    throw new TerraformError(t('plan.terraformFailed', { command: 'test', stack: stack.name, detail: r.stderr }));
  for await (const line of createInterface({ input: createReadStream(log) })) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as {
      type: string;
      diagnostic?: MockApplyResult['diagnostics'][number];
      test_state?: { outputs?: TfOutputs; root_module?: { resources?: { address: string }[] } };
      test_summary?: { status: MockApplyResult['status'] };
    };
    if (e.type === 'diagnostic' && e.diagnostic) out.diagnostics.push(e.diagnostic);
    if (e.test_state) {
      out.outputs = e.test_state.outputs ?? {};
      out.resources = (e.test_state.root_module?.resources ?? []).map((x) => x.address);
    }
    if (e.test_summary) out.status = e.test_summary.status;
  }
  rmSync(log, { force: true });
  return out;
}

/**
 * A local state file holding only outputs: what a candidate stack's terraform_remote_state reads.
 * Used to chain a mocked network apply to the candidate stacks, as a real apply chains them.
 */
export function writeOutputsState(file: string, outputs: TfOutputs, terraformVersion: string): void {
  const state = {
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: 'asd-lab-mocked-network',
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([k, o]) => [k, { value: o.value, type: o.type, ...(o.sensitive ? { sensitive: true } : {}) }]),
    ),
    resources: [],
    check_results: null,
  };
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}
