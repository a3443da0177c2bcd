// The Kubernetes stacks of stacks/k8s-stack.ts (one per candidate) as `synth --k8s` and
// `plan --k8s` run them: synthesized, validated offline, never planned here (the kubernetes provider
// is not in the offline provider mirror).
import { join } from 'node:path';
import type { Command } from 'commander';
import { t } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { SCHEMA_SOURCE } from '../modules/kubernetes/schema.ts';
import { mirrorHasKubernetes, validateStackFile, type StackValidation } from '../modules/kubernetes/stack-validation.ts';
import { cohortOf, globals, printJson, UserError } from './context.ts';

export interface K8sSynthCliOptions {
  out: string;
  stateDir: string;
  kubeconfigDir?: string;
}

/** Synthesize the Kubernetes stacks into <out>/k8s and validate each one offline. */
export async function synthK8sForCli(cohort: Cohort, opts: K8sSynthCliOptions) {
  const { synthK8sCohort } = await import('../../stacks/k8s-stack.ts');
  const t0 = performance.now();
  const stacks = await synthK8sCohort(cohort, join(opts.out, 'k8s'), {
    stateDir: opts.stateDir,
    kubeconfigDir: opts.kubeconfigDir,
  });
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
    for (const m of s.manifests)
      console.log(
        t('k8s.synth.fallback', { object: m.object, reason: m.reasons.map((x) => x.replace(/^[^:]+: /, '')).join('; ') }),
      );
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
      cohort: cohort.cohort,
      dir: join(opts.out, 'k8s'),
      synthMs: r.synthMs,
      stacks: r.stacks.map((s, i) => ({ ...s, validation: r.validations[i] })),
      ...(plan
        ? {
            plan: {
              run: false,
              reason: mirror.present ? 'needs the candidate cluster' : 'hashicorp/kubernetes not in the offline mirror',
              mirror: mirror.mirror,
            },
          }
        : {}),
    });
  } else {
    printK8sSynth(r, opts.out);
  }
  if (problems > 0) throw new UserError(t('k8s.synth.invalidStacks', { count: problems }));
  if (plan) {
    throw new UserError(
      mirror.present ? t('k8s.plan.needsCluster', { mirror: mirror.mirror }) : t('k8s.plan.notRun', { mirror: mirror.mirror }),
    );
  }
}
