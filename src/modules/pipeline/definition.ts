// The reference application's CI/CD pipeline, defined ONCE. From this definition come
// .gitlab-ci.yml and .github/workflows/lab-pipeline.yml (src/modules/pipeline/generate.ts; a test fails when
// they are stale) and `asd-lab pipeline run`, which runs the same stages on this machine
// (src/modules/pipeline/run.ts). CP5 (test environment, test version, tests run, defects reported) and CP8
// (preprod identical to prod, the update available to users).
//
// Commands are argv lists. Tokens expanded: "$APP_VERSION" (v1, v2...), "$LAB_ARGS" (nothing in a
// forge by default; "-c FILE --candidate ID" for `pipeline run -c FILE --candidate ID`),
// "$COHORT_ARGS" (only "-c FILE"), and "$REPORTS_DIR" where the test reports go (reference-app/reports in a
// forge, the run's folder locally).
import type { Environment } from '../../core/environments.ts';

export const STAGE_IDS = [
  'build',
  'unit-tests',
  'image',
  'deploy-test',
  'smoke-tests',
  'deploy-preprod',
  'approval',
  'deploy-prod',
] as const;
export type StageId = (typeof STAGE_IDS)[number];

/** What a stage needs to exist before it can run (checked first: a missing one fails the stage clearly). */
export type Requirement = { npmScript: string } | { cli: string[]; options?: string[] };

export interface Stage {
  id: StageId;
  /** Stages whose success this one needs (a chain here: each stage needs the one before). */
  needs: StageId[];
  commands: string[][];
  requires: Requirement[];
  /** Deployment environment of the stage (GitLab environment, GitHub environment). */
  environment?: Environment;
  /** A human decision, not a command: GitLab manual job; GitHub required reviewers on the prod environment. */
  approval?: boolean;
  /** Needs the lab (servers, podman, the app server): a self-hosted runner in a forge. */
  lab: boolean;
  artifacts?: { paths: string[]; junit?: string };
  /**
   * In a forge only: a service container and environment for the stage. Locally the app's tests
   * start their own throw-away PostgreSQL; a forge's runner image has none, so it gets one.
   */
  forge?: { service?: { name: string; image: string; env: Record<string, string> }; env?: Record<string, string> };
  summary: string;
}

const APP = ['node', 'bin/asd-lab.js', 'app'];

export const PIPELINE = {
  name: 'lab-pipeline',
  /** Forge defaults; `pipeline run --version` overrides APP_VERSION. */
  variables: { APP_VERSION: 'v1', REPORTS_DIR: 'reference-app/reports', LAB_ARGS: '', COHORT_ARGS: '' },
  node: '20',
  /** Run in every forge job before the stage's commands. */
  setup: [['npm', 'ci']],
  stages: [
    {
      id: 'build',
      needs: [],
      lab: false,
      commands: [['npm', 'run', 'app:build']],
      requires: [{ npmScript: 'app:build' }],
      artifacts: { paths: ['reference-app/dist/'] },
      summary: 'compile the application (TypeScript) into reference-app/dist',
    },
    {
      id: 'unit-tests',
      needs: ['build'],
      lab: false,
      commands: [['npm', 'run', 'app:test', '--', '--reports', '$REPORTS_DIR']],
      requires: [{ npmScript: 'app:test' }],
      // A throw-away database of the job only (its password is not a secret: nothing else uses it).
      forge: {
        service: {
          name: 'postgres',
          image: 'postgres:15-bookworm',
          env: { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'ci-only', POSTGRES_DB: 'app' },
        },
        env: { APP_TEST_DATABASE_URL: 'postgresql://app:ci-only@postgres:5432/app' },
      },
      artifacts: { paths: ['$REPORTS_DIR/junit.xml', '$REPORTS_DIR/defects.md'], junit: '$REPORTS_DIR/junit.xml' },
      summary:
        "the application's test suite on a real PostgreSQL; JUnit XML and the defect report for the developers, kept even when tests fail",
    },
    {
      id: 'image',
      needs: ['unit-tests'],
      lab: true,
      // The image belongs to the lab, not to a candidate: only the cohort file is passed.
      commands: [[...APP, 'image', '--version', '$APP_VERSION', '$COHORT_ARGS']],
      requires: [{ cli: ['app', 'image'] }],
      summary: 'container images of the version, built offline, digest and SBOM recorded',
    },
    {
      id: 'deploy-test',
      needs: ['image'],
      lab: true,
      environment: 'test',
      commands: [[...APP, 'deploy', 'test', '--version', '$APP_VERSION', '$LAB_ARGS']],
      requires: [{ cli: ['app', 'deploy'] }],
      summary: 'deploy the version to the test environment',
    },
    {
      id: 'smoke-tests',
      needs: ['deploy-test'],
      lab: true,
      environment: 'test',
      commands: [[...APP, 'smoke', 'test', '$LAB_ARGS']],
      requires: [{ cli: ['app', 'smoke'] }],
      summary: 'health, readiness, version and one real request against the test environment',
    },
    {
      id: 'deploy-preprod',
      needs: ['smoke-tests'],
      lab: true,
      environment: 'preprod',
      commands: [
        [...APP, 'deploy', 'preprod', '--version', '$APP_VERSION', '$LAB_ARGS'],
        [...APP, 'smoke', 'preprod', '$LAB_ARGS'],
      ],
      requires: [{ cli: ['app', 'deploy'] }, { cli: ['app', 'smoke'] }],
      summary: 'deploy the same version to pre-production (identical to production) and smoke-test it',
    },
    {
      id: 'approval',
      needs: ['deploy-preprod'],
      lab: false,
      approval: true,
      environment: 'prod',
      commands: [],
      requires: [],
      summary: 'a person approves the release to production',
    },
    {
      id: 'deploy-prod',
      needs: ['approval'],
      lab: true,
      environment: 'prod',
      commands: [
        [...APP, 'deploy', 'prod', '--version', '$APP_VERSION', '$LAB_ARGS'],
        [...APP, 'smoke', 'prod', '$LAB_ARGS'],
      ],
      requires: [{ cli: ['app', 'deploy'] }, { cli: ['app', 'smoke'] }],
      summary: 'deploy to production (rolling, no failed request) and smoke-test it; `app rollback prod` undoes it',
    },
  ] satisfies Stage[] as Stage[],
};

export type Pipeline = typeof PIPELINE;

export const stageOf = (id: string): Stage | undefined => PIPELINE.stages.find((s) => s.id === id);

/** Expand the tokens of one command for a run. */
export function expandCommand(
  cmd: string[],
  vars: { APP_VERSION: string; REPORTS_DIR: string; LAB_ARGS: string[]; COHORT_ARGS?: string[] },
): string[] {
  return cmd.flatMap((a) =>
    a === '$LAB_ARGS'
      ? vars.LAB_ARGS
      : a === '$COHORT_ARGS'
        ? (vars.COHORT_ARGS ?? [])
        : [a.replace('$APP_VERSION', vars.APP_VERSION).replace('$REPORTS_DIR', vars.REPORTS_DIR)],
  );
}
