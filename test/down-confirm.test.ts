// `down` asks on a terminal, never without one, and --yes skips the question.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { confirm, type ConfirmIO, isYes } from '../src/cli/confirm.ts';
import { register } from '../src/cli/commands/down.ts';
import { cli, KEY_A, KEY_B } from './helpers.ts';

setLang('en');
const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-down-'));
const cohortFile = join(tmp, 'c.yaml');
// A cohort name of its own: its bridges and rules (asd-<hash>-N) are no one else's.
writeFileSync(
  cohortFile,
  `cohort: downask\ncandidates:\n  - id: alice\n    sshKey: ${KEY_A}\n  - id: bob\n    sshKey: ${KEY_B}\n`,
);

/** A terminal that answers `answer`, recording what it was shown. */
function fakeIO(answer: string | undefined, interactive = true) {
  const shown: string[] = [];
  const asked: string[] = [];
  const io: ConfirmIO = {
    interactive,
    ask: async (q) => {
      asked.push(q);
      if (answer === undefined) throw new Error('must not ask');
      return answer;
    },
    say: (l) => shown.push(l),
  };
  return { io, shown, asked };
}

describe('confirm', () => {
  it('never asks without a terminal, nor with --yes', async () => {
    const off = fakeIO(undefined, false);
    expect(await confirm(['x'], off.io)).toBe(true);
    expect(off.shown).toEqual([]);
    const yes = fakeIO(undefined, true);
    expect(await confirm(['x'], yes.io, { yes: true })).toBe(true);
    expect(yes.asked).toEqual([]);
  });

  it('on a terminal shows the list and goes on only on yes', async () => {
    for (const [answer, ok] of [
      ['y', true],
      ['YES', true],
      ['oui', true],
      ['', false],
      ['n', false],
      ['nope', false],
    ] as const) {
      const f = fakeIO(answer);
      expect(await confirm(['line 1', 'line 2'], f.io)).toBe(ok);
      expect(f.shown).toEqual(['line 1', 'line 2']);
      expect(f.asked).toEqual(['Go on? [y/N] ']);
    }
    expect(isYes(' o ')).toBe(true);
  });
});

describe('down', () => {
  const saved = { state: process.env.ASD_LAB_STATE, code: process.exitCode };
  afterEach(() => {
    process.env.ASD_LAB_STATE = saved.state;
    process.exitCode = saved.code;
  });

  it('on a terminal lists the cohort, candidates and servers, and removes nothing when not confirmed', async () => {
    const state = join(tmp, 'state-ask');
    // A recorded server of alice: down lists what is on the host.
    const dir = join(state, 'servers', 'alice-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.env'), 'COHORT=downask\nCANDIDATE=alice\nNAME=alice-app\nROLE=app\nDRIVER=container\n');
    process.env.ASD_LAB_STATE = state;
    const f = fakeIO('n');
    const program = new Command().exitOverride().option('-c, --cohort <file>').option('--json').option('--lang <l>', '', 'en');
    register(program, () => f.io);
    await program.parseAsync(['node', 'asd-lab', '-c', cohortFile, 'down', '--purge'], { from: 'node' });
    expect(f.shown[0]).toBe('down will remove, in cohort downask:');
    expect(f.shown[1]).toMatch(/^ {2}candidate alice: servers alice-app, its network asd-[0-9a-f]+-0/);
    expect(f.shown[2]).toMatch(/^ {2}candidate bob: servers none on this host/);
    expect(f.shown[3]).toContain("the cohort's lab key, CA, inventory");
    expect(f.asked).toHaveLength(1);
    expect(process.exitCode).toBe(1);
    expect(existsSync(join(dir, 'server.env'))).toBe(true);
  });

  it('without a terminal never asks (tests and CI): goes on at once', async () => {
    const state = join(tmp, 'state-noterm');
    const r = await cli(['-c', cohortFile, 'down'], { ASD_LAB_STATE: state }, { input: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Go on?');
    expect(r.stdout).toContain('alice: nothing to remove');
    expect(r.stdout).toContain('bob: nothing to remove');
  });
});
