// The developers' report (CP10.3): what the application's users lived over a period, read from the
// candidate's Prometheus — availability against the SLO and the error budget left, latency
// percentiles, top errors, saturation, the alerts of team dev — with SVG charts, written as
// Markdown (charts beside it) and as one self-contained HTML page.
//
// This module has no dependency on the controller (no SSH, no lab state): the same code runs in
// `asd-lab report app` (controller, Prometheus over SSH) and in the weekly job on the mon server
// (report-job.ts, bundled for Debian's node 18, Prometheus on localhost). Each passes its own
// ReportSource; where the controller stores reports is app-report-files.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLO_PERIOD_DAYS, type SloConfig } from '../../core/model/slo.ts';
import { ERROR_CODES } from './indicators.ts';
import type { PromRangeSeries, PromSample, ReceivedEvent } from './api-types.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';
import { getLang, t, type Lang, type MessageKey } from '../../core/i18n/index.ts';

/** A period such as 7d, 24h, 90m. */
export function parsePeriod(s: string): number | undefined {
  const m = /^(\d{1,4})([mhd])$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  const sec = n * { m: 60, h: 3600, d: 86400 }[m[2] as 'm' | 'h' | 'd'];
  return sec >= 300 && sec <= 90 * 86400 ? sec : undefined;
}

const C = 'http_request_duration_seconds';

/** The instant queries of the report, over a range `r` (e.g. 7d). */
export function reportQueries(r: string) {
  return {
    requests: `sum by (env) (increase(${C}_count[${r}]))`,
    errors: `sum by (env) (increase(${C}_count{${ERROR_CODES}}[${r}]))`,
    p50: `histogram_quantile(0.5, sum by (env, le) (increase(${C}_bucket[${r}])))`,
    p95: `histogram_quantile(0.95, sum by (env, le) (increase(${C}_bucket[${r}])))`,
    p99: `histogram_quantile(0.99, sum by (env, le) (increase(${C}_bucket[${r}])))`,
    topErrors: `topk(10, sum by (env, route, code) (increase(${C}_count{${ERROR_CODES}}[${r}])) > 0)`,
    saturation: `max by (env) (max_over_time((sum by (instance, env) (http_requests_in_flight) / sum by (instance, env) (http_requests_in_flight_limit))[${r}:5m]))`,
    probeAvailability: `avg by (env) (avg_over_time(probe_success{job="blackbox_http"}[${r}]))`,
  };
}

/** The range queries of the charts; their titles are catalog keys (the report's language). */
export const CHART_QUERIES = {
  rate: { title: 'appReport.chart.rate', unit: 'req/s', expr: `sum by (env) (rate(${C}_count[5m]))` },
  errorRatio: {
    title: 'appReport.chart.errorRatio',
    unit: '%',
    expr: `100 * sum by (env) (rate(${C}_count{${ERROR_CODES}}[5m])) / sum by (env) (rate(${C}_count[5m]))`,
  },
  p95: {
    title: 'appReport.chart.p95',
    unit: 'ms',
    expr: `1000 * histogram_quantile(0.95, sum by (env, le) (rate(${C}_bucket[5m])))`,
  },
} as const satisfies Record<string, { title: MessageKey; unit: string; expr: string }>;

export interface EnvStats {
  env: string;
  requests: number;
  errors: number;
  availabilityPercent?: number;
  objectivePercent: number;
  /** Share of the period's error budget left (can be negative: overspent). */
  budgetLeftPercent?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  p95ObjectiveMs: number;
  maxSaturationPercent?: number;
  probeAvailabilityPercent?: number;
}

export interface Series {
  env: string;
  points: [number, number][];
}
export interface Chart {
  title: string;
  unit: string;
  series: Series[];
}

export interface AppReport {
  cohort: string;
  candidate: string;
  generated: string;
  period: string;
  from: string;
  to: string;
  /** Who wrote it (default: asd-lab report app). */
  generatedBy?: string;
  envs: EnvStats[];
  topErrors: { env: string; route: string; code: string; count: number }[];
  alerts: { alertname: string; severity: string; instance: string; firings: number }[];
  charts: Chart[];
}

const num = (v: string | undefined) => (v === undefined || v === 'NaN' || v === '+Inf' || v === '-Inf' ? undefined : Number(v));

/** Per-environment statistics from instant query results (env label -> value). */
export function envStats(slo: SloConfig, r: Record<keyof ReturnType<typeof reportQueries>, Map<string, string>>): EnvStats[] {
  return ENVIRONMENTS.map((env) => {
    const requests = num(r.requests.get(env)) ?? 0;
    const errors = num(r.errors.get(env)) ?? 0;
    const objective = slo[env].availabilityPercent;
    const availability = requests > 0 ? 100 * (1 - errors / requests) : undefined;
    const budget = 100 - objective;
    const ms = (x: string | undefined) => (num(x) === undefined ? undefined : Math.round(num(x)! * 1000));
    return {
      env,
      requests: Math.round(requests),
      errors: Math.round(errors),
      availabilityPercent: availability,
      objectivePercent: objective,
      budgetLeftPercent: availability === undefined ? undefined : 100 * (1 - (100 - availability) / budget),
      p50Ms: ms(r.p50.get(env)),
      p95Ms: ms(r.p95.get(env)),
      p99Ms: ms(r.p99.get(env)),
      p95ObjectiveMs: slo[env].p95LatencyMs,
      maxSaturationPercent: num(r.saturation.get(env)) === undefined ? undefined : 100 * num(r.saturation.get(env))!,
      probeAvailabilityPercent:
        num(r.probeAvailability.get(env)) === undefined ? undefined : 100 * num(r.probeAvailability.get(env))!,
    };
  });
}

/** Alerts of the developers' team (dev) that fired in the period, from the receiver's event log. */
export function devAlerts(events: ReceivedEvent[], fromMs: number): AppReport['alerts'] {
  const seen = new Map<string, { alertname: string; severity: string; instance: string; firings: Set<string> }>();
  for (const e of events) {
    if (Date.parse(e.received) < fromMs) continue;
    for (const a of e.alerts) {
      if (a.team !== 'dev' || a.status !== 'firing') continue;
      const key = `${a.alertname}|${a.severity}|${a.instance || a.env}`;
      const x = seen.get(key) ?? {
        alertname: a.alertname,
        severity: a.severity,
        instance: a.instance || a.env,
        firings: new Set<string>(),
      };
      x.firings.add(a.startsAt);
      seen.set(key, x);
    }
  }
  return [...seen.values()]
    .map((x) => ({ alertname: x.alertname, severity: x.severity, instance: x.instance, firings: x.firings.size }))
    .sort((a, b) => b.firings - a.firings || a.alertname.localeCompare(b.alertname));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS: Record<string, string> = { test: '#1f77b4', preprod: '#ff7f0e', prod: '#2ca02c' };

/** A line chart as standalone SVG (no script, no external resource). */
export function svgChart(c: Chart, width = 640, height = 220, lang: Lang = getLang()): string {
  const pad = { l: 56, r: 90, t: 28, b: 28 };
  const pts = c.series.flatMap((s) => s.points);
  const head =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(c.title)}" font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="${pad.l}" y="16" font-size="13" font-weight="bold">${esc(c.title)} (${esc(c.unit)})</text>`;
  if (pts.length === 0) {
    return `${head}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#777">${esc(t('appReport.chart.noData', {}, lang))}</text></svg>\n`;
  }
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const y1 = Math.max(...ys) > 0 ? Math.max(...ys) * 1.1 : 1;
  const X = (x: number) => pad.l + ((x - x0) / Math.max(1, x1 - x0)) * (width - pad.l - pad.r);
  const Y = (y: number) => height - pad.b - (y / y1) * (height - pad.t - pad.b);
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2));
  let body = '';
  for (const f of [0, 0.5, 1]) {
    body += `<line x1="${pad.l}" x2="${width - pad.r}" y1="${Y(y1 * f)}" y2="${Y(y1 * f)}" stroke="#ddd"/><text x="${pad.l - 4}" y="${Y(y1 * f) + 4}" text-anchor="end">${fmt(y1 * f)}</text>`;
  }
  const day = (x: number) => new Date(x * 1000).toISOString().slice(5, 16).replace('T', ' ');
  body += `<text x="${pad.l}" y="${height - 8}">${day(x0)}</text><text x="${width - pad.r}" y="${height - 8}" text-anchor="end">${day(x1)}</text>`;
  c.series.forEach((s, i) => {
    const color = COLORS[s.env] ?? '#555';
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
    body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/><text x="${width - pad.r + 8}" y="${pad.t + 14 * (i + 1)}" fill="${color}">${esc(s.env)}</text>`;
  });
  return `${head}${body}</svg>\n`;
}

/** The report's words in one language: catalog texts, and numbers with that language's decimal mark. */
function words(lang: Lang) {
  const tr = (key: MessageKey, params: Record<string, string | number> = {}) => t(key, params, lang);
  const dec = (s: string) => (lang === 'fr' ? s.replace('.', ',') : s);
  const pct = (v: number | undefined, digits = 3) => (v === undefined ? '—' : `${dec(v.toFixed(digits))} %`);
  const msOr = (v: number | undefined) => (v === undefined ? '—' : `${v} ms`);
  const verdict = (e: EnvStats) =>
    tr(
      e.availabilityPercent === undefined
        ? 'appReport.verdict.noTraffic'
        : e.availabilityPercent >= e.objectivePercent
          ? 'appReport.verdict.met'
          : 'appReport.verdict.missed',
    );
  const cols = (...keys: string[]) => keys.map((k) => (k.includes('.') ? tr(k as MessageKey) : k));
  return {
    tr,
    pct,
    msOr,
    verdict,
    availabilityHead: cols(
      'appReport.col.env',
      'appReport.col.requests',
      'appReport.col.errors',
      'appReport.col.availability',
      'appReport.col.objective',
      'appReport.col.verdict',
      'appReport.col.budgetLeft',
      'appReport.col.probe',
    ),
    availabilityRow: (e: EnvStats) => [
      e.env,
      String(e.requests),
      String(e.errors),
      pct(e.availabilityPercent),
      `${dec(String(e.objectivePercent))} %`,
      verdict(e),
      pct(e.budgetLeftPercent, 1),
      pct(e.probeAvailabilityPercent, 2),
    ],
    latencyHead: cols('appReport.col.env', 'p50', 'p95', 'p99', 'appReport.col.p95Objective'),
    latencyRow: (e: EnvStats) => [e.env, msOr(e.p50Ms), msOr(e.p95Ms), msOr(e.p99Ms), `${e.p95ObjectiveMs} ms`],
    errorsHead: cols('appReport.col.env', 'appReport.col.route', 'appReport.col.code', 'appReport.col.count'),
    saturationHead: cols('appReport.col.env', 'appReport.col.saturation'),
    alertsHead: cols('appReport.col.alert', 'appReport.col.severity', 'appReport.col.where', 'appReport.col.fired'),
  };
}

/** Markdown; charts are linked files `<chartPrefix><n>.svg`. */
export function renderMarkdown(r: AppReport, chartPrefix: string, lang: Lang = getLang()): string {
  const w = words(lang);
  const { tr } = w;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = (head: string[], rows: string[][]) => [row(head), `|${'---|'.repeat(head.length)}`, ...rows.map(row)];
  const l: string[] = [];
  l.push(`# ${tr('appReport.title', { candidate: r.candidate, cohort: r.cohort })}`, '');
  l.push(
    [
      tr('appReport.period', { period: r.period, from: r.from, to: r.to }),
      tr('appReport.generatedBy', { generated: r.generated, by: r.generatedBy ?? '`asd-lab report app`' }),
      tr('appReport.sloWindow', { days: SLO_PERIOD_DAYS }),
    ].join(' '),
    '',
  );
  l.push(`## ${tr('appReport.h.availability')}`, '', ...table(w.availabilityHead, r.envs.map(w.availabilityRow)));
  l.push('', `## ${tr('appReport.h.latency')}`, '', ...table(w.latencyHead, r.envs.map(w.latencyRow)));
  l.push('', `## ${tr('appReport.h.topErrors')}`, '');
  if (r.topErrors.length === 0) l.push(tr('appReport.noErrors'));
  else
    l.push(
      ...table(
        w.errorsHead,
        r.topErrors.map((x) => [x.env, x.route || '—', x.code, String(x.count)]),
      ),
    );
  l.push('', `## ${tr('appReport.h.saturation')}`, '');
  l.push(
    ...table(
      w.saturationHead,
      r.envs.map((e) => [e.env, w.pct(e.maxSaturationPercent, 0)]),
    ),
  );
  l.push('', `## ${tr('appReport.h.alerts')}`, '');
  if (r.alerts.length === 0) l.push(tr('appReport.noAlerts'));
  else
    l.push(
      ...table(
        w.alertsHead,
        r.alerts.map((a) => [a.alertname, a.severity, a.instance, String(a.firings)]),
      ),
    );
  l.push('', `## ${tr('appReport.h.charts')}`, '');
  r.charts.forEach((c, i) => {
    l.push(`![${c.title}](${chartPrefix}${i + 1}.svg)`, '');
  });
  if (r.envs.every((e) => e.requests === 0)) l.push(`> ${tr('appReport.noTraffic')}`, '');
  return `${l.join('\n').trimEnd()}\n`;
}

/** One self-contained HTML page (inline SVG, inline style). */
export function renderHtml(r: AppReport, lang: Lang = getLang()): string {
  const w = words(lang);
  const { tr } = w;
  const table = (head: string[], rows: string[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const generated = r.generatedBy
    ? tr('appReport.generatedBy', { generated: r.generated, by: r.generatedBy })
    : tr('appReport.generated', { generated: r.generated });
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(tr('appReport.pageTitle', { candidate: r.candidate }))}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}</style></head><body>
<h1>${esc(tr('appReport.title', { candidate: r.candidate, cohort: r.cohort }))}</h1>
<p>${esc(tr('appReport.period', { period: r.period, from: r.from, to: r.to }))} ${esc(generated)}</p>
<h2>${esc(tr('appReport.h.availability'))}</h2>
${table(w.availabilityHead, r.envs.map(w.availabilityRow))}
<h2>${esc(tr('appReport.h.latency'))}</h2>
${table(w.latencyHead, r.envs.map(w.latencyRow))}
<h2>${esc(tr('appReport.h.topErrors'))}</h2>
${
  r.topErrors.length === 0
    ? `<p>${esc(tr('appReport.noErrors'))}</p>`
    : table(
        w.errorsHead,
        r.topErrors.map((x) => [x.env, x.route || '—', x.code, String(x.count)]),
      )
}
<h2>${esc(tr('appReport.h.saturation'))}</h2>
${table(
  w.saturationHead,
  r.envs.map((e) => [e.env, w.pct(e.maxSaturationPercent, 0)]),
)}
<h2>${esc(tr('appReport.h.alerts'))}</h2>
${
  r.alerts.length === 0
    ? `<p>${esc(tr('appReport.noAlerts'))}</p>`
    : table(
        w.alertsHead,
        r.alerts.map((a) => [a.alertname, a.severity, a.instance, String(a.firings)]),
      )
}
<h2>${esc(tr('appReport.h.charts'))}</h2>
${r.charts.map((c) => svgChart(c, undefined, undefined, lang)).join('')}
</body></html>
`;
}

/** Where the report's data comes from: a Prometheus API and the alert receiver's event log. */
export interface ReportSource {
  query(expr: string): Promise<PromSample[]>;
  range(expr: string, start: number, end: number, stepSeconds: number): Promise<PromRangeSeries[]>;
  events(): Promise<ReceivedEvent[]>;
}

export interface CollectOptions {
  cohort: string;
  candidate: string;
  /** A period accepted by parsePeriod(), e.g. 7d. */
  period: string;
  slo: SloConfig;
  /** Who wrote it, printed in the report (default: asd-lab report app). */
  generatedBy?: string;
  now?: Date;
  /** Language of the chart titles stored in the report (default: the current one). */
  lang?: Lang;
}

/** Ask every query of the report and its charts, and assemble the report. */
export async function collectAppReport(src: ReportSource, o: CollectOptions): Promise<AppReport> {
  const seconds = parsePeriod(o.period);
  if (seconds === undefined) throw new Error(`invalid period ${o.period}`);
  const now = o.now ?? new Date();
  const end = Math.floor(now.getTime() / 1000);
  const start = end - seconds;
  const q = reportQueries(o.period);
  const results = {} as Record<keyof typeof q, Map<string, string>>;
  const raw = {} as Record<keyof typeof q, PromSample[]>;
  for (const [k, expr] of Object.entries(q) as [keyof typeof q, string][]) {
    raw[k] = await src.query(expr);
    results[k] = new Map(raw[k].map((s) => [s.metric.env ?? '', s.value[1]]));
  }
  const step = Math.max(60, Math.round(seconds / 120));
  const charts: Chart[] = [];
  for (const ch of Object.values(CHART_QUERIES)) {
    const series = await src.range(ch.expr, start, end, step);
    charts.push({
      title: t(ch.title, {}, o.lang ?? getLang()),
      unit: ch.unit,
      series: series.map((s) => ({
        env: s.metric.env ?? '',
        points: s.values.map(([x, y]) => [x, Number(y)] as [number, number]).filter(([, y]) => Number.isFinite(y)),
      })),
    });
  }
  return {
    cohort: o.cohort,
    candidate: o.candidate,
    generated: `${now.toISOString().slice(0, 19)}Z`,
    period: o.period,
    from: `${new Date(start * 1000).toISOString().slice(0, 16)}Z`,
    to: `${new Date(end * 1000).toISOString().slice(0, 16)}Z`,
    ...(o.generatedBy ? { generatedBy: o.generatedBy } : {}),
    envs: envStats(o.slo, results),
    topErrors: raw.topErrors.map((s) => ({
      env: s.metric.env ?? '',
      route: s.metric.route ?? '',
      code: s.metric.code ?? '',
      count: Math.round(Number(s.value[1])),
    })),
    alerts: devAlerts(await src.events(), start * 1000),
    charts,
  };
}

/** File stem of a report: app-<UTC yyyymmddThhmm>Z (what the CP10.3 check reads the age from). */
export const reportStem = (r: AppReport) => `app-${r.generated.replace(/[-:]/g, '').slice(0, 13)}Z`;

/** Write the Markdown, the HTML and the SVG charts into dir (which must exist); the paths written. */
export function writeAppReport(dir: string, r: AppReport, mode = 0o644, lang: Lang = getLang()): string[] {
  const stamp = reportStem(r);
  const files = [join(dir, `${stamp}.md`), join(dir, `${stamp}.html`)];
  writeFileSync(files[0]!, renderMarkdown(r, `${stamp}-chart-`, lang), { mode });
  writeFileSync(files[1]!, renderHtml(r, lang), { mode });
  r.charts.forEach((ch, i) => {
    const f = join(dir, `${stamp}-chart-${i + 1}.svg`);
    writeFileSync(f, svgChart(ch, undefined, undefined, lang), { mode });
    files.push(f);
  });
  return files;
}
