// An expired cohort: only `up` (creating or growing a lab) refuses it; every other command reads it,
// because cleanup (`down`), status and evidence are needed exactly after a course ends.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { setLang } from '../src/core/i18n/index.ts';
import { isCalendarDate } from '../src/core/model/cohort.ts';
import { assertNotExpired, CohortError, parseCohort } from '../src/core/model/load.ts';
import { expiresOption, reproducedCohortText } from '../src/cli/expires.ts';
import { UserError } from '../src/cli/context.ts';
import { cli, KEY_A, NOW } from './helpers.ts';

setLang('en');
const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-expiry-'));
// 2020-01-01 is in the past whatever day the tests run.
const EXPIRED = `# a course that is over\ncohort: old\nexpires: 2020-01-01\ncandidates:\n  - id: ann\n    sshKey: ${KEY_A}\n`;
const file = join(tmp, 'old.yaml');
writeFileSync(file, EXPIRED);
const awsFile = join(tmp, 'old-aws.yaml');
writeFileSync(
  awsFile,
  `cohort: olda\ntarget: aws\nexpires: 2020-01-01\nadmin: {cidrs: [203.0.113.0/24]}\ncandidates:\n  - id: ann\n    sshKey: ${KEY_A}\n`,
);
const EXPIRED_MSG = /expired on 2020-01-01/;

/** Each run gets its own empty state directory: nothing is deployed. */
let runs = 0;
const stateDir = () => join(tmp, `state-${++runs}`);
const run = (args: string[], state = stateDir()) => cli(args, { ASD_LAB_STATE: state });

describe('expiry, in the model', () => {
  it('is checked only when asked, with the key model.expired on the field expires', () => {
    const cohort = parseCohort(EXPIRED, 'old.yaml', { now: NOW });
    expect(cohort.expires).toBe('2020-01-01');
    expect(() => assertNotExpired(cohort, 'old.yaml', NOW)).toThrow(CohortError);
    expect(() => assertNotExpired({ expires: '2026-11-29' }, 'x.yaml', NOW)).not.toThrow();
    expect(() => assertNotExpired({}, 'x.yaml', NOW)).not.toThrow();
    try {
      parseCohort(EXPIRED, 'old.yaml', { now: NOW, refuseExpired: true });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CohortError);
      expect((err as CohortError).file).toBe('old.yaml');
      expect((err as CohortError).problems).toEqual([
        { path: 'expires', line: 3, col: 10, message: 'the lab expired on 2020-01-01 (today is 2026-11-29): set a later date' },
      ]);
    }
  });

  it('a calendar date is a real day', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true);
    for (const bad of [
      '2027-02-29',
      '2030-02-30',
      '2030-04-31',
      '2030-13-01',
      '2030-00-10',
      '2030-1-1',
      '30-01-01',
      'tomorrow',
      '',
    ]) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
  });
});

describe('reproduce --expires', () => {
  it('the option takes a real calendar date, today or later', () => {
    expect(expiresOption('2026-11-29', undefined, NOW)).toBe('2026-11-29');
    expect(expiresOption('2027-06-30', undefined, NOW)).toBe('2027-06-30');
    expect(() => expiresOption('2026-11-28', undefined, NOW)).toThrow(/2026-11-28 is in the past \(today is 2026-11-29\)/);
    expect(() => expiresOption('2027-02-30', undefined, NOW)).toThrow(/real calendar date/);
    expect(() => expiresOption('2027-02-30', undefined, NOW)).toThrow(CommanderError);
  });

  it('the rebuilt cohort file gets the date, keeps the rest, and is what up accepts', () => {
    const cohort = parseCohort(EXPIRED, 'cohort.yaml');
    const text = reproducedCohortText(EXPIRED, cohort, '2027-06-30', NOW);
    expect(text).toContain('# a course that is over');
    const rebuilt = parseCohort(text, 'cohort.yaml', { now: NOW, refuseExpired: true });
    expect(rebuilt.expires).toBe('2027-06-30');
    expect({ ...rebuilt, expires: undefined }).toEqual({ ...cohort, expires: undefined });
    // A cohort without expires (local target) gets one too.
    const noDate = EXPIRED.replace('expires: 2020-01-01\n', '');
    expect(parseCohort(reproducedCohortText(noDate, parseCohort(noDate, 'c'), '2027-01-01', NOW), 'c').expires).toBe(
      '2027-01-01',
    );
  });

  it('without --expires: a current cohort is written as it is, an expired one is refused with the option to use', () => {
    const current = EXPIRED.replace('2020-01-01', '2027-01-01');
    expect(reproducedCohortText(current, parseCohort(current, 'c'), undefined, NOW)).toBe(current);
    expect(() => reproducedCohortText(EXPIRED, parseCohort(EXPIRED, 'c'), undefined, NOW)).toThrow(UserError);
    expect(() => reproducedCohortText(EXPIRED, parseCohort(EXPIRED, 'c'), undefined, NOW)).toThrow(
      /expired on 2020-01-01.*--expires YYYY-MM-DD/,
    );
  });
});

describe.concurrent('every command but up reads an expired cohort', () => {
  // [arguments, exit code, what shows that the command went past the cohort (stdout + stderr)]
  const cases: [string[], number, RegExp][] = [
    [['validate'], 0, /valid cohort "old"/],
    [['--json', 'status'], 0, /"state": "missing"/],
    [['--json', 'down'], 0, /"removed": \[\]/],
    [['inventory'], 0, /lab_cohort: old/],
    [['diagram', '--format', 'dot'], 0, /digraph asdlab/],
    [['dossier', '--candidate', 'ann', '-o', join(tmp, 'dossier')], 0, /dossier written/],
    [['-c', awsFile, 'synth', '-o', join(tmp, 'synth')], 0, /2 stacks written/],
    [['--json', 'verify'], 1, /"cohort": "old"/],
    [['--json', 'alerts'], 1, /server mon is missing/],
    [['report', 'app', '-o', join(tmp, 'report')], 1, /server mon is missing/],
    [['ssh', 'ann', 'gateway', '--', 'true'], 1, /server gateway is missing/],
    [['db', 'status', 'ann'], 1, /server db1 of ann is missing/],
  ];
  for (const [args, code, sign] of cases) {
    it(args.filter((a) => !a.startsWith('/')).join(' '), async () => {
      const r = await run(['-c', file, ...args]);
      expect(`${r.stdout}\n${r.stderr}`).not.toMatch(EXPIRED_MSG);
      expect(`${r.stdout}\n${r.stderr}`).toMatch(sign);
      expect(r.code, r.stderr).toBe(code);
    });
  }

  it('plan creates nothing: it warns on stderr and goes on', async () => {
    // A local cohort: past the cohort, plan stops at "no Terraform stacks" (no terraform needed).
    const r = await run(['-c', file, 'plan']);
    expect(r.stderr).toMatch(new RegExp(`warning: ${file}: expires: the lab expired on 2020-01-01`));
    expect(r.stderr).toMatch(/targets "local": there are no Terraform stacks/);
    expect(r.stderr).not.toMatch(/problem\(s\) in the cohort file/);
  });

  it('bundle, then reproduce --dry-run; reproduce refuses to build without --expires, and checks the date given', async () => {
    const state = stateDir();
    const out = join(tmp, 'old.tar.gz');
    const b = await run(['-c', file, 'bundle', '--candidate', 'ann', '-o', out], state);
    expect(b.code, b.stderr).toBe(0);
    const dry = await run(['reproduce', '--dry-run', out], state);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(
      'the cohort of the bundle expired on 2020-01-01: reproduce (without --dry-run) needs a new last day, --expires YYYY-MM-DD',
    );
    const cohortFile = join(tmp, 'reproduce.yaml');
    const refused = await run(['reproduce', '--cohort-file', cohortFile, out], state);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /expired on 2020-01-01 \(today is [\d-]+\): give the rebuilt lab a new last day with --expires YYYY-MM-DD; nothing was built/,
    );
    expect(existsSync(cohortFile)).toBe(false);
    const bad = await run(['reproduce', '--expires', '2030-02-30', '--cohort-file', cohortFile, out], state);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--expires.*must be a real calendar date YYYY-MM-DD, got "2030-02-30"/);
    const past = await run(['--lang', 'fr', 'reproduce', '--expires', '2020-06-01', '--cohort-file', cohortFile, out], state);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/2020-06-01 est dans le passé/);
    expect(existsSync(cohortFile)).toBe(false);
  });
});

describe('up refuses an expired cohort', () => {
  it('with exit code 2 (invalid input), the file and the field, before anything is created', async () => {
    const state = join(tmp, 'state-up');
    // --driver none: were the cohort accepted, up would stop at the driver check (exit 2), never
    // reaching the host packages or the image.
    const r = await run(['-c', file, 'up', '--driver', 'none'], state);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 problem in the cohort file; nothing was created:');
    expect(r.stderr).toMatch(
      new RegExp(`${file}:\\d+:\\d+: expires: the lab expired on 2020-01-01 \\(today is [\\d-]+\\): set a later date`),
    );
    expect(existsSync(state)).toBe(false);
    const fr = await run(['--lang', 'fr', '-c', file, 'up', '--driver', 'none'], state);
    expect(fr.code).toBe(2);
    expect(fr.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+: expires: le lab a expiré le 2020-01-01`));
  });
});
