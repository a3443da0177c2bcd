// The last verify result, kept in the lab state (<state>/cohorts/<cohort>/last-verify.json) so that
// `status`, `serve`, `dossier` and `bundle` show it without running the checks again.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cohortPaths, resolveStateDir } from '../../core/state.ts';
import { parseReport, type VerifyReportV1 } from './schema.ts';

/** The last saved report of a cohort, or undefined (none yet, or unreadable: a warning is the caller's). */
export function loadLastVerify(cohort: string, stateDir = resolveStateDir()): VerifyReportV1 | undefined {
  const file = cohortPaths(cohort, stateDir).lastVerify;
  if (!existsSync(file)) return undefined;
  try {
    return parseReport(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // a cache of the last `verify` (which rewrites it), not a record of what runs: shown as none
    return undefined;
  }
}

/**
 * Save a report as the cohort's last verify result. A run limited to some candidates replaces
 * only their entries: the others keep their own last result (with its own timestamps).
 */
export function saveLastVerify(report: VerifyReportV1, stateDir = resolveStateDir()): string {
  const file = cohortPaths(report.cohort, stateDir).lastVerify;
  const previous = loadLastVerify(report.cohort, stateDir);
  const ids = new Set(report.candidates.map((c) => c.id));
  const merged: VerifyReportV1 = {
    ...report,
    candidates: [...(previous?.candidates.filter((c) => !ids.has(c.id)) ?? []), ...report.candidates],
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** One candidate's entry of a report, as a report of its own. */
export function candidateOnly(report: VerifyReportV1, id: string): VerifyReportV1 | undefined {
  const c = report.candidates.find((x) => x.id === id);
  return c ? { ...report, candidates: [c] } : undefined;
}
