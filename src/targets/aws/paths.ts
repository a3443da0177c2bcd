// Where the AWS target keeps its files: under the cohort's folder of the state directory.
import { join } from 'node:path';
import type { CohortPaths } from '../../core/state.ts';

export function awsPaths(paths: CohortPaths) {
  const root = join(paths.cohortDir, 'aws');
  return {
    root,
    /** Synthesized stacks (cdktf.out/stacks/<stack>/cdk.tf.json). */
    out: join(root, 'cdktf.out'),
    /** Terraform state files, one per stack. */
    tfState: join(root, 'terraform'),
    logs: join(paths.logs, 'aws'),
    /** ssh_config of each bastion (ProxyJump) and the servers' host keys (first use). */
    ssh: join(root, 'ssh'),
    knownHosts: join(root, 'ssh', 'known_hosts'),
    wipe: join(root, 'wipe-check'),
  };
}
