// Rebuilding a candidate's environment from a checked bundle (an examiner's `reproduce`): the
// bundle's cohort file is kept beside the state, then the same `up` and `verify` as anyone's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { t } from '../core/i18n/index.ts';
import { cohortPaths } from '../core/state.ts';
import type { OpenedBundle } from '../evidence/bundle.ts';
import type { VerifyReportV1 } from '../evidence/verify-report/schema.ts';
import type { ProgressSink } from './progress.ts';
import { up, type UpOptions, type UpResult } from './up.ts';
import { verifyLab } from './verify.ts';

export interface ReproduceOptions extends Pick<UpOptions, 'driver' | 'accel'> {
  /** Where to write the bundle's cohort file (default: <state>/cohorts/<cohort>/reproduce-<candidate>.yaml). */
  cohortFile?: string;
  stateDir?: string;
  progress?: ProgressSink;
}

export interface ReproduceResult {
  cohortFile: string;
  up: UpResult;
  /** Absent when `up` failed: nothing to verify. */
  verify?: VerifyReportV1;
}

/** The bundle's cohort (its one candidate) and the text to keep as its cohort file. */
export type ReproducedCohort = Pick<OpenedBundle, 'cohort' | 'cohortText'>;

export async function reproduce(bundle: ReproducedCohort, opts: ReproduceOptions = {}): Promise<ReproduceResult> {
  const cand = bundle.cohort.candidates[0]!;
  const cohortFile = resolve(opts.cohortFile ?? cohortPaths(bundle.cohort.cohort, opts.stateDir).reproduceFile(cand.id));
  mkdirSync(dirname(cohortFile), { recursive: true, mode: 0o700 });
  writeFileSync(cohortFile, bundle.cohortText, { mode: 0o600 });
  opts.progress?.say(t('reproduce.cohortFile', { file: cohortFile }));
  const result = await up(bundle.cohort, {
    candidate: cand.id,
    verify: false,
    stateDir: opts.stateDir,
    driver: opts.driver,
    accel: opts.accel,
    progress: opts.progress,
  });
  if (!result.candidates.every((c) => c.ok)) return { cohortFile, up: result };
  const report = await verifyLab(bundle.cohort, { candidate: cand.id, stateDir: opts.stateDir });
  return { cohortFile, up: result, verify: report };
}
