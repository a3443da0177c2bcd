// What Prometheus collects, per role of the lab's servers: exporters it scrapes and blackbox probes
// it runs. The same table gives the scrape jobs of prometheus.yml, the file_sd target files derived
// from the inventory, and the owner (team) of "target down" and "probe failed" alerts.
import { flowPort, type FlowId } from '../../core/flows.ts';
import { hostName, type InventoryHost } from '../../core/hosts.ts';
import { ROLES, type Role } from '../../core/model/cohort.ts';
import type { Severity, Team } from './types.ts';

interface JobBase {
  name: string;
  team: Team;
  /** Roles whose servers are targets of this job. */
  roles: readonly Role[];
  /** Only when the cohort's data module is on. */
  module?: 'data';
  /**
   * Only once this is deployed on the candidate's lab (`asd-lab app deploy`): before, nothing is
   * there to scrape or probe, and a target known to be absent would only raise standing alarms.
   */
  deployedBy?: 'app';
  /** What the job watches, for the docs. */
  what: string;
}

export interface ExporterJob extends JobBase {
  kind: 'exporter';
  /** The flow (src/core/flows.ts) Prometheus scrapes: its port. */
  flow: FlowId;
}

export interface ProbeJob extends JobBase {
  kind: 'probe';
  /** Module of blackbox.yml. */
  blackboxModule: string;
  /** The probed address, from the server's DNS name: `{host}` is replaced by it. */
  target: string;
  severity: Severity;
}

export type ScrapeJob = ExporterJob | ProbeJob;

const ALL: readonly Role[] = ROLES;

export const SCRAPE_JOBS: ScrapeJob[] = [
  { kind: 'exporter', name: 'prometheus', team: 'ops', roles: ['mon'], flow: 'prometheus', what: 'Prometheus itself' },
  { kind: 'exporter', name: 'alertmanager', team: 'ops', roles: ['mon'], flow: 'alertmanager', what: 'Alertmanager' },
  {
    kind: 'exporter',
    name: 'node',
    team: 'ops',
    roles: ALL,
    flow: 'node-exporter',
    what: 'node_exporter on every server (resources, textfile metrics)',
  },
  {
    kind: 'exporter',
    name: 'postgres',
    team: 'db',
    roles: ['db'],
    flow: 'postgres-exporter',
    module: 'data',
    what: 'postgres_exporter on the database servers',
  },
  {
    kind: 'exporter',
    name: 'app',
    team: 'dev',
    roles: ['app'],
    flow: 'app-metrics',
    deployedBy: 'app',
    what: "the application's own /metrics",
  },
  {
    kind: 'probe',
    name: 'blackbox_http',
    team: 'dev',
    roles: ['app'],
    blackboxModule: 'http_2xx',
    severity: 'critical',
    deployedBy: 'app',
    target: 'https://{host}/',
    what: "the application's HTTPS page, as users reach it (status, duration, certificate)",
  },
  {
    kind: 'probe',
    name: 'blackbox_ssh',
    team: 'ops',
    roles: ALL,
    blackboxModule: 'ssh_banner',
    severity: 'critical',
    target: `{host}:${flowPort('ssh')}`,
    what: 'the SSH banner of every server',
  },
  {
    kind: 'probe',
    name: 'blackbox_postgres',
    team: 'db',
    roles: ['db'],
    blackboxModule: 'tcp_connect',
    severity: 'critical',
    module: 'data',
    target: `{host}:${flowPort('postgresql')}`,
    what: 'the PostgreSQL port of the database servers',
  },
  {
    kind: 'probe',
    name: 'blackbox_tls',
    team: 'security',
    roles: ALL,
    blackboxModule: 'tls_connect',
    severity: 'warning',
    target: `{host}:${flowPort('node-exporter')}`,
    what: 'the TLS handshake and certificate of every server (on the node exporter port)',
  },
];

export interface Modules {
  data: boolean;
}

export function jobsFor(modules: Modules): ScrapeJob[] {
  return SCRAPE_JOBS.filter((j) => j.module !== 'data' || modules.data);
}

/** The address Prometheus scrapes (exporter) or asks the blackbox exporter to probe, for one server. */
export function jobTarget(job: ScrapeJob, host: string): string {
  return job.kind === 'exporter' ? `${host}:${flowPort(job.flow)}` : job.target.replaceAll('{host}', host);
}

/**
 * The jobs as data, for the deployment (ansible role prometheus builds the same file_sd files as
 * scrapeTargets() from its inventory with it): monitoring/generated/prometheus/scrape-jobs.json.
 */
export function scrapeJobsManifest(modules: Modules): {
  jobs: { name: string; roles: string[]; target: string; deployed_by?: string }[];
} {
  return {
    jobs: jobsFor(modules).map((j) => ({
      name: j.name,
      roles: [...j.roles],
      target: jobTarget(j, '{host}'),
      ...(j.deployedBy ? { deployed_by: j.deployedBy } : {}),
    })),
  };
}

/** Is the job's target there on this host (what it needs deployed, if anything, is)? */
export function jobWatches(job: ScrapeJob, host: Pick<InventoryHost, 'role' | 'appDeployed'>): boolean {
  return (job.roles as readonly string[]).includes(host.role) && (job.deployedBy !== 'app' || host.appDeployed === true);
}

/** One file_sd target group, as Prometheus reads it. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The file_sd file of a job, relative to the Prometheus configuration directory. */
export const targetsFile = (job: string) => `targets/${job}.yml`;

/**
 * The file_sd target files of one Prometheus, from inventory hosts. Targets are DNS names (the lab
 * CA signs certificates for them), and `instance` is the server's name on every job, so that
 * alerts about the same server share it (NodeDown inhibits the others on the same instance).
 */
export function scrapeTargets(hosts: InventoryHost[], modules: Modules): Map<string, TargetGroup[]> {
  const out = new Map<string, TargetGroup[]>();
  for (const job of jobsFor(modules)) {
    const groups = hosts
      .filter((h) => jobWatches(job, h))
      .map((h) => {
        const name = hostName(h.candidate, h.server);
        const target = jobTarget(job, name);
        return {
          targets: [target],
          labels: { instance: name, env: h.env ?? 'prod', candidate: h.candidate, server: h.server, role: h.role },
        };
      })
      .sort((a, b) => a.labels.instance.localeCompare(b.labels.instance));
    out.set(targetsFile(job.name), groups);
  }
  return out;
}
