// The verified wipe after `down`: what AWS still holds with the cohort's tag.
//
// Choice: the provider's data source aws_resourcegroupstaggingapi_resources in a one-off Terraform
// configuration, rather than the AWS SDK. It uses the same credential chain, region and provider
// as the apply and destroy it checks (nothing to keep consistent with a second client), it adds no
// dependency (the SDK client is a package of its own), and the same mock_provider test framework
// covers it offline (test/aws-mock-apply.test.ts). Its limits: the Tagging API is regional (the cohort's
// region only), lists only resources that carry tags and whose service supports it, and may still
// list a resource for a while after its deletion (terminated instances): hence a few attempts
// before reporting. The first check of `down` is that every stack's state is empty.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyStack, stackOutputs } from './terraform/apply.ts';
import { AWS_PROVIDER, type Terraform } from './terraform/runner.ts';
import type { StackRef } from './terraform/plan-summary.ts';

export const WIPE_STACK = 'wipe-check';

/** The Terraform JSON of the check: one data source, one output (the ARNs, sorted). */
export function wipeConfig(cohort: string, region: string, statePath: string): Record<string, unknown> {
  return {
    terraform: {
      required_providers: { aws: { source: `${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type}`, version: AWS_PROVIDER.version } },
      backend: { local: { path: statePath } },
    },
    provider: { aws: { region } },
    data: {
      aws_resourcegroupstaggingapi_resources: { left: { tag_filter: [{ key: 'cohort', values: [cohort] }] } },
    },
    output: {
      left: {
        value: '${sort([for r in data.aws_resourcegroupstaggingapi_resources.left.resource_tag_mapping_list : r.resource_arn])}',
        description: 'ARNs of what still carries the cohort tag',
      },
    },
  };
}

/** Write the check's directory (dir/cdk.tf.json) and return it as a stack. */
export function writeWipeStack(dir: string, cohort: string, region: string): StackRef {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'cdk.tf.json'),
    `${JSON.stringify(wipeConfig(cohort, region, join(dir, 'terraform.tfstate')), null, 2)}\n`,
  );
  return { name: WIPE_STACK, kind: 'check', dir };
}

export interface WipeOptions {
  logFile: string;
  attempts?: number;
  delayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What still carries the tag cohort=<cohort>, after up to `attempts` reads `delayMs` apart. */
export async function wipeCheck(
  t0: Terraform,
  dir: string,
  cohort: string,
  region: string,
  opts: WipeOptions,
): Promise<string[]> {
  const stack = writeWipeStack(dir, cohort, region);
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let left: string[] = [];
  const attempts = opts.attempts ?? 4;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(opts.delayMs ?? 30_000);
    await applyStack(t0, stack, { logFile: opts.logFile });
    left = ((await stackOutputs(t0, stack)).left?.value as string[] | undefined) ?? [];
    if (left.length === 0) break;
  }
  return left;
}
