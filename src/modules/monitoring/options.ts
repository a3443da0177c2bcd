// Inputs of the monitoring generator, with the lab's defaults. The committed files under
// monitoring/generated/ are the output for the defaults; a deployment passes its own values
// (its SLOs and modules from the cohort, the receiver's URL, where secrets live).
import { z } from 'zod';
import { t } from '../../core/i18n/index.ts';
import { sloSchema } from '../../core/model/slo.ts';

const absPath = z.string().regex(/^\//, { error: (iss) => t('monitoring.absolutePath', { got: JSON.stringify(iss.input) }) });

export const monitoringOptionsSchema = z.strictObject({
  slo: sloSchema,
  modules: z
    .strictObject({ data: z.boolean().default(true) })
    .default({ data: true })
    .describe('lab modules that add indicators (data: PostgreSQL and backups)'),
  /** The lab's alert receiver; each team gets <base>/<team>. */
  webhookBaseUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:9095/hooks'),
  /** Where runbook_url annotations point; <base>/<AlertName>.md. */
  runbookBaseUrl: z.string().min(1).default('docs/runbooks'),
  /** host:port of the blackbox exporter, as Prometheus reaches it (same server). */
  blackboxAddress: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d+$/)
    .default('localhost:9115'),
  /** host:port of Alertmanager, as Prometheus reaches it. */
  alertmanagerAddress: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d+$/)
    .default('localhost:9093'),
  scrapeInterval: z
    .string()
    .regex(/^\d+[smh]$/)
    .default('30s'),
  evaluationInterval: z
    .string()
    .regex(/^\d+[smh]$/)
    .default('30s'),
  externalLabels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
  paths: z
    .strictObject({
      /** The cohort CA (role pki). */
      caFile: absPath.default('/etc/asd-lab/pki/ca.crt'),
      /** This server's certificate and key (role pki), for the exporter-toolkit web configs. */
      certFile: absPath.default('/etc/asd-lab/pki/host.crt'),
      keyFile: absPath.default('/etc/asd-lab/pki/private/host.key'),
      /** Clear-text password Prometheus (and Alertmanager's clients) send; readable by prometheus only. */
      passwordFile: absPath.default('/etc/prometheus/secrets/scrape-password'),
    })
    .default({
      caFile: '/etc/asd-lab/pki/ca.crt',
      certFile: '/etc/asd-lab/pki/host.crt',
      keyFile: '/etc/asd-lab/pki/private/host.key',
      passwordFile: '/etc/prometheus/secrets/scrape-password',
    }),
  /** User name of basic authentication between the monitoring components and the exporters. */
  scrapeUser: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/)
    .default('prometheus'),
});

export type MonitoringOptionsInput = z.input<typeof monitoringOptionsSchema>;
export type MonitoringOptions = z.output<typeof monitoringOptionsSchema>;

/** Parse options, failing with every problem listed (path: message) before anything is generated. */
export function monitoringOptions(input: MonitoringOptionsInput = {}): MonitoringOptions {
  const r = monitoringOptionsSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('\n');
    throw new Error(t('monitoring.invalidOptions', { problems }));
  }
  return r.data;
}
