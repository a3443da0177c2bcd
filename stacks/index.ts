// The AWS target of asd-lab as CDK for Terraform stacks: one shared stack per cohort (network, backup
// bucket, bastion) and one stack per candidate. This is the only entry point the CLI uses; it loads
// cdktf lazily (import it with `await import(...)`).
//
// Kubernetes: the stacks of the later Kubernetes issue (cluster add-ons with @cdktf/provider-kubernetes,
// one stack per candidate on top of its 'k8s' node) go under stacks/kubernetes/ and are added to the
// list built in synthCohort() with kind 'kubernetes'. See stacks/kubernetes/README.md. Not implemented.
import { join, resolve } from 'node:path';
import { App } from 'cdktf';
import { t } from '../src/core/i18n/index.ts';
import type { Cohort } from '../src/core/model/cohort.ts';
import { AMI_ID, debianAmiFor } from './ami.ts';
import { CandidateStack } from './candidate-stack.ts';
import { NetworkStack } from './network-stack.ts';
import { AwsInputError, awsTopology } from './topology.ts';

export { AwsInputError, awsTopology } from './topology.ts';
// The Kubernetes stacks (one per candidate, @cdktf/provider-kubernetes): stacks/k8s-stack.ts, `asd-lab synth --k8s`.
// Loaded on demand, so that the AWS commands do not load the kubernetes provider's bindings.
export type { K8sStackInfo, K8sSynthOptions } from './k8s-stack.ts';
export async function synthK8sCohort(...args: Parameters<typeof import('./k8s-stack.ts').synthK8sCohort>) {
  return (await import('./k8s-stack.ts')).synthK8sCohort(...args);
}

export interface StackInfo {
  name: string;
  kind: 'network' | 'candidate';
  candidate?: string;
  /** Directory holding cdk.tf.json (absolute). */
  dir: string;
}

export interface SynthOptions {
  /** Root of the local Terraform state files (default ./.asd-lab/terraform). Never in git. */
  stateDir?: string;
  /** Debian 12 AMI id; default from ASD_LAB_AMI or the pinned map of stacks/ami.ts. */
  amiId?: string;
  /** Public keys added to asd-admin beside the trainers' (up on aws: the cohort's lab key, for Ansible). */
  extraAdminKeys?: string[];
}

export const DEFAULT_STATE_DIR = '.asd-lab/terraform';

/**
 * Synthesize the Terraform JSON of every stack of the cohort into outDir/stacks/<name>/cdk.tf.json.
 * The directory of a candidate removed from the cohort is left in place: with its state file it is
 * what can still destroy that candidate's resources.
 */
export function synthCohort(cohort: Cohort, outDir: string, opts: SynthOptions = {}): StackInfo[] {
  if (cohort.target !== 'aws') throw new AwsInputError([t('cli.targetLocalNoStacks', { cohort: cohort.cohort })]);
  const topo = awsTopology(cohort);
  const amiId = debianAmiFor(topo.region, opts.amiId);
  if (amiId && !AMI_ID.test(amiId)) throw new AwsInputError([t('aws.amiInvalid', { got: amiId })]);
  const out = resolve(outDir);
  const adminKeys = [...cohort.admin.sshKeys, ...(opts.extraAdminKeys ?? [])];
  const base = {
    cohort: cohort.cohort,
    expires: cohort.expires!,
    region: topo.region,
    stateDir: resolve(opts.stateDir ?? DEFAULT_STATE_DIR),
    amiId,
    adminKeys,
  };

  // Stack traces of every construct would triple the memory of a 30-candidate synth for nothing.
  const app = new App({ outdir: out, stackTraces: false });
  new NetworkStack(app, topo, cohort, base);
  const stacks: StackInfo[] = [{ name: topo.networkStack, kind: 'network', dir: join(out, 'stacks', topo.networkStack) }];
  cohort.candidates.forEach((cand, i) => {
    const plan = topo.candidates[i]!;
    new CandidateStack(app, topo, cohort, cand, plan, base);
    stacks.push({ name: plan.stackName, kind: 'candidate', candidate: cand.id, dir: join(out, 'stacks', plan.stackName) });
  });
  app.synth();
  return stacks;
}
