// Grafana dashboards, one per indicator family, generated from the indicators: each panel plots one
// indicator's PromQL, in its unit, with its objective and owner in the panel description.
// The data source is the provisioned Prometheus with uid "prometheus".
import { INDICATORS, type Indicator, type Unit } from './indicators.ts';
import type { MonitoringOptions } from './options.ts';
import { FAMILIES, type Family } from './types.ts';
import { objectiveText } from './objective.ts';

export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

const GRAFANA_UNIT: Record<Unit, string> = {
  ratio: 'percentunit',
  seconds: 's',
  bytes: 'bytes',
  'per-second': 'ops',
  count: 'short',
  boolean: 'bool',
};

const TITLES: Record<Family, string> = {
  resource: 'Resources',
  security: 'Security',
  application: 'Application performance and SLOs',
  data: 'Data',
  availability: 'Availability and the monitoring itself',
};

/** Labels that tell series apart in the legend: those of the outer "by (...)", else the host and what the metric is per. */
export function legendLabels(promql: string): string[] {
  const by = /\bby \(([^)]*)\)/.exec(promql);
  if (by?.[1])
    return by[1]
      .split(',')
      .map((s) => s.trim())
      .filter((l) => l !== 'le');
  const per: [RegExp, string][] = [
    [/node_filesystem/, 'mountpoint'],
    [/node_(network|disk)/, 'device'],
    [/probe_/, 'target'],
    [/textfile/, 'file'],
    [/nftables/, 'chain'],
  ];
  return ['instance', ...per.filter(([re]) => re.test(promql)).map(([, l]) => l)];
}

export interface Panel {
  id: number;
  type: 'timeseries';
  title: string;
  description: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource: typeof DATASOURCE;
  targets: { refId: string; expr: string; legendFormat: string; datasource: typeof DATASOURCE }[];
  fieldConfig: { defaults: { unit: string }; overrides: unknown[] };
  options: Record<string, unknown>;
}

function panel(ind: Indicator, index: number, opts: MonitoringOptions): Panel {
  return {
    id: index + 1,
    type: 'timeseries',
    title: ind.title,
    description: `${ind.description}\n\nObjective: ${objectiveText(ind, opts.slo)}. Team: ${ind.team}. Indicator ${ind.id}.`,
    gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
    datasource: DATASOURCE,
    targets: [
      {
        refId: 'A',
        expr: ind.promql,
        legendFormat: legendLabels(ind.promql)
          .map((l) => `{{${l}}}`)
          .join(' '),
        datasource: DATASOURCE,
      },
    ],
    fieldConfig: { defaults: { unit: GRAFANA_UNIT[ind.unit] }, overrides: [] },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

export function dashboard(family: Family, opts: MonitoringOptions): Record<string, unknown> {
  const inds = INDICATORS.filter((i) => i.family === family && (i.module !== 'data' || opts.modules.data));
  return {
    uid: `asd-${family}`,
    title: `asd-lab: ${TITLES[family]}`,
    description: `Indicators of the ${family} family (docs/indicators.md). Generated; do not edit here.`,
    tags: ['asd-lab', family],
    editable: false,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    timezone: 'browser',
    annotations: { list: [] },
    templating: { list: [] },
    panels: inds.map((ind, i) => panel(ind, i, opts)),
  };
}

/** Dashboard file name -> dashboard, for every family that has indicators. */
export function dashboards(opts: MonitoringOptions): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of FAMILIES) {
    const d = dashboard(f, opts);
    if ((d.panels as unknown[]).length > 0) out.set(`asd-${f}.json`, d);
  }
  return out;
}
