// Where the app's containers sit on the candidate's network: one block of addresses per
// environment at the top of the subnet. Pure; the data module grants these addresses their database.
import type { Environment } from '../../core/environments.ts';
import { AsdError } from '../../core/errors.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';
import type { AppSettings } from '../../core/model/containers.ts';
import type { Candidate, Cohort } from '../../core/model/cohort.ts';
import { intToIp, parsePool } from '../../targets/local/addressing.ts';
import { planCandidate, type CandidatePlan } from '../../targets/local/plan.ts';

/** A deploy, update or rollback of the app that failed (kind 'operation'). */
export class AppError extends AsdError {}

/**
 * The addresses of an environment: a block of replicas + 3 addresses (edge, worker, the API
 * instances and one spare for the instance being started), counted down from the top of the
 * candidate's subnet, test first. Servers take .10 upwards: a subnet too small is an error.
 */
export function envAddresses(
  plan: Pick<CandidatePlan, 'subnet' | 'servers'>,
  settings: Pick<AppSettings, 'replicas'>,
  env: Environment,
): string[] {
  const { network, prefix } = parsePool(plan.subnet);
  const size = 2 ** (32 - prefix);
  const block = settings.replicas + 3;
  const e = ENVIRONMENTS.indexOf(env);
  const top = network + size - 2; // below the broadcast address
  const lowest = network + size - 1 - block * ENVIRONMENTS.length;
  const highestServer = Math.max(0, ...plan.servers.map((s) => parsePool(`${s.ip}/32`).network));
  if (lowest <= highestServer || lowest <= network + 1) {
    throw new AppError(
      `subnet ${plan.subnet} is too small for the app's containers: they need ${block * ENVIRONMENTS.length} addresses (${block} per environment) above the servers' (highest ${intToIp(highestServer)}); use a larger local.subnetPrefix or fewer app.replicas`,
    );
  }
  return Array.from({ length: block }, (_v, i) => intToIp(top - e * block - i));
}

/** The addresses of the app's containers in each environment (the data module grants them their database). */
export function containerAddresses(cohort: Cohort, candidate: Candidate): Record<Environment, string[]> {
  const plan = planCandidate(cohort, candidate);
  return Object.fromEntries(ENVIRONMENTS.map((e) => [e, envAddresses(plan, cohort.app, e)])) as Record<Environment, string[]>;
}
