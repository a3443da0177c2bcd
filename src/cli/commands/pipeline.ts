// `asd-lab pipeline run [--until STAGE] [--approve] [--version v1|v2] [--candidate ID]`: the CI/CD
// stages run on this machine, with a run report; `asd-lab pipeline generate [--check]`: writes (or
// checks) .gitlab-ci.yml and .github/workflows/lab-pipeline.yml from src/modules/pipeline/definition.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { resolveStateDir, statePaths } from '../../core/state.ts';
import type { Requirement } from '../../modules/pipeline/definition.ts';
import { GENERATED, staleFiles } from '../../modules/pipeline/generate.ts';
import { runPipeline } from '../../modules/pipeline/run.ts';
import { cohortOf, globals, printJson, UsageError } from '../context.ts';

/**
 * Is the npm script or the asd-lab subcommand there? Read from package.json and from the command
 * tree itself (`program`: the root command, reached from the running command's parents).
 */
export async function requirementMissing(r: Requirement, program: Command): Promise<string | undefined> {
  if ('npmScript' in r) {
    const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    return pkg.scripts?.[r.npmScript] ? undefined : t('pipeline.noScript', { script: r.npmScript });
  }
  let cmd: Command | undefined = program;
  for (const [i, name] of r.cli.entries()) {
    cmd = cmd.commands.find((c) => c.name() === name);
    if (!cmd) return t('pipeline.noCommand', { command: r.cli.slice(0, i + 1).join(' ') });
  }
  // The program's global options (src/cli/main.ts) are accepted after any subcommand.
  const known = [...cmd.options.flatMap((o) => [o.long, o.short]), '-c', '--cohort', '--json', '--lang'].filter(Boolean);
  const unknown = (r.options ?? []).filter((o) => !known.includes(o));
  return unknown.length > 0 ? t('pipeline.noOption', { command: r.cli.join(' '), options: unknown.join(', ') }) : undefined;
}

/** The root of the command tree a command belongs to. */
function rootOf(cmd: Command): Command {
  let root = cmd;
  while (root.parent) root = root.parent;
  return root;
}

interface RunCliOptions {
  candidate?: string;
  until?: string;
  approve?: boolean;
  version: string;
  reportDir?: string;
}

export function register(program: Command): void {
  const pipeline = program.command('pipeline').description(t('cmd.pipeline.description'));
  pipeline
    .command('run')
    .description(t('cmd.pipeline.run.description'))
    .option('--candidate <id>', t('cmd.pipeline.run.opt.candidate'))
    .option('--until <stage>', t('cmd.pipeline.run.opt.until'))
    .option('--approve', t('cmd.pipeline.run.opt.approve'))
    .option('--version <v>', t('cmd.pipeline.run.opt.version'), 'v1')
    .option('--report-dir <dir>', t('cmd.pipeline.run.opt.reportDir'))
    .action(async (opts: RunCliOptions, cmd: Command) => {
      const g = globals(cmd);
      const labArgs: string[] = [];
      const cohortArgs: string[] = [];
      if (g.cohort || opts.candidate) {
        const { cohort, file } = cohortOf(cmd);
        if (opts.candidate && !cohort.candidates.some((c) => c.id === opts.candidate)) {
          throw new UsageError(t('k8s.unknownCandidate', { candidate: opts.candidate, cohort: cohort.cohort }));
        }
        if (g.cohort) {
          labArgs.push('-c', file);
          cohortArgs.push('-c', file);
        }
        if (opts.candidate) labArgs.push('--candidate', opts.candidate);
      }
      if (!/^v\d+$/.test(opts.version)) throw new UsageError(t('pipeline.badVersion', { got: opts.version }));
      const reportDir =
        opts.reportDir ?? join(statePaths(resolveStateDir()).pipelineRuns, new Date().toISOString().replace(/[:.]/g, '-'));
      const report = await runPipeline({
        until: opts.until,
        approve: opts.approve,
        version: opts.version,
        labArgs,
        cohortArgs,
        reportDir,
        requirementMissing: (r) => requirementMissing(r, rootOf(cmd)),
        renderer: g.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple',
      });
      if (g.json) printJson(report);
      else {
        console.log(report.message);
        if (report.defects?.markdown) console.log(t('pipeline.defects', { file: join(report.reportDir, 'defects.md') }));
        console.log(
          t('pipeline.report', {
            json: join(report.reportDir, 'pipeline-run.json'),
            md: join(report.reportDir, 'pipeline-run.md'),
          }),
        );
      }
      if (report.result === 'failed') process.exitCode = 1;
    });
  pipeline
    .command('generate')
    .description(t('cmd.pipeline.generate.description'))
    .option('--check', t('cmd.pipeline.generate.opt.check'))
    .action((opts: { check?: boolean }) => {
      if (opts.check) {
        const stale = staleFiles();
        for (const [f] of GENERATED)
          console.log(stale.includes(f) ? t('pipeline.stale', { file: f }) : t('pipeline.upToDate', { file: f }));
        if (stale.length > 0) process.exitCode = 1;
        return;
      }
      for (const [f, gen] of GENERATED) {
        const path = resolve(REPO_ROOT, f);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, gen());
        console.log(t('pipeline.generated', { file: f }));
      }
    });
}
