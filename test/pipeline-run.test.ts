// `asd-lab pipeline run`, for real: the stages that need no lab (build, unit tests: the reference
// application's real build and test suite on a throw-away PostgreSQL), a run with a deliberate
// defect (the app's injected failing test) that must stop at "unit tests" with the defect report,
// the stages that need the app engineer's lab commands failing clearly while those commands do not
// exist, and the approval gate on a small pipeline of real commands.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { COMMANDS } from '../src/cli/commands/index.ts';
import { requirementMissing as missingIn } from '../src/cli/commands/pipeline.ts';

import { expandCommand, PIPELINE, type Stage } from '../src/modules/pipeline/definition.ts';
import { runPipeline, type RunReport } from '../src/modules/pipeline/run.ts';
import { cli } from './helpers.ts';

// The command tree as main() builds it (the global options are added by main, and known to the check).
const program = new Command('asd-lab');
for (const register of COMMANDS) register(program);
const requirementMissing = (r: Parameters<typeof missingIn>[0]) => missingIn(r, program);

const dirs: string[] = [];
afterAll(() =>
  dirs.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'asd-pipeline-run-'));
  dirs.push(d);
  return d;
};
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'pipeline-run.json'), 'utf8')) as RunReport;
const statuses = (r: RunReport) => Object.fromEntries(r.stages.map((s) => [s.id, s.status]));

describe('pipeline run: build and unit tests, for real', () => {
  it('passes build and unit tests, stops after them (--until), and writes the run report with durations and the test report', async () => {
    const dir = tmp();
    const r = await cli(['pipeline', 'run', '--until', 'unit-tests', '--report-dir', dir]);
    const defects = () =>
      existsSync(join(dir, 'defects.md')) ? readFileSync(join(dir, 'defects.md'), 'utf8') : '(no defect report)';
    expect(r.code, `${r.stderr}\n${defects()}`).toBe(0);
    expect(r.stdout).toContain('stopped after stage "unit-tests" (--until)');
    const rep = readReport(dir);
    expect(rep.result).toBe('stopped-at-until');
    expect(statuses(rep)).toEqual({
      build: 'passed',
      'unit-tests': 'passed',
      image: 'not-run',
      'deploy-test': 'not-run',
      'smoke-tests': 'not-run',
      'deploy-preprod': 'not-run',
      approval: 'not-run',
      'deploy-prod': 'not-run',
    });
    for (const s of rep.stages.slice(0, 2)) {
      expect(s.ms).toBeGreaterThan(100);
      expect(s.exitCode).toBe(0);
      expect(readFileSync(join(dir, s.log!), 'utf8')).toMatch(/\[exit 0\]/);
    }
    expect(rep.defects!.tests).toBeGreaterThan(0);
    expect(rep.defects!.failures).toBe(0);
    const md = readFileSync(join(dir, 'pipeline-run.md'), 'utf8');
    expect(md).toMatch(/\| build \| passed \| \d+\.\d s \| `npm run app:build` \|/);
    expect(md).toMatch(/## Defect report \(unit tests: \d+ tests, 0 failure\(s\)/);
  }, 300_000);

  it('a failing unit test stops the run at "unit tests", names it, and the defect report reaches the run report', async () => {
    const dir = tmp();
    // The reference app ships a deliberate defect, run only when asked (reference-app/vitest.config.ts).
    const r = await cli(['pipeline', 'run', '--report-dir', dir], { APP_TEST_INJECT_DEFECT: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain('the pipeline stopped at stage "unit-tests"');
    const rep = readReport(dir);
    expect(rep.result).toBe('failed');
    expect(rep.failedStage).toBe('unit-tests');
    expect(statuses(rep)).toMatchObject({ build: 'passed', 'unit-tests': 'failed', image: 'not-run', 'deploy-prod': 'not-run' });
    expect(rep.defects!.failures + rep.defects!.errors).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(dir, 'app-reports', 'junit.xml'))).toBe(true);
    const defects = readFileSync(join(dir, 'defects.md'), 'utf8');
    expect(defects).toMatch(/defect/i);
    const md = readFileSync(join(dir, 'pipeline-run.md'), 'utf8');
    expect(md).toContain('| unit tests | **FAILED** |');
    expect(md).toContain(defects.split('\n').find((l) => /fail|✗|×/i.test(l) && !l.startsWith('#')) ?? defects.split('\n')[2]!);
  }, 300_000);
});

describe('pipeline run: stages that need the lab commands', () => {
  it('knows which commands exist', async () => {
    expect(await requirementMissing({ npmScript: 'app:build' })).toBeUndefined();
    expect(await requirementMissing({ npmScript: 'app:nope' })).toBe('package.json has no script "app:nope"');
    expect(await requirementMissing({ cli: ['k8s', 'apply'] })).toBeUndefined();
    expect(await requirementMissing({ cli: ['k8s', 'nope'] })).toBe('asd-lab has no command "k8s nope" (yet)');
  });

  it('knows which options a command accepts (its own and the global ones)', async () => {
    expect(
      await requirementMissing({ cli: ['k8s', 'apply'], options: ['--kubeconfig', '--candidate', '-c', '--lang'] }),
    ).toBeUndefined();
    expect(await requirementMissing({ cli: ['k8s', 'apply'], options: ['--kubeconfig', '--nope'] })).toBe(
      'asd-lab k8s apply has no option --nope',
    );
  });

  it('every lab command of the pipeline accepts the options the pipeline passes (-c FILE --candidate ID), or does not exist yet', async () => {
    for (const s of PIPELINE.stages) {
      for (const cmd of s.commands) {
        const argv = expandCommand(cmd, {
          APP_VERSION: 'v2',
          REPORTS_DIR: '/r',
          LAB_ARGS: ['-c', 'lab.yaml', '--candidate', 'alice'],
          COHORT_ARGS: ['-c', 'lab.yaml'],
        });
        if (argv[1] !== 'bin/asd-lab.js') continue;
        const req = s.requires.find((r) => 'cli' in r && r.cli.every((c, i) => argv[2 + i] === c)) as { cli: string[] };
        const missing = await requirementMissing({ cli: req.cli, options: argv.filter((a) => a.startsWith('-')) });
        // Absent commands are the app engineer's to add; a present command refusing an option is a broken contract.
        if (missing) expect(missing, `${s.id}: ${argv.join(' ')}`).toMatch(/^asd-lab has no command /);
      }
    }
  }, 60_000);

  it('a command given an option it does not accept fails its stage before running', async () => {
    const stages: Stage[] = [
      {
        id: 'deploy-test',
        needs: [],
        lab: true,
        commands: [['node', 'bin/asd-lab.js', 'k8s', 'apply', 'test', '--nope']],
        requires: [{ cli: ['k8s', 'apply'] }],
        summary: '',
      },
    ];
    const rep = await runPipeline({ reportDir: tmp(), requirementMissing, stages, renderer: 'silent' });
    expect(rep.stages[0]!.detail).toBe(
      'stage "deploy-test" needs `bin/asd-lab.js k8s apply test --nope`, which does not exist yet: asd-lab k8s apply has no option --nope',
    );
  });

  it('a stage whose command does not exist fails with that reason, before running anything (never pretends)', async () => {
    const dir = tmp();
    // A command that no engineer will add: the same path as `app image` before the application had it.
    const stages: Stage[] = [
      {
        id: 'image',
        needs: [],
        lab: true,
        commands: [['node', 'bin/asd-lab.js', 'pipeline', 'no-such-step']],
        requires: [{ cli: ['pipeline', 'no-such-step'] }],
        summary: 'image',
      },
    ];
    const rep = await runPipeline({ reportDir: dir, requirementMissing, stages, renderer: 'silent' });
    expect(rep.result).toBe('failed');
    expect(rep.failedStage).toBe('image');
    expect(rep.stages[0]!.detail).toBe(
      'stage "image" needs `asd-lab pipeline no-such-step`, which does not exist yet: asd-lab has no command "pipeline no-such-step" (yet)',
    );
    expect(rep.stages[0]!.log).toBeUndefined();
  });
});

describe('pipeline run: the approval gate (a small pipeline of real commands)', () => {
  const stages: Stage[] = [
    {
      id: 'deploy-preprod',
      needs: [],
      lab: false,
      commands: [['node', '-e', 'console.log("preprod")']],
      requires: [],
      summary: '',
    },
    { id: 'approval', needs: ['deploy-preprod'], lab: false, approval: true, commands: [], requires: [], summary: '' },
    {
      id: 'deploy-prod',
      needs: ['approval'],
      lab: false,
      commands: [['node', '-e', 'console.log("prod")']],
      requires: [],
      summary: '',
    },
  ];

  it('stops at the approval without --approve; everything before it ran', async () => {
    const rep = await runPipeline({ reportDir: tmp(), requirementMissing, stages, renderer: 'silent' });
    expect(rep.result).toBe('awaiting-approval');
    expect(statuses(rep)).toEqual({ 'deploy-preprod': 'passed', approval: 'awaiting-approval', 'deploy-prod': 'not-run' });
    expect(rep.message).toContain('deploying to prod needs --approve');
  });

  it('goes through with --approve and records who approved', async () => {
    const rep = await runPipeline({ reportDir: tmp(), requirementMissing, stages, approve: true, renderer: 'silent' });
    expect(rep.result).toBe('passed');
    expect(statuses(rep)).toEqual({ 'deploy-preprod': 'passed', approval: 'approved', 'deploy-prod': 'passed' });
    expect(rep.stages[1]!.detail).toMatch(/approved on the command line \(--approve\) by \S+/);
  });

  it('a failing command stops the run and says which stage', async () => {
    const failing: Stage[] = [
      stages[0]!,
      { ...stages[2]!, id: 'deploy-test', commands: [['node', '-e', 'process.exit(3)']] },
      stages[2]!,
    ];
    const rep = await runPipeline({ reportDir: tmp(), requirementMissing, stages: failing, renderer: 'silent' });
    expect(rep.failedStage).toBe('deploy-test');
    expect(rep.stages.map((s) => s.status)).toEqual(['passed', 'failed', 'not-run']);
    expect(rep.stages[1]!.exitCode).toBe(3);
    expect(rep.message).toMatch(/stopped at stage "deploy-test" \(node -e process.exit\(3\): exit 3/);
  });

  it('refuses an unknown --until stage before running anything', async () => {
    await expect(runPipeline({ reportDir: tmp(), requirementMissing, until: 'deploy', renderer: 'silent' })).rejects.toThrow(
      /--until deploy is not a stage/,
    );
  });
});
