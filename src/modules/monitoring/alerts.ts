// The alerts on threshold indicators (CP10.2: alerts that are interpreted and routed correctly).
// Each alert names the indicator it watches, a severity and a team, and links to its runbook
// (docs/runbooks/<alert>.md). SLO burn-rate alerts are generated separately (slo-rules.ts).
import { indicator, type Indicator } from './indicators.ts';
import { jobsFor, type Modules } from './scrape-jobs.ts';
import type { AlertingRule, Family, Severity, Team } from './types.ts';
import { ENVIRONMENTS, type Environment } from '../../core/environments.ts';

export interface AlertSpec {
  alert: string;
  /** Id of the indicator this alert watches; the alert lands in that indicator's family file. */
  indicator: string;
  expr: string;
  for?: string;
  severity: Severity;
  team: Team;
  summary: string;
  description: string;
  /** Extra labels, e.g. the environment of a per-environment rule. */
  labels?: Record<string, string>;
}

/**
 * Days a security update waits in each stage before a server takes it (ansible role hardening:
 * update_stage test 0, preprod 2, prod 7). An update still pending one day after is stuck.
 */
export const UPDATE_STAGE_DELAY_DAYS: Record<Environment, number> = { test: 0, preprod: 2, prod: 7 };

const I = (id: string): Indicator => indicator(id);
const above = (id: string, threshold: string) => `(${I(id).promql}) > ${threshold}`;

function staticAlerts(): AlertSpec[] {
  return [
    // resources
    {
      alert: 'HostHighCpuUsage',
      indicator: 'resource.cpu_usage',
      expr: above('resource.cpu_usage', '0.9'),
      for: '15m',
      severity: 'warning',
      team: 'ops',
      summary: 'CPU of {{ $labels.instance }} busy at {{ $value | humanizePercentage }}',
      description:
        'More than 90 % of the CPU time of {{ $labels.instance }} ({{ $labels.env }}) has been busy for 15 minutes: services on it slow down.',
    },
    {
      alert: 'HostMemoryPressure',
      indicator: 'resource.memory_usage',
      expr: above('resource.memory_usage', '0.9'),
      for: '10m',
      severity: 'warning',
      team: 'ops',
      summary: 'Memory of {{ $labels.instance }} {{ $value | humanizePercentage }} used',
      description:
        'Less than 10 % of the memory of {{ $labels.instance }} has been available for 10 minutes: the kernel will swap or kill processes (OOM).',
    },
    {
      alert: 'HostDiskSpaceLow',
      indicator: 'resource.disk_usage',
      expr: above('resource.disk_usage', '0.85'),
      for: '10m',
      severity: 'warning',
      team: 'ops',
      summary: '{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full',
      description:
        'File system {{ $labels.mountpoint }} ({{ $labels.device }}) of {{ $labels.instance }} is more than 85 % full.',
    },
    {
      // 2 minutes: above 95 % writes fail within minutes; a shorter wait only has to outlast a spike.
      alert: 'HostDiskSpaceLow',
      indicator: 'resource.disk_usage',
      expr: above('resource.disk_usage', '0.95'),
      for: '2m',
      severity: 'critical',
      team: 'ops',
      summary: '{{ $labels.mountpoint }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full',
      description:
        'File system {{ $labels.mountpoint }} ({{ $labels.device }}) of {{ $labels.instance }} is more than 95 % full: writes will fail soon.',
    },
    {
      alert: 'HostDiskWillFillIn24Hours',
      indicator: 'resource.disk_free_in_24h',
      expr: `(${I('resource.disk_free_in_24h').promql}) < 0 and (${I('resource.disk_usage').promql}) > 0.6`,
      for: '1h',
      severity: 'warning',
      team: 'ops',
      summary: '{{ $labels.mountpoint }} on {{ $labels.instance }} will be full within 24 hours',
      description:
        'At the rate of the last 6 hours, file system {{ $labels.mountpoint }} of {{ $labels.instance }} (already more than 60 % used) fills up within 24 hours.',
    },
    {
      alert: 'HostDiskIoSaturated',
      indicator: 'resource.disk_io_saturation',
      expr: above('resource.disk_io_saturation', '0.9'),
      for: '15m',
      severity: 'warning',
      team: 'ops',
      summary: 'Disk {{ $labels.device }} of {{ $labels.instance }} busy {{ $value | humanizePercentage }} of the time',
      description:
        'Block device {{ $labels.device }} of {{ $labels.instance }} has been busy more than 90 % of the time for 15 minutes: I/O queues up.',
    },
    {
      alert: 'HostNetworkErrors',
      indicator: 'resource.network_errors',
      expr: above('resource.network_errors', '1'),
      for: '15m',
      severity: 'warning',
      team: 'ops',
      summary: 'Interface {{ $labels.device }} of {{ $labels.instance }}: {{ $value | humanize }} errors/s',
      description:
        'Interface {{ $labels.device }} of {{ $labels.instance }} has had more than 1 receive or transmit error per second for 15 minutes.',
    },
    {
      alert: 'HostNetworkDrops',
      indicator: 'resource.network_drops',
      expr: above('resource.network_drops', '10'),
      for: '15m',
      severity: 'warning',
      team: 'ops',
      summary: 'Interface {{ $labels.device }} of {{ $labels.instance }}: {{ $value | humanize }} drops/s',
      description:
        'Interface {{ $labels.device }} of {{ $labels.instance }} has dropped more than 10 packets per second for 15 minutes.',
    },
    // security
    {
      // No `for`: the 5-minute window already smooths it, and a drill (ten failed logins) sees it
      // within a minute or two; it resolves about 5 minutes after the burst.
      alert: 'SshAuthFailuresHigh',
      indicator: 'security.ssh_auth_failures',
      expr: `(${I('security.ssh_auth_failures').promql}) >= 10`,
      severity: 'warning',
      team: 'security',
      summary: '{{ $value | humanize }} failed SSH authentications on {{ $labels.instance }} in 5 minutes',
      description:
        '10 or more SSH authentications failed on {{ $labels.instance }} in 5 minutes: likely a password-guessing attempt.',
    },
    {
      alert: 'SshRootLogin',
      indicator: 'security.ssh_root_logins',
      expr: 'increase(asd_ssh_root_logins_total[5m]) > 0',
      severity: 'critical',
      team: 'security',
      summary: 'Someone logged in as root over SSH on {{ $labels.instance }}',
      description:
        'A successful SSH login as root happened on {{ $labels.instance }} in the last 5 minutes, although root logins are forbidden.',
    },
    {
      alert: 'SshPasswordLogin',
      indicator: 'security.ssh_password_logins',
      expr: 'increase(asd_ssh_password_logins_total[5m]) > 0',
      severity: 'critical',
      team: 'security',
      summary: 'Someone logged in with a password over SSH on {{ $labels.instance }}',
      description:
        'A successful SSH login with a password happened on {{ $labels.instance }} in the last 5 minutes, although only keys are allowed.',
    },
    {
      alert: 'FirewallDropsHigh',
      indicator: 'security.firewall_drops',
      expr: above('security.firewall_drops', '5'),
      for: '15m',
      severity: 'warning',
      team: 'security',
      summary: 'Firewall of {{ $labels.instance }} drops {{ $value | humanize }} packets/s ({{ $labels.chain }})',
      description:
        'The {{ $labels.chain }} chain of {{ $labels.instance }} has dropped more than 5 packets per second for 15 minutes: a scan or a flow the firewall does not allow.',
    },
    {
      alert: 'TlsCertificateExpiringSoon',
      indicator: 'security.tls_cert_expiry',
      expr: `(${I('security.tls_cert_expiry').promql}) < 14 * 86400`,
      severity: 'warning',
      team: 'security',
      summary: 'Certificate of {{ $labels.target }} expires in {{ $value | humanizeDuration }}',
      description:
        'The certificate served by {{ $labels.target }} ({{ $labels.instance }}) expires in less than 14 days, although the lab PKI renews 30 days ahead.',
    },
    {
      alert: 'TlsCertificateExpiringSoon',
      indicator: 'security.tls_cert_expiry',
      expr: `(${I('security.tls_cert_expiry').promql}) < 3 * 86400`,
      severity: 'critical',
      team: 'security',
      summary: 'Certificate of {{ $labels.target }} expires in {{ $value | humanizeDuration }}',
      description:
        'The certificate served by {{ $labels.target }} ({{ $labels.instance }}) expires in less than 3 days: clients will refuse it.',
    },
    ...ENVIRONMENTS.map(
      (env): AlertSpec => ({
        alert: 'SecurityUpdatesPending',
        indicator: 'security.updates_pending',
        expr: `sum by (instance, env) (apt_upgrades_pending{origin=~".*-security.*",env="${env}"}) > 0`,
        for: `${UPDATE_STAGE_DELAY_DAYS[env] + 1}d`,
        severity: 'warning',
        team: 'security',
        labels: { env },
        summary: '{{ $value }} security update(s) stuck on {{ $labels.instance }}',
        description: `Security updates have been pending on {{ $labels.instance }} for more than ${UPDATE_STAGE_DELAY_DAYS[env] + 1} day(s), longer than the ${env} stage delay (${UPDATE_STAGE_DELAY_DAYS[env]} d).`,
      }),
    ),
    // application
    {
      alert: 'AppSaturated',
      indicator: 'application.saturation',
      expr: above('application.saturation', '0.8'),
      for: '10m',
      severity: 'warning',
      team: 'dev',
      summary: 'Application on {{ $labels.instance }} at {{ $value | humanizePercentage }} of its concurrency limit',
      description:
        'The application on {{ $labels.instance }} ({{ $labels.env }}) has served more than 80 % of its maximum concurrent requests for 10 minutes: new requests queue.',
    },
  ];
}

function dataAlerts(): AlertSpec[] {
  return [
    {
      alert: 'PostgresDown',
      indicator: 'data.postgres_up',
      expr: 'pg_up == 0',
      for: '2m',
      severity: 'critical',
      team: 'db',
      summary: 'PostgreSQL on {{ $labels.instance }} does not answer',
      description: 'postgres_exporter on {{ $labels.instance }} has not been able to query PostgreSQL for 2 minutes.',
    },
    {
      alert: 'PostgresReplicationLagHigh',
      indicator: 'data.replication_lag',
      expr: above('data.replication_lag', '30'),
      for: '5m',
      severity: 'warning',
      team: 'db',
      summary: 'Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind',
      description: 'The replica {{ $labels.instance }} has been more than 30 seconds behind the primary for 5 minutes.',
    },
    {
      alert: 'PostgresReplicationLagHigh',
      indicator: 'data.replication_lag',
      expr: above('data.replication_lag', '300'),
      for: '5m',
      severity: 'critical',
      team: 'db',
      summary: 'Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind',
      description:
        'The replica {{ $labels.instance }} has been more than 5 minutes behind the primary for 5 minutes: a failover now would lose data.',
    },
    {
      alert: 'PostgresConnectionsNearLimit',
      indicator: 'data.connection_usage',
      expr: above('data.connection_usage', '0.8'),
      for: '5m',
      severity: 'warning',
      team: 'db',
      summary: 'PostgreSQL on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections',
      description:
        'More than 80 % of the connections allowed by max_connections on {{ $labels.instance }} have been in use for 5 minutes.',
    },
    {
      alert: 'BackupTooOld',
      indicator: 'data.backup_age',
      expr: above('data.backup_age', '26 * 3600'),
      severity: 'warning',
      team: 'db',
      summary: 'Last successful backup of {{ $labels.instance }} is {{ $value | humanizeDuration }} old',
      description: 'The last successful backup of {{ $labels.instance }} is more than 26 hours old: the daily backup was missed.',
    },
    {
      alert: 'BackupTooOld',
      indicator: 'data.backup_age',
      expr: above('data.backup_age', '50 * 3600'),
      severity: 'critical',
      team: 'db',
      summary: 'Last successful backup of {{ $labels.instance }} is {{ $value | humanizeDuration }} old',
      description:
        'The last successful backup of {{ $labels.instance }} is more than 50 hours old: two daily backups were missed.',
    },
    {
      alert: 'BackupMetricMissing',
      indicator: 'data.backup_age',
      expr: 'absent(asd_backup_last_success_timestamp_seconds)',
      for: '1h',
      severity: 'warning',
      team: 'db',
      summary: 'No server reports its last backup',
      description:
        'No series asd_backup_last_success_timestamp_seconds has existed for an hour: the backup job is not installed, or its metric file is not written.',
    },
  ];
}

function availabilityAlerts(modules: Modules): AlertSpec[] {
  const jobs = jobsFor(modules);
  return [
    {
      alert: 'NodeDown',
      indicator: 'availability.target_up',
      expr: 'up{job="node"} == 0',
      for: '2m',
      severity: 'critical',
      team: 'ops',
      summary: 'Server {{ $labels.instance }} does not answer',
      description:
        'Prometheus has not been able to scrape the node exporter of {{ $labels.instance }} for 2 minutes: the server, its network or its exporter is down. Other alerts of this server are held back meanwhile.',
    },
    ...jobs
      .filter((j) => j.kind === 'exporter' && j.name !== 'node')
      .map(
        (j): AlertSpec => ({
          alert: 'TargetDown',
          indicator: 'availability.target_up',
          expr: `up{job="${j.name}"} == 0`,
          for: '5m',
          severity: 'warning',
          team: j.team,
          labels: { job: j.name },
          summary: 'Scrape target {{ $labels.job }} of {{ $labels.instance }} is down',
          description: `Prometheus has not been able to scrape {{ $labels.job }} (${j.what}) on {{ $labels.instance }} for 5 minutes: its indicators are blind.`,
        }),
      ),
    ...jobs
      .flatMap((j) => (j.kind === 'probe' ? [j] : []))
      .map(
        (j): AlertSpec => ({
          alert: 'ProbeFailed',
          indicator: 'availability.probe_success',
          expr: `probe_success{job="${j.name}"} == 0`,
          for: '3m',
          severity: j.severity,
          team: j.team,
          labels: { job: j.name },
          summary: 'Probe {{ $labels.job }} of {{ $labels.target }} fails',
          description: `The blackbox probe ${j.blackboxModule} of {{ $labels.target }} (${j.what}) has failed for 3 minutes.`,
        }),
      ),
    {
      alert: 'TextfileCollectorStale',
      indicator: 'availability.textfile_age',
      expr: above('availability.textfile_age', '3600'),
      for: '10m',
      severity: 'warning',
      team: 'ops',
      summary: 'Textfile {{ $labels.file }} of {{ $labels.instance }} not updated for {{ $value | humanizeDuration }}',
      description:
        'The textfile collector file {{ $labels.file }} of {{ $labels.instance }} has not been rewritten for more than an hour: the indicators it carries (security, backups, updates) are frozen.',
    },
    {
      alert: 'PrometheusRuleFailures',
      indicator: 'availability.rule_failures',
      expr: above('availability.rule_failures', '0'),
      severity: 'warning',
      team: 'ops',
      summary: 'Rules of group {{ $labels.rule_group }} fail to evaluate',
      description:
        'Prometheus failed to evaluate rules of group {{ $labels.rule_group }} in the last 10 minutes: the alerts of that group cannot fire.',
    },
    {
      alert: 'AlertmanagerNotificationsFailing',
      indicator: 'availability.notifications_failed',
      expr: above('availability.notifications_failed', '0'),
      for: '10m',
      severity: 'critical',
      team: 'ops',
      summary: 'Alertmanager fails to deliver {{ $labels.integration }} notifications',
      description:
        'Alertmanager has been failing to deliver notifications through {{ $labels.integration }} for 10 minutes: alerts do not reach the teams. Check the receiver.',
    },
  ];
}

/** Every threshold alert of the lab, for the modules that are on. */
export function alertSpecs(modules: Modules): AlertSpec[] {
  return [...staticAlerts(), ...(modules.data ? dataAlerts() : []), ...availabilityAlerts(modules)];
}

export function familyOf(spec: AlertSpec): Family {
  return indicator(spec.indicator).family;
}

/** The Prometheus rule of an alert: labels severity and team, annotations with the runbook link. */
export function toRule(spec: AlertSpec, runbookBaseUrl: string): AlertingRule {
  return {
    alert: spec.alert,
    expr: spec.expr,
    ...(spec.for ? { for: spec.for } : {}),
    labels: { severity: spec.severity, team: spec.team, ...spec.labels },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookUrl(runbookBaseUrl, spec.alert),
      indicator: spec.indicator,
    },
  };
}

export const runbookUrl = (base: string, alert: string) => `${base.replace(/\/+$/, '')}/${alert}.md`;
