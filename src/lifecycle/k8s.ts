// `asd-lab k8s apply ENV --candidate ID` on the AWS target: the candidate's k3s (role k3s on their
// k8s server) reached through the bastion (src/targets/aws/cluster.ts), then the same apply as with
// an external cluster's kubeconfig (src/modules/kubernetes/apply.ts). The tunnel is closed after.
import { AsdError } from '../core/errors.ts';
import { t } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { applyEnvironment, type ApplyInput, type ApplyResult } from '../modules/kubernetes/apply.ts';
import { openK3s } from '../targets/aws/cluster.ts';
import { awsServers, type AwsOptions } from './aws.ts';

export async function applyOnAws(
  cohort: Cohort,
  candidate: string,
  input: Omit<ApplyInput, 'kubeconfig'>,
  onStep: (title: string) => void = () => {},
  opts: AwsOptions = {},
): Promise<ApplyResult> {
  const server = (await awsServers(cohort, opts)).get(candidate)?.find((s) => s.role === 'k8s');
  if (!server) throw new AsdError(t('aws.k8s.noServer', { candidate }));
  const k3s = await openK3s(cohort.cohort, server, { stateDir: opts.stateDir });
  try {
    return await applyEnvironment({ ...input, kubeconfig: k3s.kubeconfig }, onStep);
  } finally {
    await k3s.close();
  }
}
