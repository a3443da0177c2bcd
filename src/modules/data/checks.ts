// CP6 "Les serveurs de données sont opérationnels / Les droits d'accès sont conformes au cahier des
// charges / Les données sont sauvegardées": the checks of the data module, run from the controller
// against the candidate's db and mon servers. Each access case is tried for real, as a network
// login from a server of the lab, with the password the role generated.
import { Socket } from 'node:net';
import { join } from 'node:path';
import { DataError, MONITORING_ROLE, PG_PORT, type DataDatabase } from './generate.ts';
import {
  canaryDatabase,
  dataLab,
  measureLag,
  readJson,
  repoBackups,
  restoreCheck,
  rolePassword,
  serverStatus,
  type DataLab,
  type RestoreCheck,
} from './ops.ts';
import { psqlClient, psqlLocal, type RemoteResult } from './remote.ts';
import type { CheckContext, CheckDefinition, CheckOutcome } from '../../checks/types.ts';
import type { LabServer } from '../../core/lab-server.ts';

const PATH = 'src/modules/data/checks.ts';

/** The candidate's data lab, or the reason the check cannot run. */
async function labOrReason(ctx: CheckContext): Promise<DataLab | CheckOutcome> {
  if (!ctx.cohort.modules.data)
    return { status: 'not-run', evidence: 'the data module is off in the cohort file (modules.data: false)' };
  if (!ctx.servers.some((s) => s.role === 'db'))
    return { status: 'not-run', evidence: `candidate ${ctx.candidate.id} has no db server in the model` };
  try {
    return await dataLab(ctx.cohort, ctx.candidate.id, ctx.servers);
  } catch (err) {
    if (err instanceof DataError) return { status: 'fail', evidence: err.message };
    throw err;
  }
}
const isLab = (x: DataLab | CheckOutcome): x is DataLab => 'plan' in x;

export const dataServersOperational: CheckDefinition = {
  id: 'data-servers-operational',
  criterion: 'CP6.1',
  path: PATH,
  description:
    "every db server answers; the primary is not in recovery, each replica is, streams from it, and replays a fresh commit within the model's lag limit",
  async run(ctx) {
    const lab = await labOrReason(ctx);
    if (!isLab(lab)) return [lab];
    const limit = ctx.cohort.data.maxReplicationLagSeconds;
    const st = await serverStatus(lab);
    const out: CheckOutcome[] = [];
    const primary = st.find((s) => s.server === lab.primary.name)!;
    out.push({
      server: primary.server,
      status: primary.role === 'primary' ? 'pass' : 'fail',
      evidence:
        primary.role === 'primary'
          ? 'answers, not in recovery (primary)'
          : `expected the primary, found ${primary.role}${primary.error ? `: ${primary.error}` : ''}`,
    });
    const lags = primary.role === 'primary' && lab.replicas.length ? await measureLag(lab, limit) : [];
    for (const r of lab.replicas) {
      const s = st.find((x) => x.server === r.name)!;
      const lag = lags.find((l) => l.server === r.name);
      const ok =
        s.role === 'replica' && s.streaming === true && lag?.seconds !== null && lag !== undefined && lag.seconds! < limit;
      out.push({
        server: r.name,
        status: ok ? 'pass' : 'fail',
        evidence:
          s.role !== 'replica'
            ? `expected a replica in recovery, found ${s.role}${s.error ? `: ${s.error}` : ''}`
            : `in recovery, ${s.streaming ? 'streaming' : 'NOT streaming'} from ${lab.primary.name} (pg_stat_replication: ${s.lagBytes ?? '?'} bytes behind); ${lag ? lag.detail : 'lag not measured'}; limit ${limit} s`,
      });
    }
    return out;
  },
};

type Expect = 'accepted' | 'refused';
interface AccessCase {
  id: string;
  from?: LabServer;
  expect: Expect;
  /** How a refusal must look (PostgreSQL's message), so that a timeout is not taken for a rule. */
  refusal?: RegExp;
  run: (from: LabServer) => Promise<RemoteResult>;
  why?: string;
}

const serverAt = (lab: DataLab, cidrs: string[], exclude: string[] = []) =>
  lab.servers.find((s) => s.state === 'running' && !exclude.includes(s.name) && cidrs.includes(`${s.address}/32`));

/** Every access case of the specification, for the candidate's lab (pure: tested without servers). */
export function accessCases(lab: DataLab): AccessCase[] {
  const db = lab.plan.databases.find((d) => d.env === 'prod') ?? lab.plan.databases[0]!;
  const testDb: DataDatabase | undefined = lab.plan.databases.find((d) => d.app === db.app && d.env === 'test');
  const host = lab.primary.address;
  const pw = (role: string) => rolePassword(lab, role);
  const login = (from: LabServer, database: string, user: string, sql: string, sslmode?: 'verify-full' | 'disable') =>
    psqlClient({ from, host, database, user, password: pw(user), sslmode }, sql);
  const appFrom = serverAt(lab, db.appSources);
  const roFrom = serverAt(lab, db.readonlySources);
  // A server of the lab that no rule lists for this role: the other db server is the usual one.
  const unlisted = lab.servers.find(
    (s) => s.state === 'running' && s.name !== lab.primary.name && !db.appSources.includes(`${s.address}/32`),
  );
  const cases: AccessCase[] = [
    {
      id: `${db.appRole} writes ${db.name} (TLS, scram)`,
      from: appFrom,
      expect: 'accepted',
      run: (f) => login(f, db.name, db.appRole, "BEGIN; INSERT INTO public.asd_canary (note) VALUES ('rights check'); ROLLBACK;"),
    },
    {
      id: `${db.appRole} without TLS is refused`,
      from: appFrom,
      expect: 'refused',
      refusal: /no pg_hba\.conf entry|rejects connection|no encryption/,
      run: (f) => login(f, db.name, db.appRole, 'SELECT 1', 'disable'),
    },
    {
      id: `${db.readonlyRole} reads ${db.name}`,
      from: roFrom,
      expect: 'accepted',
      run: (f) => login(f, db.name, db.readonlyRole, 'SELECT count(*) FROM public.asd_canary'),
    },
    {
      id: `${db.readonlyRole} cannot write (read-only transactions)`,
      from: roFrom,
      expect: 'refused',
      refusal: /read-only transaction/,
      run: (f) => login(f, db.name, db.readonlyRole, "INSERT INTO public.asd_canary (note) VALUES ('must fail')"),
    },
    {
      id: `${db.readonlyRole} cannot write even in a read-write transaction (grants)`,
      from: roFrom,
      expect: 'refused',
      refusal: /permission denied/,
      run: (f) =>
        login(
          f,
          db.name,
          db.readonlyRole,
          "BEGIN READ WRITE; INSERT INTO public.asd_canary (note) VALUES ('must fail'); ROLLBACK;",
        ),
    },
    {
      id: 'superuser postgres over the network is refused',
      from: appFrom ?? roFrom,
      expect: 'refused',
      refusal: /rejects connection|no pg_hba\.conf entry/,
      run: (f) => psqlClient({ from: f, host, database: 'postgres', user: 'postgres', password: 'not-a-password' }, 'SELECT 1'),
    },
    {
      id: `${MONITORING_ROLE} over the network is refused (local socket only)`,
      from: appFrom ?? roFrom,
      expect: 'refused',
      refusal: /rejects connection|no pg_hba\.conf entry/,
      run: (f) => login(f, 'postgres', MONITORING_ROLE, 'SELECT 1'),
    },
    {
      id: `${db.appRole} from an unlisted host (${unlisted?.name ?? 'none'}) is refused`,
      from: unlisted,
      expect: 'refused',
      refusal: /rejects connection|no pg_hba\.conf entry|timeout expired|Connection timed out/,
      run: (f) => login(f, db.name, db.appRole, 'SELECT 1'),
      why: 'every running server of this lab is a listed source',
    },
  ];
  if (testDb) {
    const testFrom = serverAt(lab, testDb.appSources);
    cases.push(
      {
        id: `${testDb.appRole} reaches ${testDb.name}`,
        from: testFrom,
        expect: 'accepted',
        run: (f) => login(f, testDb.name, testDb.appRole, 'SELECT 1'),
      },
      {
        id: `${testDb.appRole} cannot reach ${db.name}`,
        from: testFrom,
        expect: 'refused',
        refusal: /rejects connection|no pg_hba\.conf entry|permission denied/,
        run: (f) => login(f, db.name, testDb.appRole, 'SELECT 1'),
      },
    );
  }
  return cases;
}

/** A TCP connection attempt from the controller: the firewall must drop it (not a model source). */
function tcpProbe(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (what: string) => {
      sock.destroy();
      resolve(what);
    };
    sock.setTimeout(timeoutMs, () => done('timeout'));
    sock.once('connect', () => done('connected'));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    sock.connect(port, host);
  });
}

export const dataAccessRights: CheckDefinition = {
  id: 'data-access-rights',
  criterion: 'CP6.2',
  path: PATH,
  description:
    'each role can do exactly what the model says: writes, read-only, no cross-environment access, unlisted hosts, plain text and the superuser refused',
  async run(ctx) {
    const lab = await labOrReason(ctx);
    if (!isLab(lab)) return [lab];
    // The cases are independent logins (writes roll back): tried at once, reported in the model's order.
    const probeP = tcpProbe(lab.primary.address, PG_PORT);
    const out: CheckOutcome[] = await Promise.all(
      accessCases(lab).map(async (c): Promise<CheckOutcome> => {
        if (!c.from) {
          return {
            status: 'not-run',
            evidence: `${c.id}: no running server of this lab is a source for this case${c.why ? ` (${c.why})` : ''}`,
          };
        }
        const r = await c.run(c.from);
        const msg = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
        const ok = c.expect === 'accepted' ? r.code === 0 : r.code !== 0 && (!c.refusal || c.refusal.test(r.stderr + r.stdout));
        return {
          server: c.from.name,
          status: ok ? 'pass' : 'fail',
          evidence: `${c.id}: ${r.code === 0 ? 'accepted' : `refused (${msg})`}, expected ${c.expect}`,
        };
      }),
    );
    // From the controller (not a source in the model): the firewall drops 5432.
    const probe = await probeP;
    out.push({
      status: probe !== 'connected' ? 'pass' : 'fail',
      evidence: `TCP ${PG_PORT} of ${lab.primary.name} from the controller (not a source): ${probe}, expected no connection (firewall)`,
    });
    // The live pg_hba.conf is exactly the one generated from the model.
    const hba = await psqlLocal(
      lab.primary,
      "SELECT count(*) FILTER (WHERE error IS NOT NULL), count(*) FILTER (WHERE auth_method = 'trust'), count(*) FILTER (WHERE type <> 'local' AND auth_method NOT IN ('scram-sha-256', 'reject')) FROM pg_hba_file_rules;",
    );
    const [errors, trust, weak] = hba.stdout.trim().split('|').map(Number);
    out.push({
      server: lab.primary.name,
      status: hba.code === 0 && errors === 0 && trust === 0 && weak === 0 ? 'pass' : 'fail',
      evidence:
        hba.code === 0
          ? `pg_hba_file_rules: ${errors} error(s), ${trust} trust line(s), ${weak} network line(s) with another method than scram-sha-256/reject`
          : hba.stderr.trim(),
    });
    return out;
  },
};

export const dataBackedUp: CheckDefinition = {
  id: 'data-backed-up',
  criterion: 'CP6.3',
  path: PATH,
  description:
    "a backup younger than the model's limit is in the encrypted repository, and the last restore check found the canary identical",
  async run(ctx) {
    const lab = await labOrReason(ctx);
    if (!isLab(lab)) return [lab];
    if (!lab.repo) return [{ status: 'fail', evidence: `candidate ${lab.candidate} has no mon server: no backup repository` }];
    const out: CheckOutcome[] = [];
    const maxH = ctx.cohort.data.backup.maxAgeHours;
    const info = await repoBackups(lab);
    const last = info.backups.at(-1);
    const ageH = last ? (Date.now() - Date.parse(last.stop)) / 3_600_000 : Infinity;
    out.push({
      server: lab.repo.name,
      status: last && ageH < maxH && info.cipher && info.cipher !== 'none' ? 'pass' : 'fail',
      evidence: last
        ? `newest backup ${last.label} (${last.type}) finished ${last.stop}, ${ageH.toFixed(1)} h ago (limit ${maxH} h); ${info.backups.length} backup(s) kept; stanza status ${info.status}; repository cipher ${info.cipher ?? 'none'}`
        : `no backup in the repository (stanza status ${info.status})`,
    });
    // No restore check yet, or an old one: prove it now (a canary row, a restore point, a restore
    // into the scratch instance on mon), so that a fresh lab is checked without a manual step.
    let rc = readJson<RestoreCheck>(join(lab.stateDir, 'restore-check.json'));
    let ranNow = false;
    if (last && (!rc || (Date.now() - Date.parse(rc.at)) / 3_600_000 > maxH)) {
      try {
        rc = await restoreCheck(lab);
        ranNow = true;
      } catch (err) {
        out.push({ status: 'fail', evidence: `restore check run by verify failed: ${(err as Error).message}` });
        return out;
      }
    }
    out.push({
      status: rc?.ok ? 'pass' : 'fail',
      evidence: rc
        ? `${ranNow ? 'restore check run now by verify' : 'last restore check'} ${rc.at}: ${rc.ok ? 'canary identical' : 'MISMATCH'} (${rc.expected.rows} rows, md5 ${rc.expected.checksum} expected; restored ${rc.got ? `${rc.got.rows} rows, md5 ${rc.got.checksum}` : 'nothing'}), backup ${rc.backup}, recovery point ${rc.recoveryPoint}, restored in ${rc.restoreSeconds} s (database ${rc.database ?? canaryDatabase(lab.plan)})`
        : `no restore check recorded: run "npx asd-lab db restore-check ${lab.candidate}"`,
    });
    return out;
  },
};

export const DATA_CHECKS: CheckDefinition[] = [dataServersOperational, dataAccessRights, dataBackedUp];
