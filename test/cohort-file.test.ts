// Which cohort file a command uses: -c, else $ASD_LAB_COHORT, else ./asd-lab.yaml, else the embedded one.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { CohortError, cohortSourceLine, resolveCohortFile } from '../src/core/model/load.ts';
import { DEFAULT_COHORT_FILE } from '../src/core/repo.ts';
import { cli, KEY_A } from './helpers.ts';

setLang('en');
const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-cohort-file-'));
const cohortYaml = (name: string) => `cohort: ${name}\ncandidates:\n  - id: alice\n    sshKey: ${KEY_A}\n`;
// A directory holding ./asd-lab.yaml, a file for -c, one for the variable, and an empty directory.
const withLocal = join(tmp, 'with-local');
const empty = join(tmp, 'empty');
mkdirSync(withLocal);
mkdirSync(empty);
writeFileSync(join(withLocal, 'asd-lab.yaml'), cohortYaml('fromcwd'));
const flagFile = join(tmp, 'flag.yaml');
const envFile = join(tmp, 'env.yaml');
writeFileSync(flagFile, cohortYaml('fromflag'));
writeFileSync(envFile, cohortYaml('fromenv'));

describe('resolveCohortFile', () => {
  it('takes -c first, then $ASD_LAB_COHORT, then ./asd-lab.yaml, then the embedded cohort', () => {
    const env = { ASD_LAB_COHORT: envFile };
    expect(resolveCohortFile(flagFile, env, withLocal)).toEqual({ file: flagFile, source: 'flag' });
    expect(resolveCohortFile(undefined, env, withLocal)).toEqual({ file: envFile, source: 'env' });
    expect(resolveCohortFile(undefined, {}, withLocal)).toEqual({ file: join(withLocal, 'asd-lab.yaml'), source: 'cwd' });
    expect(resolveCohortFile(undefined, { ASD_LAB_COHORT: '' }, empty)).toEqual({
      file: DEFAULT_COHORT_FILE,
      source: 'embedded',
    });
  });

  it('refuses a $ASD_LAB_COHORT naming a missing file, naming it (no fallback to another lab)', () => {
    const missing = join(tmp, 'nope.yaml');
    expect(() => resolveCohortFile(undefined, { ASD_LAB_COHORT: missing }, withLocal)).toThrow(CohortError);
    expect(() => resolveCohortFile(undefined, { ASD_LAB_COHORT: missing }, withLocal)).toThrow(
      `$ASD_LAB_COHORT names ${missing}, which does not exist`,
    );
  });

  it('says which file and why', () => {
    expect(cohortSourceLine('a.yaml', 'env')).toBe('cohort file: a.yaml (from $ASD_LAB_COHORT)');
    expect(cohortSourceLine(DEFAULT_COHORT_FILE, 'embedded')).toContain('the embedded solo cohort');
  });
});

describe('the CLI picks the cohort file', () => {
  it('-c wins over the variable and ./asd-lab.yaml', async () => {
    const r = await cli(['validate', '-c', flagFile], { ASD_LAB_COHORT: envFile }, { cwd: withLocal });
    expect(r.stdout).toContain('valid cohort "fromflag"');
  });

  it('$ASD_LAB_COHORT wins over ./asd-lab.yaml, relative to the current directory', async () => {
    const r = await cli(['validate'], { ASD_LAB_COHORT: '../env.yaml' }, { cwd: withLocal });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid cohort "fromenv"');
  });

  it('./asd-lab.yaml wins over the embedded cohort', async () => {
    const r = await cli(['validate'], {}, { cwd: withLocal });
    expect(r.stdout).toContain('valid cohort "fromcwd"');
  });

  it('the embedded solo cohort when nothing else is given', async () => {
    const r = await cli(['validate'], {}, { cwd: empty });
    expect(r.stdout).toMatch(/examples\/solo\.yaml: valid cohort "solo"/);
  });

  it('a missing $ASD_LAB_COHORT file is an error naming it', async () => {
    const r = await cli(['validate'], { ASD_LAB_COHORT: 'typo.yaml' }, { cwd: withLocal });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('$ASD_LAB_COHORT names typo.yaml, which does not exist');
  });
});
