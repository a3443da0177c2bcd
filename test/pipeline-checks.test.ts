// CP8.2 read from pipeline runs as `asd-lab pipeline run` writes them (pipeline-run.json, the
// Markdown of runMarkdown, the stage logs): pass, fail and not-run cases on real files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { preprodDefectsReported } from '../src/modules/pipeline/checks.ts';
import { runMarkdown, type RunReport } from '../src/modules/pipeline/run.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { KEY_A } from './helpers.ts';

const state = mkdtempSync(join(tmpdir(), 'asd-pipeline-checks-'));
process.env.ASD_LAB_STATE = state;
afterAll(() => rmSync(state, { recursive: true, force: true }));
const cohort = parseCohort(`cohort: t\ncandidates:\n  - {id: alice, sshKey: ${KEY_A}}\n`, 't.yaml');
const ctx = { cohort, candidate: cohort.candidates[0]!, servers: [] };

function writeRun(name: string, preprod: 'passed' | 'failed' | 'not-run', opts: { log?: boolean; labArgs?: string[] } = {}) {
  const dir = join(state, 'pipeline', name);
  mkdirSync(dir, { recursive: true });
  const stage = (id: RunReport['stages'][number]['id'], status: RunReport['stages'][number]['status']) => ({
    id,
    title: id,
    status,
    ms: 1000,
    commands: [],
    ...(status !== 'not-run' ? { log: `${id}.log` } : {}),
  });
  const report: RunReport = {
    pipeline: 'lab-pipeline',
    startedAt: '2026-12-04T10:00:00Z',
    finishedAt: '2026-12-04T10:05:00Z',
    version: 'v2',
    labArgs: opts.labArgs ?? ['-c', 'x.yaml', '--candidate', 'alice'],
    approve: false,
    result: preprod === 'failed' ? 'failed' : 'passed',
    ...(preprod === 'failed' ? { failedStage: 'deploy-preprod' as const } : {}),
    message: '',
    stages: [stage('deploy-test', 'passed'), stage('deploy-preprod', preprod)],
    reportDir: dir,
  };
  writeFileSync(join(dir, 'pipeline-run.json'), JSON.stringify(report));
  writeFileSync(join(dir, 'pipeline-run.md'), runMarkdown(report));
  if (opts.log !== false) writeFileSync(join(dir, 'deploy-preprod.log'), 'smoke preprod: ok\n');
}

describe('CP8.2 preprod-defects-reported', () => {
  beforeEach(() => rmSync(join(state, 'pipeline'), { recursive: true, force: true }));

  it('is not run until a pipeline run reaches pre-production', async () => {
    expect((await preprodDefectsReported.run(ctx))[0]!.status).toBe('not-run');
    writeRun('2026-12-04T10-00-00', 'not-run');
    expect((await preprodDefectsReported.run(ctx))[0]!.status).toBe('not-run');
    // Another candidate's run does not count.
    writeRun('2026-12-04T11-00-00', 'passed', { labArgs: ['--candidate', 'bob'] });
    expect((await preprodDefectsReported.run(ctx))[0]!.status).toBe('not-run');
  });

  it('passes with the report and the log of a pre-production stage, passed or failed', async () => {
    writeRun('2026-12-04T10-00-00', 'passed');
    expect(await preprodDefectsReported.run(ctx)).toEqual([
      { status: 'pass', evidence: expect.stringMatching(/pre-production passed \(v2, .*\), log deploy-preprod\.log/) },
    ]);
    writeRun('2026-12-04T12-00-00', 'failed');
    expect((await preprodDefectsReported.run(ctx))[0]).toMatchObject({
      status: 'pass',
      evidence: expect.stringMatching(/pre-production failed/),
    });
  });

  it('fails when the developers would not see it: no log, or no report', async () => {
    writeRun('2026-12-04T10-00-00', 'failed', { log: false });
    expect((await preprodDefectsReported.run(ctx))[0]).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(/left no log/),
    });
    rmSync(join(state, 'pipeline', '2026-12-04T10-00-00', 'pipeline-run.md'));
    expect((await preprodDefectsReported.run(ctx))[0]).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(/no report/),
    });
  });
});
