// The registered performance-criterion checks, and the runner behind `asd-lab verify`.
import type { Cohort } from '../core/model/cohort.ts';
import { ACCESS_CHECKS } from './access.ts';
import { CONTAINER_CHECKS } from '../modules/containers/checks.ts';
import { DATA_CHECKS } from '../modules/data/checks.ts';
import { KUBERNETES_CHECKS } from '../modules/kubernetes/checks.ts';
import { MONITORING_CHECKS } from '../modules/monitoring/checks.ts';
import { networkIsolated } from './network.ts';
import { SERVER_CHECKS } from './servers.ts';
import { record, type CheckDefinition, type CheckRecord, type LabServer } from './types.ts';

export const CHECKS: CheckDefinition[] = [...SERVER_CHECKS, ...ACCESS_CHECKS, networkIsolated, ...MONITORING_CHECKS, ...DATA_CHECKS, ...CONTAINER_CHECKS, ...KUBERNETES_CHECKS];

export interface VerifyReport {
  candidates: { id: string; checks: CheckRecord[] }[];
}

export async function verify(
  cohort: Cohort,
  serversByCandidate: Map<string, LabServer[]>,
  opts: { candidate?: string; checks?: CheckDefinition[] } = {},
): Promise<VerifyReport> {
  const candidates = cohort.candidates.filter((c) => !opts.candidate || c.id === opts.candidate);
  const report: VerifyReport = { candidates: [] };
  for (const candidate of candidates) {
    const servers = serversByCandidate.get(candidate.id) ?? [];
    const checks: CheckRecord[] = [];
    for (const def of opts.checks ?? CHECKS) {
      const outcomes = await def.run({ cohort, candidate, servers });
      for (const o of outcomes) checks.push(record(def, o));
    }
    report.candidates.push({ id: candidate.id, checks });
  }
  return report;
}
