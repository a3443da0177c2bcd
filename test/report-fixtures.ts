// Synthetic lab data for the evidence-layer tests: a cohort, LabServer lists and check definitions
// whose outcomes the test chooses (no server, no SSH).
import { parseCohort } from '../src/core/model/load.ts';
import type { Cohort } from '../src/core/model/cohort.ts';
import type { CheckDefinition, CheckOutcome } from '../src/checks/types.ts';
import { KEY_A, KEY_B, NOW } from './helpers.ts';
import type { LabServer } from '../src/core/lab-server.ts';

export const VERSION = { version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567', dirty: false };

export function cohortOf(extra = ''): Cohort {
  return parseCohort(
    `cohort: demo\ncandidates:\n  - {id: alice, name: Alice Martin, sshKey: "${KEY_A}"}\n  - {id: bob, sshKey: "${KEY_B}"}\n  - {id: carol, sshKey: "${KEY_A}"}\n${extra}`,
    'demo.yaml',
    { now: NOW },
  );
}

/** The servers of each candidate of the cohort, all running unless `state` says otherwise. */
export function serversOf(
  cohort: Cohort,
  state: (cand: string, server: string) => LabServer['state'] = () => 'running',
): Map<string, LabServer[]> {
  return new Map(
    cohort.candidates.map((c, ci) => [
      c.id,
      (c.overrides?.servers ?? cohort.servers).map((s, i) => ({
        name: s.name,
        role: s.role,
        machine: `${c.id}-${s.name}`,
        state: state(c.id, s.name),
        address: `10.98.${ci}.${10 + i}`,
        sshPort: 22,
        user: 'asd-admin',
        keyPath: '/nonexistent/key',
      })),
    ]),
  );
}

export function fakeCheck(
  id: string,
  criterion: string,
  outcome: (cand: string) => CheckOutcome[] | Promise<CheckOutcome[]>,
): CheckDefinition {
  return { id, criterion, path: 'test/report-fixtures.ts', description: id, run: async (ctx) => outcome(ctx.candidate.id) };
}

export const FAKE_CHECKS: CheckDefinition[] = [
  fakeCheck('server-works', 'CP1.1', () => [
    { status: 'pass', evidence: 'systemd: running', server: 'app' },
    { status: 'pass', evidence: 'systemd: running', server: 'db1' },
  ]),
  fakeCheck('ssh-root-refused', 'CP3.2', (c) => [
    {
      status: c === 'bob' ? 'fail' : 'pass',
      evidence: c === 'bob' ? 'root login accepted <script>alert(1)</script> & more' : 'root refused',
    },
  ]),
  fakeCheck('aws-only', 'CP4.1', () => [{ status: 'not-run', evidence: 'AWS target only' }]),
];
