// The verify report as JUnit XML for CI: one test suite per candidate, one test case per check
// (a failure for fail, skipped with the reason for not-run), and one skipped test case for each
// criterion that has no check yet, so that CI dashboards show the gaps too.
import { REPORTED_COMPETENCIES } from '../../checks/run.ts';
import type { VerifyReportV1 } from './schema.ts';
import { candidateVerdict } from './verdict.ts';

export function xmlEscape(s: string): string {
  // Characters XML 1.0 forbids (control characters other than tab, newline, carriage return) are dropped.
  // eslint-disable-next-line no-control-regex
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(report: VerifyReportV1): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let total = 0;
  let failures = 0;
  let skipped = 0;
  const suites: string[] = [];
  for (const c of report.candidates) {
    const cases: string[] = [];
    let f = 0;
    let s = 0;
    if (!c.reachable) {
      f++;
      cases.push(
        `    <testcase classname="${xmlEscape(`${c.id}`)}" name="candidate reachable"><failure message="${xmlEscape(c.error ?? 'unreachable')}" type="unreachable"/></testcase>`,
      );
    }
    for (const comp of REPORTED_COMPETENCIES) {
      for (const cr of comp.criteria) {
        const classname = xmlEscape(`${c.id}.${cr.id}`);
        const checks = c.checks.filter((x) => x.criterionId === cr.id);
        if (checks.length === 0) {
          s++;
          const reason = c.criteria.find((x) => x.criterionId === cr.id)?.reason ?? 'no check yet';
          cases.push(
            `    <testcase classname="${classname}" name="${xmlEscape(`${cr.id} ${cr.fr}`)}"><skipped message="${xmlEscape(`not-run: ${reason}`)}"/></testcase>`,
          );
          continue;
        }
        for (const x of checks) {
          const time = x.durationMs !== undefined ? ` time="${(x.durationMs / 1000).toFixed(3)}"` : '';
          const head = `    <testcase classname="${classname}" name="${xmlEscape(x.check)}"${time}>`;
          const evidence = `<system-out>${xmlEscape(x.evidence)}</system-out>`;
          if (x.status === 'fail') {
            f++;
            cases.push(
              `${head}<failure message="${xmlEscape(x.evidence.split('\n')[0]!.slice(0, 300))}" type="fail">${xmlEscape(x.evidence)}</failure>${evidence}</testcase>`,
            );
          } else if (x.status === 'not-run') {
            s++;
            cases.push(
              `${head}<skipped message="${xmlEscape(`not-run: ${x.evidence.split('\n')[0]!.slice(0, 300)}`)}"/>${evidence}</testcase>`,
            );
          } else {
            cases.push(`${head}${evidence}</testcase>`);
          }
        }
      }
    }
    total += cases.length;
    failures += f;
    skipped += s;
    suites.push(
      `  <testsuite name="${xmlEscape(`asd-lab verify ${report.cohort}/${c.id}`)}" tests="${cases.length}" failures="${f}" errors="0" skipped="${s}" timestamp="${xmlEscape(c.startedAt.replace(/Z$/, ''))}">`,
    );
    // The candidate's verdict: "pass" only when every criterion passed (not when no test case failed).
    const sum = c.summary;
    const props: [string, string | number][] = [
      ['asd-lab.version', report.asdLab.version],
      ['asd-lab.commit', report.asdLab.commit],
      ['asd-lab.verdict', candidateVerdict(c)],
      ['asd-lab.criteria.total', c.criteria.length],
      ['asd-lab.criteria.passed', sum.criteriaPassed],
      ['asd-lab.criteria.failed', sum.criteriaFailed],
      ['asd-lab.criteria.notRun', sum.criteriaNotRun],
    ];
    suites.push(
      `    <properties>${props.map(([k, v]) => `<property name="${k}" value="${xmlEscape(String(v))}"/>`).join('')}</properties>`,
    );
    suites.push(...cases, '  </testsuite>');
  }
  out.push(
    `<testsuites name="asd-lab verify" tests="${total}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...suites,
    '</testsuites>',
    '',
  );
  return out.join('\n');
}
