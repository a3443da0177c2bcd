// A candidate's overall result, the same in every view (terminal, HTML, JUnit, progress line):
// "passed" only when every criterion of the report passed; otherwise the counts of criteria
// passed, failed and not run, so that a lab with 2 of 32 criteria passed never reads as a success.
import { t, type Lang } from '../../core/i18n/index.ts';
import type { CandidateReport } from './schema.ts';

/** pass: every criterion passed; fail: one failed or the candidate could not be checked; incomplete: some not run. */
export type Verdict = 'pass' | 'fail' | 'incomplete';

export function candidateVerdict(c: Pick<CandidateReport, 'reachable' | 'criteria' | 'summary'>): Verdict {
  const s = c.summary;
  if (!c.reachable || s.criteriaFailed > 0) return 'fail';
  return c.criteria.length > 0 && s.criteriaPassed === c.criteria.length ? 'pass' : 'incomplete';
}

/** The verdict in words: "passed (32 of 32 criteria)", or "13 passed · 2 failed · 17 not run". */
export function verdictText(c: Pick<CandidateReport, 'reachable' | 'criteria' | 'summary'>, lang: Lang): string {
  const s = c.summary;
  if (candidateVerdict(c) === 'pass') return t('report.verdict.pass', { total: c.criteria.length }, lang);
  return t(
    'report.verdict.counts',
    { passed: s.criteriaPassed, failed: s.criteriaFailed, notRun: s.criteriaNotRun, total: c.criteria.length },
    lang,
  );
}

/** A date of the report (ISO 8601 in the JSON) as the number the catalog's ICU date and time formats take. */
export const when = (iso: string): number => Date.parse(iso);
