// toolVersion: the version of package.json, and the commit only when the root is a checkout's top.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { toolVersion, versionLine } from '../src/evidence/version.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-version-'));
const git = (cwd: string, ...args: string[]) =>
  execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd });
const pkg = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"asd-lab","version":"9.8.7"}\n');
};

describe('toolVersion and versionLine', () => {
  it('outside a git checkout: the version only', async () => {
    const dir = join(tmp, 'plain');
    pkg(dir);
    const v = await toolVersion(dir);
    expect(v).toEqual({ version: '9.8.7', commit: 'unknown', dirty: false });
    expect(versionLine(v)).toBe('asd-lab 9.8.7');
  });

  it("a copy inside another repository does not report that repository's commit", async () => {
    const outer = join(tmp, 'outer');
    mkdirSync(outer);
    await git(outer, 'init', '-q');
    writeFileSync(join(outer, 'README'), 'x\n');
    await git(outer, 'add', 'README');
    await git(outer, 'commit', '-q', '-m', 'x');
    pkg(join(outer, 'vendor', 'asd-lab'));
    expect((await toolVersion(join(outer, 'vendor', 'asd-lab'))).commit).toBe('unknown');
  });

  it('in a checkout: the commit, short in the line, "+dirty" once a tracked file changes', async () => {
    const dir = join(tmp, 'repo');
    pkg(dir);
    await git(dir, 'init', '-q');
    await git(dir, 'add', 'package.json');
    await git(dir, 'commit', '-q', '-m', 'v');
    const hash = (await git(dir, 'rev-parse', 'HEAD')).stdout.trim();
    writeFileSync(join(dir, 'untracked.txt'), 'not counted\n');
    const clean = await toolVersion(dir);
    expect(clean).toEqual({ version: '9.8.7', commit: hash, dirty: false });
    expect(versionLine(clean)).toBe(`asd-lab 9.8.7 (commit ${hash.slice(0, 12)})`);
    writeFileSync(join(dir, 'package.json'), '{"name":"asd-lab","version":"9.8.8"}\n');
    const dirty = await toolVersion(dir);
    expect(dirty.dirty).toBe(true);
    expect(versionLine(dirty)).toBe(`asd-lab 9.8.8 (commit ${hash.slice(0, 12)}+dirty)`);
  });
});
