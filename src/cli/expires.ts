// `reproduce --expires`: an examiner rebuilds a bundle long after the course, when the cohort's own
// `expires` is past and `up` would refuse it; the date given here replaces it in the rebuilt cohort file.
import { InvalidArgumentError } from 'commander';
import { parseDocument } from 'yaml';
import { t } from '../core/i18n/index.ts';
import { isCalendarDate, type Cohort } from '../core/model/cohort.ts';
import { expiryProblem, parseCohort } from '../core/model/load.ts';
import { EXIT } from '../core/errors.ts';
import { UserError } from './context.ts';

const today = (now = new Date()) => now.toISOString().slice(0, 10);

/** Commander argument parser of --expires: a real calendar date, today or later. */
export function expiresOption(value: string, _previous?: unknown, now?: Date): string {
  if (!isCalendarDate(value)) throw new InvalidArgumentError(t('reproduce.expiresBad', { got: value }));
  if (value < today(now)) throw new InvalidArgumentError(t('reproduce.expiresPast', { got: value, today: today(now) }));
  return value;
}

/**
 * The cohort text `reproduce` writes before running `up`: the bundle's own, with `expires` replaced
 * when given (comments and order kept). Without one, an expired cohort is refused here, with the
 * option to use, rather than by `up` after the file is written.
 */
export function reproducedCohortText(text: string, cohort: Cohort, expires?: string, now?: Date): string {
  if (expires === undefined) {
    if (expiryProblem(cohort, now))
      throw new UserError(t('reproduce.expired', { expires: cohort.expires!, today: today(now) }), EXIT.usage); // --expires is missing
    return text;
  }
  const doc = parseDocument(text);
  doc.set('expires', expires);
  const out = doc.toString();
  parseCohort(out, 'cohort.yaml', { now, refuseExpired: true }); // still valid, and what up will accept
  return out;
}
