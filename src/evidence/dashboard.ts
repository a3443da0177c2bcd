// The cohort dashboard behind `status` and `serve`: every candidate's servers with their state
// and health (SSH port answering), and the last verify result from the lab state.
import { t, type Lang } from '../core/i18n/index.ts';
import { hourlyCost, type PricedResource } from '../targets/aws/pricing.ts';
import { instanceTypesOf, serversOf, type Candidate, type Cohort } from '../core/model/cohort.ts';
import { tcpOpen } from '../checks/run.ts';
import { esc, REPORT_CSS } from './verify-report/html.ts';
import type { VerifyReportV1 } from './verify-report/schema.ts';
import type { LabServer } from '../core/lab-server.ts';

export type Health = 'up' | 'no-ssh' | 'down';

export interface DashboardServer {
  name: string;
  role: string;
  state: string;
  address: string;
  sshPort: number;
  user: string;
  keyPath: string;
  machine?: string;
  health: Health;
}

export interface Dashboard {
  cohort: string;
  target: string;
  expires?: string;
  generatedAt: string;
  candidates: {
    id: string;
    name?: string;
    servers: DashboardServer[];
    /** AWS target: estimated on-demand cost of the candidate's instances and volumes, USD per hour. */
    costPerHour?: number;
    lastVerify?: {
      at: string;
      reachable: boolean;
      error?: string;
      pass: number;
      fail: number;
      notRun: number;
      criteriaPassed: number;
      criteriaFailed: number;
      criteriaNotRun: number;
    };
  }[];
}

/**
 * Estimated hourly cost of one candidate's servers on AWS (instances, root volumes, database data
 * volumes), from the price table of src/targets/aws/pricing.ts; the cohort's shared network is not included.
 */
export function candidateCostPerHour(cohort: Cohort, cand: Candidate): number {
  const types = instanceTypesOf(cohort, cand);
  const resources: PricedResource[] = serversOf(cohort, cand).flatMap((s) => [
    { address: s.name, type: 'aws_instance', values: { instance_type: types[s.role] } },
    ...(s.role === 'db'
      ? [{ address: `${s.name}-data`, type: 'aws_ebs_volume', values: { size: cohort.aws.dataVolumeGiB } }]
      : []),
  ]);
  return Math.round(hourlyCost(resources, cohort.aws.region).usd * 10000) / 10000;
}

export async function dashboard(
  cohort: Cohort,
  servers: Map<string, LabServer[]>,
  last: VerifyReportV1 | undefined,
  opts: { probe?: (s: LabServer) => Promise<boolean>; now?: Date } = {},
): Promise<Dashboard> {
  const probe = opts.probe ?? ((s: LabServer) => tcpOpen(s.address, s.sshPort, 1500));
  const candidates = await Promise.all(
    cohort.candidates.map(async (c) => {
      const list = servers.get(c.id) ?? [];
      const withHealth = await Promise.all(
        list.map(
          async (s): Promise<DashboardServer> => ({
            name: s.name,
            role: s.role,
            state: s.state,
            address: s.address,
            sshPort: s.sshPort,
            user: s.user,
            keyPath: s.keyPath,
            machine: s.machine,
            health: s.state !== 'running' ? 'down' : (await probe(s)) ? 'up' : 'no-ssh',
          }),
        ),
      );
      const lv = last?.candidates.find((x) => x.id === c.id);
      return {
        id: c.id,
        ...(c.name ? { name: c.name } : {}),
        servers: withHealth,
        ...(cohort.target === 'aws' ? { costPerHour: candidateCostPerHour(cohort, c) } : {}),
        ...(lv
          ? {
              lastVerify: { at: lv.finishedAt, reachable: lv.reachable, ...(lv.error ? { error: lv.error } : {}), ...lv.summary },
            }
          : {}),
      };
    }),
  );
  return {
    cohort: cohort.cohort,
    target: cohort.target,
    ...(cohort.expires ? { expires: cohort.expires } : {}),
    generatedAt: (opts.now ?? new Date()).toISOString(),
    candidates,
  };
}

function verifyLine(c: Dashboard['candidates'][number], lang: Lang): string {
  const v = c.lastVerify;
  if (!v) return t('status.noVerify', {}, lang);
  if (!v.reachable)
    return `${t('status.lastVerifyAt', { date: v.at }, lang)} ${t('report.unreachable', { reason: v.error ?? '?' }, lang)}`;
  return t(
    'status.lastVerify',
    { date: v.at, passed: v.criteriaPassed, failed: v.criteriaFailed, notRun: v.criteriaNotRun, pass: v.pass, fail: v.fail },
    lang,
  );
}

export function renderDashboardText(d: Dashboard, lang: Lang): string {
  const out: string[] = [];
  out.push(
    t('status.header', { cohort: d.cohort, target: d.target, date: d.generatedAt }, lang) +
      (d.expires ? ` — ${t('status.expires', { date: d.expires }, lang)}` : ''),
  );
  if (d.candidates.every((c) => c.servers.every((s) => s.state === 'missing')))
    out.push(t('status.none', { cohort: d.cohort }, lang));
  for (const c of d.candidates) {
    const cost = c.costPerHour !== undefined ? `  —  ${t('status.cost', { cost: c.costPerHour.toFixed(4) }, lang)}` : '';
    out.push(`${c.id}${c.name ? ` (${c.name})` : ''}  —  ${verifyLine(c, lang)}${cost}`);
    for (const s of c.servers) {
      out.push(
        `  ${s.name.padEnd(10)} ${s.role.padEnd(8)} ${s.state.padEnd(8)} ${t(`status.health.${s.health === 'no-ssh' ? 'noSsh' : s.health}`, {}, lang).padEnd(14)} ${`${s.user}@${s.address}:${s.sshPort}`.padEnd(26)} ${s.keyPath}`,
      );
    }
  }
  return out.join('\n');
}

/** The read-only page of `asd-lab serve` (refreshes itself; no script). */
export function renderDashboardHtml(
  d: Dashboard,
  lang: Lang,
  opts: { refreshSeconds?: number; diagramSvg?: string } = {},
): string {
  const rows: string[] = [];
  for (const c of d.candidates) {
    const v = c.lastVerify;
    const status = !v ? 'not-run' : !v.reachable || v.criteriaFailed > 0 ? 'fail' : 'pass';
    rows.push(`<h2 id="cand-${esc(c.id)}">${esc(c.id)}${c.name ? ` — ${esc(c.name)}` : ''}</h2>`);
    if (c.costPerHour !== undefined) rows.push(`<p>${esc(t('status.cost', { cost: c.costPerHour.toFixed(4) }, lang))}</p>`);
    rows.push(
      `<p><span class="badge ${status}">${esc(t(status === 'pass' ? 'report.word.pass' : status === 'fail' ? 'report.word.fail' : 'report.word.notRun', {}, lang))}</span> ${esc(verifyLine(c, lang))}</p>`,
    );
    rows.push(
      `<table><tr><th>${esc(t('report.col.server', {}, lang))}</th><th>${esc(t('report.col.role', {}, lang))}</th><th>${esc(t('report.col.state', {}, lang))}</th><th>${esc(t('status.col.health', {}, lang))}</th><th>${esc(t('report.col.address', {}, lang))}</th></tr>`,
    );
    for (const s of c.servers) {
      const cls = s.health === 'up' ? 'pass' : s.health === 'no-ssh' ? 'fail' : 'not-run';
      rows.push(
        `<tr><td>${esc(s.name)}</td><td>${esc(s.role)}</td><td>${esc(s.state)}</td><td><span class="badge ${cls}">${esc(t(`status.health.${s.health === 'no-ssh' ? 'noSsh' : s.health}`, {}, lang))}</span></td><td>${esc(`${s.address}:${s.sshPort}`)}</td></tr>`,
      );
    }
    rows.push('</table>');
  }
  const title = t('status.pageTitle', { cohort: d.cohort }, lang);
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang}">`,
    '<head><meta charset="utf-8">',
    opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : '',
    `<title>${esc(title)}</title><style>${REPORT_CSS}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(t('status.header', { cohort: d.cohort, target: d.target, date: d.generatedAt }, lang))}${d.expires ? ` — ${esc(t('status.expires', { date: d.expires }, lang))}` : ''}</p>`,
    ...rows,
    opts.diagramSvg ? `<h2>${esc(t('report.diagram', {}, lang))}</h2><div class="diagram">${opts.diagramSvg}</div>` : '',
    '</body></html>',
    '',
  ].join('\n');
}
