// A child started through ownedCommand() dies with its parent: a killed `up` leaves no script or
// Ansible run behind. Real processes: a parent node that starts `sleep`, killed with SIGKILL.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ownedCommand } from '../src/tools/owned.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: no such process
    return false;
  }
};

async function orphanAfterKill(owned: boolean): Promise<boolean> {
  const [cmd, args] = owned ? ownedCommand('sleep', ['30']) : ['sleep', ['30']];
  const script = `const { spawn } = require('node:child_process'); const c = spawn(${JSON.stringify(cmd)}, ${JSON.stringify(args)}, { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
  const parent = execa(process.execPath, ['-e', script]);
  const pid = await new Promise<number>((done) => parent.stdout!.once('data', (d: Buffer) => done(Number(String(d).trim()))));
  expect(alive(pid)).toBe(true);
  parent.kill('SIGKILL');
  await parent.catch(() => undefined); // killed on purpose
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  const survived = alive(pid);
  if (survived) process.kill(pid, 'SIGKILL');
  return survived;
}

describe('ownedCommand', () => {
  it('a child started through it dies with its parent; a plain child survives (the case it exists for)', async () => {
    expect(ownedCommand('sleep', ['1'])).toEqual(['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'sleep', '1']]);
    expect(await orphanAfterKill(true)).toBe(false);
    expect(await orphanAfterKill(false)).toBe(true);
  }, 30_000);
});
