// Names of the local target's host objects: deterministic (same cohort, same names) and within the
// kernel's and systemd's limits, so that a second "up" finds what the first one made.
import { createHash } from 'node:crypto';
import { t } from '../../core/i18n/index.ts';
import { LocalError } from './errors.ts';

/** Linux interface names hold at most 15 characters (IFNAMSIZ 16, with the final NUL). */
export const IFNAMSIZ_MAX = 15;
/** Machine names are host names: one DNS label of at most 63 characters. */
export const MACHINE_NAME_MAX = 63;
/** Bridges are "asd-<6 hex of the cohort>-<index>": 11 characters plus at most 4 digits. */
export const MAX_CANDIDATES = 10_000;

/** Six hex digits of sha256(cohort): two cohorts on one host get distinct bridges. */
export function cohortHash(cohort: string): string {
  return createHash('sha256').update(cohort).digest('hex').slice(0, 6);
}

/** The bridge of the candidate at `index` (0-based) in the cohort, e.g. "asd-3f9a1c-0". */
export function bridgeName(cohort: string, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_CANDIDATES) {
    throw new LocalError(t('local.candidateIndex', { index, max: MAX_CANDIDATES }));
  }
  const name = `asd-${cohortHash(cohort)}-${index}`;
  // Guaranteed by MAX_CANDIDATES; kept as a check because the kernel would truncate silently.
  if (name.length > IFNAMSIZ_MAX) throw new LocalError(t('local.candidateIndex', { index, max: MAX_CANDIDATES }));
  return name;
}

/** The machine (and host) name of a server: "<candidate>-<server>", e.g. "alice-db1". */
export function machineName(candidateId: string, serverName: string): string {
  const name = `${candidateId}-${serverName}`;
  if (name.length > MACHINE_NAME_MAX || !/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
    throw new LocalError(t('local.machineName', { name, max: MACHINE_NAME_MAX }));
  }
  return name;
}
