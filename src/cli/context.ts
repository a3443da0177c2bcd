// What every command shares: the global options, the loaded cohort, and output helpers.
import type { Command } from 'commander';
import { t } from '../core/i18n/index.ts';
import { type CohortSource, cohortSourceLine, expiryProblem, loadCohort } from '../core/model/load.ts';
import { AsdError, EXIT, type AsdErrorOptions } from '../core/errors.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';
import { selectCandidates } from '../lifecycle/index.ts';

/** An error the user can act on (kind 'user'): printed by main without a stack trace, with its exit code. */
export class UserError extends AsdError {
  declare readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.failed, opts: Omit<AsdErrorOptions, 'kind' | 'exitCode'> = {}) {
    super(message, { ...opts, kind: 'user', exitCode });
  }
}

/** A bad option value or argument (kind 'usage'): exit 2, before anything is done. */
export class UsageError extends AsdError {
  constructor(message: string, opts: Omit<AsdErrorOptions, 'kind'> = {}) {
    super(message, { ...opts, kind: 'usage' });
  }
}

export interface GlobalOptions {
  cohort?: string;
  json?: boolean;
  lang: 'fr' | 'en';
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export interface CohortOfOptions {
  /**
   * A cohort past its `expires`: only what creates or grows a lab refuses it (`up`); `plan` warns;
   * every other command goes on, because cleanup and evidence are needed exactly after a course.
   */
  expired?: 'allow' | 'warn' | 'refuse';
}

/** Load and validate the cohort of -c, $ASD_LAB_COHORT, ./asd-lab.yaml or the embedded one; throws CohortError. */
export function cohortOf(cmd: Command, opts: CohortOfOptions = {}): { cohort: Cohort; file: string; source: CohortSource } {
  const loaded = loadCohort(globals(cmd).cohort, { refuseExpired: opts.expired === 'refuse' });
  if (opts.expired === 'warn' && expiryProblem(loaded.cohort)) {
    const today = new Date().toISOString().slice(0, 10);
    process.stderr.write(`${t('model.expiredWarning', { file: loaded.file, expires: loaded.cohort.expires!, today })}\n`);
  }
  return loaded;
}

/** Which cohort file is used and why: the first line of `up` and `down` (stderr under --json, stdout stays JSON). */
export function sayCohortFile(loaded: { file: string; source: CohortSource }, json: boolean | undefined): void {
  const line = cohortSourceLine(loaded.file, loaded.source);
  if (json) process.stderr.write(`${line}\n`);
  else console.log(line);
}

let jsonPrinted = false;

export function printJson(value: unknown): void {
  jsonPrinted = true;
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Whether the command printed its --json document: an error thrown after it (for the exit code) adds none. */
export function jsonWasPrinted(): boolean {
  return jsonPrinted;
}

/** The cohort's candidates, or the one named by --candidate (an unknown id is a user error). */
export function candidatesOf(cohort: Cohort, id?: string): Candidate[] {
  return selectCandidates(cohort, id);
}
