// One `up` or `down` per cohort at a time: a second refuses naming the holder, or waits; a dead
// holder's lock is taken over; the lock goes whatever happens.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { cohortPaths } from '../src/core/state.ts';
import { acquireLock, holderAlive, LockBusyError, withLock } from '../src/lifecycle/lock.ts';
import { down } from '../src/lifecycle/down.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { KEY_A, NOW } from './helpers.ts';

setLang('en');
const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-lock-'));
const children: ReturnType<typeof execa>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Another process that takes the lock, says "held", and releases it when its stdin closes. */
async function holder(file: string) {
  const script = `
    import { acquireLock } from ${JSON.stringify(join(REPO_ROOT, 'src/lifecycle/lock.ts'))};
    const lock = await acquireLock(${JSON.stringify(file)}, 'promo');
    console.log('held');
    process.stdin.resume();
    process.stdin.on('end', () => { lock.release(); process.exit(0); });
  `;
  const child = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'holder-marker'], {
    cwd: REPO_ROOT,
    stdin: 'pipe',
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.then(
      (r) => reject(new Error(`the holder exited: ${r.stderr}`)),
      (e: unknown) => reject(e),
    );
  });
  // Wrapped: the subprocess is a thenable, which an async function would await.
  return { child };
}

describe('the cohort lock', () => {
  it('lives in the cohort state folder', () => {
    expect(cohortPaths('promo', '/s').lock).toBe('/s/cohorts/promo/lock');
  });

  it('refuses a second holder at once, naming its PID and command line; --wait waits for it', async () => {
    const file = join(tmp, 'two', 'cohorts', 'promo', 'lock');
    const { child } = await holder(file);
    const err = await acquireLock(file, 'promo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect((err as LockBusyError).holder.pid).toBe(child.pid);
    expect((err as Error).message).toContain(`cohort promo is in use: PID ${child.pid} (`);
    expect((err as Error).message).toContain('holder-marker');
    expect((err as Error).message).toContain('--wait');

    const said: string[] = [];
    let got = false;
    const waiting = acquireLock(file, 'promo', { wait: true, pollMs: 50, say: (l) => said.push(l) }).then((l) => {
      got = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toBe(false);
    expect(said).toEqual([expect.stringContaining(`waiting for PID ${child.pid}`)]);
    child.stdin!.end(); // the holder finishes
    await child;
    const lock = await waiting;
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('takes over the lock of a holder that died, saying so', async () => {
    const file = join(tmp, 'stale', 'lock');
    mkdirSync(join(tmp, 'stale'));
    const dead = execa('true');
    await dead;
    writeFileSync(file, JSON.stringify({ pid: dead.pid, command: 'asd-lab up (killed)', since: '2026-01-01T00:00:00Z' }));
    expect(holderAlive({ pid: dead.pid!, command: '', since: '' })).toBe(false);
    const said: string[] = [];
    const lock = await acquireLock(file, 'promo', { say: (l) => said.push(l) });
    expect(said).toEqual([
      `taking over the lock of cohort promo: its holder, PID ${dead.pid} (asd-lab up (killed), since 2026-01-01T00:00:00Z), is no longer running`,
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('a live PID whose start time differs (a reused PID) is not the holder', () => {
    expect(holderAlive({ pid: process.pid, command: '', since: '' })).toBe(true);
    expect(holderAlive({ pid: process.pid, command: '', since: '', start: '1' })).toBe(false);
  });

  it('is released when the work fails, and the folders it made go when empty', async () => {
    const root = join(tmp, 'err');
    const file = join(root, 'cohorts', 'promo', 'lock');
    await expect(
      withLock(file, 'promo', {}, async () => {
        expect(existsSync(file)).toBe(true);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(root)).toBe(false);
    // Taken again at once: nothing was left behind.
    (await acquireLock(file, 'promo')).release();
  });

  it('down refuses while another process holds the cohort, before removing anything', async () => {
    const state = join(tmp, 'state-down');
    const cohort = parseCohort(`cohort: promo\ncandidates:\n  - id: alice\n    sshKey: ${KEY_A}\n`, 'c.yaml', { now: NOW });
    const { child } = await holder(cohortPaths('promo', state).lock);
    await expect(down(cohort, { stateDir: state })).rejects.toThrow(`PID ${child.pid}`);
  });
});
