// `asd-lab k8s apply ENV --kubeconfig FILE`: the reference application's overlay applied to a real
// cluster and its rollout awaited. `asd-lab k8s validate`: the offline checks of the synthesized
// Kubernetes stacks. Also the `--k8s` branch of `synth` and `plan` (the Kubernetes stacks of
// stacks/k8s-stack.ts, one per candidate), which cannot be planned here: the kubernetes provider
// is not in the offline provider mirror.
import { join } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { applyEnvironment } from '../../modules/kubernetes/apply.ts';
import { SCHEMA_SOURCE } from '../../modules/kubernetes/schema.ts';
import { mirrorHasKubernetes, validateStackFile, type StackValidation } from '../../modules/kubernetes/stack-validation.ts';
import { cohortOf, globals, printJson, UserError } from '../context.ts';

export interface K8sSynthCliOptions {
  out: string;
  stateDir: string;
  kubeconfigDir?: string;
}

/** Synthesize the Kubernetes stacks into <out>/k8s and validate each one offline. */
export async function synthK8sForCli(cohort: Cohort, opts: K8sSynthCliOptions) {
  const { synthK8sCohort } = await import('../../../stacks/k8s-stack.ts');
  const t0 = performance.now();
  const stacks = await synthK8sCohort(cohort, join(opts.out, 'k8s'), { stateDir: opts.stateDir, kubeconfigDir: opts.kubeconfigDir });
  const synthMs = Math.round(performance.now() - t0);
  const validations: StackValidation[] = [];
  for (const s of stacks) validations.push(await validateStackFile(join(s.dir, 'cdk.tf.json')));
  return { stacks, validations, synthMs };
}

export function printK8sSynth(r: Awaited<ReturnType<typeof synthK8sForCli>>, out: string): number {
  let problems = 0;
  r.stacks.forEach((s, i) => {
    const v = r.validations[i]!;
    console.log(t('k8s.synth.stack', { name: s.name, dir: s.dir, typed: s.typed, manifests: s.manifests.length }));
    for (const m of s.manifests) console.log(t('k8s.synth.fallback', { object: m.object, reason: m.reasons.map((x) => x.replace(/^[^:]+: /, '')).join('; ') }));
    if (v.problems.length === 0) console.log(t('k8s.synth.valid', { objects: v.objects, k8s: SCHEMA_SOURCE.kubernetes }));
    else {
      console.log(t('k8s.synth.invalid', { count: v.problems.length }));
      for (const p of v.problems) console.log(`      ${p}`);
    }
    problems += v.problems.length;
  });
  console.log(t('k8s.synth.done', { count: r.stacks.length, dir: join(out, 'k8s'), ms: r.synthMs }));
  return problems;
}

/** `synth --k8s` and `plan --k8s`. */
export async function runK8sSynth(cmd: Command, opts: K8sSynthCliOptions, plan: boolean): Promise<void> {
  const { cohort } = cohortOf(cmd);
  const r = await synthK8sForCli(cohort, opts);
  const mirror = mirrorHasKubernetes();
  const json = globals(cmd).json ?? false;
  const problems = r.validations.reduce((a, v) => a + v.problems.length, 0);
  if (json) {
    printJson({
      cohort: cohort.cohort, dir: join(opts.out, 'k8s'), synthMs: r.synthMs,
      stacks: r.stacks.map((s, i) => ({ ...s, validation: r.validations[i] })),
      ...(plan ? { plan: { run: false, reason: mirror.present ? 'needs the candidate cluster' : 'hashicorp/kubernetes not in the offline mirror', mirror: mirror.mirror } } : {}),
    });
  } else {
    printK8sSynth(r, opts.out);
  }
  if (problems > 0) throw new UserError(t('k8s.synth.invalidStacks', { count: problems }));
  if (plan) {
    throw new UserError(mirror.present ? t('k8s.plan.needsCluster', { mirror: mirror.mirror }) : t('k8s.plan.notRun', { mirror: mirror.mirror }));
  }
}

interface ApplyCliOptions {
  kubeconfig?: string;
  candidate?: string;
  postgresAddress?: string;
  dbEnv?: string;
  timeout?: string;
}

export function register(program: Command): void {
  const k8s = program.command('k8s').description('the reference application on a Kubernetes cluster (apply) and the offline checks of the Kubernetes stacks');
  k8s.command('apply <env>')
    .description('kubectl apply of the rendered overlay (test|preprod|prod) and wait for the rollout; needs a real cluster')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default $KUBECONFIG)')
    .option('--candidate <id>', 'apply into the candidate\'s namespace <id>-<env> (with -c FILE)')
    .option('--postgres-address <ip>', 'address of the PostgreSQL server (default: the overlay\'s placeholder)')
    .option('--db-env <file>', 'env file (PGDATABASE, PGUSER, PGPASSWORD) from which the Secret asd-db is created; never commit it')
    .option('--timeout <duration>', 'rollout timeout, e.g. 300s', '300s')
    .action(async (env: string, opts: ApplyCliOptions, cmd: Command) => {
      const json = globals(cmd).json ?? false;
      let namespace: string | undefined;
      let host: string | undefined;
      if (opts.candidate) {
        const { cohort } = cohortOf(cmd);
        if (!cohort.candidates.some((c) => c.id === opts.candidate)) throw new UserError(t('k8s.unknownCandidate', { candidate: opts.candidate, cohort: cohort.cohort }));
        namespace = `${opts.candidate}-${env}`;
        host = `${env === 'prod' ? 'api' : `api-${env}`}.${opts.candidate}.${cohort.cohort}.asd-lab.internal`;
      }
      const r = await applyEnvironment({
        env, kubeconfig: opts.kubeconfig ?? process.env.KUBECONFIG ?? '', namespace, host,
        postgresAddress: opts.postgresAddress, dbEnvFile: opts.dbEnv, timeout: opts.timeout,
      }, (title) => { if (!json) console.log(`- ${title}`); });
      if (json) printJson(r);
      else console.log(t('k8s.apply.done', { env: r.env, namespace: r.namespace, ms: r.steps.reduce((a, s) => a + s.ms, 0) }));
    });
  k8s.command('validate')
    .description('synthesize the Kubernetes stacks and validate them offline (schemas, Pod Security); same as synth --k8s')
    .option('-o, --out <dir>', 'directory of the synthesized Terraform JSON', 'cdktf.out')
    .option('--state-dir <dir>', 'root of the local Terraform state files', '.asd-lab/terraform')
    .option('--kubeconfig-dir <dir>', 'directory of the candidates\' kubeconfig files', '.asd-lab/kubeconfig')
    .action(async (opts: K8sSynthCliOptions, cmd: Command) => runK8sSynth(cmd, opts, false));
}
