// The scrapes and probes of what a later command deploys (the app's /metrics and HTTPS page, jobs
// with `deployedBy: 'app'`): Ansible writes their file_sd files empty on a fresh lab (no standing
// alarm for an app nobody deployed yet); `asd-lab app deploy` fills them on the mon server, and
// `asd-lab app down` of the last environment empties them again. Prometheus reads file_sd files
// live: no reload.
import type { InventoryHost } from '../../core/hosts.ts';
import type { LabServer } from '../../core/lab-server.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { monServer, rootScript, shq } from './remote.ts';
import { jobsFor, SCRAPE_JOBS, scrapeTargets, targetsFile, type TargetGroup } from './scrape-jobs.ts';

/** Where role prometheus keeps the file_sd files (prometheus_config_dir). */
export const PROMETHEUS_CONFIG_DIR = '/etc/prometheus';

/** The jobs that wait for the app. */
export const APP_JOBS = SCRAPE_JOBS.filter((j) => j.deployedBy === 'app').map((j) => j.name);

/** The file_sd files of the app's jobs for one candidate's servers, as Ansible would write them. */
export function appTargetFiles(
  cohort: Cohort,
  candidate: string,
  servers: Pick<LabServer, 'name' | 'role' | 'address' | 'state'>[],
  appDeployed: boolean,
): Map<string, TargetGroup[]> {
  const hosts: InventoryHost[] = servers
    .filter((s) => s.state === 'running')
    .map((s) => ({ candidate, server: s.name, role: s.role, address: s.address, subnet: '', appDeployed }));
  const all = scrapeTargets(hosts, { data: cohort.modules.data });
  const jobs = jobsFor({ data: cohort.modules.data }).filter((j) => j.deployedBy === 'app');
  return new Map(jobs.map((j) => [targetsFile(j.name), all.get(targetsFile(j.name)) ?? []]));
}

/**
 * The text Ansible's `to_nice_json` writes (4 spaces, keys sorted): the same bytes as the role's
 * template, so that the next converge finds the file unchanged.
 */
export function toNiceJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sorted(x)]),
          )
        : v;
  return JSON.stringify(sorted(value), null, 4);
}

export interface AppTargetsResult {
  /** The mon server written to, or undefined when the candidate has none running (nothing to do). */
  mon?: string;
  targets: number;
}

/** Write the app's file_sd files on the candidate's mon server (skipped when monitoring is off or mon is not running). */
export async function syncAppTargets(
  cohort: Cohort,
  candidate: string,
  servers: LabServer[],
  appDeployed: boolean,
): Promise<AppTargetsResult> {
  const mon = monServer(servers);
  if (!cohort.modules.monitoring || !mon || mon.state !== 'running') return { targets: 0 };
  const files = appTargetFiles(cohort, candidate, servers, appDeployed);
  const script = ['set -e'];
  for (const [file, groups] of files) {
    const dest = `${PROMETHEUS_CONFIG_DIR}/${file}`;
    const b64 = Buffer.from(`${toNiceJson(groups)}\n`).toString('base64');
    // Written beside, then renamed: Prometheus never reads half a file.
    script.push(
      `echo ${b64} | base64 -d > ${shq(`${dest}.tmp`)}`,
      `chown root:prometheus ${shq(`${dest}.tmp`)} && chmod 0644 ${shq(`${dest}.tmp`)}`,
      `mv ${shq(`${dest}.tmp`)} ${shq(dest)}`,
    );
  }
  const r = await rootScript(mon, `${script.join('\n')}\n`);
  if (r.code !== 0)
    throw new Error(`${mon.machine ?? mon.name}: cannot write the app's scrape targets: ${(r.stderr || r.stdout).trim()}`);
  return { mon: mon.machine ?? mon.name, targets: [...files.values()].reduce((n, g) => n + g.length, 0) };
}
