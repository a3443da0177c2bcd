// `asd-lab synth`: write the Terraform JSON of every AWS stack of the cohort; creates nothing.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { cohortOf, globals, printJson } from '../context.ts';
import { runK8sSynth } from '../k8s-stacks.ts';
import { awsStackOptions, synthForCli, type AwsStackOptions } from '../stacks.ts';

export function register(program: Command): void {
  awsStackOptions(program.command('synth').description(t('cmd.synth.description')))
    .option('--k8s', t('cmd.synth.opt.k8s'))
    .option('--kubeconfig-dir <dir>', t('cmd.synth.opt.kubeconfigDir'), '.asd-lab/kubeconfig')
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
