// docs/indicators.md, generated from the indicator, alert, SLO and job definitions, so that the
// document a candidate hands in and the configuration that runs can never disagree.
import { INHIBIT_RULES } from './alertmanager-config.ts';
import { alertSpecs, runbookUrl } from './alerts.ts';
import { APP_METRICS, TEXTFILE_METRICS, type MetricContract } from './contracts.ts';
import { INDICATORS } from './indicators.ts';
import { objectiveText } from './objective.ts';
import type { MonitoringOptions } from './options.ts';
import { LATENCY_BUCKETS_SECONDS, SLO_PERIOD_DAYS, availabilityBudget } from '../../core/model/slo.ts';
import { flowPort } from '../../core/flows.ts';
import { BURN_RATE_ALERTS, SLO_ALERT_NAMES, SLO_WINDOWS } from './slo-rules.ts';
import { jobsFor } from './scrape-jobs.ts';
import { FAMILIES, TEAMS } from './types.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';

/** A table cell: pipes would end the cell, even inside code. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => `\`${cell(s)}\``;

function contractTable(list: MetricContract[]): string[] {
  return [
    '| metric | type | labels | producer | meaning |',
    '|---|---|---|---|---|',
    ...list.map(
      (m) => `| ${code(m.name)} | ${m.type} | ${m.labels.map(code).join(', ') || '—'} | ${cell(m.producer)} | ${cell(m.help)} |`,
    ),
  ];
}

export function renderIndicatorsDoc(opts: MonitoringOptions): string {
  const specs = alertSpecs(opts.modules);
  const alertsOf = (id: string) => {
    const names = new Set(specs.filter((s) => s.indicator === id).map((s) => s.alert));
    if (id === 'application.error_ratio' || id === 'application.availability_burn_rate')
      SLO_ALERT_NAMES.filter((n) => n.includes('Availability')).forEach((n) => {
        names.add(n);
      });
    if (id === 'application.latency_p95' || id === 'application.latency_burn_rate')
      SLO_ALERT_NAMES.filter((n) => n.includes('Latency')).forEach((n) => {
        names.add(n);
      });
    return [...names];
  };
  const link = (a: string) => `[${a}](runbooks/${a}.md)`;
  const inds = INDICATORS.filter((i) => i.module !== 'data' || opts.modules.data);
  const L: string[] = [
    "# Indicators of the lab's supervision",
    '',
    '<!-- Generated from src/modules/monitoring/ by `npm run monitoring`; do not edit: a test fails when this file is stale. -->',
    '',
    'What the lab measures on every server and service (CP9), against which objective, who owns it, and',
    'which alert tells that it goes wrong (CP10). Each alert has a runbook in [runbooks/](runbooks/).',
    'The Prometheus rules, alertmanager.yml and the Grafana dashboards are generated from the same definitions',
    '(`monitoring/generated/`, `monitoring/dashboards/`).',
    '',
    '## Service level objectives',
    '',
    `Measured over ${SLO_PERIOD_DAYS} days, per environment (label \`env\`), on the application's requests. Availability: share of`,
    'requests not answered with a 5xx status. Latency: 95 % of requests answered faster than the objective, read from the',
    `bucket of the histogram \`http_request_duration_seconds\` at that bound (allowed bounds, ms: ${LATENCY_BUCKETS_SECONDS.map((b) => Math.round(b * 1000)).join(', ')}).`,
    '',
    '| environment | availability | error budget | p95 latency | latency budget |',
    '|---|---|---|---|---|',
    ...ENVIRONMENTS.map(
      (e) =>
        `| ${e} | ${opts.slo[e].availabilityPercent} % | ${Number((availabilityBudget(opts.slo[e]) * 100).toPrecision(6))} % of requests | < ${opts.slo[e].p95LatencyMs} ms | 5 % of requests |`,
    ),
    '',
    '### Burn-rate alerts',
    '',
    'Multi-window, multi-burn-rate alerts (Google SRE workbook). The burn rate is the error ratio divided by the budget:',
    `1 spends exactly the budget in ${SLO_PERIOD_DAYS} days. Each condition needs the long window (significant) and the short`,
    'window (still happening, so the alert resolves soon after a fix) above the same rate.',
    '',
    '| alert | severity | conditions (either) | budget spent when it fires |',
    '|---|---|---|---|',
    ...(['availability', 'latency'] as const).flatMap((kind) =>
      BURN_RATE_ALERTS.map((b) => {
        const name = SLO_ALERT_NAMES.find((n) => n.toLowerCase().includes(kind) && n.toLowerCase().endsWith(b.speed))!;
        const conds = b.windows.map((w) => `${w.factor}x over ${w.long} and ${w.short}`).join('; ');
        const spent = b.windows
          .map((w) => `${Number((((w.factor * hours(w.long)) / (SLO_PERIOD_DAYS * 24)) * 100).toFixed(1))} % in ${w.long}`)
          .join('; ');
        return `| ${link(name)} | ${b.severity} | ${conds} | ${spent} |`;
      }),
    ),
    '',
    `Recording rules per environment: \`env:slo_availability_errors:ratio_rate<w>\` and \`env:slo_latency_slow:ratio_rate<w>\` for w in ${SLO_WINDOWS.join(', ')};`,
    '`env:slo_objective:ratio{slo="availability"|"latency"}` holds the objective itself.',
    '',
    '## Indicators',
    '',
    '| id | indicator | unit | objective | team | alerts |',
    '|---|---|---|---|---|---|',
    ...inds.map(
      (i) =>
        `| [${i.id}](#${anchor(i.id)}) | ${cell(i.title)} | ${i.unit} | ${cell(objectiveText(i, opts.slo))} | ${i.team} | ${alertsOf(i.id).map(link).join(', ') || '—'} |`,
    ),
    '',
  ];
  for (const f of FAMILIES) {
    const list = inds.filter((i) => i.family === f);
    if (list.length === 0) continue;
    L.push(`### Family: ${f}`, '');
    for (const i of list) {
      L.push(
        `#### ${i.id}`,
        '',
        `**${i.title}.** ${i.description}`,
        '',
        '```promql',
        i.promql,
        '```',
        '',
        `- unit: ${i.unit}`,
        `- objective: ${objectiveText(i, opts.slo)}`,
        `- team: ${i.team}`,
        `- source: ${i.source}`,
        `- criteria: ${i.criteria.join(', ')}`,
        `- alerts: ${alertsOf(i.id).map(link).join(', ') || 'none (read on the dashboard)'}`,
        '',
      );
    }
  }
  L.push(
    '## Alerts',
    '',
    'Every alert carries the labels `severity` (warning: during working hours; critical: now) and `team`, and the',
    `annotation \`runbook_url\` (${code(runbookUrl(opts.runbookBaseUrl, '<AlertName>'))}).`,
    '',
    '| alert | severity | team | for | indicator |',
    '|---|---|---|---|---|',
    ...specs.map(
      (s) =>
        `| ${link(s.alert)} | ${s.severity} | ${s.team} | ${s.for ?? '—'} | ${s.indicator}${s.labels?.env ? ` (${s.labels.env})` : ''} |`,
    ),
    ...SLO_ALERT_NAMES.map(
      (n) =>
        `| ${link(n)} | ${n.endsWith('Fast') ? 'critical' : 'warning'} | dev | — | per environment (${ENVIRONMENTS.join(', ')}) |`,
    ),
    '',
    '## Routing',
    '',
    `Alertmanager routes on the \`team\` label; each team's receiver is the lab's webhook receiver at ${code(`${opts.webhookBaseUrl.replace(/\/+$/, '')}/<team>`)}`,
    `(teams: ${TEAMS.join(', ')}; an alert without a known team goes to ops). Alerts are grouped by \`alertname\` and \`env\`;`,
    'critical ones are repeated every hour, warnings every 4 hours. Inhibition rules (the source silences the target):',
    '',
    '| source | target | when equal |',
    '|---|---|---|',
    ...INHIBIT_RULES.map(
      (r) => `| ${r.source_matchers.map(code).join(', ')} | ${r.target_matchers.map(code).join(', ')} | ${r.equal.join(', ')} |`,
    ),
    '',
    '## Scrape jobs',
    '',
    "Every scrape is HTTPS, verified against the cohort CA, with basic authentication; targets are the servers' DNS",
    'names, read from `targets/<job>.yml` (file_sd) that the deployment writes from the inventory, with the labels',
    '`instance` (server name), `env`, `candidate`, `server` and `role`.',
    '',
    '| job | port or probe | servers | team | what |',
    '|---|---|---|---|---|',
    ...jobsFor(opts.modules).map(
      (j) =>
        `| ${j.name} | ${j.kind === 'exporter' ? flowPort(j.flow) : `blackbox ${j.blackboxModule}`} | ${j.roles.join(', ')} | ${j.team} | ${cell(j.what)} |`,
    ),
    '',
    '## Metrics other parts of the lab must produce',
    '',
    'Textfile collector metrics (node_exporter `--collector.textfile.directory`). Counters start at 0 on the first run',
    'so that the first event is seen as an increase.',
    '',
    ...contractTable(TEXTFILE_METRICS),
    '',
    'Application metrics (the application exposes them on its own `/metrics`, HTTPS on port 8080):',
    '',
    ...contractTable(APP_METRICS),
    '',
  );
  return L.join('\n');
}

const anchor = (id: string) => id.toLowerCase().replace(/[^a-z0-9 _-]/g, '');
const hours = (w: string) => {
  const n = Number(w.slice(0, -1));
  return w.endsWith('d') ? n * 24 : w.endsWith('h') ? n : n / 60;
};
