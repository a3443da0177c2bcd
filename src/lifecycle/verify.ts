// `verify` and `status` as library calls: the servers of the cohort, the one check runner, and the
// cohort's last result.
import type { LabServer } from '../core/lab-server.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { resolveStateDir } from '../core/state.ts';
import { runVerify, type RunOptions } from '../checks/run.ts';
import { dashboard } from '../evidence/dashboard.ts';
import type { VerifyReportV1 } from '../evidence/verify-report/schema.ts';
import { loadLastVerify, saveLastVerify } from '../evidence/verify-report/state.ts';
import { labServers as localLabServers } from '../targets/local/cohort.ts';
import { awsServers, awsStatus } from './aws.ts';
import { selectCandidates } from './candidates.ts';

export interface VerifyLabOptions extends Pick<RunOptions, 'candidate' | 'concurrency' | 'onCandidate' | 'checks'> {
  stateDir?: string;
  /** Record the result as the cohort's last verify result (default true). */
  save?: boolean;
  /** The servers, when the caller already listed them. */
  servers?: Map<string, LabServer[]>;
}

/** Run the performance-criterion checks of a cohort (or one candidate), and save the result. */
export async function verifyLab(cohort: Cohort, opts: VerifyLabOptions = {}): Promise<VerifyReportV1> {
  selectCandidates(cohort, opts.candidate);
  const stateDir = opts.stateDir ?? resolveStateDir();
  const servers = opts.servers ?? (await labServers(cohort, stateDir));
  const report = await runVerify(cohort, servers, opts);
  if (opts.save ?? true) saveLastVerify(report, stateDir);
  return report;
}

/** The servers of a cohort as the checks see them, whatever its target. */
export async function labServers(cohort: Cohort, stateDir = resolveStateDir()): Promise<Map<string, LabServer[]>> {
  if (cohort.target === 'aws') return awsServers(cohort, { stateDir });
  return localLabServers(cohort, stateDir);
}

/** What `status` shows: every candidate's servers (state, health) and last verify result. */
export async function labStatus(cohort: Cohort, stateDir = resolveStateDir()) {
  if (cohort.target === 'aws') return awsStatus(cohort, { stateDir });
  return dashboard(cohort, await labServers(cohort, stateDir), loadLastVerify(cohort.cohort, stateDir));
}
