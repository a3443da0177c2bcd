// Every file the monitoring library generates, as repository path -> content. The build script
// writes them; a test compares them with the committed files.
import { renderAlertmanagerConfig } from './alertmanager-config.ts';
import { renderBlackboxConfig } from './blackbox-config.ts';
import { dashboards } from './dashboards.ts';
import { renderIndicatorsDoc } from './indicators-doc.ts';
import { monitoringOptions, type MonitoringOptions, type MonitoringOptionsInput } from './options.ts';
import { renderPrometheusConfig } from './prometheus-config.ts';
import { renderRulesFile, rulesFiles } from './rules.ts';
import { scrapeJobsManifest } from './scrape-jobs.ts';
import { renderWebConfigTemplate } from './web-config.ts';

/** Directories the generator owns entirely: a file there that it does not produce is stale. */
export const GENERATED_DIR = 'monitoring/generated';
export const DASHBOARDS_DIR = 'monitoring/dashboards';
export const INDICATORS_DOC = 'docs/indicators.md';

/** The configuration files of one monitoring server, relative to GENERATED_DIR. */
export function configFiles(opts: MonitoringOptions): Map<string, string> {
  const out = new Map<string, string>();
  out.set('prometheus/prometheus.yml', renderPrometheusConfig(opts));
  out.set('prometheus/scrape-jobs.json', `${JSON.stringify(scrapeJobsManifest(opts.modules), null, 2)}\n`);
  for (const f of rulesFiles(opts)) out.set(`prometheus/rules/${f.file}`, renderRulesFile(f));
  out.set('alertmanager/alertmanager.yml', renderAlertmanagerConfig(opts));
  out.set('blackbox/blackbox.yml', renderBlackboxConfig(opts));
  out.set('web-config.yml.j2', renderWebConfigTemplate(opts));
  return out;
}

export function generatedFiles(input: MonitoringOptionsInput = {}): Map<string, string> {
  const opts = monitoringOptions(input);
  const out = new Map<string, string>();
  for (const [p, c] of configFiles(opts)) out.set(`${GENERATED_DIR}/${p}`, c);
  for (const [name, d] of dashboards(opts)) out.set(`${DASHBOARDS_DIR}/${name}`, `${JSON.stringify(d, null, 2)}\n`);
  out.set(INDICATORS_DOC, renderIndicatorsDoc(opts));
  return out;
}
