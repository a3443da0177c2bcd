// Benchmark of the AWS target: synth and offline plan of cohorts of 1, 10 and 30 candidates.
//   npm run bench [-- --sizes 1,10,30 --concurrency 2]
// Synth runs in a child process of its own so that its peak memory (getrusage maxRSS) is the synth's
// alone. The plan's peak memory is sampled from /proc every 200 ms over the whole process tree
// (terraform + provider plugins), summed, plus the largest single process.
// Prints a table and writes bench/results/plan.json.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';
import { parseCohort } from '../src/core/model/load.ts';
import { planStacks, prepareTerraform, type StackRef } from '../src/targets/aws/terraform/index.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const NOW = new Date('2026-11-29T12:00:00Z');

/** A fresh ed25519 public key in OpenSSH format (the model parses keys, so they must be real). */
function sshKey(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const lenPrefixed = (b: Buffer) => {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length);
    return Buffer.concat([l, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([lenPrefixed(Buffer.from('ssh-ed25519')), lenPrefixed(raw)]).toString('base64')} ${comment}`;
}

function cohortYaml(n: number): string {
  const lines = [
    'cohort: bench',
    'target: aws',
    'expires: 2027-06-30',
    'admin:',
    '  cidrs: [203.0.113.0/24]',
    `  sshKeys: ["${sshKey('trainer@bench')}"]`,
    'candidates:',
  ];
  for (let i = 1; i <= n; i++) lines.push(`  - { id: cand${String(i).padStart(2, '0')}, sshKey: "${sshKey(`cand${i}@bench`)}" }`);
  return `${lines.join('\n')}\n`;
}

/** Child mode: synthesize one cohort and report time and peak memory of this process only. */
async function childSynth(yamlFile: string, out: string, state: string): Promise<void> {
  const t0 = performance.now();
  const { synthCohort } = await import('../stacks/index.ts');
  const loaded = performance.now();
  const cohort = parseCohort(readFileSync(yamlFile, 'utf8'), yamlFile, { now: NOW });
  const stacks = synthCohort(cohort, out, { stateDir: state });
  const done = performance.now();
  process.stdout.write(
    JSON.stringify({
      stacks,
      importMs: loaded - t0,
      synthMs: done - loaded,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

/** Sum of RSS over a process tree, from /proc. */
function treeRss(root: number): { sumKiB: number; maxKiB: number } {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      parent.set(Number(d), ppid);
      rss.set(Number(d), m ? Number(m[1]) : 0);
    } catch {
      /* exited meanwhile */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let sumKiB = 0;
  let maxKiB = 0;
  for (const [pid, kib] of rss) {
    if (pid !== root && inTree(pid)) {
      sumKiB += kib;
      maxKiB = Math.max(maxKiB, kib);
    }
  }
  return { sumKiB, maxKiB };
}

/** CPU seconds (user + system) of the children this process has waited for: terraform and its providers. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 (cutime) and 17 (cstime) of proc(5), in clock ticks (USER_HZ = 100 on Linux).
  return (Number(f[13]) + Number(f[14])) / 100;
}

function duKiB(path: string): number {
  try {
    const out = execaSync('du', ['-sk', path]).stdout;
    return Number(out.split(/\s+/)[0]);
  } catch {
    // the directory is not there (yet): 0 KiB
    return 0;
  }
}

interface Row {
  candidates: number;
  stacks: number;
  resources: number;
  synthSeconds: number;
  synthChildSeconds: number;
  synthPeakRssMiB: number;
  planSeconds: number;
  /** CPU time of the plan's processes: independent of other load on the machine. */
  planCpuSeconds: number;
  planPeakTreeRssMiB: number;
  planPeakProcessRssMiB: number;
  dotTerraformKiBPerStack: number;
  /** 1-minute load average before and after the plan: other jobs on the machine slow the plan down. */
  loadAvgBefore: number;
  loadAvgAfter: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child-synth') return childSynth(args[1]!, args[2]!, args[3]!);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = (opt('--sizes') ?? '1,10,30').split(',').map(Number);
  const concurrency = Number(opt('--concurrency') ?? availableParallelism());
  const root = mkdtempSync(join(tmpdir(), 'asd-bench-'));
  const pluginCacheDir = join(root, 'plugin-cache');
  const tf = await prepareTerraform({ offline: true, workDir: join(root, 'work'), pluginCacheDir });
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      const dir = join(root, `n${n}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cohort.yaml'), cohortYaml(n));
      const out = join(dir, 'cdktf.out');
      const state = join(dir, 'state');

      const t0 = performance.now();
      const child = await execa(process.execPath, [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child-synth',
        join(dir, 'cohort.yaml'),
        out,
        state,
      ]);
      const synthChildSeconds = (performance.now() - t0) / 1000;
      const synth = JSON.parse(child.stdout) as { stacks: StackRef[]; importMs: number; synthMs: number; maxRssMiB: number };
      const stacks = synth.stacks;

      const loadAvgBefore = round(loadavg()[0]!);
      let peak = { sumKiB: 0, maxKiB: 0 };
      const sampler = setInterval(() => {
        const s = treeRss(process.pid);
        peak = { sumKiB: Math.max(peak.sumKiB, s.sumKiB), maxKiB: Math.max(peak.maxKiB, s.maxKiB) };
      }, 200);
      const p0 = performance.now();
      const cpu0 = childrenCpuSeconds();
      let done = 0;
      const plans = await planStacks(tf, stacks, {
        vars: { plan_only: 'true' },
        concurrency,
        onEvent: (e) => {
          if (e.phase === 'done') process.stderr.write(`\r  ${n} candidates: ${++done}/${stacks.length} stacks planned`);
        },
      });
      const planSeconds = (performance.now() - p0) / 1000;
      const planCpuSeconds = childrenCpuSeconds() - cpu0;
      clearInterval(sampler);
      process.stderr.write('\n');
      rows.push({
        candidates: n,
        stacks: stacks.length,
        resources: plans.reduce((a, p) => a + p.add, 0),
        synthSeconds: round(synth.synthMs / 1000 + synth.importMs / 1000),
        synthChildSeconds: round(synthChildSeconds),
        synthPeakRssMiB: round(synth.maxRssMiB),
        planSeconds: round(planSeconds),
        planCpuSeconds: round(planCpuSeconds),
        planPeakTreeRssMiB: round(peak.sumKiB / 1024),
        planPeakProcessRssMiB: round(peak.maxKiB / 1024),
        dotTerraformKiBPerStack: round(stacks.reduce((a, s) => a + duKiB(join(s.dir, '.terraform')), 0) / stacks.length),
        loadAvgBefore,
        loadAvgAfter: round(loadavg()[0]!),
      });
    }
  } finally {
    const cacheKiB = duKiB(pluginCacheDir);
    rmSync(root, { recursive: true, force: true });
    if (rows.length > 0) report(rows, { concurrency, terraform: tf.version, pluginCacheKiB: cacheKiB, mirror: tf.mirror });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

function report(rows: Row[], extra: { concurrency: number; terraform: string; pluginCacheKiB: number; mirror?: string }): void {
  const head = [
    'candidates',
    'stacks',
    'resources',
    'synth s',
    'synth peak MiB',
    'plan s',
    'plan CPU s',
    'plan peak tree MiB',
    'plan peak proc MiB',
    '.terraform KiB/stack',
    'load before/after',
  ];
  const table = [
    head,
    ...rows.map((r) =>
      [
        r.candidates,
        r.stacks,
        r.resources,
        r.synthSeconds,
        r.synthPeakRssMiB,
        r.planSeconds,
        r.planCpuSeconds,
        r.planPeakTreeRssMiB,
        r.planPeakProcessRssMiB,
        r.dotTerraformKiBPerStack,
        `${r.loadAvgBefore}/${r.loadAvgAfter}`,
      ].map(String),
    ),
  ];
  const widths = head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) console.log(row.map((c, i) => c.padStart(widths[i]!)).join('  '));
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? '?',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  console.log(
    `concurrency ${extra.concurrency}, terraform ${extra.terraform}, ${machine.cores} cores; plugin cache ${extra.pluginCacheKiB} KiB (mirror ${extra.mirror ?? 'none'})`,
  );
  const file = resolve(HERE, 'results/plan.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine, ...extra, rows }, null, 2)}\n`);
  console.log(`written ${file}`);
}

await main();
