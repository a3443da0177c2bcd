// What every command shares: the global options, the loaded cohort, and output helpers.
import type { Command } from 'commander';
import { AsdError, type AsdErrorOptions } from '../core/errors.ts';
import { loadCohort } from '../core/model/load.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';
import { selectCandidates } from '../targets/local/lab.ts';

/** An error the user can act on (kind 'user'): printed by main without a stack trace, with its exit code. */
export class UserError extends AsdError {
  declare readonly exitCode: number;

  constructor(message: string, exitCode = 1, opts: Omit<AsdErrorOptions, 'kind' | 'exitCode'> = {}) {
    super(message, { ...opts, kind: 'user', exitCode });
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

/** Load and validate the cohort named by -c (or the embedded default); throws CohortError. */
export function cohortOf(cmd: Command): { cohort: Cohort; file: string } {
  return loadCohort(globals(cmd).cohort);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The cohort's candidates, or the one named by --candidate; an unknown id is a user error (UserError). */
export function candidatesOf(cohort: Cohort, id?: string): Candidate[] {
  try {
    return selectCandidates(cohort, id);
  } catch (err) {
    // selectCandidates throws a plain Error for an unknown id: that is the user's input.
    throw new UserError((err as Error).message, 1, { cause: err });
  }
}
