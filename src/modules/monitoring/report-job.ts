// The developers' weekly report (CP10.3), written on the candidate's mon server itself by a systemd
// timer (role monitoring_report): the same queries, renderers and files as `asd-lab report app`
// (app-report.ts), but Prometheus is asked on localhost — HTTPS verified by the lab CA, basic auth
// with the scrape credential that systemd hands the service (LoadCredential) — and the dev alerts
// come from a copy of the alert receiver's event log. Servers have no asd-lab CLI: the controller
// bundles this file (entry report-job-main.ts) with esbuild into one script for Debian's node 18.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { t } from '../../core/i18n/index.ts';
import { collectAppReport, parsePeriod, writeAppReport, type ReportSource } from './app-report.ts';
import { parseEvents, type PromRangeSeries, type PromSample } from './api-types.ts';
import { SLO_DEFAULTS, sloSchema, type SloConfig } from '../../core/model/slo.ts';
import { AsdError, type AsdErrorOptions } from '../../core/errors.ts';

export interface JobOptions {
  out: string;
  since: string;
  cohort: string;
  candidate: string;
  prometheusUrl: string;
  caFile: string;
  user: string;
  passwordFile: string;
  /** The alert receiver's event log (a copy); absent file = no notification yet. */
  eventsFile?: string;
  /** JSON file with the cohort's `slo:` block; absent = the lab's defaults (those of the deployed rules). */
  sloFile?: string;
  timeoutMs: number;
}

/** A mistake in the job's arguments or configuration (exit code 2; the message is for a human). */
export class JobUsageError extends AsdError {
  constructor(message: string, opts: AsdErrorOptions = {}) {
    super(message, { kind: 'usage', ...opts });
  }
}

/** Arguments of the job, checked before anything is asked. */
export function parseJobArgs(argv: string[]): JobOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        since: { type: 'string', default: '7d' },
        cohort: { type: 'string' },
        candidate: { type: 'string' },
        'prometheus-url': { type: 'string', default: 'https://localhost:9090' },
        'ca-file': { type: 'string', default: '/etc/asd-lab/pki/ca.crt' },
        user: { type: 'string', default: 'prometheus' },
        'password-file': { type: 'string' },
        'events-file': { type: 'string' },
        'slo-file': { type: 'string' },
        'timeout-seconds': { type: 'string', default: '60' },
      },
    }));
  } catch (err) {
    throw new JobUsageError(t('reportJob.badArgs', { detail: (err as Error).message }));
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const missing = ['out', 'cohort', 'candidate', 'password-file'].filter((k) => !str(k));
  if (missing.length > 0)
    throw new JobUsageError(t('reportJob.missing', { count: missing.length, options: missing.map((k) => `--${k}`).join(', ') }));
  const since = str('since')!;
  if (parsePeriod(since) === undefined) throw new JobUsageError(t('appReport.badPeriod', { got: since }));
  let url: URL;
  try {
    url = new URL(str('prometheus-url')!);
  } catch {
    throw new JobUsageError(t('reportJob.notHttps', { got: str('prometheus-url')! }));
  }
  if (url.protocol !== 'https:') throw new JobUsageError(t('reportJob.notHttps', { got: str('prometheus-url')! }));
  const timeout = Number(str('timeout-seconds'));
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600)
    throw new JobUsageError(t('reportJob.badTimeout', { got: str('timeout-seconds')! }));
  for (const k of ['out', 'ca-file', 'password-file', 'events-file', 'slo-file']) {
    const v = str(k);
    if (v !== undefined && !v.startsWith('/')) throw new JobUsageError(t('reportJob.notAbsolute', { option: `--${k}`, got: v }));
  }
  return {
    out: str('out')!,
    since,
    cohort: str('cohort')!,
    candidate: str('candidate')!,
    prometheusUrl: url.toString().replace(/\/$/, ''),
    caFile: str('ca-file')!,
    user: str('user')!,
    passwordFile: str('password-file')!,
    eventsFile: str('events-file'),
    sloFile: str('slo-file'),
    timeoutMs: timeout * 1000,
  };
}

/** The cohort's objectives from a JSON file (the `slo:` block), validated like the cohort's. */
export function readSlo(file: string | undefined): SloConfig {
  if (!file) return SLO_DEFAULTS;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new JobUsageError(t('reportJob.badSlo', { file, detail: (err as Error).message }));
  }
  const r = sloSchema.safeParse(doc ?? {});
  if (!r.success)
    throw new JobUsageError(
      t('reportJob.badSlo', { file, detail: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }),
    );
  return r.data;
}

/**
 * "localhost" may resolve to ::1 first: try both address families, like curl (node 18.13+ knows the
 * option but does not turn it on by default; node 20 does; @types/node does not list it for requests).
 */
const BOTH_FAMILIES = { autoSelectFamily: true };

/** GET a JSON document over HTTPS, verified by `ca`, with basic authentication. */
function getJson(url: URL, ca: Buffer, auth: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', ca, auth, timeout: timeoutMs, headers: { accept: 'application/json' }, ...BOTH_FAMILIES },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`${url.pathname}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(new Error(`${url.pathname}: not JSON: ${body.slice(0, 200)}`, { cause: err }));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url.pathname}: no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}

/** The local Prometheus and event log as a report source. */
export function localSource(o: JobOptions): ReportSource {
  const ca = readFileSync(o.caFile);
  const password = readFileSync(o.passwordFile, 'utf8').trim();
  const auth = `${o.user}:${password}`;
  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const url = new URL(`${o.prometheusUrl}${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const r = (await getJson(url, ca, auth, o.timeoutMs)) as PromResponse<T>;
    if (r.status !== 'success') throw new Error(`${path} ${params.query ?? ''}: ${r.error ?? r.status}`);
    return r.data;
  };
  return {
    query: async (expr) => (await api<{ result: PromSample[] }>('/api/v1/query', { query: expr })).result,
    range: async (expr, start, end, step) =>
      (
        await api<{ result: PromRangeSeries[] }>('/api/v1/query_range', {
          query: expr,
          start: String(start),
          end: String(end),
          step: String(step),
        })
      ).result,
    events: async () => (o.eventsFile && existsSync(o.eventsFile) ? parseEvents(readFileSync(o.eventsFile, 'utf8')) : []),
  };
}

/** Write one report into o.out; the files written. */
export async function runJob(o: JobOptions, source: ReportSource = localSource(o), now = new Date()): Promise<string[]> {
  if (!existsSync(o.out) || !statSync(o.out).isDirectory()) throw new JobUsageError(t('reportJob.noOutDir', { dir: o.out }));
  const report = await collectAppReport(source, {
    cohort: o.cohort,
    candidate: o.candidate,
    period: o.since,
    slo: readSlo(o.sloFile),
    now,
    generatedBy: `asd-app-report.timer on ${hostname()}`,
  });
  return writeAppReport(o.out, report);
}

/** The command: exit code 0 written, 1 Prometheus or files failed, 2 wrong arguments. */
export async function main(argv: string[]): Promise<number> {
  let o: JobOptions;
  try {
    o = parseJobArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    console.error(t('reportJob.usage'));
    return 2;
  }
  try {
    const files = await runJob(o);
    console.log(t('appReport.written', { candidate: o.candidate, files: files.join(', ') }));
    return 0;
  } catch (err) {
    if (err instanceof JobUsageError) {
      console.error(err.message);
      return 2;
    }
    console.error(t('reportJob.failed', { url: o.prometheusUrl, detail: (err as Error).message }));
    return 1;
  }
}
