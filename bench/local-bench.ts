// Benchmark of the local target against the goals of issue 16: a warm `up` of 1 and more candidates
// (cold or warm golden image, candidates' Ansible runs one at a time or overlapping), a no-op `up`
// (digest and drift probe), a forced `up --converge` (must change nothing), `down`, and memory per
// candidate with and without page cache; ends with the table of goals met or missed.
//   npm run bench:local [-- --sizes 1,2 --concurrency 1,2 --cold]
// Each `up` runs the real CLI (servers + Ansible, without the checks: --no-verify) as a child
// process. Memory is read where the host enforces the caps: each server's cgroup (v1 usage, or
// v2 memory.current), after the lab has settled. Writes bench/results/local.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { statePaths, resolveStateDir } from '../src/targets/local/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '../bin/asd-lab.js');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc bench@asd-lab';

const args = process.argv.slice(2);
const sizes = (args[args.indexOf('--sizes') + 1] && args.includes('--sizes') ? args[args.indexOf('--sizes') + 1]! : '1,2,4')
  .split(',')
  .map(Number);
const cold = args.includes('--cold');

function cohortFile(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'asd-bench-'));
  const file = join(dir, 'bench.yaml');
  const cands = Array.from({ length: n }, (_, i) => `  - {id: b${i + 1}, sshKey: "${KEY}"}`).join('\n');
  // Its own jump port: a lab of another cohort may hold the default one.
  writeFileSync(
    file,
    `cohort: bench-local\nlocal: {subnetPool: 10.231.192.0/22, subnetPrefix: 27}\naccess: {port: 2299}\ncandidates:\n${cands}\n`,
  );
  return file;
}

interface Timed {
  seconds: number;
  code: number;
  stdout: string;
  cpuSeconds: number;
  load: number;
}

/**
 * Runs the CLI under /usr/bin/time: wall time, the CPU time of the command and of every process it
 * waited for (Ansible and its workers; not the servers' own processes), and the 1-minute load
 * average at the end. On a shared 2-core host the load says how much of the wall time was waiting.
 */
async function timed(argv: string[]): Promise<Timed> {
  const t0 = performance.now();
  const r = await execa('/usr/bin/time', ['-f', 'ASD_TIME %U %S', process.execPath, CLI, ...argv], {
    reject: false,
    env: { LANG: 'C.UTF-8' },
  });
  if (r.exitCode !== 0) process.stderr.write(`${argv.join(' ')} exited ${r.exitCode}\n${r.stderr.slice(-2000)}\n`);
  const m = /ASD_TIME ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return {
    seconds: (performance.now() - t0) / 1000,
    code: r.exitCode ?? -1,
    stdout: r.stdout,
    cpuSeconds: m ? Number(m[1]) + Number(m[2]) : NaN,
    load: loadavg()[0]!,
  };
}

/**
 * Memory charged to a server's cgroup, and the same without its page cache (file pages the kernel
 * reclaims under pressure: PostgreSQL's and the journal's files read through the cache).
 */
function cgroupMem(machine: string): { chargedMiB: number; anonMiB: number } | undefined {
  const v2 = `/sys/fs/cgroup/asd-lab/${machine}`;
  const v1 = `/sys/fs/cgroup/memory/asd-lab/${machine}`;
  const stat = (file: string) =>
    Object.fromEntries(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    ) as Record<string, number>;
  if (existsSync(`${v2}/memory.current`)) {
    const charged = Number(readFileSync(`${v2}/memory.current`, 'utf8'));
    return { chargedMiB: charged / 1048576, anonMiB: (charged - (stat(`${v2}/memory.stat`).file ?? 0)) / 1048576 };
  }
  if (existsSync(`${v1}/memory.usage_in_bytes`)) {
    const charged = Number(readFileSync(`${v1}/memory.usage_in_bytes`, 'utf8'));
    return { chargedMiB: charged / 1048576, anonMiB: (charged - (stat(`${v1}/memory.stat`).total_cache ?? 0)) / 1048576 };
  }
  return undefined;
}

interface Row {
  candidates: number;
  image: 'cold' | 'warm';
  /** How many candidates' Ansible runs overlapped (up --concurrency). */
  concurrency: number;
  upSeconds: number;
  upOk: boolean;
  /** CPU seconds of `up` and the processes it waited for (Ansible), and the 1-min load at its end. */
  upCpuSeconds: number;
  upLoadEnd: number;
  /** A second `up` that changes nothing: the inputs' digest and the drift probe, no Ansible. */
  noopUpSeconds: number;
  noopSkipped: boolean;
  /** A second `up --converge`: Ansible over everything, which must change nothing. */
  convergeUpSeconds: number;
  convergeChanged: number;
  secondUpLoadEnd: number;
  downSeconds: number;
  servers: number;
  memPerServerMiB: number;
  memPerCandidateMiB: number;
  /** The same without page cache. */
  memPerCandidateAnonMiB: number;
  memTotalMiB: number;
}

interface UpJson {
  candidates: { id: string; ok: boolean; changed: number; converge?: { ran: boolean } }[];
}

const RESULTS = resolve(HERE, 'results/local.json');
const commit = async () => {
  const head = await execa('git', ['rev-parse', '--short', 'HEAD'], { reject: false, cwd: HERE });
  const dirty = await execa('git', ['status', '--porcelain'], { reject: false, cwd: HERE });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
};
const COMMIT = await commit();
// Rows of sizes not measured in this run are kept (each row says when it was measured, under which
// load and at which commit), so a long scaling curve can be completed size by size; each finished
// row is saved at once, so an interrupted run loses nothing it measured.
const previous: (Row & { measuredAt?: string; commit?: string })[] = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { rows: Row[] }).rows.filter((r) => 'noopUpSeconds' in r)
  : [];
const rows: (Row & { measuredAt: string; commit: string })[] = [];
const key = (r: Row) => `${r.candidates}/${r.image}/${r.concurrency}`;
function save(): void {
  const keep = previous.filter((p) => !rows.some((r) => key(r) === key(p)));
  const all = [...keep, ...rows].sort(
    (a, b) => a.candidates - b.candidates || a.image.localeCompare(b.image) || a.concurrency - b.concurrency,
  );
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ date: new Date().toISOString(), host: { cores: cpus().length }, rows: all }, null, 2)}\n`,
  );
}
const concurrencies = (args.includes('--concurrency') ? args[args.indexOf('--concurrency') + 1]! : '1').split(',').map(Number);
const order: { n: number; image: 'cold' | 'warm'; c: number }[] = [];
if (cold) order.push({ n: sizes[0]!, image: 'cold', c: 1 });
for (const n of sizes) for (const c of n > 1 ? concurrencies : [1]) order.push({ n, image: 'warm', c });

for (const { n, image, c } of order) {
  const file = cohortFile(n);
  await timed(['down', '-c', file, '--purge', '--yes']);
  if (image === 'cold') await execa('rm', ['-rf', statePaths(resolveStateDir()).images]);
  const up = await timed(['--json', 'up', '-c', file, '--no-verify', '--concurrency', String(c)]);
  // A failed up measures nothing: no row, and the run stops with the reason (printed by timed).
  if (up.code !== 0) {
    await timed(['down', '-c', file, '--purge', '--yes']);
    throw new Error(`up of ${n} candidate(s) failed: no figure recorded`);
  }
  await new Promise((r) => setTimeout(r, 10_000)); // let boot-time jobs settle before reading memory
  const status = JSON.parse((await timed(['--json', 'status', '-c', file])).stdout) as {
    candidates: { servers: { machine: string; state: string }[] }[];
  };
  const machines = status.candidates.flatMap((cand) => cand.servers.filter((s) => s.state === 'running').map((s) => s.machine));
  const mem = machines.map(cgroupMem).filter((x) => x !== undefined);
  const total = mem.reduce((a, b) => a + b.chargedMiB, 0);
  const anon = mem.reduce((a, b) => a + b.anonMiB, 0);
  const noop = await timed(['--json', 'up', '-c', file, '--no-verify']);
  const converge = await timed(['--json', 'up', '-c', file, '--no-verify', '--converge']);
  const parse = (t: Timed) => (t.code === 0 ? (JSON.parse(t.stdout) as UpJson) : undefined);
  const down = await timed(['down', '-c', file, '--purge', '--yes']);
  rows.push({
    measuredAt: new Date().toISOString(),
    commit: COMMIT,
    candidates: n,
    image,
    concurrency: c,
    upSeconds: up.seconds,
    upOk: up.code === 0,
    upCpuSeconds: up.cpuSeconds,
    upLoadEnd: up.load,
    noopUpSeconds: noop.seconds,
    noopSkipped: parse(noop)?.candidates.every((x) => x.converge?.ran === false) ?? false,
    convergeUpSeconds: converge.seconds,
    convergeChanged: parse(converge)?.candidates.reduce((sum, x) => sum + x.changed, 0) ?? NaN,
    secondUpLoadEnd: converge.load,
    downSeconds: down.seconds,
    servers: machines.length,
    memPerServerMiB: mem.length ? total / mem.length : NaN,
    memPerCandidateMiB: total / n,
    memPerCandidateAnonMiB: anon / n,
    memTotalMiB: total,
  });
  const r = rows.at(-1)!;
  save();
  console.log(
    `${n} candidate(s), ${image} image, concurrency ${c}: up ${r.upSeconds.toFixed(0)} s (${r.upOk ? 'ok' : 'FAILED'}, load ${r.upLoadEnd.toFixed(1)}), no-op up ${r.noopUpSeconds.toFixed(0)} s (${r.noopSkipped ? 'Ansible skipped' : 'Ansible ran'}), up --converge ${r.convergeUpSeconds.toFixed(0)} s (${r.convergeChanged} changed), down ${r.downSeconds.toFixed(0)} s, ${r.memPerCandidateMiB.toFixed(0)} MiB/candidate (${r.memPerCandidateAnonMiB.toFixed(0)} without page cache)`,
  );
}

const all = [...previous.filter((p) => !rows.some((r) => key(r) === key(p))), ...rows];
console.log(
  '\n| candidates | image | concurrency | up (s) | load at end | up CPU (s) | no-op up (s) | up --converge (s) | down (s) | MiB/candidate (no page cache) | commit |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of all) {
  console.log(
    `| ${r.candidates} | ${r.image} | ${r.concurrency} | ${r.upSeconds.toFixed(0)} | ${r.upLoadEnd.toFixed(1)} | ${r.upCpuSeconds.toFixed(0)} | ${r.noopUpSeconds.toFixed(0)} | ${r.convergeUpSeconds.toFixed(0)} | ${r.downSeconds.toFixed(0)} | ${r.memPerCandidateMiB.toFixed(0)} (${r.memPerCandidateAnonMiB.toFixed(0)}) | ${'commit' in r ? r.commit : ''} |`,
  );
}

// The performance goals, against the rows measured (warm image, one candidate unless said).
const one = all.find((r) => r.candidates === 1 && r.image === 'warm');
const coldRow = all.find((r) => r.image === 'cold');
const multi = all.filter((r) => r.candidates > 1 && r.image === 'warm').sort((a, b) => b.candidates - a.candidates)[0];
const goals: [string, number | undefined, number, string][] = [
  ['warm up, one candidate (s)', one?.upSeconds, 60, 's'],
  [
    'up that changes nothing (s; Ansible skipped after the drift probe)',
    one?.noopSkipped ? one.noopUpSeconds : undefined,
    15,
    's',
  ],
  [
    `time per added candidate (s, ${multi ? `${multi.candidates} at concurrency ${multi.concurrency}` : 'no multi-candidate row'})`,
    multi && one ? (multi.upSeconds - one.upSeconds) / (multi.candidates - 1) : undefined,
    60,
    's',
  ],
  ['memory per candidate without page cache (MiB)', one?.memPerCandidateAnonMiB, 1024, 'MiB'],
  ['cold image and first candidate (s; host packages not included)', coldRow?.upSeconds, 480, 's'],
];
console.log('\n| goal | measured | target | |\n|---|---|---|---|');
for (const [what, got, target, unit] of goals) {
  const verdict = got === undefined ? 'not measured' : got <= target ? 'met' : `missed by ${(got - target).toFixed(0)} ${unit}`;
  console.log(`| ${what} | ${got === undefined ? '-' : got.toFixed(0)} | ≤ ${target} | ${verdict} |`);
}
