// Service level objectives per environment (CP9.2: the indicators take the SLAs into account).
// This block is meant to join the cohort model as `slo:`; until then the generator takes it as an
// option. Engine-neutral: no Prometheus syntax here, only the objectives and their validation.
import { z } from 'zod';
import type { Environment } from '../environments.ts';
import { t } from '../i18n/index.ts';

/**
 * Upper bounds (seconds) of the application's latency histogram http_request_duration_seconds.
 * A latency objective must be one of them: "95 % of requests faster than X" is read from the
 * bucket le="X", so X must be a bucket bound or the objective cannot be measured.
 */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10] as const;

/** The window over which an SLO is met or missed (the error budget is spent over it). */
export const SLO_PERIOD_DAYS = 30;

/** Share of requests that must meet the latency objective: the objective is on the 95th percentile. */
export const LATENCY_OBJECTIVE_RATIO = 0.95;

const latencyMs = z
  .number()
  .int()
  .check((ctx) => {
    if (!LATENCY_BUCKETS_SECONDS.some((b) => Math.round(b * 1000) === ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: t('monitoring.sloLatencyBucket', {
          got: ctx.value,
          allowed: LATENCY_BUCKETS_SECONDS.map((b) => Math.round(b * 1000)).join(', '),
        }),
      });
    }
  });

export const environmentSlo = z.strictObject({
  availabilityPercent: z
    .number()
    .min(90)
    .max(99.99)
    .describe(`share of HTTP requests that must not fail (5xx) over ${SLO_PERIOD_DAYS} days, in percent (90 to 99.99)`),
  p95LatencyMs: latencyMs.describe(
    '95 % of HTTP requests must be answered faster than this, in milliseconds (a bucket of the latency histogram)',
  ),
});
export type EnvironmentSlo = z.output<typeof environmentSlo>;

export const SLO_DEFAULTS: Record<Environment, EnvironmentSlo> = {
  test: { availabilityPercent: 99.0, p95LatencyMs: 500 },
  preprod: { availabilityPercent: 99.5, p95LatencyMs: 300 },
  prod: { availabilityPercent: 99.9, p95LatencyMs: 300 },
};

/** The `slo:` block of a cohort: one objective per environment, each defaulted on its own. */
export const sloSchema = z
  .strictObject({
    test: environmentSlo.default(SLO_DEFAULTS.test).describe('objectives of the test environment'),
    preprod: environmentSlo.default(SLO_DEFAULTS.preprod).describe('objectives of the pre-production environment'),
    prod: environmentSlo.default(SLO_DEFAULTS.prod).describe('objectives of the production environment'),
  })
  .default(SLO_DEFAULTS)
  .describe(`service level objectives per environment, measured over ${SLO_PERIOD_DAYS} days (CP9.2)`);
export type SloConfig = z.output<typeof sloSchema>;

/** Error budget: the share of requests allowed to fail, e.g. 0.001 for 99.9 %. */
export function availabilityBudget(slo: EnvironmentSlo): number {
  return round((100 - slo.availabilityPercent) / 100);
}

/** The latency objective as a histogram bucket bound, in seconds (the `le` label value). */
export function latencyThresholdSeconds(slo: EnvironmentSlo): number {
  return round(slo.p95LatencyMs / 1000);
}

// Binary floating point turns 100 - 99.9 into 0.09999999999999432: keep ten significant digits.
const round = (x: number) => Number(x.toPrecision(10));
