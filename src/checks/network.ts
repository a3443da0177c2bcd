// CP3 on the local target: the candidate's network is isolated by the host's firewall (nftables
// drop rules on the candidate's bridge), so no other candidate and nothing outside can reach it.
import { planCandidate, runScript } from '../targets/local/index.ts';
import type { CheckDefinition } from './types.ts';

export const networkIsolated: CheckDefinition = {
  id: 'network-isolated',
  criterion: 'CP3.2',
  path: 'src/checks/network.ts',
  description: "the candidate's bridge is up and the host drops routed traffic into and out of it",
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') {
      return [
        { status: 'not-run', evidence: 'local target only: on AWS, security groups isolate candidates (see the stacks tests)' },
      ];
    }
    const plan = planCandidate(ctx.cohort, ctx.candidate);
    const out = await runScript('lab-network.sh', ['status', '--bridge', plan.bridge]);
    const state = /^STATE=(\w+)$/m.exec(out)?.[1];
    const rules = Number(/^RULES=(\d+)$/m.exec(out)?.[1] ?? 0);
    return [
      {
        status: state === 'up' && rules >= 2 ? 'pass' : 'fail',
        evidence: `bridge ${plan.bridge} (${plan.subnet}): ${state ?? 'unknown'}, ${rules} drop rule(s) in nft table inet asd_lab (2 expected: into and out of the bridge)`,
      },
    ];
  },
};
