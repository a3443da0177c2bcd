// The indicators of the lab's supervision (CP9): what is measured, how (PromQL), in which unit,
// against which objective, and which team owns it. Alerts, dashboards and docs/indicators.md are
// all derived from this list, so an indicator exists in one place only.
import type { Family, Team } from './types.ts';

export type Unit = 'ratio' | 'seconds' | 'bytes' | 'per-second' | 'count' | 'boolean';

/** What an indicator is compared with: a service level objective (per environment) or an internal threshold. */
export type Objective = { slo: 'availability' | 'latency' } | { threshold: string };

export interface Indicator {
  /** Stable identifier: family.name. */
  id: string;
  family: Family;
  title: string;
  /** Why it matters, in one or two sentences. */
  description: string;
  /** An instant query; each series is one thing measured (a host, a disk, an environment). */
  promql: string;
  unit: Unit;
  objective: Objective;
  team: Team;
  /** Where the metric comes from. */
  source: string;
  /** Performance criteria of CP9/CP10 it serves. */
  criteria: string[];
  /** Only meaningful when the cohort's data module is on. */
  module?: 'data';
}

/** File systems that hold data (not memory-backed or pseudo file systems). */
export const FS_SELECTOR = 'fstype!~"tmpfs|ramfs|squashfs|nsfs|fuse.*",mountpoint!~"/run(/.*)?"';

/** Requests whose status is a server error: they spend the availability error budget. */
export const ERROR_CODES = 'code=~"5.."';

export const INDICATORS: Indicator[] = [
  // --- resources ----------------------------------------------------------------------------------
  {
    id: 'resource.cpu_usage',
    family: 'resource',
    title: 'CPU usage',
    description: 'Share of CPU time not idle, over all cores of a host. Sustained high values slow every service of the host.',
    promql: '1 - avg by (instance, env) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
    unit: 'ratio',
    objective: { threshold: 'below 90 % over 15 minutes' },
    team: 'ops',
    source: 'node_exporter (cpu collector)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'resource.memory_usage',
    family: 'resource',
    title: 'Memory usage',
    description:
      'Share of memory not available for new allocations (MemAvailable counts reclaimable cache as free). Near 100 % the kernel swaps or kills processes.',
    promql: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
    unit: 'ratio',
    objective: { threshold: 'below 90 % over 10 minutes' },
    team: 'ops',
    source: 'node_exporter (meminfo collector)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'resource.disk_usage',
    family: 'resource',
    title: 'Disk space used',
    description:
      'Share of each file system in use (as seen by unprivileged users). A full disk stops databases, logs and updates.',
    promql: `1 - node_filesystem_avail_bytes{${FS_SELECTOR}} / node_filesystem_size_bytes{${FS_SELECTOR}}`,
    unit: 'ratio',
    objective: { threshold: 'below 85 % (warning), below 95 % (critical)' },
    team: 'ops',
    source: 'node_exporter (filesystem collector)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'resource.disk_free_in_24h',
    family: 'resource',
    title: 'Disk space free in 24 hours (forecast)',
    description:
      'Free space forecast 24 hours ahead by a linear fit over the last 6 hours: warns before the disk is full, while there is time to act.',
    promql: `predict_linear(node_filesystem_avail_bytes{${FS_SELECTOR}}[6h], 24 * 3600)`,
    unit: 'bytes',
    objective: { threshold: 'stays above 0' },
    team: 'ops',
    source: 'node_exporter (filesystem collector)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'resource.disk_io_saturation',
    family: 'resource',
    title: 'Disk I/O saturation',
    description: 'Share of time each block device was busy. Near 1 the device queues requests and every read or write waits.',
    promql: 'rate(node_disk_io_time_seconds_total[5m])',
    unit: 'ratio',
    objective: { threshold: 'below 90 % over 15 minutes' },
    team: 'ops',
    source: 'node_exporter (diskstats collector)',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'resource.network_errors',
    family: 'resource',
    title: 'Network errors',
    description: 'Receive and transmit errors per second on each interface: a faulty link, driver or MTU mismatch.',
    promql: 'rate(node_network_receive_errs_total[5m]) + rate(node_network_transmit_errs_total[5m])',
    unit: 'per-second',
    objective: { threshold: 'below 1 error/s over 15 minutes' },
    team: 'ops',
    source: 'node_exporter (netdev collector)',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'resource.network_drops',
    family: 'resource',
    title: 'Network drops',
    description:
      'Packets dropped per second by the interfaces (full queues or buffers): the host cannot keep up with its traffic.',
    promql: 'rate(node_network_receive_drop_total[5m]) + rate(node_network_transmit_drop_total[5m])',
    unit: 'per-second',
    objective: { threshold: 'below 10 packets/s over 15 minutes' },
    team: 'ops',
    source: 'node_exporter (netdev collector)',
    criteria: ['CP9.1', 'CP9.3'],
  },
  // --- security ----------------------------------------------------------------------------------
  {
    id: 'security.ssh_auth_failures',
    family: 'security',
    title: 'SSH authentication failures',
    description: 'Failed SSH authentications in the last 5 minutes. A burst is a password-guessing attack (intrusion attempt).',
    promql: 'increase(asd_ssh_auth_failures_total[5m])',
    unit: 'count',
    objective: { threshold: 'fewer than 10 in 5 minutes' },
    team: 'security',
    source: 'textfile collector: asd_ssh_auth_failures_total',
    criteria: ['CP9.1', 'CP9.3', 'CP10.2'],
  },
  {
    id: 'security.ssh_root_logins',
    family: 'security',
    title: 'SSH root logins',
    description: 'Successful SSH logins as root in the last hour. The lab forbids them: any login is an incident.',
    promql: 'increase(asd_ssh_root_logins_total[1h])',
    unit: 'count',
    objective: { threshold: 'exactly 0' },
    team: 'security',
    source: 'textfile collector: asd_ssh_root_logins_total',
    criteria: ['CP9.1', 'CP9.3', 'CP10.2'],
  },
  {
    id: 'security.ssh_password_logins',
    family: 'security',
    title: 'SSH password logins',
    description: 'Successful SSH logins with a password in the last hour. The lab allows keys only: any login is an incident.',
    promql: 'increase(asd_ssh_password_logins_total[1h])',
    unit: 'count',
    objective: { threshold: 'exactly 0' },
    team: 'security',
    source: 'textfile collector: asd_ssh_password_logins_total',
    criteria: ['CP9.1', 'CP9.3', 'CP10.2'],
  },
  {
    id: 'security.firewall_drops',
    family: 'security',
    title: 'Firewall drops',
    description:
      'Packets per second refused by the nftables default-drop policy. A sustained rise is a scan or a misrouted flow.',
    promql: 'rate(asd_nftables_dropped_packets_total[5m])',
    unit: 'per-second',
    objective: { threshold: 'below 5 packets/s over 15 minutes' },
    team: 'security',
    source: 'textfile collector: asd_nftables_dropped_packets_total',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'security.tls_cert_expiry',
    family: 'security',
    title: 'TLS certificate lifetime left',
    description:
      'Time before the earliest certificate of each probed TLS endpoint expires. The lab PKI renews 30 days ahead; less than 14 days left means renewal failed.',
    promql: 'probe_ssl_earliest_cert_expiry - time()',
    unit: 'seconds',
    objective: { threshold: 'above 14 days (warning), above 3 days (critical)' },
    team: 'security',
    source: 'blackbox_exporter (http_2xx and tls_connect probes)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'security.updates_pending',
    family: 'security',
    title: 'Security updates pending',
    description:
      'Packages with a pending update from the Debian security suite. Updates are staged (test, then preprod, then prod): an update older than its stage delay is stuck.',
    promql: 'sum by (instance, env) (apt_upgrades_pending{origin=~".*-security.*"})',
    unit: 'count',
    objective: { threshold: 'none pending longer than the stage delay + 1 day (test 1 d, preprod 3 d, prod 8 d)' },
    team: 'security',
    source: 'textfile collector: apt_upgrades_pending (prometheus-node-exporter-collectors)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'security.reboot_required',
    family: 'security',
    title: 'Reboot required',
    description: '1 when an installed update (kernel, libc) only takes effect after a reboot.',
    promql: 'node_reboot_required',
    unit: 'boolean',
    objective: { threshold: 'informational: plan a reboot in the maintenance window' },
    team: 'ops',
    source: 'textfile collector: node_reboot_required (prometheus-node-exporter-collectors)',
    criteria: ['CP9.3'],
  },
  // --- application performance -------------------------------------------------------------------
  {
    id: 'application.request_rate',
    family: 'application',
    title: 'Request rate',
    description:
      'HTTP requests per second served by the application, per environment: the load the other indicators must be read against.',
    promql: 'sum by (env) (rate(http_request_duration_seconds_count[5m]))',
    unit: 'per-second',
    objective: { threshold: 'informational: the load' },
    team: 'dev',
    source: 'application: http_request_duration_seconds',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'application.error_ratio',
    family: 'application',
    title: 'Error ratio',
    description: 'Share of HTTP requests answered with a 5xx status, per environment: the availability SLI.',
    promql: `sum by (env) (rate(http_request_duration_seconds_count{${ERROR_CODES}}[5m])) / sum by (env) (rate(http_request_duration_seconds_count[5m]))`,
    unit: 'ratio',
    objective: { slo: 'availability' },
    team: 'dev',
    source: 'application: http_request_duration_seconds',
    criteria: ['CP9.1', 'CP9.2', 'CP10.1'],
  },
  {
    id: 'application.latency_p95',
    family: 'application',
    title: 'Latency, 95th percentile',
    description: '95 % of requests are answered faster than this, per environment: the latency SLI.',
    promql: 'histogram_quantile(0.95, sum by (env, le) (rate(http_request_duration_seconds_bucket[5m])))',
    unit: 'seconds',
    objective: { slo: 'latency' },
    team: 'dev',
    source: 'application: http_request_duration_seconds',
    criteria: ['CP9.1', 'CP9.2', 'CP10.1'],
  },
  {
    id: 'application.latency_p99',
    family: 'application',
    title: 'Latency, 99th percentile',
    description:
      'Tail latency: what the slowest 1 % of users wait. Rises before the 95th percentile does when a resource saturates.',
    promql: 'histogram_quantile(0.99, sum by (env, le) (rate(http_request_duration_seconds_bucket[5m])))',
    unit: 'seconds',
    objective: { threshold: 'informational: compare with the 95th percentile objective' },
    team: 'dev',
    source: 'application: http_request_duration_seconds',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'application.in_flight',
    family: 'application',
    title: 'Concurrent requests',
    description: 'Requests being served at this moment (concurrent connections waiting for an answer), per instance.',
    promql: 'sum by (instance, env) (http_requests_in_flight)',
    unit: 'count',
    objective: { threshold: 'informational: read with the saturation' },
    team: 'dev',
    source: 'application: http_requests_in_flight',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'application.saturation',
    family: 'application',
    title: 'Saturation',
    description:
      'Concurrent requests over the most the application serves at once. Near 1, new requests queue and latency climbs.',
    promql: 'sum by (instance, env) (http_requests_in_flight) / sum by (instance, env) (http_requests_in_flight_limit)',
    unit: 'ratio',
    objective: { threshold: 'below 80 % over 10 minutes' },
    team: 'dev',
    source: 'application: http_requests_in_flight, http_requests_in_flight_limit',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'application.availability_burn_rate',
    family: 'application',
    title: 'Availability error budget burn rate (1 h)',
    description:
      'How fast the error budget is spent: 1 spends exactly the budget over 30 days, 14.4 spends 2 % of it in one hour.',
    promql: 'env:slo_availability_errors:ratio_rate1h / on (env) (1 - env:slo_objective:ratio{slo="availability"})',
    unit: 'count',
    objective: { slo: 'availability' },
    team: 'dev',
    source: 'recording rules of slo.rules.yml',
    criteria: ['CP9.2', 'CP10.1'],
  },
  {
    id: 'application.latency_burn_rate',
    family: 'application',
    title: 'Latency error budget burn rate (1 h)',
    description: 'How fast the latency budget (5 % of requests may be slower than the objective) is spent.',
    promql: 'env:slo_latency_slow:ratio_rate1h / on (env) (1 - env:slo_objective:ratio{slo="latency"})',
    unit: 'count',
    objective: { slo: 'latency' },
    team: 'dev',
    source: 'recording rules of slo.rules.yml',
    criteria: ['CP9.2', 'CP10.1'],
  },
  // --- data ----------------------------------------------------------------------------------------
  {
    id: 'data.postgres_up',
    family: 'data',
    title: 'PostgreSQL reachable',
    description: '1 when the exporter can query its PostgreSQL server.',
    promql: 'pg_up',
    unit: 'boolean',
    objective: { threshold: 'always 1' },
    team: 'db',
    source: 'postgres_exporter',
    criteria: ['CP9.1', 'CP10.1'],
    module: 'data',
  },
  {
    id: 'data.replication_lag',
    family: 'data',
    title: 'Replication lag',
    description: 'Seconds the replica is behind the primary. What a failover to the replica would lose.',
    promql: 'max by (instance, env) (pg_replication_lag_seconds)',
    unit: 'seconds',
    objective: { threshold: 'below 30 s (warning), below 300 s (critical)' },
    team: 'db',
    source: 'postgres_exporter with monitoring/exporters/postgres-queries.yml',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
    module: 'data',
  },
  {
    id: 'data.connection_usage',
    family: 'data',
    title: 'Connection usage',
    description: 'Open connections over max_connections. At 100 % the application gets "too many clients" errors.',
    promql: 'sum by (instance, env) (pg_stat_activity_count) / max by (instance, env) (pg_settings_max_connections)',
    unit: 'ratio',
    objective: { threshold: 'below 80 % over 5 minutes' },
    team: 'db',
    source: 'postgres_exporter',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
    module: 'data',
  },
  {
    id: 'data.backup_age',
    family: 'data',
    title: 'Age of the last successful backup',
    description: 'Time since the last backup that succeeded. Backups are daily: older than 26 hours means one was missed.',
    promql: 'time() - asd_backup_last_success_timestamp_seconds',
    unit: 'seconds',
    objective: { threshold: 'below 26 h (warning), below 50 h (critical)' },
    team: 'db',
    source: 'textfile collector: asd_backup_last_success_timestamp_seconds',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
    module: 'data',
  },
  // --- availability --------------------------------------------------------------------------------
  {
    id: 'availability.target_up',
    family: 'availability',
    title: 'Scrape targets up',
    description: '1 when Prometheus could scrape the target (exporter, application, itself): a 0 is a blind spot.',
    promql: 'up',
    unit: 'boolean',
    objective: { threshold: 'always 1' },
    team: 'ops',
    source: 'Prometheus (every scrape)',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'availability.probe_success',
    family: 'availability',
    title: 'Probes succeeding',
    description:
      '1 when the blackbox probe (HTTPS page, SSH banner, PostgreSQL port, TLS handshake) succeeds: the service as its users see it.',
    promql: 'probe_success',
    unit: 'boolean',
    objective: { threshold: 'always 1' },
    team: 'ops',
    source: 'blackbox_exporter',
    criteria: ['CP9.1', 'CP9.3', 'CP10.1'],
  },
  {
    id: 'availability.probe_duration',
    family: 'availability',
    title: 'Probe response time',
    description: 'Time the HTTPS probe took, from the monitoring server: the response time seen from outside the application.',
    promql: 'probe_duration_seconds{job="blackbox_http"}',
    unit: 'seconds',
    objective: { threshold: 'informational: compare with the latency objective' },
    team: 'dev',
    source: 'blackbox_exporter',
    criteria: ['CP9.1', 'CP9.3'],
  },
  {
    id: 'availability.textfile_age',
    family: 'availability',
    title: 'Age of textfile metrics',
    description:
      'Time since each textfile collector file was last written. A stale file silently freezes the security, backup and update indicators.',
    promql: 'time() - node_textfile_mtime_seconds',
    unit: 'seconds',
    objective: { threshold: 'below 1 hour' },
    team: 'ops',
    source: 'node_exporter (textfile collector)',
    criteria: ['CP9.3', 'CP10.1'],
  },
  {
    id: 'availability.notifications_failed',
    family: 'availability',
    title: 'Failed alert notifications',
    description: 'Notifications per second that Alertmanager could not deliver to a receiver: alerts that nobody gets.',
    promql: 'sum by (integration) (rate(alertmanager_notifications_failed_total[5m]))',
    unit: 'per-second',
    objective: { threshold: 'exactly 0' },
    team: 'ops',
    source: 'Alertmanager',
    criteria: ['CP10.1', 'CP10.2'],
  },
  {
    id: 'availability.rule_failures',
    family: 'availability',
    title: 'Rule evaluation failures',
    description: 'Rule evaluations that failed in the last 10 minutes: an alert that cannot be evaluated cannot fire.',
    promql: 'sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[10m]))',
    unit: 'count',
    objective: { threshold: 'exactly 0' },
    team: 'ops',
    source: 'Prometheus',
    criteria: ['CP10.1', 'CP10.2'],
  },
];

export function indicator(id: string): Indicator {
  const found = INDICATORS.find((i) => i.id === id);
  if (!found) throw new Error(`monitoring: unknown indicator ${id}`);
  return found;
}
