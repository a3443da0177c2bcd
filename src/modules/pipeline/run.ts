// `asd-lab pipeline run`: the stages of src/modules/pipeline/definition.ts, run on this machine in order,
// with listr2 progress. A stage whose command does not exist yet fails with that reason (nothing is
// pretended); a failing stage stops the run and is named; the approval stage stops the run unless
// --approve. Every run writes a report (JSON + Markdown) with each stage's status, duration and
// log, and the defect report of the unit tests (JUnit XML + Markdown) when there is one.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { Listr, ListrLogger, ListrLogLevels } from 'listr2';
import { t, type MessageKey } from '../../core/i18n/index.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { expandCommand, PIPELINE, STAGE_IDS, type Requirement, type Stage, type StageId } from './definition.ts';
import { AsdError, type AsdErrorOptions } from '../../core/errors.ts';

export type StageStatus = 'passed' | 'failed' | 'approved' | 'awaiting-approval' | 'not-run';

export interface StageRecord {
  id: StageId;
  title: string;
  status: StageStatus;
  ms: number;
  commands: string[];
  exitCode?: number;
  /** Log file of the stage's commands, relative to the report folder. */
  log?: string;
  detail?: string;
}

export interface DefectReport {
  junit: string;
  markdown: string;
  tests: number;
  failures: number;
  errors: number;
}

export interface RunReport {
  pipeline: string;
  startedAt: string;
  finishedAt: string;
  version: string;
  labArgs: string[];
  until?: StageId;
  approve: boolean;
  result: 'passed' | 'failed' | 'awaiting-approval' | 'stopped-at-until';
  failedStage?: StageId;
  message: string;
  stages: StageRecord[];
  defects?: DefectReport;
  reportDir: string;
}

/** The pipeline cannot run as asked (unknown stage, missing requirement): kind 'user'. */
export class PipelineError extends AsdError {
  constructor(message: string, opts: AsdErrorOptions = {}) {
    super(message, { kind: 'user', ...opts });
  }
}

export interface RunOptions {
  until?: string;
  approve?: boolean;
  version?: string;
  /** -c FILE --candidate ID, passed to the app commands. */
  labArgs?: string[];
  /** -c FILE only (commands that belong to the lab, not to a candidate). */
  cohortArgs?: string[];
  reportDir: string;
  /** Does this requirement exist? undefined when it does, else why not. */
  requirementMissing: (r: Requirement) => Promise<string | undefined>;
  /** Extra environment for the commands (e.g. APP_TEST_DATABASE_URL). */
  env?: Record<string, string>;
  /** listr2 renderer: 'default' on a terminal, 'simple' in logs, 'silent' with --json. */
  renderer?: 'default' | 'simple' | 'silent';
  cwd?: string;
  /** The stages to run (default: the pipeline's); tests pass a small pipeline of real commands. */
  stages?: Stage[];
}

export const stageTitle = (id: StageId) => t(`pipeline.stage.${id}` as MessageKey);

/** Parse the counts of a JUnit XML file (the <testsuites> root, else the sum of <testsuite>). */
export function junitCounts(xml: string): { tests: number; failures: number; errors: number } {
  const attr = (tag: string, name: string) => Number(new RegExp(`<${tag}\\b[^>]*\\b${name}="(\\d+)"`).exec(xml)?.[1] ?? NaN);
  const root = {
    tests: attr('testsuites', 'tests'),
    failures: attr('testsuites', 'failures'),
    errors: attr('testsuites', 'errors'),
  };
  if (Number.isFinite(root.tests)) return { tests: root.tests, failures: root.failures || 0, errors: root.errors || 0 };
  const sum = (name: string) =>
    [...xml.matchAll(new RegExp(`<testsuite\\b[^>]*\\b${name}="(\\d+)"`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
  return { tests: sum('tests'), failures: sum('failures'), errors: sum('errors') };
}

export async function runPipeline(opts: RunOptions): Promise<RunReport> {
  const stages = opts.stages ?? PIPELINE.stages;
  if (opts.until !== undefined && !(STAGE_IDS as readonly string[]).includes(opts.until)) {
    throw new PipelineError(t('pipeline.badStage', { got: opts.until, list: STAGE_IDS.join(', ') }));
  }
  const until = opts.until as StageId | undefined;
  const version = opts.version ?? PIPELINE.variables.APP_VERSION;
  const reportDir = resolve(opts.reportDir);
  const appReports = join(reportDir, 'app-reports');
  mkdirSync(appReports, { recursive: true });
  const cwd = opts.cwd ?? REPO_ROOT;
  const vars = {
    APP_VERSION: version,
    REPORTS_DIR: appReports,
    LAB_ARGS: opts.labArgs ?? [],
    COHORT_ARGS: opts.cohortArgs ?? [],
  };
  const started = new Date();
  const records: StageRecord[] = stages.map((s) => ({
    id: s.id,
    title: stageTitle(s.id),
    status: 'not-run',
    ms: 0,
    commands: s.commands.map((c) => expandCommand(c, vars).join(' ')),
  }));
  let stop: { result: RunReport['result']; message: string; failedStage?: StageId } | undefined;

  const runStage = async (s: Stage, rec: StageRecord) => {
    const t0 = performance.now();
    try {
      if (s.approval) {
        if (!opts.approve) {
          rec.status = 'awaiting-approval';
          stop = { result: 'awaiting-approval', message: t('pipeline.awaitingApproval') };
          return;
        }
        rec.status = 'approved';
        rec.detail = t('pipeline.approved', { user: userInfo().username });
        return;
      }
      for (const r of s.requires) {
        const missing = await opts.requirementMissing(r);
        if (missing) {
          const command = 'npmScript' in r ? `npm run ${r.npmScript}` : `asd-lab ${r.cli.join(' ')}`;
          throw new PipelineError(t('pipeline.missingCommand', { stage: s.id, command, detail: missing }));
        }
      }
      const logFile = join(reportDir, `${s.id}.log`);
      rec.log = relative(reportDir, logFile);
      let log = '';
      // An asd-lab command must also accept every option it is given here (e.g. --candidate).
      for (const cmd of s.commands) {
        const argv = expandCommand(cmd, vars);
        if (argv[0] === 'node' && argv[1] === 'bin/asd-lab.js') {
          const req = s.requires.find((r) => 'cli' in r && r.cli.every((c, i) => argv[2 + i] === c)) as
            | { cli: string[] }
            | undefined;
          const missing =
            req && (await opts.requirementMissing({ cli: req.cli, options: argv.filter((a) => a.startsWith('-')) }));
          if (missing)
            throw new PipelineError(
              t('pipeline.missingCommand', { stage: s.id, command: argv.slice(1).join(' '), detail: missing }),
            );
        }
      }
      for (const cmd of s.commands) {
        const argv = expandCommand(cmd, vars);
        log += `$ ${argv.join(' ')}\n`;
        const r = await execa(argv[0]!, argv.slice(1), { cwd, reject: false, all: true, env: { ...opts.env, FORCE_COLOR: '0' } });
        log += `${r.all ?? ''}\n[exit ${r.exitCode ?? r.signal ?? '?'}]\n`;
        writeFileSync(logFile, log);
        if (r.failed) {
          rec.exitCode = r.exitCode;
          const tail = (r.all ?? '').trim().split('\n').slice(-3).join(' | ');
          throw new PipelineError(
            t('pipeline.stageFailed', {
              stage: s.id,
              detail: `${argv.join(' ')}: exit ${r.exitCode ?? r.signal}${tail ? `; ${tail}` : ''}`,
            }),
          );
        }
      }
      rec.exitCode = 0;
      rec.status = 'passed';
    } catch (err) {
      rec.status = 'failed';
      rec.detail = (err as Error).message;
      stop = { result: 'failed', message: rec.detail, failedStage: s.id };
      throw err;
    } finally {
      rec.ms = Math.round(performance.now() - t0);
    }
  };

  const tasks = new Listr(
    stages.map((s, i) => ({
      title: records[i]!.title,
      // Said in the progress line: why this stage does not run.
      skip: () => stop?.message ?? false,
      task: async (_ctx: unknown, task: { title: string }) => {
        await runStage(s, records[i]!);
        if (records[i]!.status === 'awaiting-approval') task.title = `${records[i]!.title}: ${t('pipeline.awaitingApproval')}`;
        if (until === s.id && !stop) stop = { result: 'stopped-at-until', message: t('pipeline.untilReached', { stage: s.id }) };
      },
    })),
    {
      exitOnError: true,
      renderer: opts.renderer ?? 'simple',
      fallbackRenderer: 'simple',
      collectErrors: 'minimal',
      rendererOptions:
        opts.renderer === 'simple' || !opts.renderer
          ? { logger: new ListrLogger({ useIcons: false, toStderr: Object.values(ListrLogLevels) }) }
          : {},
    } as never,
  );
  try {
    await tasks.run();
  } catch {
    // The failed stage is recorded; the report says which.
  }

  // The defect report: whatever the unit tests wrote, passed or failed.
  let defects: DefectReport | undefined;
  const junit = join(appReports, 'junit.xml');
  const md = join(appReports, 'defects.md');
  if (existsSync(junit) || existsSync(md)) {
    const counts = existsSync(junit) ? junitCounts(readFileSync(junit, 'utf8')) : { tests: 0, failures: 0, errors: 0 };
    defects = {
      junit: existsSync(junit) ? relative(reportDir, junit) : '',
      markdown: existsSync(md) ? relative(reportDir, md) : '',
      ...counts,
    };
    if (existsSync(md)) copyFileSync(md, join(reportDir, 'defects.md'));
  }
  const report: RunReport = {
    pipeline: PIPELINE.name,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    version,
    labArgs: opts.labArgs ?? [],
    ...(until ? { until } : {}),
    approve: opts.approve ?? false,
    result: stop?.result ?? 'passed',
    ...(stop?.failedStage ? { failedStage: stop.failedStage } : {}),
    message:
      stop?.message ??
      t('pipeline.done', {
        count: records.filter((r) => r.status === 'passed').length,
        seconds: ((Date.now() - started.getTime()) / 1000).toFixed(1),
      }),
    stages: records,
    ...(defects ? { defects } : {}),
    reportDir,
  };
  writeFileSync(join(reportDir, 'pipeline-run.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(reportDir, 'pipeline-run.md'), runMarkdown(report, existsSync(md) ? readFileSync(md, 'utf8') : undefined));
  return report;
}

const MARK: Record<StageStatus, string> = {
  passed: 'passed',
  failed: '**FAILED**',
  approved: 'approved',
  'awaiting-approval': 'awaiting approval',
  'not-run': 'not run',
};

export function runMarkdown(r: RunReport, defectsMd?: string): string {
  const lines = [
    `# Pipeline run: ${r.pipeline}, version ${r.version}`,
    '',
    `Started ${r.startedAt}, finished ${r.finishedAt}. Result: **${r.result}**${r.failedStage ? ` (stage ${r.failedStage})` : ''}.`,
    '',
    r.message,
    '',
    '| stage | status | duration | command | log |',
    '| --- | --- | ---: | --- | --- |',
    ...r.stages.map(
      (s) =>
        `| ${s.title} | ${MARK[s.status]} | ${(s.ms / 1000).toFixed(1)} s | ${s.commands.map((c) => `\`${c}\``).join('<br>') || '—'} | ${s.log ?? '—'} |`,
    ),
    '',
  ];
  for (const s of r.stages.filter((x) => x.detail)) lines.push(`- ${s.title}: ${s.detail}`);
  if (r.defects) {
    lines.push(
      '',
      `## Defect report (unit tests: ${r.defects.tests} tests, ${r.defects.failures} failure(s), ${r.defects.errors} error(s))`,
      '',
      `JUnit XML: \`${r.defects.junit || 'not written'}\`; Markdown: \`${r.defects.markdown || 'not written'}\`.`,
      '',
    );
    if (defectsMd) lines.push(defectsMd.replace(/^# /gm, '### '));
  }
  return `${lines.join('\n')}\n`;
}
