// The pipeline's single source and the two forge files generated from it: freshness, structure
// (what GitLab and GitHub would refuse or misread), and the same commands everywhere.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../src/core/repo.ts';
import { expandCommand, PIPELINE, STAGE_IDS } from '../src/modules/pipeline/definition.ts';
import {
  GITHUB_FILE,
  GITLAB_FILE,
  githubProblems,
  githubWorkflow,
  gitlabCi,
  gitlabJobName,
  gitlabProblems,
  shellLine,
  staleFiles,
} from '../src/modules/pipeline/generate.ts';
import { junitCounts } from '../src/modules/pipeline/run.ts';
import { cli } from './helpers.ts';

const dirs: string[] = [];
afterAll(() =>
  dirs.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);
type Obj = Record<string, any>;

describe('pipeline definition', () => {
  it('the stages, in order, each needing the one before', () => {
    expect(PIPELINE.stages.map((s) => s.id)).toEqual([...STAGE_IDS]);
    expect(STAGE_IDS).toEqual([
      'build',
      'unit-tests',
      'image',
      'deploy-test',
      'smoke-tests',
      'deploy-preprod',
      'approval',
      'deploy-prod',
    ]);
    PIPELINE.stages.forEach((s, i) => {
      expect(s.needs).toEqual(i === 0 ? [] : [STAGE_IDS[i - 1]]);
    });
    expect(PIPELINE.stages.filter((s) => s.approval).map((s) => s.id)).toEqual(['approval']);
  });

  it('expands the version, the reports folder and the lab arguments', () => {
    const deploy = PIPELINE.stages.find((s) => s.id === 'deploy-test')!.commands[0]!;
    expect(
      expandCommand(deploy, { APP_VERSION: 'v2', REPORTS_DIR: '/r', LAB_ARGS: ['-c', 'lab.yaml', '--candidate', 'alice'] }),
    ).toEqual(['node', 'bin/asd-lab.js', 'app', 'deploy', 'test', '--version', 'v2', '-c', 'lab.yaml', '--candidate', 'alice']);
    expect(expandCommand(deploy, { APP_VERSION: 'v1', REPORTS_DIR: '/r', LAB_ARGS: [] })).not.toContain('$LAB_ARGS');
  });

  it('reads JUnit counts from the root or from the suites', () => {
    expect(junitCounts('<testsuites name="x" tests="25" failures="1" errors="0"><testsuite tests="25"/></testsuites>')).toEqual({
      tests: 25,
      failures: 1,
      errors: 0,
    });
    expect(junitCounts('<testsuite tests="3" failures="1"/><testsuite tests="2" failures="0" errors="1"/>')).toEqual({
      tests: 5,
      failures: 1,
      errors: 1,
    });
  });
});

describe('generated forge files', () => {
  it('are up to date with src/modules/pipeline/definition.ts (run `asd-lab pipeline generate` otherwise)', async () => {
    expect(staleFiles()).toEqual([]);
    const r = await cli(['pipeline', 'generate', '--check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${GITLAB_FILE} is up to date`);
  });

  it('a hand edit makes them stale, and --check says so', () => {
    const root = mkdtempSync(join(tmpdir(), 'asd-pipeline-'));
    dirs.push(root);
    cpSync(resolve(REPO_ROOT, '.github'), join(root, '.github'), { recursive: true });
    writeFileSync(join(root, GITLAB_FILE), gitlabCi().replace('resource_group: prod', 'resource_group: other'));
    expect(staleFiles(root)).toEqual([GITLAB_FILE]);
    rmSync(join(root, GITHUB_FILE));
    expect(staleFiles(root)).toEqual([GITLAB_FILE, GITHUB_FILE]);
  });

  it('GitLab: stages, needs, the JUnit report kept even on failure, a blocking manual approval, environments', () => {
    const text = gitlabCi();
    expect(gitlabProblems(text)).toEqual([]);
    const doc = parse(text) as Obj;
    expect(doc.stages).toEqual([...STAGE_IDS]);
    for (const s of PIPELINE.stages) {
      expect(doc[gitlabJobName(s.id)].stage).toBe(s.id);
      expect(doc[gitlabJobName(s.id)].needs).toEqual(s.needs.map(gitlabJobName));
    }
    // "image" is a global GitLab keyword: that stage's job has another name.
    expect(gitlabJobName('image')).toBe('build-image');
    expect(doc.image).toBeUndefined();
    expect(doc['unit-tests'].artifacts).toMatchObject({ when: 'always', reports: { junit: 'reference-app/reports/junit.xml' } });
    expect(doc['unit-tests'].artifacts.paths).toEqual(['reference-app/reports/junit.xml', 'reference-app/reports/defects.md']);
    expect(doc.approval).toMatchObject({ when: 'manual', allow_failure: false });
    // The forge's runner has no PostgreSQL: the unit tests get a service container and its URL.
    expect(doc['unit-tests'].services).toEqual([{ name: 'postgres:15-bookworm', alias: 'postgres' }]);
    expect(doc['unit-tests'].variables.APP_TEST_DATABASE_URL).toBe('postgresql://app:ci-only@postgres:5432/app');
    expect(doc['deploy-prod'].needs).toEqual(['approval']);
    expect(['deploy-test', 'deploy-preprod', 'deploy-prod'].map((j) => doc[j].environment.name)).toEqual([
      'test',
      'preprod',
      'prod',
    ]);
    expect(doc['build-image'].tags).toEqual(['asd-lab']);
    expect(doc.build.tags).toBeUndefined();
  });

  it('GitLab checks catch what GitLab would refuse (negative)', () => {
    const doc = parse(gitlabCi()) as Obj;
    doc['deploy-test'].needs = ['imge'];
    doc['smoke-tests'].scirpt = doc['smoke-tests'].script;
    delete doc['unit-tests'].artifacts.reports.junit;
    doc.approval.allow_failure = true;
    doc.build.stage = 'compile';
    const { stringify } = { stringify: (v: unknown) => JSON.stringify(v) };
    expect(gitlabProblems(stringify(doc))).toEqual(
      expect.arrayContaining([
        'deploy-test: needs "imge", which is not a job',
        'smoke-tests: unknown job keyword "scirpt"',
        'unit-tests: artifacts:reports:junit must be a path',
        'approval: a manual approval must block the pipeline (allow_failure: false)',
        'build: stage "compile" is not in stages',
      ]),
    );
    const later = parse(gitlabCi()) as Obj;
    later['build-image'].needs = ['deploy-prod'];
    expect(gitlabProblems(JSON.stringify(later))).toContain('build-image: needs "deploy-prod" from a later stage');
    const reserved = parse(gitlabCi()) as Obj;
    reserved.image = reserved['build-image'];
    delete reserved['build-image'];
    expect(gitlabProblems(JSON.stringify(reserved))).toContain(
      'image: a job cannot be named "image", GitLab reads it as the global keyword',
    );
  });

  it('GitHub: jobs chained by needs, deploys in environments, prod behind its required reviewers', () => {
    const text = githubWorkflow();
    expect(githubProblems(text)).toEqual([]);
    const doc = parse(text) as Obj;
    expect(Object.keys(doc.jobs)).toEqual(STAGE_IDS.filter((s) => s !== 'approval'));
    expect(doc.jobs['deploy-prod'].needs).toEqual(['deploy-preprod']);
    expect(doc.jobs['deploy-prod'].environment).toEqual({ name: 'prod' });
    expect(doc.jobs['deploy-preprod'].environment).toEqual({ name: 'preprod' });
    expect(text).toMatch(/Settings > Environments > prod\) with Required reviewers/);
    expect(doc.jobs['unit-tests'].steps.filter((s: Obj) => s.if === 'always()').map((s: Obj) => s.uses ?? s.run)).toEqual([
      'actions/upload-artifact@v4',
      'cat reference-app/reports/defects.md >> "$GITHUB_STEP_SUMMARY" || true',
    ]);
    expect(doc.jobs.image['runs-on']).toEqual(['self-hosted', 'asd-lab']);
    expect(doc.jobs['unit-tests'].services.postgres.image).toBe('postgres:15-bookworm');
    expect(doc.jobs['unit-tests'].env.APP_TEST_DATABASE_URL).toBe('postgresql://app:ci-only@localhost:5432/app');
    expect(doc.permissions).toEqual({ contents: 'read' });
  });

  it('GitHub checks catch what GitHub would refuse (negative)', () => {
    const doc = parse(githubWorkflow()) as Obj;
    doc.jobs['smoke-tests'].needs = ['deploy-tset'];
    doc.jobs.image.enviroment = 'x';
    doc.jobs['deploy-test'].steps.push({ uses: 'a@v1', run: 'b' });
    delete doc.jobs['deploy-prod']['runs-on'];
    const p = githubProblems(JSON.stringify(doc));
    expect(p).toEqual(
      expect.arrayContaining([
        'smoke-tests: needs "deploy-tset", which is not a job',
        'image: unknown job key "enviroment"',
        'deploy-prod: runs-on is required',
      ]),
    );
    expect(p.some((x) => x.startsWith('deploy-test: steps[') && x.endsWith('exactly one of uses and run'))).toBe(true);
    const cyc = parse(githubWorkflow()) as Obj;
    cyc.jobs.build.needs = ['deploy-prod'];
    expect(githubProblems(JSON.stringify(cyc)).filter((x) => x.startsWith('needs cycle:'))).toEqual([
      'needs cycle: build -> deploy-prod -> deploy-preprod -> smoke-tests -> deploy-test -> image -> unit-tests -> build',
    ]);
  });

  it('the forges and `pipeline run` run the same commands', () => {
    const gl = parse(gitlabCi()) as Obj;
    const gh = parse(githubWorkflow()) as Obj;
    for (const s of PIPELINE.stages.filter((x) => !x.approval)) {
      const lines = s.commands.map(shellLine);
      expect(gl[gitlabJobName(s.id)].script).toEqual(lines);
      expect(gh.jobs[s.id].steps.map((x: Obj) => x.run).filter((r: string | undefined) => lines.includes(r!))).toEqual(lines);
    }
  });
});
