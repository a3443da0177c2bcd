// Which candidates an operation acts on: all of the cohort, or the one named by --candidate.
import { AsdError } from '../core/errors.ts';
import { t } from '../core/i18n/index.ts';
import type { Candidate, Cohort } from '../core/model/cohort.ts';

export function selectCandidates(cohort: Cohort, id?: string): Candidate[] {
  if (!id) return cohort.candidates;
  const found = cohort.candidates.find((c) => c.id === id);
  if (!found)
    throw new AsdError(t('lab.unknownCandidate', { candidate: id, known: cohort.candidates.map((c) => c.id).join(', ') }), {
      kind: 'usage', // --candidate names no candidate of the cohort
    });
  return [found];
}
