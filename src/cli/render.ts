// Text renderings shared by several commands (commands never import each other).
import { t } from '../core/i18n/index.ts';
import type { UpResult } from '../lifecycle/index.ts';

/** The end of `up` (and of `reproduce`): one line per candidate, then the checks' counts. */
export function upSummary(result: UpResult, file: string): string[] {
  const lines: string[] = [];
  for (const r of result.candidates) {
    lines.push(
      r.ok
        ? t('up.summary.ok', { candidate: r.id, servers: r.servers.length, changed: r.changed })
        : t('up.summary.failed', { candidate: r.id, step: r.step ?? '?', error: r.error ?? '?' }),
    );
    if (!r.ok) lines.push(`  ${t('up.retry', { file, candidate: r.id })}`);
  }
  const j = result.jump;
  if (j?.error) lines.push(t('up.summary.failed', { candidate: 'jump', step: t('up.jump', { port: j.port }), error: j.error }));
  else if (j) lines.push(t('up.summary.jump', { port: j.port, accounts: j.accounts.length }));
  for (const r of j?.refused ?? []) lines.push(`  ${t('access.noAccount', { candidate: r.candidate, reason: r.reason })}`);
  for (const c of result.verify?.candidates ?? []) {
    const count = (s: string) => c.checks.filter((x) => x.status === s).length;
    lines.push(`${c.id}: ${t('up.verifyHint', { pass: count('pass'), fail: count('fail'), notRun: count('not-run') })}`);
  }
  return lines;
}

/** `up --json`: the result with each candidate's servers by name. */
export function upJson(result: UpResult) {
  return {
    cohort: result.cohort,
    candidates: result.candidates.map(({ servers, ...r }) => ({ ...r, servers: servers.map((s) => s.name) })),
    jump: result.jump,
    verify: result.verify,
  };
}
