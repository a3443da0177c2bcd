import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { REPO_ROOT } from '../src/core/repo.ts';
import { cli } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-cli-'));

describe('CLI contract', () => {
  it('validate uses the embedded default when no file is given', async () => {
    const r = await cli(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/examples\/solo\.yaml: valid cohort "solo", target local, 1 candidate/);
  });

  it('validate lists every error with file and path, exit code 2 (invalid input)', async () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'cohort: Bad Name\ncandidates:\n  - id: Jean Dupont\n    sshKey: nope\n');
    const r = await cli(['validate', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problems');
    // Each with its line:col in the file (the value's node).
    expect(r.stderr).toContain(`${file}:3:9: candidates[0].id: must be a DNS label`);
    expect(r.stderr).toContain(`${file}:4:13: candidates[0].sshKey:`);
    expect(r.stderr).toContain(`${file}:1:9: cohort:`);
  });

  it('speaks French with --lang fr or a French LANG', async () => {
    const file = join(tmp, 'broken2.yaml');
    writeFileSync(file, 'cohort: ok\ncandidates: []\n');
    const a = await cli(['--lang', 'fr', 'validate', '-c', file]);
    expect(a.stderr).toContain("rien n'a été créé");
    const b = await cli(['validate', '-c', file], { LANG: 'fr_FR.UTF-8' });
    expect(b.stderr).toContain("rien n'a été créé");
  });

  it('validate --json describes the problems on stdout', async () => {
    const file = join(tmp, 'broken3.yaml');
    writeFileSync(file, 'cohort: ok\ncandidates: []\n');
    const r = await cli(['--json', 'validate', '-c', file]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { path: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems.map((p) => p.path)).toEqual(['candidates']);
  });

  it('--version prints the version and the commit of this checkout, exit 0; --json as an object', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
    const dirty =
      (await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT })).stdout.trim() !== '';
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`asd-lab ${version} (commit ${head.slice(0, 12)}${dirty ? '+dirty' : ''})`);
    expect((await cli(['-V'])).stdout).toBe(r.stdout);
    const j = await cli(['--json', '--version']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ version, commit: head, dirty });
  });

  it('an unknown command or option is a usage error', async () => {
    const r = await cli(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command/);
  });

  it('doctor lists each prerequisite with a fix for the missing ones', async () => {
    const r = await cli(['--json', 'doctor'], { PATH: '/nonexistent' });
    const out = JSON.parse(r.stdout) as { checks: { id: string; ok: boolean; fix?: string }[] };
    const terraform = out.checks.find((c) => c.id === 'terraform')!;
    expect(terraform.ok).toBe(false);
    expect(terraform.fix).toBeTruthy();
    expect(out.checks.find((c) => c.id === 'node')!.ok).toBe(true);
  });
});
