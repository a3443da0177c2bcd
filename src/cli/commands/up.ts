// `asd-lab up`: brings the local lab up (installs prerequisites, image, servers, Ansible, checks).
// Re-running converges; a failure for one candidate does not stop the others.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { planUp, up } from '../../lifecycle/index.ts';
import type { Accel, Driver } from '../../targets/local/index.ts';
import { candidatesOf, cohortOf, globals, printJson, sayCohortFile, UsageError } from '../context.ts';
import { listrSink } from '../progress.ts';
import { upJson, upPlanLines, upSummary } from '../render.ts';

interface UpOpts {
  candidate?: string;
  driver?: Driver;
  accel?: Accel;
  verify: boolean;
  wait?: boolean;
  dryRun?: boolean;
  converge?: boolean;
  concurrency?: string;
  ami?: string;
}

export function register(program: Command): void {
  program
    .command('up')
    .description(t('cmd.up.description'))
    .option('--candidate <id>', t('cmd.up.opt.candidate'))
    .option('--driver <driver>', t('cmd.up.opt.driver'))
    .option('--accel <accel>', t('cmd.up.opt.accel'), 'auto')
    .option('--no-verify', t('cmd.up.opt.noVerify'))
    .option('--dry-run', t('cmd.up.opt.dryRun'))
    .option('--converge', t('cmd.up.opt.converge'))
    .option('--concurrency <n>', t('cmd.up.opt.concurrency'))
    .option('--wait', t('cmd.lock.opt.wait'))
    .option('--ami <id>', t('cmd.up.opt.ami'))
    .action(async (opts: UpOpts, cmd: Command) => {
      const g = globals(cmd);
      const loaded = cohortOf(cmd, { expired: 'refuse' });
      const { cohort, file } = loaded;
      sayCohortFile(loaded, g.json);
      candidatesOf(cohort, opts.candidate);
      if (opts.driver && !['container', 'vm'].includes(opts.driver))
        throw new UsageError(t('up.badDriver', { got: opts.driver }));
      const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1))
        throw new UsageError(t('up.badConcurrency', { got: opts.concurrency ?? '' }));
      if (opts.dryRun) {
        const plan = await planUp(cohort, { candidate: opts.candidate, driver: opts.driver, verify: opts.verify });
        if (g.json) printJson(plan);
        else for (const line of upPlanLines(plan)) console.log(line);
        return;
      }
      const result = await up(cohort, {
        candidate: opts.candidate,
        driver: opts.driver,
        accel: opts.accel,
        verify: opts.verify,
        wait: opts.wait,
        converge: opts.converge,
        concurrency,
        progress: listrSink({ json: g.json }),
        aws: { ami: opts.ami, cohortFile: file, cohortText: existsSync(file) ? readFileSync(file, 'utf8') : undefined },
      });
      if (g.json) printJson(upJson(result));
      else for (const line of upSummary(result, file)) console.log(line);
      if (!result.ok) process.exitCode = 1;
    });
}
