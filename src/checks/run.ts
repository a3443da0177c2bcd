// Building the verify report: run the registered checks for each candidate (candidates in parallel
// with a bound, the checks of one candidate in parallel with a bound too, sharing one SSH
// connection per server), turn a thrown check or an unreachable candidate into a reported result,
// and compute the coverage of every criterion of the registry.
import { connect } from 'node:net';
import { COMPETENCIES } from '../core/competencies.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';
import { CHECKS } from './index.ts';
import { record, type CheckDefinition, type CheckRecord } from './types.ts';
import type { LabServer } from '../core/lab-server.ts';
import {
  REPORT_SCHEMA_VERSION,
  type CandidateReport,
  type CheckRecordV1,
  type CriterionCoverage,
  type VerifyReportV1,
} from '../evidence/verify-report/schema.ts';
import { toolVersion, type ToolVersion } from '../evidence/version.ts';
import { withSshPool } from '../tools/ssh.ts';

/** Competencies a report lists: CP1-CP10 (CP11 is assessed by a questionnaire, it has no criterion). */
export const REPORTED_COMPETENCIES = COMPETENCIES.filter((c) => c.criteria.length > 0);

export const NO_CHECK_YET = 'no check yet';

/** The status of each criterion from the records of one candidate. */
export function coverage(
  checks: Pick<CheckRecord, 'criterionId' | 'status'>[],
  unreachable?: string,
  defs: Pick<CheckDefinition, 'criterion'>[] = CHECKS,
): CriterionCoverage[] {
  const out: CriterionCoverage[] = [];
  for (const comp of REPORTED_COMPETENCIES) {
    for (const cr of comp.criteria) {
      const mine = checks.filter((x) => x.criterionId === cr.id);
      const n = (s: string) => mine.filter((x) => x.status === s).length;
      const pass = n('pass');
      const fail = n('fail');
      const notRun = n('not-run');
      const status = fail > 0 ? 'fail' : pass > 0 ? 'pass' : 'not-run';
      const reason =
        status !== 'not-run'
          ? undefined
          : !defs.some((d) => d.criterion === cr.id) && mine.length === 0
            ? NO_CHECK_YET
            : unreachable
              ? `candidate unreachable: ${unreachable}`
              : mine.length === 0
                ? NO_CHECK_YET
                : 'every check not-run';
      out.push({
        competency: comp.id,
        criterionId: cr.id,
        title: cr.fr,
        gloss: cr.en,
        status,
        ...(reason ? { reason } : {}),
        pass,
        fail,
        notRun,
      });
    }
  }
  return out;
}

export function summarize(checks: Pick<CheckRecord, 'status'>[], criteria: CriterionCoverage[]): CandidateReport['summary'] {
  const n = <T extends { status: string }>(list: T[], s: string) => list.filter((x) => x.status === s).length;
  return {
    pass: n(checks, 'pass'),
    fail: n(checks, 'fail'),
    notRun: n(checks, 'not-run'),
    criteriaPassed: n(criteria, 'pass'),
    criteriaFailed: n(criteria, 'fail'),
    criteriaNotRun: n(criteria, 'not-run'),
  };
}

/** Is the SSH port of a server open? (One TCP connection, bounded.) */
export function tcpOpen(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface RunOptions {
  candidate?: string;
  checks?: CheckDefinition[];
  /** Candidates checked at the same time (default 2: the host has few cores). */
  concurrency?: number;
  /** Checks of one candidate run at the same time (default CHECK_CONCURRENCY). */
  checkConcurrency?: number;
  /** Upper bound of one check, in ms (default 10 minutes: Lynis audits are slow). */
  checkTimeoutMs?: number;
  /** How a candidate is found reachable (default: SSH port of a running server answers). */
  probe?: (server: LabServer) => Promise<boolean>;
  version?: ToolVersion;
  now?: () => Date;
  /** Called when a candidate is done (progress on stderr). */
  onCandidate?: (c: CandidateReport) => void;
}

/**
 * Checks of one candidate at once: most of a check's time is waiting for a server (SSH round
 * trips, a query on mon), so several overlap well even on 2 cores.
 */
export const CHECK_CONCURRENCY = 6;

/** Run async jobs with at most `limit` at once; results keep the input order. */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function checkCandidate(
  cohort: Cohort,
  candidate: Candidate,
  servers: LabServer[],
  opts: RunOptions,
): Promise<CandidateReport> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const probe = opts.probe ?? ((s: LabServer) => tcpOpen(s.address, s.sshPort));
  const base = {
    id: candidate.id,
    ...(candidate.name ? { name: candidate.name } : {}),
    startedAt,
    servers: servers.map((s) => ({ name: s.name, role: s.role, state: s.state, address: s.address })),
  };
  const running = servers.filter((s) => s.state === 'running');
  const answering = (await Promise.all(running.map(probe))).filter(Boolean).length;
  if (answering === 0) {
    const states = servers.map((s) => `${s.name} ${s.state}`).join(', ') || 'no server in the model';
    const error =
      running.length === 0
        ? `no server running (${states})`
        : `no server answers SSH (${running.map((s) => `${s.address}:${s.sshPort}`).join(', ')})`;
    const criteria = coverage([], error, opts.checks ?? CHECKS);
    return {
      ...base,
      reachable: false,
      error,
      finishedAt: now().toISOString(),
      checks: [],
      criteria,
      summary: summarize([], criteria),
    };
  }
  // One SSH connection per server, shared by every check of this candidate; records keep the
  // registry's order whatever order the checks end in.
  const perCheck = await withSshPool(() =>
    mapBounded(opts.checks ?? CHECKS, opts.checkConcurrency ?? CHECK_CONCURRENCY, async (def) => {
      const t0 = now();
      let outcomes;
      try {
        outcomes = await withTimeout(def.run({ cohort, candidate, servers }), opts.checkTimeoutMs ?? 600_000, `check ${def.id}`);
      } catch (err) {
        // A check that throws is a failed check with its reason, never a crash of the whole run.
        outcomes = [{ status: 'fail' as const, evidence: `error: ${(err as Error).message}` }];
      }
      const durationMs = now().getTime() - t0.getTime();
      return outcomes.map((o): CheckRecordV1 => ({ ...record(def, o), startedAt: t0.toISOString(), durationMs }));
    }),
  );
  const checks: CheckRecordV1[] = perCheck.flat();
  const criteria = coverage(checks, undefined, opts.checks ?? CHECKS);
  return { ...base, reachable: true, finishedAt: now().toISOString(), checks, criteria, summary: summarize(checks, criteria) };
}

/** Verify a cohort (or one candidate) and return a report of schema version 1. */
export async function runVerify(
  cohort: Cohort,
  serversByCandidate: Map<string, LabServer[]>,
  opts: RunOptions = {},
): Promise<VerifyReportV1> {
  const candidates = cohort.candidates.filter((c) => !opts.candidate || c.id === opts.candidate);
  const results = await mapBounded(candidates, opts.concurrency ?? 2, async (cand) => {
    let r: CandidateReport;
    try {
      r = await checkCandidate(cohort, cand, serversByCandidate.get(cand.id) ?? [], opts);
    } catch (err) {
      const error = `error: ${(err as Error).message}`;
      const criteria = coverage([], error, opts.checks ?? CHECKS);
      const at = (opts.now ?? (() => new Date()))().toISOString();
      r = {
        id: cand.id,
        reachable: false,
        error,
        startedAt: at,
        finishedAt: at,
        servers: [],
        checks: [],
        criteria,
        summary: summarize([], criteria),
      };
    }
    opts.onCandidate?.(r);
    return r;
  });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    asdLab: opts.version ?? (await toolVersion()),
    cohort: cohort.cohort,
    target: cohort.target,
    candidates: results,
  };
}

/** Exit status of a report: 1 when a check failed or a candidate could not be checked. */
export function reportFailed(report: VerifyReportV1): boolean {
  return report.candidates.some((c) => !c.reachable || c.summary.fail > 0);
}
