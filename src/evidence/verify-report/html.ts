// The verify report as one self-contained, printable HTML page (no script, no external resource):
// per candidate a summary by competency, then every competency CP1-CP10, every criterion, its
// checks with status and evidence, and the architecture diagram inline (SVG).
import { t, type Lang } from '../../core/i18n/index.ts';
import { REPORTED_COMPETENCIES } from '../../checks/run.ts';
import type { CandidateReport, VerifyReportV1 } from './schema.ts';
import { reasonText } from './terminal.ts';
import { candidateVerdict, verdictText, when } from './verdict.ts';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface HtmlDiagram {
  /** Inline SVG (from Graphviz), or undefined when only the Mermaid text is available. */
  svg?: string;
  mermaid?: string;
  note?: string;
}

export const REPORT_CSS = `
:root { --pass:#2e7d32; --fail:#c62828; --nr:#6d6d6d; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; font-size: 14px; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #1f5fa8; padding-bottom: .2em; margin-top: 2em; }
h3 { margin: 1.2em 0 .4em; } .meta { color: #555; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f0f3f8; }
.badge { display: inline-block; white-space: nowrap; min-width: 6.5em; text-align: center; border-radius: 3px; color: #fff; font-weight: bold; font-size: .85em; padding: .1em .4em; }
.pass { background: var(--pass); } .fail { background: var(--fail); } .not-run { background: var(--nr); } .incomplete { background: #8a5a00; }
td.evidence { font-family: "DejaVu Sans Mono", monospace; font-size: .85em; white-space: pre-wrap; word-break: break-word; }
.reason { color: #555; font-style: italic; }
.diagram { border: 1px solid #ddd; padding: .5em; overflow-x: auto; text-align: center; }
.diagram svg { max-width: 100%; height: auto; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: .85em; }
.summary td:first-child { white-space: nowrap; }
@media print { body { margin: 0; max-width: none; } .candidate { page-break-before: always; } a { color: inherit; text-decoration: none; } }
`;

function badge(status: string, lang: Lang): string {
  const key = status === 'pass' ? 'report.word.pass' : status === 'fail' ? 'report.word.fail' : 'report.word.notRun';
  return `<span class="badge ${esc(status)}">${esc(t(key, {}, lang))}</span>`;
}

/** A candidate's overall badge: "passed" only when every criterion passed, else the counts. */
function verdictBadge(c: CandidateReport, lang: Lang): string {
  return `<span class="badge ${candidateVerdict(c)}">${esc(verdictText(c, lang))}</span>`;
}

const SERVER_STATES: Record<string, 'report.state.running' | 'report.state.stopped' | 'report.state.missing'> = {
  running: 'report.state.running',
  stopped: 'report.state.stopped',
  missing: 'report.state.missing',
};

function candidateSection(c: CandidateReport, lang: Lang): string {
  const out: string[] = [];
  const anchor = `cand-${esc(c.id)}`;
  out.push(`<section class="candidate" id="${anchor}">`);
  out.push(
    `<h2>${esc(t('verify.header', { candidate: c.name ? `${c.id} — ${c.name}` : c.id }, lang))} ${verdictBadge(c, lang)}</h2>`,
  );
  out.push(`<p class="meta">${esc(t('report.period', { start: when(c.startedAt), end: when(c.finishedAt) }, lang))}</p>`);
  if (!c.reachable) out.push(`<p>${badge('fail', lang)} ${esc(t('report.unreachable', { reason: c.error ?? '?' }, lang))}</p>`);
  const s = c.summary;
  out.push(
    `<p><strong>${esc(t('report.criteriaSummary', { passed: s.criteriaPassed, failed: s.criteriaFailed, notRun: s.criteriaNotRun, total: c.criteria.length }, lang))}</strong> — ${esc(t('verify.summary', { pass: s.pass, fail: s.fail, notRun: s.notRun }, lang))}</p>`,
  );
  if (c.servers.length) {
    out.push(
      `<h3>${esc(t('report.servers', {}, lang))}</h3><table><tr><th>${esc(t('report.col.server', {}, lang))}</th><th>${esc(t('report.col.role', {}, lang))}</th><th>${esc(t('report.col.address', {}, lang))}</th><th>${esc(t('report.col.state', {}, lang))}</th></tr>`,
    );
    for (const srv of c.servers)
      out.push(
        `<tr><td>${esc(srv.name)}</td><td>${esc(srv.role)}</td><td>${esc(srv.address)}</td><td>${esc(SERVER_STATES[srv.state] ? t(SERVER_STATES[srv.state]!, {}, lang) : srv.state)}</td></tr>`,
      );
    out.push('</table>');
  }
  // Summary matrix: one row per criterion.
  out.push(
    `<h3>${esc(t('report.summary', {}, lang))}</h3><table class="summary"><tr><th>${esc(t('report.col.criterion', {}, lang))}</th><th>${esc(t('report.col.title', {}, lang))}</th><th>${esc(t('report.col.status', {}, lang))}</th><th>${esc(t('report.col.checks', {}, lang))}</th></tr>`,
  );
  for (const cov of c.criteria) {
    const title = lang === 'fr' ? esc(cov.title) : `${esc(cov.title)} <span class="reason">(${esc(cov.gloss)})</span>`;
    const counts =
      cov.pass + cov.fail + cov.notRun === 0
        ? `<span class="reason">${esc(reasonText(cov.reason, lang))}</span>`
        : `${cov.pass} / ${cov.fail} / ${cov.notRun}`;
    out.push(
      `<tr><td><a href="#${anchor}-${esc(cov.criterionId)}">${esc(cov.criterionId)}</a></td><td>${title}</td><td>${badge(cov.status, lang)}</td><td>${counts}</td></tr>`,
    );
  }
  out.push('</table>');
  for (const comp of REPORTED_COMPETENCIES) {
    out.push(
      `<h3>${esc(comp.id)} — ${esc(comp.fr)}${lang === 'en' ? ` <span class="reason">(${esc(comp.en)})</span>` : ''}</h3>`,
    );
    out.push(
      `<table><tr><th style="width:7em">${esc(t('report.col.criterion', {}, lang))}</th><th style="width:15em">${esc(t('report.col.check', {}, lang))}</th><th style="width:8em">${esc(t('report.col.status', {}, lang))}</th><th>${esc(t('report.col.evidence', {}, lang))}</th></tr>`,
    );
    for (const cr of comp.criteria) {
      const checks = c.checks.filter((x) => x.criterionId === cr.id);
      const cov = c.criteria.find((x) => x.criterionId === cr.id);
      const head = `<td rowspan="${Math.max(1, checks.length) + 1}" id="${anchor}-${esc(cr.id)}"><strong>${esc(cr.id)}</strong></td>`;
      out.push(
        `<tr>${head}<td colspan="3"><strong>${esc(cr.fr)}</strong>${lang === 'en' ? ` <span class="reason">(${esc(cr.en)})</span>` : ''} ${badge(cov?.status ?? 'not-run', lang)}</td></tr>`,
      );
      if (checks.length === 0) {
        out.push(
          `<tr><td colspan="2" class="reason">${esc(reasonText(cov?.reason ?? 'no check yet', lang))}</td><td>${badge('not-run', lang)}</td></tr>`,
        );
      }
      for (const x of checks) {
        const at =
          x.startedAt && x.durationMs !== undefined
            ? `\n[${t('report.checkAt', { at: when(x.startedAt), ms: x.durationMs }, lang)}]`
            : '';
        out.push(
          `<tr><td>${esc(x.check)}</td><td>${badge(x.status, lang)}</td><td class="evidence">${esc(x.evidence)}${esc(at)}</td></tr>`,
        );
      }
    }
    out.push('</table>');
  }
  out.push('</section>');
  return out.join('\n');
}

export function diagramSection(diagram: HtmlDiagram | undefined, lang: Lang): string {
  if (!diagram) return '';
  const out = [`<section id="diagram"><h2>${esc(t('report.diagram', {}, lang))}</h2>`];
  if (diagram.note) out.push(`<p class="reason">${esc(diagram.note)}</p>`);
  if (diagram.svg) out.push(`<div class="diagram">${diagram.svg}</div>`);
  else if (diagram.mermaid) out.push(`<pre class="mermaid">${esc(diagram.mermaid)}</pre>`);
  out.push('</section>');
  return out.join('\n');
}

export function renderHtml(report: VerifyReportV1, lang: Lang, diagram?: HtmlDiagram): string {
  const title = t('report.title', { cohort: report.cohort }, lang);
  const commit = report.asdLab.commit.slice(0, 12) + (report.asdLab.dirty ? '+' : '');
  const toc = report.candidates.map((c) => {
    const s = c.summary;
    return `<tr><td><a href="#cand-${esc(c.id)}">${esc(c.id)}</a>${c.name ? ` — ${esc(c.name)}` : ''}</td><td>${verdictBadge(c, lang)}</td><td>${s.criteriaPassed} / ${s.criteriaFailed} / ${s.criteriaNotRun}</td><td>${s.pass} / ${s.fail} / ${s.notRun}</td></tr>`;
  });
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang}">`,
    '<head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${REPORT_CSS}</style></head>`,
    '<body>',
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(t('report.generated', { date: when(report.generatedAt), version: report.asdLab.version, commit }, lang))} — ${esc(t('report.target', { target: report.target }, lang))} — ${esc(t('report.schema', { version: report.schemaVersion }, lang))}</p>`,
    `<p>${esc(t('report.legend', {}, lang))}</p>`,
    `<table><tr><th>${esc(t('report.col.candidate', {}, lang))}</th><th>${esc(t('report.col.status', {}, lang))}</th><th>${esc(t('report.col.criteriaCounts', {}, lang))}</th><th>${esc(t('report.col.checkCounts', {}, lang))}</th></tr>`,
    ...toc,
    '</table>',
    diagramSection(diagram, lang),
    ...report.candidates.map((c) => candidateSection(c, lang)),
    '</body></html>',
    '',
  ].join('\n');
}
