// Recording rules and multi-window, multi-burn-rate alerts derived from the SLOs, per environment
// (Google SRE workbook, "Alerting on SLOs", 30-day budget). An alert fires when the budget burns
// fast over a long window AND still burns over a short one (so it resets quickly once fixed):
//   fast (critical): 1h and 5m at 14.4x (2 % of the budget in 1 h)  or  6h and 30m at 6x (5 % in 6 h)
//   slow (warning):  1d and 2h at 3x    (10 % in 1 d)                or  3d and 6h at 1x  (10 % in 3 d)
import { LATENCY_OBJECTIVE_RATIO, availabilityBudget, latencyThresholdSeconds, type SloConfig } from '../../core/model/slo.ts';
import { ERROR_CODES } from './indicators.ts';
import { runbookUrl } from './alerts.ts';
import type { AlertingRule, RecordingRule, RuleGroup, Severity } from './types.ts';
import { ENVIRONMENTS, type Environment } from '../../core/environments.ts';

export interface BurnWindow {
  long: string;
  short: string;
  /** Burn rate: how many times faster than "exactly the budget over 30 days". */
  factor: number;
}

export interface BurnRateAlert {
  speed: 'fast' | 'slow';
  severity: Severity;
  windows: BurnWindow[];
}

export const BURN_RATE_ALERTS: BurnRateAlert[] = [
  {
    speed: 'fast',
    severity: 'critical',
    windows: [
      { long: '1h', short: '5m', factor: 14.4 },
      { long: '6h', short: '30m', factor: 6 },
    ],
  },
  {
    speed: 'slow',
    severity: 'warning',
    windows: [
      { long: '1d', short: '2h', factor: 3 },
      { long: '3d', short: '6h', factor: 1 },
    ],
  },
];

/** Every window a burn-rate alert reads, shortest first. */
export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

export type SloKind = 'availability' | 'latency';

const SERIES: Record<SloKind, string> = {
  availability: 'env:slo_availability_errors:ratio_rate',
  latency: 'env:slo_latency_slow:ratio_rate',
};
export const seriesName = (kind: SloKind, window: string) => `${SERIES[kind]}${window}`;

const REQUESTS = 'http_request_duration_seconds';

/**
 * The `le` matcher of a bucket bound: client libraries print 1 as "1" or "1.0", 0.3 as "0.3".
 * A regular expression accepts both forms of whole numbers.
 */
export function leMatcher(seconds: number): string {
  return Number.isInteger(seconds) ? `le=~"${seconds}(\\\\.0)?"` : `le="${seconds}"`;
}

function recordingRules(env: Environment, slo: SloConfig[Environment]): RecordingRule[] {
  // The env label is already kept by "by (env)"; stating it makes each environment's rules distinct.
  const sel = (extra = '') => `{env="${env}"${extra ? `,${extra}` : ''}}`;
  const rules: RecordingRule[] = [];
  for (const w of SLO_WINDOWS) {
    rules.push({
      record: seriesName('availability', w),
      expr: `sum by (env) (rate(${REQUESTS}_count${sel(ERROR_CODES)}[${w}])) / sum by (env) (rate(${REQUESTS}_count${sel()}[${w}]))`,
      labels: { env },
    });
  }
  const le = leMatcher(latencyThresholdSeconds(slo));
  for (const w of SLO_WINDOWS) {
    rules.push({
      record: seriesName('latency', w),
      expr: `1 - sum by (env) (rate(${REQUESTS}_bucket${sel(le)}[${w}])) / sum by (env) (rate(${REQUESTS}_count${sel()}[${w}]))`,
      labels: { env },
    });
  }
  rules.push(
    {
      record: 'env:slo_objective:ratio',
      expr: `vector(${round(slo.availabilityPercent / 100)})`,
      labels: { env, slo: 'availability' },
    },
    { record: 'env:slo_objective:ratio', expr: `vector(${LATENCY_OBJECTIVE_RATIO})`, labels: { env, slo: 'latency' } },
  );
  return rules;
}

const NAMES: Record<SloKind, Record<BurnRateAlert['speed'], string>> = {
  availability: { fast: 'SLOAvailabilityBurnRateFast', slow: 'SLOAvailabilityBurnRateSlow' },
  latency: { fast: 'SLOLatencyBurnRateFast', slow: 'SLOLatencyBurnRateSlow' },
};

/** Names of every SLO alert, whatever the configuration. */
export const SLO_ALERT_NAMES = Object.values(NAMES).flatMap((n) => Object.values(n));

function burnAlerts(env: Environment, slo: SloConfig[Environment], runbookBaseUrl: string): AlertingRule[] {
  const budgets: Record<SloKind, number> = { availability: availabilityBudget(slo), latency: round(1 - LATENCY_OBJECTIVE_RATIO) };
  const what: Record<SloKind, string> = {
    availability: `availability objective (${slo.availabilityPercent} % of requests without a 5xx)`,
    latency: `latency objective (95 % of requests under ${slo.p95LatencyMs} ms)`,
  };
  const out: AlertingRule[] = [];
  for (const kind of ['availability', 'latency'] as const) {
    for (const b of BURN_RATE_ALERTS) {
      const conds = b.windows.map((w) => {
        const threshold = round(w.factor * budgets[kind]);
        return `(${seriesName(kind, w.long)}{env="${env}"} > ${threshold} and ${seriesName(kind, w.short)}{env="${env}"} > ${threshold})`;
      });
      const windows = b.windows.map((w) => `${w.factor}x over ${w.long} and ${w.short}`).join(', or ');
      out.push({
        alert: NAMES[kind][b.speed],
        expr: conds.join(' or '),
        labels: { severity: b.severity, team: 'dev', env, slo: kind, burn: b.speed },
        annotations: {
          summary: `${env}: ${kind} error budget burning ${b.speed === 'fast' ? 'fast' : 'steadily'}`,
          description:
            `The ${env} environment spends the error budget of its ${what[kind]} at ${windows}. ` +
            (b.speed === 'fast'
              ? 'At this pace the 30-day budget is gone within days: act now.'
              : 'At this pace the 30-day budget runs out before the end of the period: plan a fix.'),
          runbook_url: runbookUrl(runbookBaseUrl, NAMES[kind][b.speed]),
          indicator: kind === 'availability' ? 'application.error_ratio' : 'application.latency_p95',
        },
      });
    }
  }
  return out;
}

/** One recording group and one alerting group per environment. */
export function sloRuleGroups(slo: SloConfig, runbookBaseUrl: string): RuleGroup[] {
  return ENVIRONMENTS.flatMap((env) => [
    { name: `slo-recording-${env}`, rules: recordingRules(env, slo[env]) },
    { name: `slo-alerts-${env}`, rules: burnAlerts(env, slo[env], runbookBaseUrl) },
  ]);
}

const round = (x: number) => Number(x.toPrecision(10));
