// The local plan of a cohort: for each candidate its bridge, subnet and gateway, and for each
// server its machine name and address. Pure: computed from the cohort alone.
import type { Candidate, Cohort, ServerSpec } from '../../core/model/cohort.ts';
import { serversOf } from '../../core/model/cohort.ts';
import { t } from '../../core/i18n/index.ts';
import { allocateSubnets, gatewayOf, serverAddresses } from './addressing.ts';
import { LocalError } from './errors.ts';
import { bridgeName, machineName } from './naming.ts';

export interface ServerPlan {
  spec: ServerSpec;
  /** Machine name, hostname and state directory name: "<candidate>-<server>". */
  name: string;
  /** Address with prefix length, e.g. 10.98.0.10/24. */
  address: string;
  ip: string;
}

export interface CandidatePlan {
  candidate: Candidate;
  /** Position of the candidate in cohort.candidates (0-based): it picks the subnet and bridge. */
  index: number;
  bridge: string;
  subnet: string;
  prefix: number;
  /** Host address on the bridge (.1), the servers' gateway. */
  gateway: string;
  gatewayCidr: string;
  servers: ServerPlan[];
}

function indexOf(cohort: Cohort, cand: Candidate): number {
  const index = cohort.candidates.findIndex((c) => c.id === cand.id);
  if (index < 0) throw new LocalError(t('local.unknownCandidate', { candidate: cand.id, cohort: cohort.cohort }));
  return index;
}

export function planCandidate(cohort: Cohort, cand: Candidate): CandidatePlan {
  const index = indexOf(cohort, cand);
  const { subnetPool, subnetPrefix } = cohort.local;
  const subnet = allocateSubnets(subnetPool, subnetPrefix, cohort.candidates.length)[index]!;
  const gateway = gatewayOf(subnet);
  const specs = serversOf(cohort, cand);
  const addresses = serverAddresses(subnet, specs.length, cand.id);
  return {
    candidate: cand,
    index,
    bridge: bridgeName(cohort.cohort, index),
    subnet,
    prefix: subnetPrefix,
    gateway: gateway.ip,
    gatewayCidr: gateway.cidr,
    servers: specs.map((spec, i) => ({
      spec,
      name: machineName(cand.id, spec.name),
      address: addresses[i]!,
      ip: addresses[i]!.split('/')[0]!,
    })),
  };
}

/** The plan of every candidate; machine names must be unique in the cohort ("a-b"+"c" = "a"+"b-c"). */
export function planCohort(cohort: Cohort): CandidatePlan[] {
  const plans = cohort.candidates.map((c) => planCandidate(cohort, c));
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const p of plans) {
    for (const s of p.servers) {
      const who = `${p.candidate.id}/${s.spec.name}`;
      const first = seen.get(s.name);
      if (first) problems.push(t('local.machineClash', { name: s.name, first, second: who }));
      else seen.set(s.name, who);
    }
  }
  if (problems.length) throw new LocalError(problems);
  return plans;
}
