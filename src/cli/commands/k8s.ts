import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { applyOnAws } from '../../lifecycle/index.ts';
import { applyEnvironment } from '../../modules/kubernetes/apply.ts';
import { cohortOf, globals, printJson, UsageError } from '../context.ts';
import { runK8sSynth, type K8sSynthCliOptions } from '../k8s-stacks.ts';

interface ApplyCliOptions {
  kubeconfig?: string;
  candidate?: string;
  postgresAddress?: string;
  dbEnv?: string;
  timeout?: string;
}

export function register(program: Command): void {
  const k8s = program.command('k8s').description(t('cmd.k8s.description'));
  k8s
    .command('apply <env>')
    .description(t('cmd.k8s.apply.description'))
    .option('--kubeconfig <file>', t('cmd.k8s.apply.opt.kubeconfig'))
    .option('--candidate <id>', t('cmd.k8s.apply.opt.candidate'))
    .option('--postgres-address <ip>', t('cmd.k8s.apply.opt.postgresAddress'))
    .option('--db-env <file>', t('cmd.k8s.apply.opt.dbEnv'))
    .option('--timeout <duration>', t('cmd.k8s.apply.opt.timeout'), '300s')
    .action(async (env: string, opts: ApplyCliOptions, cmd: Command) => {
      const json = globals(cmd).json ?? false;
      let namespace: string | undefined;
      let host: string | undefined;
      let aws: Cohort | undefined;
      if (opts.candidate) {
        const { cohort } = cohortOf(cmd);
        if (cohort.target === 'aws') aws = cohort;
        if (!cohort.candidates.some((c) => c.id === opts.candidate))
          throw new UsageError(t('k8s.unknownCandidate', { candidate: opts.candidate, cohort: cohort.cohort }));
        namespace = `${opts.candidate}-${env}`;
        host = `${env === 'prod' ? 'api' : `api-${env}`}.${opts.candidate}.${cohort.cohort}.asd-lab.internal`;
      }
      const input = { env, namespace, host, postgresAddress: opts.postgresAddress, dbEnvFile: opts.dbEnv, timeout: opts.timeout };
      const onStep = (title: string) => {
        if (!json) console.log(`- ${title}`);
      };
      // AWS target: the candidate's own k3s through the bastion, unless a kubeconfig is named.
      const r =
        aws && opts.candidate && !opts.kubeconfig
          ? await applyOnAws(aws, opts.candidate, input, onStep)
          : await applyEnvironment({ ...input, kubeconfig: opts.kubeconfig ?? process.env.KUBECONFIG ?? '' }, onStep);
      if (json) printJson(r);
      else console.log(t('k8s.apply.done', { env: r.env, namespace: r.namespace, ms: r.steps.reduce((a, s) => a + s.ms, 0) }));
    });
  k8s
    .command('validate')
    .description(t('cmd.k8s.validate.description'))
    .option('-o, --out <dir>', t('cmd.k8s.validate.opt.out'), 'cdktf.out')
    .option('--state-dir <dir>', t('cmd.k8s.validate.opt.stateDir'), '.asd-lab/terraform')
    .option('--kubeconfig-dir <dir>', t('cmd.k8s.validate.opt.kubeconfigDir'), '.asd-lab/kubeconfig')
    .action(async (opts: K8sSynthCliOptions, cmd: Command) => runK8sSynth(cmd, opts, false));
}
