// Where the developers' reports (CP10.3) are kept, and how old the latest is: on the controller
// (`asd-lab report app`, in the lab state) and on the candidate's mon server (the weekly job of role
// monitoring_report). The renderers are in app-report.ts.
import { readdirSync } from 'node:fs';
import { isNotFound } from '../../core/errors.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { cohortPaths } from '../../core/state.ts';

/** A report's HTML page; its name carries the UTC minute it was generated. */
export const REPORT_HTML = /^app-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z\.html$/;

/** Where the weekly job writes on the mon server (StateDirectory of role monitoring_report). */
export const MON_REPORTS_DIR = '/var/lib/asd-app-report';
/** The systemd units of that job. */
export const MON_REPORT_SERVICE = 'asd-app-report.service';
export const MON_REPORT_TIMER = 'asd-app-report.timer';

/** Where `asd-lab report app` writes a candidate's reports by default (the lab state, never git). */
export function reportsDir(cohort: Cohort, candidate: string): string {
  return cohortPaths(cohort.cohort).reports(candidate);
}

/** The report pages among file names, oldest first. */
export function reportPages(names: string[]): string[] {
  return names.filter((f) => REPORT_HTML.test(f)).sort();
}

/** The HTML reports already written for a candidate on the controller, oldest first. */
export function listReports(cohort: Cohort, candidate: string): string[] {
  try {
    return reportPages(readdirSync(reportsDir(cohort, candidate)));
  } catch (err) {
    if (isNotFound(err)) return []; // no report fetched yet
    throw err;
  }
}

/** Age in days of a report page, from the time in its name. */
export function reportAgeDays(name: string, now = Date.now()): number {
  const m = REPORT_HTML.exec(name);
  if (!m) return Number.NaN;
  return (now - Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!)) / 86_400_000;
}
