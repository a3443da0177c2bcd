// The objective of an indicator in words: its SLO per environment, or its internal threshold.
import type { Indicator } from './indicators.ts';
import type { SloConfig } from '../../core/model/slo.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';

export function objectiveText(ind: Indicator, slo: SloConfig): string {
  const o = ind.objective;
  if ('threshold' in o) return o.threshold;
  const per = ENVIRONMENTS.map((e) =>
    o.slo === 'availability' ? `${e} ${slo[e].availabilityPercent} %` : `${e} p95 < ${slo[e].p95LatencyMs} ms`,
  );
  return `SLO ${o.slo}: ${per.join(', ')}`;
}
