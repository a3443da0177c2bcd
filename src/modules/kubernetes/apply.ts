// `asd-lab k8s apply ENV`: the rendered overlay (retargeted to the candidate's namespace when one is
// named) applied with kubectl to a real cluster, then the rollout awaited. Every input is checked
// before anything is sent to the cluster; the steps are listed by applySteps() (pure, tested) and
// run by applyEnvironment().
import { accessSync, constants, statSync } from 'node:fs';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { t } from '../../core/i18n/index.ts';
import { OVERLAYS, overlayDir, renderKustomize, type K8sObject, type Overlay } from './render.ts';
import { retarget } from './retarget.ts';
import { AsdError } from '../../core/errors.ts';

/** Applying an environment to a cluster failed, or its input is unusable (kind 'operation' unless said). */
export class K8sApplyError extends AsdError {}

export interface ApplyInput {
  env: string;
  kubeconfig: string;
  /** Namespace override (<candidate>-<env>); default the overlay's asd-<env>. */
  namespace?: string;
  host?: string;
  postgresAddress?: string;
  /** env file with PGDATABASE, PGUSER, PGPASSWORD: the Secret asd-db is created from it. */
  dbEnvFile?: string;
  /** kubectl rollout status timeout, e.g. "300s". */
  timeout?: string;
  kubectl?: string;
}

// The input checks below are about the command line (an option, a file it names): exit 2.
const USAGE = { kind: 'usage' } as const;

/** Checks that need no cluster; throws K8sApplyError with an actionable message. */
export function checkApplyInput(i: ApplyInput): Overlay {
  if (!(OVERLAYS as readonly string[]).includes(i.env)) throw new K8sApplyError(t('k8s.apply.badEnv', { env: i.env }), USAGE);
  const readable = (f: string) => {
    try {
      accessSync(f, constants.R_OK);
      return statSync(f).isFile();
    } catch {
      // absent or unreadable: the caller's error names the file
      return false;
    }
  };
  if (!i.kubeconfig || !readable(i.kubeconfig))
    throw new K8sApplyError(t('k8s.apply.noKubeconfig', { file: i.kubeconfig || '(none)' }), USAGE);
  if (i.dbEnvFile !== undefined && !readable(i.dbEnvFile))
    throw new K8sApplyError(t('k8s.apply.noDbEnv', { file: i.dbEnvFile }), USAGE);
  if (i.timeout !== undefined && !/^\d+(s|m)$/.test(i.timeout))
    throw new K8sApplyError(t('k8s.apply.badTimeout', { got: i.timeout }), USAGE);
  return i.env as Overlay;
}

export interface ApplyStep {
  id: 'namespace' | 'secret' | 'objects' | 'rollout';
  title: string;
  args: string[];
  /** YAML sent on stdin. */
  input?: string;
}

/** What apply does, in order: namespace first (the Secret must exist before the pods start), the Secret, everything, the rollout. */
export function applySteps(objects: K8sObject[], namespace: string, opts: { dbEnvFile?: string; timeout?: string }): ApplyStep[] {
  const ns = objects.filter((o) => o.kind === 'Namespace');
  const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => `deployment/${o.metadata.name}`);
  const toYaml = (objs: K8sObject[]) => objs.map((o) => stringify(o)).join('---\n');
  const timeout = opts.timeout ?? '300s';
  const steps: ApplyStep[] = [
    { id: 'namespace', title: t('k8s.apply.namespace', { namespace }), args: ['apply', '-f', '-'], input: toYaml(ns) },
  ];
  if (opts.dbEnvFile) {
    steps.push({
      id: 'secret',
      title: t('k8s.apply.secret', { namespace }),
      args: [
        '-n',
        namespace,
        'create',
        'secret',
        'generic',
        'asd-db',
        `--from-env-file=${opts.dbEnvFile}`,
        '--dry-run=client',
        '-o',
        'yaml',
      ],
    });
  }
  steps.push(
    {
      id: 'objects',
      title: t('k8s.apply.objects', { count: objects.length, namespace }),
      args: ['apply', '-f', '-'],
      input: toYaml(objects),
    },
    {
      id: 'rollout',
      title: t('k8s.apply.rollout', { deployments: deployments.join(', '), timeout }),
      args: ['-n', namespace, 'rollout', 'status', ...deployments, `--timeout=${timeout}`],
    },
  );
  return steps;
}

export interface ApplyResult {
  env: Overlay;
  namespace: string;
  steps: { id: string; title: string; ok: boolean; output: string; ms: number }[];
}

/** Render, retarget, then run the steps against the cluster of `kubeconfig`. Stops at the first failure. */
export async function applyEnvironment(i: ApplyInput, onStep: (title: string) => void = () => {}): Promise<ApplyResult> {
  const env = checkApplyInput(i);
  const kubectl = i.kubectl ?? 'kubectl';
  const rendered = await renderKustomize(overlayDir(env), kubectl);
  const objects = retarget(rendered, { namespace: i.namespace, host: i.host, postgresAddress: i.postgresAddress });
  const namespace = objects.find((o) => o.kind === 'Namespace')!.metadata.name;
  const run = (args: string[], input?: string) =>
    execa(kubectl, ['--kubeconfig', i.kubeconfig, ...args], { input, reject: false, all: true });

  // The Secret is needed before the pods start: refuse early when it is neither given nor present.
  if (!i.dbEnvFile) {
    const r = await run(['-n', namespace, 'get', 'secret', 'asd-db', '-o', 'name']);
    if (r.failed) {
      if (/Unable to connect|connection refused|no such host|dial tcp/i.test(r.all ?? '')) {
        throw new K8sApplyError(t('k8s.apply.unreachable', { detail: (r.all ?? '').trim().split('\n')[0] ?? '' }));
      }
      throw new K8sApplyError(t('k8s.apply.noSecret', { namespace }));
    }
  }
  const result: ApplyResult = { env, namespace, steps: [] };
  for (const step of applySteps(objects, namespace, i)) {
    onStep(step.title);
    const t0 = performance.now();
    let r = await run(step.args, step.input);
    // The Secret is rendered client-side (never printed), then applied: idempotent.
    if (step.id === 'secret' && !r.failed) r = await run(['apply', '-f', '-'], r.stdout);
    const ms = Math.round(performance.now() - t0);
    const output = step.id === 'secret' ? '' : (r.all ?? '').trim();
    result.steps.push({ id: step.id, title: step.title, ok: !r.failed, output, ms });
    if (r.failed) {
      throw new K8sApplyError(
        t('k8s.apply.failed', {
          step: step.title,
          code: String(r.exitCode ?? ''),
          detail: step.id === 'secret' ? '' : output.split('\n').slice(-5).join('\n'),
        }),
      );
    }
  }
  return result;
}
