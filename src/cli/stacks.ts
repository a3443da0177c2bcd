// The AWS stacks as `synth` and `plan` load them: cdktf is pulled in only by the commands that
// synthesize (stacks/ is its only importer).
import type { Command } from 'commander';
import { t } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { UsageError } from './context.ts';

export interface AwsStackOptions {
  stateDir: string;
  ami?: string;
}

/** The stacks module pulls in cdktf: load it only for the commands that synthesize. */
export async function synthForCli(cohort: Cohort, outDir: string, opts: AwsStackOptions) {
  if (cohort.target !== 'aws') throw new UsageError(t('cli.targetLocalNoStacks', { cohort: cohort.cohort }));
  const { synthCohort } = await import('../../stacks/index.ts');
  return synthCohort(cohort, outDir, { stateDir: opts.stateDir, amiId: opts.ami });
}

/** Options shared by synth and plan. */
export function awsStackOptions(cmd: Command): Command {
  return cmd
    .option('-o, --out <dir>', t('cmd.stacks.opt.out'), 'cdktf.out')
    .option('--state-dir <dir>', t('cmd.stacks.opt.stateDir'), '.asd-lab/terraform')
    .option('--ami <id>', t('cmd.stacks.opt.ami'));
}
