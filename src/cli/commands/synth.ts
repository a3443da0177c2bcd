// `asd-lab synth`: write the Terraform JSON of every AWS stack of the cohort; creates nothing.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { cohortOf, globals, printJson, UserError } from '../context.ts';
import { runK8sSynth } from './k8s.ts';

export interface AwsStackOptions {
  stateDir: string;
  ami?: string;
}

/** The stacks module pulls in cdktf: load it only for the commands that synthesize. */
export async function synthForCli(cohort: Cohort, outDir: string, opts: AwsStackOptions) {
  if (cohort.target !== 'aws') throw new UserError(t('cli.targetLocalNoStacks', { cohort: cohort.cohort }));
  const { synthCohort } = await import('../../../stacks/index.ts');
  return synthCohort(cohort, outDir, { stateDir: opts.stateDir, amiId: opts.ami });
}

/** Options shared by synth and plan. */
export function awsStackOptions(cmd: Command): Command {
  return cmd
    .option('-o, --out <dir>', 'directory of the synthesized Terraform JSON', 'cdktf.out')
    .option('--state-dir <dir>', 'root of the local Terraform state files (never commit it)', '.asd-lab/terraform')
    .option('--ami <id>', 'Debian 12 amd64 AMI id of the region (default: $ASD_LAB_AMI, else the pinned map of stacks/ami.ts)');
}

export function register(program: Command): void {
  awsStackOptions(program.command('synth').description('write the Terraform JSON of every AWS stack of the cohort; creates nothing'))
    .option('--k8s', 'the Kubernetes stacks instead (one per candidate, into <out>/k8s), validated offline')
    .option('--kubeconfig-dir <dir>', 'with --k8s: directory of the candidates\' kubeconfig files', '.asd-lab/kubeconfig')
    .action(async (opts: AwsStackOptions & { out: string; k8s?: boolean; kubeconfigDir?: string }, cmd: Command) => {
      if (opts.k8s) return runK8sSynth(cmd, opts, false);
      const { cohort } = cohortOf(cmd);
      const stacks = await synthForCli(cohort, opts.out, opts);
      if (globals(cmd).json) {
        printJson({ cohort: cohort.cohort, dir: opts.out, stacks });
        return;
      }
      for (const s of stacks) console.log(t('cli.synth.stack', { name: s.name, kind: s.kind, dir: s.dir }));
      console.log(t('cli.synth.done', { count: stacks.length, dir: opts.out }));
    });
}
