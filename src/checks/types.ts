// The evidence layer: each check is mapped to one performance criterion of the title and returns
// pass, fail or not-run with the evidence it saw. `asd-lab verify --json` prints these records.
import { criterion } from '../core/competencies.ts';
import type { LabServer } from '../core/lab-server.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';

export interface CheckContext {
  cohort: Cohort;
  candidate: Candidate;
  servers: LabServer[];
}

export type CheckStatus = 'pass' | 'fail' | 'not-run';

export interface CheckOutcome {
  status: CheckStatus;
  evidence: string;
  server?: string;
}

export interface CheckDefinition {
  /** Stable identifier, e.g. 'ssh-password-refused'. */
  id: string;
  /** Criterion id from the registry, e.g. 'CP3.2'. */
  criterion: string;
  /** Source file that implements it (for the competency map). */
  path: string;
  description: string;
  run(ctx: CheckContext): Promise<CheckOutcome[]>;
}

export interface CheckRecord {
  competency: string;
  criterion: string;
  criterionId: string;
  check: string;
  status: CheckStatus;
  evidence: string;
  server?: string;
}

export function record(def: CheckDefinition, outcome: CheckOutcome): CheckRecord {
  const cr = criterion(def.criterion);
  if (!cr) throw new Error(`check ${def.id} names unknown criterion ${def.criterion}`);
  return {
    competency: def.criterion.split('.')[0]!,
    criterion: cr.fr,
    criterionId: cr.id,
    check: outcome.server ? `${def.id} (${outcome.server})` : def.id,
    status: outcome.status,
    evidence: outcome.evidence,
    server: outcome.server,
  };
}

/** Run one check on every running server, turning errors into a failed record with the reason. */
export async function perServer(
  ctx: CheckContext,
  fn: (server: LabServer) => Promise<Omit<CheckOutcome, 'server'>>,
  filter: (server: LabServer) => boolean = () => true,
): Promise<CheckOutcome[]> {
  const targets = ctx.servers.filter(filter);
  return Promise.all(
    targets.map(async (server) => {
      if (server.state !== 'running')
        return { server: server.name, status: 'fail' as const, evidence: `server is ${server.state}` };
      try {
        return { server: server.name, ...(await fn(server)) };
      } catch (err) {
        return { server: server.name, status: 'fail' as const, evidence: `error: ${(err as Error).message}` };
      }
    }),
  );
}
