// End to end, on real servers: one candidate with db1, db2 and mon brought up by `asd-lab up`
// (base roles + the data module), then what a DBA must prove: rows written on the primary are read
// on the replica; a backup, a dropped table and a point-in-time restore that finds the rows; the
// restore check; every access-rights case, positive and negative; a failover after which writing
// continues; a second data playbook run that changes nothing; `down` that leaves nothing.
// Needs root and the local target's tools (fails with the reason otherwise, never skips).
// The cohort name and pool can be moved (ASD_DATA_E2E_COHORT, ASD_DATA_E2E_POOL) to share a host.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSIBLE_DIR, runPlaybook } from '../src/tools/ansible.ts';
import { dataLab, type DataLab } from '../src/modules/data/ops.ts';
import { psqlClient, psqlLocalOk } from '../src/modules/data/remote.ts';
import { bridgeName, listServers } from '../src/targets/local/index.ts';
import { loadCohort } from '../src/core/model/load.ts';
import { runVerify } from '../src/checks/run.ts';
import { DATA_CHECKS } from '../src/modules/data/checks.ts';
import { labServers } from '../src/lifecycle/index.ts';
import { cli, KEY_A } from './helpers.ts';
import { requireHost, STATE } from './local-helpers.ts';
import { cohortPaths } from '../src/core/state.ts';

const COHORT = process.env.ASD_DATA_E2E_COHORT ?? 'data-e2e';
const POOL = process.env.ASD_DATA_E2E_POOL ?? '10.231.252.0/24';
const dir = mkdtempSync(join(tmpdir(), 'asd-lab-data-e2e-'));
const file = join(dir, 'cohort.yaml');
writeFileSync(
  file,
  `cohort: ${COHORT}
local: {subnetPool: ${POOL}, subnetPrefix: 27}
# its own jump port: e2e suites run side by side on one host
access: {port: 2232}
candidates:
  - id: dba
    sshKey: ${KEY_A}
    overrides:
      servers:
        - {name: db1, role: db, memoryMiB: 512, cpus: 1}
        - {name: db2, role: db, memoryMiB: 512, cpus: 1}
        - {name: mon, role: mon, memoryMiB: 512, cpus: 1}
data:
  applications:
    - name: shop
      clients: [mon]        # no app server in this lab: the application role connects from mon
      reporting: [mon]
`,
);
const cohort = loadCohort(file).cohort;
const timings: Record<string, number> = {};
const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Math.round((Date.now() - t0) / 100) / 10;
  }
};
const lab = async (): Promise<DataLab> => dataLab(cohort, 'dba');
const json = <T>(r: { code: number | undefined; stdout: string; stderr: string }): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** Poll a SQL query on a server until it returns `want` (or fail after `seconds`). */
async function until(
  l: DataLab,
  server: 'primary' | 'replica',
  sql: string,
  want: string,
  seconds: number,
  database = 'shop_prod',
) {
  const s = server === 'primary' ? l.primary : l.replicas[0]!;
  const end = Date.now() + seconds * 1000;
  let last = '';
  while (Date.now() < end) {
    last = (await psqlLocalOk(s, sql, { database }).catch((e: Error) => [e.message])).join(',');
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${s.name}: "${sql}" gave ${last}, expected ${want} within ${seconds} s`);
}

describe('data module end to end (db1, db2, mon)', () => {
  beforeAll(async () => {
    await requireHost('container');
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);
  afterAll(async () => {
    await cli(['down', '-c', file, '--purge']);
    console.log(`data e2e timings (s): ${JSON.stringify(timings)}`);
  }, 600_000);

  it('up brings db1, db2 and mon up with PostgreSQL, a streaming replica and a first backup', async () => {
    const r = await timed('up', () => cli(['--json', 'up', '-c', file, '--no-verify']));
    const out = json<{ candidates: { id: string; ok: boolean; error?: string }[] }>(r);
    expect(out.candidates.map((c) => [c.id, c.ok, c.error ?? ''])).toEqual([['dba', true, '']]);
    const st = json<{ servers: { server: string; role: string; streaming?: boolean }[]; lastBackup?: { type: string } }>(
      await cli(['--json', 'db', 'status', 'dba', '-c', file]),
    );
    expect(st.servers.map((s) => [s.server, s.role])).toEqual([
      ['db1', 'primary'],
      ['db2', 'replica'],
    ]);
    expect(st.servers[1]!.streaming).toBe(true);
    expect(st.lastBackup?.type).toBe('full');
  }, 3_600_000);

  it('a second run of the data playbook changes nothing', async () => {
    const paths = cohortPaths(cohort.cohort, STATE);
    const r = await timed('playbook-rerun', () =>
      runPlaybook({
        inventoryFile: paths.inventory,
        playbook: resolve(ANSIBLE_DIR, 'data.yml'),
        logFile: join(dir, 'data-rerun.json'),
      }),
    );
    expect(r.failedTasks).toEqual({});
    expect(r.changedTasks).toEqual({});
  }, 1_200_000);

  it('rows written on the primary are read on the replica', async () => {
    const l = await lab();
    await psqlLocalOk(
      l.primary,
      'CREATE TABLE public.e2e_rows (id int PRIMARY KEY, v text NOT NULL); INSERT INTO public.e2e_rows SELECT g, md5(g::text) FROM generate_series(1, 1000) g;',
      { database: 'shop_prod' },
    );
    await until(
      l,
      'replica',
      "SELECT count(*) || ' ' || md5(string_agg(v, ',' ORDER BY id)) FROM public.e2e_rows",
      (
        await psqlLocalOk(l.primary, "SELECT count(*) || ' ' || md5(string_agg(v, ',' ORDER BY id)) FROM public.e2e_rows", {
          database: 'shop_prod',
        })
      )[0]!,
      5,
    );
  }, 120_000);

  it('backup, drop a table, point-in-time restore before the drop finds the rows', async () => {
    const b = json<{ backup: { label: string; type: string; seconds: number } }>(
      await timed('backup-full', () => cli(['--json', 'db', 'backup', 'dba', '--type', 'full', '-c', file])),
    );
    expect(b.backup.type).toBe('full');
    const l = await lab();
    await new Promise((r) => setTimeout(r, 1500));
    const [before] = await psqlLocalOk(
      l.primary,
      'SELECT to_char(clock_timestamp() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')',
    );
    await new Promise((r) => setTimeout(r, 1500));
    await psqlLocalOk(l.primary, 'DROP TABLE public.e2e_rows;', { database: 'shop_prod' });
    // The drop's WAL must be in the archive for recovery to reach past the target time.
    const check = await cli([
      'ssh',
      '-c',
      file,
      'dba',
      l.primary.name,
      '--',
      'sudo -n -u postgres pgbackrest --stanza=main check',
    ]);
    expect(check.code, check.stderr).toBe(0);
    const r = json<{ restore: { tables: Record<string, number>; recoveryPoint: string; totalSeconds: number } }>(
      await timed('restore-pitr', () => cli(['--json', 'db', 'restore-check', 'dba', '--target-time', before!, '-c', file])),
    );
    expect(r.restore.tables['public.e2e_rows']).toBe(1000);
    // The last transaction replayed is before the target (none at all when the backup itself
    // already reached past the last commit before the target).
    if (r.restore.recoveryPoint) expect(Date.parse(r.restore.recoveryPoint)).toBeLessThanOrEqual(Date.parse(before!));
    // and the table is really gone on the primary
    const gone = await psqlLocalOk(l.primary, "SELECT to_regclass('public.e2e_rows') IS NULL", { database: 'shop_prod' });
    expect(gone).toEqual(['t']);
  }, 1_200_000);

  it('the restore check proves the latest backup comes back with an identical canary', async () => {
    const r = json<{
      restoreCheck: {
        ok: boolean;
        expected: { rows: number; checksum: string };
        got: { rows: number; checksum: string };
        restoreSeconds: number;
        seconds: number;
      };
    }>(await timed('restore-check', () => cli(['--json', 'db', 'restore-check', 'dba', '-c', file])));
    expect(r.restoreCheck.ok).toBe(true);
    expect(r.restoreCheck.got).toEqual(r.restoreCheck.expected);
    expect(r.restoreCheck.expected.rows).toBeGreaterThan(0);
  }, 1_200_000);

  it('verify: CP6.1, CP6.2 (every access case, positive and negative) and CP6.3 pass with evidence', async () => {
    const report = await timed('verify-cp6', async () =>
      runVerify(cohort, await labServers(cohort, STATE), { checks: DATA_CHECKS }),
    );
    const checks = report.candidates[0]!.checks;
    expect(checks.filter((c) => c.status !== 'pass').map((c) => `${c.check}: ${c.status}: ${c.evidence}`)).toEqual([]);
    const rights = checks
      .filter((c) => c.criterionId === 'CP6.2')
      .map((c) => c.evidence)
      .join('\n');
    for (const want of [
      /shop_prod_app writes shop_prod .*: accepted, expected accepted/,
      /shop_prod_app without TLS is refused: refused .*no encryption/,
      /shop_prod_ro reads shop_prod: accepted/,
      /shop_prod_ro cannot write \(read-only transactions\): refused \(.*read-only transaction/,
      /shop_prod_ro cannot write even in a read-write transaction \(grants\): refused \(.*permission denied for table asd_canary/,
      /superuser postgres over the network is refused: refused \(.*rejects connection/,
      /monitoring over the network is refused/,
      /shop_prod_app from an unlisted host \(db2\) is refused: refused \(.*rejects connection for host "10\.[0-9.]+", user "shop_prod_app"/,
      /shop_test_app reaches shop_test: accepted/,
      /shop_test_app cannot reach shop_prod: refused \(.*rejects connection/,
      /TCP 5432 of db1 from the controller \(not a source\): timeout/,
      /pg_hba_file_rules: 0 error\(s\), 0 trust line\(s\), 0 network line\(s\)/,
    ])
      expect(rights).toMatch(want);
    expect(checks.filter((c) => c.criterionId === 'CP6.1')).toHaveLength(2);
  }, 600_000);

  it('failover: db2 is promoted, writing continues, db1 follows it as a replica', async () => {
    const r = json<{ failover: { primary: string; old: string; promoteSeconds: number; reseedSeconds: number } }>(
      await timed('failover', () => cli(['--json', 'db', 'failover', 'dba', '-c', file])),
    );
    expect(r.failover).toMatchObject({ primary: 'db2', old: 'db1' });
    const l = await lab();
    expect(l.primary.name).toBe('db2');
    const mon = l.servers.find((s) => s.name === 'mon')!;
    const { rolePassword } = await import('../src/modules/data/ops.ts');
    const w = await psqlClient(
      {
        from: mon,
        host: l.primary.address,
        database: 'shop_prod',
        user: 'shop_prod_app',
        password: rolePassword(l, 'shop_prod_app'),
      },
      "INSERT INTO public.asd_canary (note) VALUES ('written after the failover') RETURNING id",
    );
    expect(w.code, w.stderr).toBe(0);
    await until(l, 'replica', "SELECT count(*) FROM public.asd_canary WHERE note = 'written after the failover'", '1', 5);
    const st = json<{ servers: { server: string; role: string; streaming?: boolean }[] }>(
      await cli(['--json', 'db', 'status', 'dba', '-c', file]),
    );
    expect(st.servers.map((s) => [s.server, s.role, s.streaming ?? null])).toEqual([
      ['db2', 'primary', null],
      ['db1', 'replica', true],
    ]);
    // backups follow the new primary
    const b = await timed('backup-after-failover', () => cli(['--json', 'db', 'backup', 'dba', '--type', 'diff', '-c', file]));
    expect(b.code, b.stderr).toBe(0);
    const report = await runVerify(cohort, await labServers(cohort, STATE), { checks: DATA_CHECKS.slice(0, 1) });
    expect(report.candidates[0]!.checks.filter((c) => c.status !== 'pass').map((c) => c.evidence)).toEqual([]);
  }, 1_800_000);

  it('down leaves nothing of the lab', async () => {
    const r = await timed('down', () => cli(['down', '-c', file, '--purge']));
    expect(r.code, r.stderr).toBe(0);
    expect((await listServers(STATE)).filter((s) => s.cohort === COHORT)).toEqual([]);
    const link = await execa('ip', ['link', 'show', bridgeName(cohort.cohort, 0)], { reject: false });
    expect(link.exitCode).not.toBe(0);
    expect(existsSync(cohortPaths(cohort.cohort, STATE).cohortDir)).toBe(false);
  }, 600_000);
});
