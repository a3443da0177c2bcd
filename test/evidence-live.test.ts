// The evidence layer on a real lab (two servers, container driver): the diagram shows the live
// servers, verify writes its report and HTML, a bundle made on this run reproduces an equivalent
// lab after `down` (same checks and statuses, same versions recorded), and a tampered bundle is
// refused. Real servers and Ansible: needs root and the local-target tools (fails otherwise).
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport, type VerifyReportV1 } from '../src/evidence/verify-report/schema.ts';
import { loadLastVerify } from '../src/evidence/verify-report/state.ts';
import { cli, KEY_A } from './helpers.ts';
import { requireHost } from './local-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-evidence-live-'));
const file = join(dir, 'ev-live.yaml');
writeFileSync(
  file,
  [
    'cohort: h-ev',
    'local: {subnetPool: 10.240.24.0/22, subnetPrefix: 27}',
    // its own jump port: e2e suites run side by side on one host
    'access: {port: 2234}',
    // Base layer only: the test is about the evidence, not the modules (their own tests cover them).
    'modules: {data: false, containers: false, kubernetes: false, monitoring: false}',
    'candidates:',
    '  - id: ev1',
    `    sshKey: ${KEY_A}`,
    '    overrides:',
    '      servers:',
    '        - {name: app, role: app, memoryMiB: 256, cpus: 0.5}',
    '        - {name: db1, role: db, memoryMiB: 384, cpus: 0.5}',
    '',
  ].join('\n'),
);
const bundle = join(dir, 'ev1.tar.gz');

interface StatusJson {
  candidates: { id: string; servers: { name: string; role: string; state: string; address: string; health: string }[] }[];
}

const statusOf = async () => {
  const r = await cli(['--json', '-c', file, 'status']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
};
const verifyJson = async (): Promise<{ code: number; report: VerifyReportV1 }> => {
  const r = await cli(['--json', '-c', file, 'verify', '--html', join(dir, 'report.html')]);
  return { code: r.code ?? 1, report: parseReport(JSON.parse(r.stdout)) };
};
/** Check id and status, the per-run evidence left out: what "equivalent" means between two labs. */
const outcomes = (r: VerifyReportV1) => r.candidates[0]!.checks.map((x) => `${x.check}=${x.status}`).sort();

describe('evidence on a live lab (container driver)', () => {
  let first: VerifyReportV1;
  beforeAll(async () => {
    await requireHost('container');
    await cli(['down', '-c', file, '--purge']);
    const up = await cli(['-c', file, 'up', '--no-verify']);
    if (up.code !== 0) throw new Error(`up failed (${up.code}):\n${up.stdout.slice(-3000)}\n${up.stderr.slice(-3000)}`);
  }, 1_800_000);
  afterAll(async () => {
    await cli(['down', '-c', file, '--purge']);
  }, 600_000);

  it('the diagram shows exactly the live servers, their addresses and state', async () => {
    const status = await statusOf();
    const servers = status.candidates[0]!.servers;
    expect(servers.map((s) => `${s.name}:${s.state}:${s.health}`)).toEqual(['app:running:up', 'db1:running:up']);
    const dot = await cli(['-c', file, 'diagram', '--format', 'dot']);
    expect(dot.code, dot.stderr).toBe(0);
    for (const s of servers)
      expect(dot.stdout).toMatch(
        new RegExp(`ev1_${s.name} \\[label="${s.name}\\\\n(${s.role} · )?${s.address.replace(/\./g, '\\.')}\\\\nrunning"`),
      );
    expect(dot.stdout.match(/^ {4}ev1_\w+ \[label=/gm)).toHaveLength(2);
    // the modules are off: the controller's SSH to each server, and the end users' web flow to app
    // (http/https of src/core/flows.ts are not a module's)
    expect(dot.stdout.match(/^ {2}\w+ -> \w+ /gm)).toEqual([
      '  controller -> ev1_app ',
      '  controller -> ev1_db1 ',
      '  controller -> ev1_app ',
    ]);
    const png = join(dir, 'diagram.png');
    expect((await cli(['-c', file, 'diagram', '--format', 'png', '-o', png])).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    await execa('cp', [png, join(process.cwd(), 'test-artifacts', 'live-diagram.png')]).catch(() => undefined);
  }, 120_000);

  it('verify checks the live lab, writes the HTML with the diagram, and saves the result', async () => {
    const { report } = await verifyJson();
    first = report;
    const c = report.candidates[0]!;
    expect(c.reachable).toBe(true);
    expect(c.criteria).toHaveLength(32);
    expect(c.checks.find((x) => x.check === 'server-works (app)')).toMatchObject({ status: 'pass' });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    for (const s of c.servers) expect(html).toContain(s.address);
    const status = await statusOf();
    expect(status.candidates[0]).toMatchObject({ lastVerify: { reachable: true } });
  }, 1_200_000);

  it('a bundle made now reproduces an equivalent lab after down, with the same versions recorded', async () => {
    const b = await cli(['--json', '-c', file, 'bundle', '--candidate', 'ev1', '-o', bundle]);
    expect(b.code, b.stderr).toBe(0);
    const { manifestSha256 } = JSON.parse(b.stdout) as { manifestSha256: string };
    const addresses = (await statusOf()).candidates[0]!.servers.map((s) => s.address);
    const down = await cli(['-c', file, 'down', '--purge']);
    expect(down.code, down.stderr).toBe(0);
    expect((await statusOf()).candidates[0]!.servers.map((s) => s.state)).toEqual(['missing', 'missing']);
    const dry = await cli(['reproduce', bundle, '--dry-run', '--expect-sha256', manifestSha256]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was built');
    const rep = await cli(['reproduce', bundle, '--expect-sha256', manifestSha256]);
    expect(rep.stdout).toContain('checksums verified');
    const again = await statusOf();
    expect(again.candidates[0]!.servers.map((s) => `${s.state}:${s.address}`)).toEqual(addresses.map((a) => `running:${a}`));
    // reproduce ran verify, which saved its result: read it instead of running the checks again
    const report = loadLastVerify('h-ev')!;
    expect(report.generatedAt > first.generatedAt).toBe(true);
    expect(outcomes(report)).toEqual(outcomes(first));
    // The bundle records the asd-lab that made it, and reproduce shows it. (In a shared work tree
    // HEAD may move during the test, so the two verify runs may record different commits.)
    const meta = JSON.parse((await execa('tar', ['-xOzf', bundle, 'bundle.json'])).stdout) as {
      asdLab: VerifyReportV1['asdLab'];
    };
    expect(meta.asdLab.version).toBe(first.asdLab.version);
    expect(meta.asdLab.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(rep.stdout).toContain(`by asd-lab ${meta.asdLab.version} (commit ${meta.asdLab.commit.slice(0, 12)})`);
    expect(report.asdLab.version).toBe(first.asdLab.version);
    expect(rep.code).toBe(first.candidates[0]!.summary.fail > 0 ? 1 : 0);
  }, 1_800_000);

  it('a tampered bundle is refused and builds nothing', async () => {
    const x = mkdtempSync(join(dir, 'tamper-'));
    await execa('tar', ['-xzf', bundle, '-C', x]);
    writeFileSync(
      join(x, 'cohort.yaml'),
      readFileSync(join(x, 'cohort.yaml'), 'utf8').replace('memoryMiB: 256', 'memoryMiB: 8192'),
    );
    const bad = join(dir, 'bad.tar.gz');
    await execa('tar', ['-czf', bad, '-C', x, ...readdirSync(x)]);
    const r = await cli(['reproduce', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('checksum mismatch: cohort.yaml was modified');
  }, 120_000);
});
