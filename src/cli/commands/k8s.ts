import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
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
  const k8s = program
    .command('k8s')
    .description('the reference application on a Kubernetes cluster (apply) and the offline checks of the Kubernetes stacks');
  k8s
    .command('apply <env>')
    .description('kubectl apply of the rendered overlay (test|preprod|prod) and wait for the rollout; needs a real cluster')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG)')
    .option('--candidate <id>', "apply into the candidate's namespace <id>-<env> (with -c FILE)")
    .option('--postgres-address <ip>', "address of the PostgreSQL server (default: the overlay's placeholder)")
    .option(
      '--db-env <file>',
      'env file (PGDATABASE, PGUSER, PGPASSWORD) from which the Secret asd-db is created; never commit it',
    )
    .option('--timeout <duration>', 'rollout timeout, e.g. 300s', '300s')
    .action(async (env: string, opts: ApplyCliOptions, cmd: Command) => {
      const json = globals(cmd).json ?? false;
      let namespace: string | undefined;
      let host: string | undefined;
      if (opts.candidate) {
        const { cohort } = cohortOf(cmd);
        if (!cohort.candidates.some((c) => c.id === opts.candidate))
          throw new UsageError(t('k8s.unknownCandidate', { candidate: opts.candidate, cohort: cohort.cohort }));
        namespace = `${opts.candidate}-${env}`;
        host = `${env === 'prod' ? 'api' : `api-${env}`}.${opts.candidate}.${cohort.cohort}.asd-lab.internal`;
      }
      const r = await applyEnvironment(
        {
          env,
          kubeconfig: opts.kubeconfig ?? process.env.KUBECONFIG ?? '',
          namespace,
          host,
          postgresAddress: opts.postgresAddress,
          dbEnvFile: opts.dbEnv,
          timeout: opts.timeout,
        },
        (title) => {
          if (!json) console.log(`- ${title}`);
        },
      );
      if (json) printJson(r);
      else console.log(t('k8s.apply.done', { env: r.env, namespace: r.namespace, ms: r.steps.reduce((a, s) => a + s.ms, 0) }));
    });
  k8s
    .command('validate')
    .description('synthesize the Kubernetes stacks and validate them offline (schemas, Pod Security); same as synth --k8s')
    .option('-o, --out <dir>', 'directory of the synthesized Terraform JSON', 'cdktf.out')
    .option('--state-dir <dir>', 'root of the local Terraform state files', '.asd-lab/terraform')
    .option('--kubeconfig-dir <dir>', "directory of the candidates' kubeconfig files", '.asd-lab/kubeconfig')
    .action(async (opts: K8sSynthCliOptions, cmd: Command) => runK8sSynth(cmd, opts, false));
}
