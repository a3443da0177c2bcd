// The verify report for the terminal: per candidate, grouped by competency and criterion, every
// criterion of CP1-CP10 listed (those without a check as "not-run: no check yet").
import { t, type Lang } from '../../core/i18n/index.ts';
import { REPORTED_COMPETENCIES } from '../../checks/run.ts';
import type { CandidateReport, VerifyReportV1 } from './schema.ts';
import { candidateVerdict, verdictText, when } from './verdict.ts';

export function mark(status: string, lang: Lang): string {
  const key = status === 'pass' ? 'report.mark.pass' : status === 'fail' ? 'report.mark.fail' : 'report.mark.notRun';
  return t(key, {}, lang);
}

/** First line of the evidence, cut to `max` characters (the JSON and HTML keep it whole). */
export function excerpt(text: string, max = 160): string {
  const line = text.replace(/\s*\n\s*/g, ' | ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function reasonText(reason: string | undefined, lang: Lang): string {
  if (!reason) return '';
  if (reason === 'no check yet') return t('report.noCheckYet', {}, lang);
  if (reason === 'every check not-run') return t('report.allNotRun', {}, lang);
  if (reason.startsWith('candidate unreachable: ')) return t('report.unreachable', { reason: reason.slice(23) }, lang);
  return reason;
}

export function renderCandidate(c: CandidateReport, lang: Lang, opts: { width?: number } = {}): string[] {
  const width = opts.width ?? 160;
  const marks = ['pass', 'fail', 'not-run'].map((s) => mark(s, lang));
  const pad = Math.max(...marks.map((m) => m.length));
  const out: string[] = [t('verify.header', { candidate: c.name ? `${c.id} (${c.name})` : c.id }, lang)];
  const verdict = candidateVerdict(c);
  const verdictLine = `  ${mark(verdict === 'incomplete' ? 'not-run' : verdict, lang).padEnd(pad)} ${t('report.verdictLine', { verdict: verdictText(c, lang) }, lang)}`;
  out.push(verdictLine);
  if (!c.reachable) out.push(`  ${mark('fail', lang).padEnd(pad)} ${t('report.unreachable', { reason: c.error ?? '?' }, lang)}`);
  for (const comp of REPORTED_COMPETENCIES) {
    out.push(`  ${comp.id.padEnd(5)} ${lang === 'fr' ? comp.fr : comp.en}`);
    for (const cr of comp.criteria) {
      const cov = c.criteria.find((x) => x.criterionId === cr.id);
      const status = cov?.status ?? 'not-run';
      const title = lang === 'fr' ? cr.fr : `${cr.fr} (${cr.en})`;
      out.push(`    ${mark(status, lang).padEnd(pad)} ${cr.id.padEnd(7)} ${title}`);
      const checks = c.checks.filter((x) => x.criterionId === cr.id);
      if (checks.length === 0) {
        out.push(`    ${' '.repeat(pad)}         - ${reasonText(cov?.reason ?? 'no check yet', lang)}`);
      }
      for (const x of checks) {
        const head = `    ${' '.repeat(pad)}         - ${mark(x.status, lang).padEnd(pad)} ${x.check}: `;
        out.push(head + excerpt(x.evidence, Math.max(40, width - head.length)));
      }
    }
  }
  const s = c.summary;
  out.push(`  ${t('verify.summary', { pass: s.pass, fail: s.fail, notRun: s.notRun }, lang)}`);
  out.push(
    `  ${t('report.criteriaSummary', { passed: s.criteriaPassed, failed: s.criteriaFailed, notRun: s.criteriaNotRun, total: c.criteria.length }, lang)}`,
  );
  out.push(verdictLine);
  return out;
}

export function renderTerminal(report: VerifyReportV1, lang: Lang, opts: { width?: number } = {}): string {
  const out: string[] = [];
  for (const c of report.candidates) out.push(...renderCandidate(c, lang, opts), '');
  out.push(
    t(
      'report.generated',
      {
        date: when(report.generatedAt),
        version: report.asdLab.version,
        commit: report.asdLab.commit.slice(0, 12) + (report.asdLab.dirty ? '+' : ''),
      },
      lang,
    ),
  );
  return out.join('\n');
}
