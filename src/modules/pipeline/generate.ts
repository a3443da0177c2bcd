// .gitlab-ci.yml and .github/workflows/lab-pipeline.yml, generated from src/modules/pipeline/definition.ts
// (`asd-lab pipeline generate`), and the structural checks that the tests run on them.
import { readFileSync } from 'node:fs';
import { isNotFound } from '../../core/errors.ts';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../core/repo.ts';
import { PIPELINE, type Pipeline, type Stage } from './definition.ts';

export const GITLAB_FILE = '.gitlab-ci.yml';
export const GITHUB_FILE = '.github/workflows/lab-pipeline.yml';

/** One shell line per command, as both forges run it. */
export function shellLine(cmd: string[]): string {
  return cmd.map((a) => (a === '$LAB_ARGS' || a === '$COHORT_ARGS' ? a : a.includes('$') ? `"${a}"` : a)).join(' ');
}
const literal = (p: string, def: Pipeline) => p.replace('$REPORTS_DIR', def.variables.REPORTS_DIR);

const header = (forge: string, extra: string[]) =>
  [
    `# ${forge} pipeline of the asd-lab reference application (CP5, CP8).`,
    '# GENERATED from src/modules/pipeline/definition.ts by `node bin/asd-lab.js pipeline generate`: do not edit by hand',
    '# (test/pipeline.test.ts fails when this file is stale). The same stages run locally with',
    '# `node bin/asd-lab.js pipeline run`. Stages that need the lab run on a self-hosted runner tagged asd-lab.',
    ...extra.map((l) => `# ${l}`),
    '',
  ].join('\n');

/** GitLab reads some top-level keys as global keywords (image, services...): such a stage gets another job name. */
export const gitlabJobName = (id: string) => (GITLAB_TOP.has(id) ? `build-${id}` : id);

export function gitlabCi(def: Pipeline = PIPELINE): string {
  const doc: Record<string, unknown> = {
    stages: def.stages.map((s) => s.id),
    variables: { ...def.variables },
    default: { image: `node:${def.node}-bookworm`, before_script: def.setup.map(shellLine), interruptible: true },
  };
  for (const s of def.stages) {
    const job: Record<string, unknown> = { stage: s.id, needs: s.needs.map(gitlabJobName) };
    if (s.lab) job.tags = ['asd-lab'];
    if (s.forge?.service) {
      job.services = [{ name: s.forge.service.image, alias: s.forge.service.name }];
      job.variables = { ...s.forge.service.env, ...s.forge.env };
    }
    if (s.approval) {
      Object.assign(job, {
        when: 'manual',
        allow_failure: false,
        script: ['echo "release of $APP_VERSION to prod approved by $GITLAB_USER_LOGIN"'],
      });
      job.before_script = [];
      job.interruptible = false;
    } else {
      job.script = s.commands.map(shellLine);
    }
    if (s.environment) job.environment = { name: s.environment, ...(s.approval ? { action: 'prepare' } : {}) };
    if (s.environment && !s.approval) job.resource_group = s.environment;
    if (s.artifacts) {
      job.artifacts = {
        ...(s.artifacts.junit ? { when: 'always' } : {}),
        paths: s.artifacts.paths.map((p) => literal(p, def)),
        ...(s.artifacts.junit ? { reports: { junit: literal(s.artifacts.junit, def) } } : {}),
        expire_in: '30 days',
      };
    }
    doc[gitlabJobName(s.id)] = job;
  }
  return (
    header('GitLab CI/CD', [
      'Approval: the job "approval" is manual and blocking (allow_failure: false); protect the "prod"',
      'environment (Settings > CI/CD > Protected environments) so that only approvers can run it.',
    ]) + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

export function githubWorkflow(def: Pipeline = PIPELINE): string {
  const setupSteps = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': def.node, cache: 'npm' } },
    ...def.setup.map((c) => ({ run: shellLine(c) })),
  ];
  const jobs: Record<string, unknown> = {};
  const ids = new Map(def.stages.map((s) => [s.id, s]));
  // GitHub's approval is the environment's required reviewers: the approval stage becomes the
  // protection of the deploy-prod job's environment, so deploy-prod needs what approval needed.
  const needsOf = (s: Stage): string[] => s.needs.flatMap((n) => (ids.get(n)?.approval ? ids.get(n)!.needs : [n]));
  for (const s of def.stages) {
    if (s.approval) continue;
    const steps: Record<string, unknown>[] = [...setupSteps, ...s.commands.map((c) => ({ run: shellLine(c) }))];
    if (s.artifacts) {
      steps.push({
        if: 'always()',
        uses: 'actions/upload-artifact@v4',
        with: {
          name: `${s.id}-artifacts`,
          path: s.artifacts.paths.map((p) => literal(p, def)).join('\n'),
          'if-no-files-found': 'warn',
        },
      });
    }
    if (s.artifacts?.junit) {
      steps.push({
        if: 'always()',
        name: 'defect report in the job summary',
        run: `cat ${literal('$REPORTS_DIR/defects.md', def)} >> "$GITHUB_STEP_SUMMARY" || true`,
      });
    }
    jobs[s.id] = {
      name: s.summary.split(/[;(]/)[0]!.trim(),
      'runs-on': s.lab ? ['self-hosted', 'asd-lab'] : 'ubuntu-latest',
      ...(s.forge?.service
        ? {
            services: {
              [s.forge.service.name]: {
                image: s.forge.service.image,
                env: s.forge.service.env,
                ports: ['5432:5432'],
                options: '--health-cmd pg_isready --health-interval 5s --health-timeout 5s --health-retries 10',
              },
            },
            // Job steps run on the runner, not in a container: the service is on localhost.
            env: Object.fromEntries(
              Object.entries(s.forge.env ?? {}).map(([k, v]) => [k, v.replace(`@${s.forge!.service!.name}:`, '@localhost:')]),
            ),
          }
        : {}),
      ...(needsOf(s).length > 0 ? { needs: needsOf(s) } : {}),
      ...(s.environment ? { environment: { name: s.environment } } : {}),
      ...(s.environment ? { concurrency: { group: `deploy-${s.environment}`, 'cancel-in-progress': false } } : {}),
      steps,
    };
  }
  const doc = {
    name: def.name,
    on: {
      push: { branches: ['main'] },
      workflow_dispatch: {
        inputs: {
          version: { description: 'application version to release (v1, v2)', required: true, default: def.variables.APP_VERSION },
        },
      },
    },
    permissions: { contents: 'read' },
    env: {
      APP_VERSION: `\${{ inputs.version || '${def.variables.APP_VERSION}' }}`,
      REPORTS_DIR: def.variables.REPORTS_DIR,
      LAB_ARGS: def.variables.LAB_ARGS,
      COHORT_ARGS: def.variables.COHORT_ARGS,
    },
    jobs,
  };
  return (
    header('GitHub Actions', [
      'Approval: the stage "approval" is the "prod" environment\'s protection rule. Create the environment',
      'prod (Settings > Environments > prod) with Required reviewers: deploy-prod then waits for a reviewer.',
    ]) + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

export const GENERATED: [string, () => string][] = [
  [GITLAB_FILE, gitlabCi],
  [GITHUB_FILE, githubWorkflow],
];

/** Files whose content on disk differs from what the definition generates. */
export function staleFiles(root = REPO_ROOT): string[] {
  return GENERATED.filter(([f, gen]) => {
    let onDisk: string;
    try {
      onDisk = readFileSync(resolve(root, f), 'utf8');
    } catch (err) {
      if (isNotFound(err)) return true; // missing: to be generated
      throw err;
    }
    // Outside the try: a definition that fails to generate is an error, not a "stale" file.
    return onDisk !== gen();
  }).map(([f]) => f);
}

// ---- structural checks (what each forge would refuse or silently misread) ----
type Obj = Record<string, any>;
const GITLAB_TOP = new Set([
  'stages',
  'variables',
  'default',
  'workflow',
  'include',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
]);
const GITLAB_JOB = new Set([
  'stage',
  'needs',
  'script',
  'before_script',
  'after_script',
  'artifacts',
  'environment',
  'when',
  'allow_failure',
  'tags',
  'image',
  'services',
  'variables',
  'resource_group',
  'rules',
  'dependencies',
  'interruptible',
  'timeout',
  'retry',
  'cache',
  'coverage',
  'extends',
]);
const GITLAB_ARTIFACTS = new Set([
  'paths',
  'reports',
  'when',
  'expire_in',
  'name',
  'expose_as',
  'exclude',
  'untracked',
  'public',
]);

export function gitlabProblems(text: string): string[] {
  const doc = parse(text) as Obj;
  const out: string[] = [];
  if (!Array.isArray(doc?.stages)) return ['stages: missing'];
  for (const k of GITLAB_TOP) {
    if (doc[k] && typeof doc[k] === 'object' && !Array.isArray(doc[k]) && ('script' in doc[k] || 'stage' in doc[k])) {
      out.push(`${k}: a job cannot be named "${k}", GitLab reads it as the global keyword`);
    }
  }
  const jobs = Object.entries(doc).filter(([k]) => !GITLAB_TOP.has(k) && !k.startsWith('.'));
  const index = new Map(jobs.map(([k, j]) => [k, doc.stages.indexOf((j as Obj).stage)]));
  for (const [name, job] of jobs) {
    const j = job as Obj;
    for (const k of Object.keys(j)) if (!GITLAB_JOB.has(k)) out.push(`${name}: unknown job keyword "${k}"`);
    if (!doc.stages.includes(j.stage)) out.push(`${name}: stage "${j.stage}" is not in stages`);
    if (!Array.isArray(j.script) || j.script.length === 0) out.push(`${name}: script is required`);
    for (const n of (j.needs ?? []) as string[]) {
      if (!index.has(n)) out.push(`${name}: needs "${n}", which is not a job`);
      else if (index.get(n)! > index.get(name)!) out.push(`${name}: needs "${n}" from a later stage`);
    }
    if (j.artifacts) {
      for (const k of Object.keys(j.artifacts))
        if (!GITLAB_ARTIFACTS.has(k)) out.push(`${name}: unknown artifacts keyword "${k}"`);
      if (j.artifacts.reports && typeof j.artifacts.reports.junit !== 'string' && !Array.isArray(j.artifacts.reports.junit))
        out.push(`${name}: artifacts:reports:junit must be a path`);
    }
    if (j.when === 'manual' && j.allow_failure !== false)
      out.push(`${name}: a manual approval must block the pipeline (allow_failure: false)`);
  }
  for (const k of Object.keys(doc))
    if (!GITLAB_TOP.has(k) && !jobs.some(([n]) => n === k)) out.push(`unknown top-level key "${k}"`);
  return out;
}

const GITHUB_JOB = new Set([
  'name',
  'runs-on',
  'needs',
  'environment',
  'concurrency',
  'steps',
  'if',
  'permissions',
  'env',
  'outputs',
  'timeout-minutes',
  'strategy',
  'continue-on-error',
  'container',
  'services',
  'defaults',
]);
const GITHUB_STEP = new Set([
  'uses',
  'run',
  'with',
  'name',
  'if',
  'env',
  'id',
  'shell',
  'working-directory',
  'continue-on-error',
  'timeout-minutes',
]);

export function githubProblems(text: string): string[] {
  const doc = parse(text) as Obj;
  const out: string[] = [];
  if (!doc?.on) out.push('on: missing');
  if (!doc?.jobs || typeof doc.jobs !== 'object') return [...out, 'jobs: missing'];
  const names = Object.keys(doc.jobs);
  for (const [name, job] of Object.entries(doc.jobs as Obj)) {
    const j = job as Obj;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
      out.push(`${name}: job id must start with a letter or _ and contain only letters, digits, - and _`);
    for (const k of Object.keys(j)) if (!GITHUB_JOB.has(k)) out.push(`${name}: unknown job key "${k}"`);
    if (!j['runs-on']) out.push(`${name}: runs-on is required`);
    if (!Array.isArray(j.steps) || j.steps.length === 0) out.push(`${name}: steps are required`);
    for (const [i, st] of ((j.steps ?? []) as Obj[]).entries()) {
      for (const k of Object.keys(st)) if (!GITHUB_STEP.has(k)) out.push(`${name}: steps[${i}]: unknown key "${k}"`);
      if (!!st.uses === !!st.run) out.push(`${name}: steps[${i}]: exactly one of uses and run`);
    }
    for (const n of (j.needs ?? []) as string[]) if (!names.includes(n)) out.push(`${name}: needs "${n}", which is not a job`);
  }
  // No cycle through needs.
  const seen = new Set<string>();
  const visit = (n: string, path: string[]): void => {
    if (path.includes(n)) {
      out.push(`needs cycle: ${[...path, n].join(' -> ')}`);
      return;
    }
    if (seen.has(n)) return;
    seen.add(n);
    for (const m of (doc.jobs[n]?.needs ?? []) as string[]) visit(m, [...path, n]);
  };
  names.forEach((n) => {
    visit(n, []);
  });
  return out;
}
