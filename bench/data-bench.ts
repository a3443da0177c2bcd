// npm run bench:data -- -c COHORT_FILE [--candidate ID]
// On a running data lab (asd-lab up): pgbench on the primary (short, bounded runs), the
// replication lag sampled every second under that load, and backup and restore durations as a
// function of the database size. Writes bench/results/data.json. The sizes are pgbench scale
// factors (ASD_BENCH_SCALES, default "7,70": about 100 MB and 1 GB); the pgbench database `bench`
// is created and dropped by the benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backup, dataLab, restoreScratch, serverStatus } from '../src/modules/data/ops.ts';
import { psqlLocalOk, remote } from '../src/modules/data/remote.ts';
import { loadCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';

const { values } = parseArgs({ options: { cohort: { type: 'string', short: 'c' }, candidate: { type: 'string' } } });
if (!values.cohort) {
  console.error(
    'usage: npm run bench:data -- -c COHORT_FILE [--candidate ID]   (the lab must be up: npx asd-lab up -c COHORT_FILE)',
  );
  process.exit(2);
}
const { cohort } = loadCohort(values.cohort);
const candidate = values.candidate ?? cohort.candidates[0]!.id;
const lab = await dataLab(cohort, candidate);
const scales = (process.env.ASD_BENCH_SCALES ?? '7,70').split(',').map(Number);
const seconds = Number(process.env.ASD_BENCH_SECONDS ?? 30);
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const sh = async (cmd: string, timeoutMs = 3_600_000) => {
  const r = await remote(lab.primary, cmd, { timeoutMs });
  if (r.code !== 0) throw new Error(`${lab.primary.name}: ${cmd}: ${r.stderr || r.stdout}`);
  return r.stdout;
};
const t = async <T>(fn: () => Promise<T>) => {
  const t0 = Date.now();
  const v = await fn();
  return { v, s: Math.round((Date.now() - t0) / 100) / 10 };
};

// pgBackRest restores the whole cluster (the bench database included); the restore check then
// compares the canary table, which lives in the first prod database.
const canaryDb = (lab.plan.databases.find((d) => d.env === 'prod') ?? lab.plan.databases[0]!).name;
const results: Record<string, unknown>[] = [];
for (const scale of scales) {
  await psqlLocalOk(lab.primary, 'DROP DATABASE IF EXISTS bench; CREATE DATABASE bench;');
  const init = await t(() => sh(`sudo -n -u postgres ${PGBENCH} -q -i -s ${scale} bench 2>&1`));
  const [size] = await psqlLocalOk(lab.primary, "SELECT pg_database_size('bench')");
  // Load: pgbench for a bounded time; the lag is sampled meanwhile (pg_stat_replication on the primary).
  const lags: { bytes: number; seconds: number }[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      const st = await serverStatus(lab).catch(() => []); // a failed sample during a backup: skipped, the next one comes in 1 s
      for (const s of st) if (s.role === 'replica') lags.push({ bytes: s.lagBytes ?? 0, seconds: s.lagSeconds ?? 0 });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const run = await t(() => sh(`sudo -n -u postgres ${PGBENCH} -c 4 -j 2 -T ${seconds} -P 10 bench 2>&1`));
  running = false;
  await sampler;
  const tps = /tps = ([\d.]+)/.exec(run.v)?.[1];
  const bk = await t(() => backup(lab, 'full'));
  const rs = await t(() => restoreScratch(lab, { database: canaryDb }));
  results.push({
    scale,
    databaseBytes: Number(size),
    initSeconds: init.s,
    pgbench: { clients: 4, seconds, tps: tps ? Number(tps) : null },
    lagUnderLoad: {
      samples: lags.length,
      maxBytes: Math.max(0, ...lags.map((l) => l.bytes)),
      maxSeconds: Math.max(0, ...lags.map((l) => l.seconds)),
    },
    backupFull: { seconds: bk.s, label: bk.v.label, repoBytes: bk.v.repoBytes ?? null },
    restore: { seconds: rs.v.restoreSeconds, totalSeconds: rs.s, rows: rs.v.tables['public.pgbench_accounts'] ?? null },
  });
  console.log(JSON.stringify(results.at(-1)));
}
await psqlLocalOk(lab.primary, 'DROP DATABASE IF EXISTS bench;');
const out = resolve(REPO_ROOT, 'bench/results/data.json');
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), host: 'asd-lab CI host (2 cores, shared)', cohort: cohort.cohort, candidate, results }, null, 2)}\n`,
);
console.log(`written ${out}`);
