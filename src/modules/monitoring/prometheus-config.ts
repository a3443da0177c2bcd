// prometheus.yml: every scrape goes over HTTPS, checked against the cohort CA, with basic
// authentication (the password is read from a file, never written in the configuration).
// Targets come from file_sd files (targets/<job>.yml, see scrape-jobs.ts) that the deployment
// writes from the inventory, so this file is the same for every candidate.
import { stringify } from 'yaml';
import type { MonitoringOptions } from './options.ts';
import { GENERATED_HEADER } from './rules.ts';
import { jobsFor, targetsFile, type ScrapeJob } from './scrape-jobs.ts';

/** Rules files, relative to the directory of prometheus.yml. */
export const RULES_GLOB = 'rules/*.rules.yml';

function secured(opts: MonitoringOptions) {
  return {
    scheme: 'https',
    tls_config: { ca_file: opts.paths.caFile, min_version: 'TLS12' },
    basic_auth: { username: opts.scrapeUser, password_file: opts.paths.passwordFile },
  };
}

function scrapeConfig(job: ScrapeJob, opts: MonitoringOptions): Record<string, unknown> {
  const common = { job_name: job.name, ...secured(opts), file_sd_configs: [{ files: [targetsFile(job.name)] }] };
  if (job.kind === 'exporter') return common;
  // A probe job scrapes the blackbox exporter, asking it to probe the file_sd target; the target's
  // own labels (instance, env...) stay, and `target` records what was probed.
  return {
    ...common,
    metrics_path: '/probe',
    params: { module: [job.blackboxModule] },
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'target' },
      { target_label: '__address__', replacement: opts.blackboxAddress },
    ],
  };
}

export function prometheusConfig(opts: MonitoringOptions): Record<string, unknown> {
  return {
    global: {
      scrape_interval: opts.scrapeInterval,
      evaluation_interval: opts.evaluationInterval,
      ...(Object.keys(opts.externalLabels).length > 0 ? { external_labels: opts.externalLabels } : {}),
    },
    alerting: {
      alertmanagers: [{ ...secured(opts), static_configs: [{ targets: [opts.alertmanagerAddress] }] }],
    },
    rule_files: [RULES_GLOB],
    scrape_configs: jobsFor(opts.modules).map((j) => scrapeConfig(j, opts)),
  };
}

export function renderPrometheusConfig(opts: MonitoringOptions): string {
  return GENERATED_HEADER + stringify(prometheusConfig(opts), { lineWidth: 0 });
}
