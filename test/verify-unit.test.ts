import { describe, expect, it } from 'vitest';
import { lynisIndex } from '../src/checks/access.ts';
import { CHECKS } from '../src/checks/index.ts';
import { criterion } from '../src/core/competencies.ts';
import { perServer, record } from '../src/checks/types.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { KEY_A, NOW } from './helpers.ts';

describe('verify building blocks', () => {
  it('reads the hardening index from a Lynis report', () => {
    expect(lynisIndex('report_version=1.0\nhardening_index=87\nlynis_tests_done=250\n')).toBe(87);
    expect(lynisIndex('hardening_index=\n')).toBeUndefined();
  });

  it('every registered check maps to an existing criterion and has a unique id', () => {
    for (const c of CHECKS) expect(criterion(c.criterion), c.id).toBeDefined();
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length);
  });

  it('records carry the competency and the official criterion title', () => {
    const def = CHECKS.find((c) => c.id === 'ssh-root-refused')!;
    expect(record(def, { status: 'pass', evidence: 'x', server: 'db1' })).toEqual({
      competency: 'CP3',
      criterion: 'Les accès aux serveurs sont sécurisés',
      criterionId: 'CP3.2',
      check: 'ssh-root-refused (db1)',
      status: 'pass',
      evidence: 'x',
      server: 'db1',
    });
  });

  it('a stopped server fails a per-server check instead of being skipped, and errors become evidence', async () => {
    const cohort = parseCohort(`cohort: p\ncandidates: [{id: a, sshKey: "${KEY_A}"}]\n`, 't', { now: NOW });
    const base = { role: 'app', address: '127.0.0.1', sshPort: 1, user: 'x', keyPath: '/k' };
    const out = await perServer(
      {
        cohort,
        candidate: cohort.candidates[0]!,
        servers: [
          { ...base, name: 'app', state: 'stopped' },
          { ...base, name: 'db1', state: 'running' },
        ],
      },
      async () => {
        throw new Error('connection refused');
      },
    );
    expect(out).toEqual([
      { server: 'app', status: 'fail', evidence: 'server is stopped' },
      { server: 'db1', status: 'fail', evidence: 'error: connection refused' },
    ]);
  });
});
