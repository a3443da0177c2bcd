// The running supervision of one candidate, read over SSH on its mon server: Prometheus' and
// Alertmanager's HTTP APIs (HTTPS, lab CA, basic auth) and the alert receiver's event log. The
// credential is read on the server by root and handed to curl on its standard input, so that it
// never appears in a command line, a log or this process.
import { serverTarget, sshExec, type ExecResult, type SshTarget } from '../../tools/ssh.ts';
import { monitoringOptions } from './options.ts';
import { parseEvents, type PromRangeSeries, type PromSample, type ReceivedEvent } from './api-types.ts';
import type { LabServer } from '../../core/lab-server.ts';
import { AsdError } from '../../core/errors.ts';

export { parseEvents, type PromRangeSeries, type PromSample, type ReceivedEvent } from './api-types.ts';

const OPTS = monitoringOptions();

/** Where the alert receiver (ansible role alert_receiver) appends one JSON line per notification. */
export const EVENT_LOG = '/var/log/asd-lab-alerts/events.jsonl';
export const PROMETHEUS_URL = 'https://localhost:9090';
export const ALERTMANAGER_URL = 'https://localhost:9093';

/** Quote one word for a POSIX shell. */
import { shq } from '../../tools/shell.ts';

export { shq };

export const sshTarget = (s: LabServer): SshTarget => serverTarget(s);

/** The candidate's monitoring server, if its model has one. */
export function monServer(servers: LabServer[]): LabServer | undefined {
  return servers.find((s) => s.role === 'mon' && s.state === 'running') ?? servers.find((s) => s.role === 'mon');
}

/**
 * Run a shell script as root on a server. The script travels base64-encoded in the command line
 * (no quoting pitfalls); it must not contain secrets (it is visible in the server's process list).
 */
export function rootScript(server: LabServer, script: string, timeoutMs = 60_000): Promise<ExecResult> {
  const b64 = Buffer.from(script).toString('base64');
  return sshExec(sshTarget(server), `sudo -n /bin/sh -c "$(echo ${b64} | base64 -d)"`, timeoutMs);
}

/** A curl command line, run on mon, that authenticates with the scrape credential read there. */
export function curlWithCredential(url: string, params: Record<string, string> = {}, extra: string[] = []): string {
  const data = Object.entries(params)
    .map(([k, v]) => `--data-urlencode ${shq(`${k}=${v}`)}`)
    .join(' ');
  return [
    `printf 'user = "${OPTS.scrapeUser}:%s"\\n' "$(cat ${shq(OPTS.paths.passwordFile)})"`,
    `| curl -sS --max-time 20 -K - --cacert ${shq(OPTS.paths.caFile)}`,
    ...extra,
    Object.keys(params).length > 0 ? `-G ${data}` : '',
    shq(url),
  ]
    .filter(Boolean)
    .join(' ');
}

/** The mon server's Prometheus or Alertmanager API did not answer as expected (kind 'operation'). */
export class MonitoringApiError extends AsdError {}

/** GET a JSON API of Prometheus or Alertmanager on the mon server. */
export async function monApi<T>(server: LabServer, url: string, params: Record<string, string> = {}): Promise<T> {
  const r = await rootScript(server, `set -e\n${curlWithCredential(url, params, ['--fail-with-body'])}\n`);
  if (r.code !== 0) throw new MonitoringApiError(`${url}: curl exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new MonitoringApiError(`${url}: not JSON: ${r.stdout.slice(0, 200)}`);
  }
}

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}

/** An instant PromQL query. */
export async function promQuery(server: LabServer, query: string): Promise<PromSample[]> {
  const r = await monApi<PromResponse<{ resultType: string; result: PromSample[] }>>(server, `${PROMETHEUS_URL}/api/v1/query`, {
    query,
  });
  if (r.status !== 'success') throw new MonitoringApiError(`query ${query}: ${r.error ?? r.status}`);
  return r.data.result;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** Alerts Prometheus holds (pending or firing). */
export async function promAlerts(server: LabServer): Promise<PromAlert[]> {
  return (await monApi<PromResponse<{ alerts: PromAlert[] }>>(server, `${PROMETHEUS_URL}/api/v1/alerts`)).data.alerts;
}

export interface PromRule {
  name: string;
  type: 'recording' | 'alerting';
  health: string;
  query: string;
  labels?: Record<string, string>;
  lastError?: string;
}
export interface PromRuleGroup {
  name: string;
  file: string;
  rules: PromRule[];
}

export async function promRules(server: LabServer): Promise<PromRuleGroup[]> {
  return (await monApi<PromResponse<{ groups: PromRuleGroup[] }>>(server, `${PROMETHEUS_URL}/api/v1/rules`)).data.groups;
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

export async function promTargets(server: LabServer): Promise<PromTarget[]> {
  return (
    await monApi<PromResponse<{ activeTargets: PromTarget[] }>>(server, `${PROMETHEUS_URL}/api/v1/targets`, { state: 'active' })
  ).data.activeTargets;
}

/** The configuration Prometheus runs (YAML text). */
export async function promConfig(server: LabServer): Promise<string> {
  return (await monApi<PromResponse<{ yaml: string }>>(server, `${PROMETHEUS_URL}/api/v1/status/config`)).data.yaml;
}

/** An alert as Alertmanager holds it (API v2). */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
  receivers: { name: string }[];
}

export async function amAlerts(server: LabServer): Promise<AmAlert[]> {
  return monApi<AmAlert[]>(server, `${ALERTMANAGER_URL}/api/v2/alerts`);
}

/** The receiver's event log; empty when nothing was received yet. */
export async function readEvents(server: LabServer): Promise<ReceivedEvent[]> {
  const r = await rootScript(server, `test -f ${shq(EVENT_LOG)} && cat ${shq(EVENT_LOG)} || true\n`);
  if (r.code !== 0) throw new MonitoringApiError(`cannot read ${EVENT_LOG}: ${r.stderr.trim()}`);
  return parseEvents(r.stdout);
}

/** Pairs (first firing, first resolved after it) of one alert in the event log. */
export function firingThenResolved(events: ReceivedEvent[], match: (a: ReceivedEvent['alerts'][number]) => boolean, after = 0) {
  let firing: { at: string; team: string; alert: ReceivedEvent['alerts'][number] } | undefined;
  let resolved: { at: string; team: string } | undefined;
  for (const e of events) {
    if (Date.parse(e.received) < after) continue;
    for (const a of e.alerts) {
      if (!match(a)) continue;
      if (!firing && a.status === 'firing') firing = { at: e.received, team: e.team, alert: a };
      else if (firing && !resolved && a.status === 'resolved') resolved = { at: e.received, team: e.team };
    }
  }
  return { firing, resolved };
}

/** A range PromQL query (for charts). */
export async function promRange(
  server: LabServer,
  query: string,
  start: number,
  end: number,
  stepSeconds: number,
): Promise<PromRangeSeries[]> {
  const r = await monApi<PromResponse<{ result: PromRangeSeries[] }>>(server, `${PROMETHEUS_URL}/api/v1/query_range`, {
    query,
    start: String(start),
    end: String(end),
    step: String(stepSeconds),
  });
  if (r.status !== 'success') throw new MonitoringApiError(`query_range ${query}: ${r.error ?? r.status}`);
  return r.data.result;
}
