// Shared test helpers: fixed keys, a pinned "today", and running the real CLI.
import { resolve } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../src/core/repo.ts';

export const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc a@test';
export const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAa8sJXno/Di+FUx4Vi9Racsw8Cb8wwwraQVNI2lCrB+ b@test';
export const NOW = new Date('2026-11-29T12:00:00Z');

/** Run bin/asd-lab.js as a user would; never throws, returns the exit code and outputs. */
export async function cli(args: string[], env: Record<string, string> = {}, opts: { cwd?: string; input?: string } = {}) {
  const r = await execa(process.execPath, [resolve(REPO_ROOT, 'bin/asd-lab.js'), ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    input: opts.input,
    reject: false,
    // ASD_LAB_COHORT of the caller's shell must not pick the tests' cohort.
    env: { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', ASD_LAB_COHORT: '', ...env },
  });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
