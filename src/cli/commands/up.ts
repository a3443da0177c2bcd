// `asd-lab up`: brings the local lab up (installs prerequisites, image, servers, Ansible, checks).
// Re-running converges; a failure for one candidate does not stop the others.
import type { Command } from 'commander';
import { up } from '../../lifecycle/index.ts';
import type { Accel, Driver } from '../../targets/local/index.ts';
import { candidatesOf, cohortOf, globals, printJson, UsageError } from '../context.ts';
import { listrSink } from '../progress.ts';
import { upJson, upSummary } from '../render.ts';

interface UpOpts {
  candidate?: string;
  driver?: Driver;
  accel?: Accel;
  verify: boolean;
}

export function register(program: Command): void {
  program
    .command('up')
    .description('bring the lab up on this machine (local target): image, servers, Ansible, checks')
    .option('--candidate <id>', 'only this candidate')
    .option('--driver <driver>', "container | vm (default: the cohort's local.driver)")
    .option('--accel <accel>', 'vm driver: auto | kvm | tcg', 'auto')
    .option('--no-verify', 'skip the performance-criterion checks at the end')
    .action(async (opts: UpOpts, cmd: Command) => {
      const g = globals(cmd);
      const { cohort, file } = cohortOf(cmd, { expired: 'refuse' });
      candidatesOf(cohort, opts.candidate);
      if (opts.driver && !['container', 'vm'].includes(opts.driver))
        throw new UsageError(`--driver: container | vm, got "${opts.driver}"`);
      const result = await up(cohort, {
        candidate: opts.candidate,
        driver: opts.driver,
        accel: opts.accel,
        verify: opts.verify,
        progress: listrSink({ json: g.json }),
      });
      if (g.json) printJson(upJson(result));
      else for (const line of upSummary(result, file)) console.log(line);
      if (!result.ok) process.exitCode = 1;
    });
}
