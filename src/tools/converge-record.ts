// The record of a candidate's last successful Ansible run: what the run read on the controller
// (digests) and what it manages on each server, as the drift probe read it back. `up` writes it
// (src/lifecycle/converge.ts decides from it whether to run Ansible again); the checks read the
// services it started; `down` removes it. Its path is cohortPaths().convergeRecord.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CohortPaths } from '../core/state.ts';
import type { ManagedSet } from './ansible.ts';

/** What the converge reads on the controller, as digests of three parts (so a reason can name the part). */
export interface ConvergeInputs {
  /** ansible/, monitoring/ (generated configuration), src/ (the report job's bundle) and the lockfile. */
  code: string;
  /** The candidate's hosts in the inventory: their variables, groups and the cohort-wide variables. */
  inventory: string;
  /** The cohort's CA and the candidate's certificates, secrets and passwords kept on the controller. */
  state: string;
}

export interface ConvergeRecord {
  schema: 1;
  /** When the run that this record describes ended. */
  at: string;
  inputs: ConvergeInputs;
  hosts: Record<string, { managed: ManagedSet; probe: string[] }>;
}

export function readRecord(paths: CohortPaths, candidate: string): ConvergeRecord | undefined {
  const file = paths.convergeRecord(candidate);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ConvergeRecord;
    return r.schema === 1 ? r : undefined;
  } catch {
    // a record cut short (disk full, killed mid-write) only means Ansible runs again
    return undefined;
  }
}

export function writeRecord(paths: CohortPaths, candidate: string, record: ConvergeRecord): void {
  const file = paths.convergeRecord(candidate);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`, { mode: 0o600 });
}
