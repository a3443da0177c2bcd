// Metrics that this library reads but that other parts of the lab must produce: the node exporter
// textfile collector scripts and the application. Each entry is a contract: name, type, labels,
// producer and meaning. docs/indicators.md prints them so that whoever writes the producer knows
// exactly what to expose; the alerts and their promtool tests rely on these names.

export interface MetricContract {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: string[];
  /** Who produces it, and where. */
  producer: string;
  help: string;
}

/** Directory read by node_exporter's textfile collector (Debian's default). */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

export const TEXTFILE_METRICS: MetricContract[] = [
  {
    name: 'asd_ssh_auth_failures_total',
    type: 'counter',
    labels: [],
    producer: `asd-ssh-metrics script (systemd timer, every minute) reading sshd's journal; writes ${TEXTFILE_DIR}/asd_ssh.prom`,
    help: 'SSH authentication failures (failed password, invalid user, failed public key) since the script started counting. Written as 0 on the first run, so that increase() sees the first failure.',
  },
  {
    name: 'asd_ssh_root_logins_total',
    type: 'counter',
    labels: [],
    producer: 'asd-ssh-metrics script, same file',
    help: 'Successful SSH logins as root. The lab forbids them (PermitRootLogin no): any increase is an incident. Written as 0 on the first run.',
  },
  {
    name: 'asd_ssh_password_logins_total',
    type: 'counter',
    labels: [],
    producer: 'asd-ssh-metrics script, same file',
    help: 'Successful SSH logins with a password ("Accepted password" or keyboard-interactive). The lab allows keys only: any increase is an incident. Written as 0 on the first run.',
  },
  {
    name: 'asd_nftables_dropped_packets_total',
    type: 'counter',
    labels: ['chain'],
    producer: `asd-nft-metrics script of role security_metrics (systemd timer, every 30 s) reading the named counters input_dropped and forward_dropped of table inet asd_lab (\`nft -j list counters table inet asd_lab\`); writes ${TEXTFILE_DIR}/asd_nftables.prom (with asd_nftables_dropped_bytes_total)`,
    help: "Packets dropped by the lab firewall's default-drop policy, per chain (input; forward where its policy is drop): a named counter is the last rule of the chain, so it counts exactly what the policy then drops. Restarts from 0 when the firewall role reloads its table (a counter reset for rate()).",
  },
  {
    name: 'asd_backup_last_success_timestamp_seconds',
    type: 'gauge',
    labels: [],
    producer: `the backup script on the database servers, at the end of a successful and verified backup; writes ${TEXTFILE_DIR}/asd_backup.prom`,
    help: 'Unix time of the last successful backup. Written as 0 when the backup job is installed, so that a backup that never ran is seen as too old.',
  },
  {
    name: 'apt_upgrades_pending',
    type: 'gauge',
    labels: ['origin', 'arch'],
    producer:
      'Debian package prometheus-node-exporter-collectors (apt_info.py, timer prometheus-node-exporter-apt.timer); writes apt.prom',
    help: 'Packages with a pending upgrade, by origin ("Debian:bookworm-security/stable-security" for security updates).',
  },
  {
    name: 'node_reboot_required',
    type: 'gauge',
    labels: [],
    producer: 'Debian package prometheus-node-exporter-collectors (apt_info.py), same file',
    help: '1 when an installed update needs a reboot (/run/reboot-required exists).',
  },
];

export const APP_METRICS: MetricContract[] = [
  {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    labels: ['method', 'route', 'code'],
    producer: 'the application, on https://<app>:8080/metrics (Prometheus client library)',
    help: 'Duration of each HTTP request, by method, route template and status code. Its buckets must include every latency objective (see LATENCY_BUCKETS_SECONDS); its _count gives the request rate and the 5xx ratio.',
  },
  {
    name: 'http_requests_in_flight',
    type: 'gauge',
    labels: [],
    producer: 'the application, same endpoint',
    help: 'Requests being served right now (concurrent connections that wait for an answer).',
  },
  {
    name: 'http_requests_in_flight_limit',
    type: 'gauge',
    labels: [],
    producer: 'the application, same endpoint',
    help: 'The most requests the application serves at once (worker or pool size): saturation is in-flight / limit.',
  },
];
