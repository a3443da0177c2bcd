// Benchmark of the local target: time to `up` 1, 2 and 4 candidates (cold and warm golden image),
// memory per server and per candidate, time to `down`.
//   npm run bench:local [-- --sizes 1,2,4 --cold]
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
  writeFileSync(file, `cohort: bench-local\nlocal: {subnetPool: 10.231.192.0/22, subnetPrefix: 27}\ncandidates:\n${cands}\n`);
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

function cgroupMemMiB(machine: string): number | undefined {
  for (const f of [
    `/sys/fs/cgroup/asd-lab/${machine}/memory.current`,
    `/sys/fs/cgroup/memory/asd-lab/${machine}/memory.usage_in_bytes`,
  ]) {
    if (existsSync(f)) return Number(readFileSync(f, 'utf8').trim()) / 1048576;
  }
  return undefined;
}

interface Row {
  candidates: number;
  image: 'cold' | 'warm';
  upSeconds: number;
  upOk: boolean;
  /** CPU seconds of `up` and the processes it waited for (Ansible), and the 1-min load at its end. */
  upCpuSeconds: number;
  upLoadEnd: number;
  secondUpLoadEnd: number;
  secondUpSeconds: number;
  downSeconds: number;
  servers: number;
  memPerServerMiB: number;
  memPerCandidateMiB: number;
  memTotalMiB: number;
}

const RESULTS = resolve(HERE, 'results/local.json');
// Rows of sizes not measured in this run are kept (each row says when it was measured and under
// which load), so a long scaling curve can be completed size by size; each finished row is saved at
// once, so an interrupted run loses nothing it measured.
const previous: (Row & { measuredAt?: string })[] = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { rows: Row[] }).rows
  : [];
const rows: (Row & { measuredAt: string })[] = [];
function save(): void {
  const keep = previous.filter((p) => !rows.some((r) => r.candidates === p.candidates && r.image === p.image));
  const all = [...keep, ...rows].sort((a, b) => a.candidates - b.candidates || a.image.localeCompare(b.image));
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ date: new Date().toISOString(), host: { cores: cpus().length }, rows: all }, null, 2)}\n`,
  );
}
const order: { n: number; image: 'cold' | 'warm' }[] = [];
if (cold) order.push({ n: sizes[0]!, image: 'cold' });
for (const n of sizes) order.push({ n, image: 'warm' });

for (const { n, image } of order) {
  const file = cohortFile(n);
  await timed(['down', '-c', file, '--purge']);
  if (image === 'cold') await execa('rm', ['-rf', statePaths(resolveStateDir()).images]);
  const up = await timed(['up', '-c', file, '--no-verify']);
  await new Promise((r) => setTimeout(r, 10_000)); // let boot-time jobs settle before reading memory
  const status = JSON.parse((await timed(['--json', 'status', '-c', file])).stdout) as {
    candidates: { servers: { machine: string; state: string }[] }[];
  };
  const machines = status.candidates.flatMap((c) => c.servers.filter((s) => s.state === 'running').map((s) => s.machine));
  const mem = machines.map(cgroupMemMiB).filter((x): x is number => x !== undefined);
  const total = mem.reduce((a, b) => a + b, 0);
  const second = await timed(['up', '-c', file, '--no-verify']);
  const down = await timed(['down', '-c', file, '--purge']);
  rows.push({
    measuredAt: new Date().toISOString(),
    candidates: n,
    image,
    upSeconds: up.seconds,
    upOk: up.code === 0,
    upCpuSeconds: up.cpuSeconds,
    upLoadEnd: up.load,
    secondUpLoadEnd: second.load,
    secondUpSeconds: second.seconds,
    downSeconds: down.seconds,
    servers: machines.length,
    memPerServerMiB: mem.length ? total / mem.length : NaN,
    memPerCandidateMiB: total / n,
    memTotalMiB: total,
  });
  const r = rows.at(-1)!;
  save();
  console.log(
    `${n} candidate(s), ${image} image: up ${r.upSeconds.toFixed(0)} s (${r.upOk ? 'ok' : 'FAILED'}, load ${r.upLoadEnd.toFixed(1)}), second up ${r.secondUpSeconds.toFixed(0)} s, down ${r.downSeconds.toFixed(0)} s, ${r.servers} servers, ${r.memPerServerMiB.toFixed(0)} MiB/server, ${r.memPerCandidateMiB.toFixed(0)} MiB/candidate`,
  );
}

console.log(
  '\n| candidates | image | up (s) | load at end | up CPU (s) | second up (s) | down (s) | servers | MiB/server | MiB/candidate |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.candidates} | ${r.image} | ${r.upSeconds.toFixed(0)} | ${r.upLoadEnd.toFixed(1)} | ${r.upCpuSeconds.toFixed(0)} | ${r.secondUpSeconds.toFixed(0)} | ${r.downSeconds.toFixed(0)} | ${r.servers} | ${r.memPerServerMiB.toFixed(0)} | ${r.memPerCandidateMiB.toFixed(0)} |`,
  );
}
