// CP8 checks: the platform description of the reference application (k8s/) and, when the candidate
// has a cluster, the application running on it. The description checks need no cluster (the
// overlays are rendered with the kubectl client); the cluster check is not-run, with the reason,
// when there is no kubeconfig for the candidate.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { compareEnvironments, formatDifference, parityViolations } from './parity.ts';
import { restrictedViolations } from './pod-security.ts';
import { OVERLAY_NAMESPACE, OVERLAYS, overlayDir, renderKustomize, type K8sObject, type Overlay } from './render.ts';
import { formatSchemaProblem, SCHEMA_SOURCE, validateSchemas } from './schema.ts';
import { namespaceOf } from './tenancy.ts';
import { labPolicyProblems } from './workload-policy.ts';
import { resolveStateDir } from '../../core/state.ts';
import { openK3s } from '../../targets/aws/cluster.ts';
import type { CheckContext, CheckDefinition, CheckOutcome } from '../../checks/types.ts';

const PATH = 'src/modules/kubernetes/checks.ts';
let rendered: Promise<Record<Overlay, K8sObject[]>> | undefined;

/** The three overlays, rendered once per process (the same for every candidate). */
function renderAll(): Promise<Record<Overlay, K8sObject[]>> {
  rendered ??= Promise.all(OVERLAYS.map(async (o) => [o, await renderKustomize(overlayDir(o))] as const)).then(
    (pairs) => Object.fromEntries(pairs) as Record<Overlay, K8sObject[]>,
  );
  return rendered;
}

async function withRendered(
  f: (r: Record<Overlay, K8sObject[]>) => Promise<CheckOutcome[]> | CheckOutcome[],
): Promise<CheckOutcome[]> {
  let r: Record<Overlay, K8sObject[]>;
  try {
    r = await renderAll();
  } catch (err) {
    rendered = undefined;
    return [{ status: 'not-run', evidence: `k8s/ could not be rendered: ${(err as Error).message}` }];
  }
  return f(r);
}

/** CP8.1: preprod and prod may differ only in replicas, resources and host names. */
export const k8sParity: CheckDefinition = {
  id: 'k8s-preprod-matches-prod',
  criterion: 'CP8.1',
  path: PATH,
  description: 'the rendered preprod and prod overlays differ only in replicas, resources and host names',
  run: () =>
    withRendered((r) => {
      const diffs = compareEnvironments(r.preprod, OVERLAY_NAMESPACE.preprod, r.prod, OVERLAY_NAMESPACE.prod);
      const bad = parityViolations(diffs);
      if (bad.length > 0)
        return [
          {
            status: 'fail',
            evidence: bad
              .slice(0, 5)
              .map((d) => formatDifference(d))
              .join('; '),
          },
        ];
      const allowed = [...new Set(diffs.map((d) => d.allowedAs))].join(', ');
      return [
        {
          status: 'pass',
          evidence: `${r.prod.length} objects compared; ${diffs.length} allowed difference(s) (${allowed || 'none'}), none other`,
        },
      ];
    }),
};

/** CP8.3: every object valid for the pinned Kubernetes version, every workload restricted and sized. */
export const k8sDescribed: CheckDefinition = {
  id: 'k8s-containers-described',
  criterion: 'CP8.3',
  path: PATH,
  description: `every object of the three overlays is valid for Kubernetes ${SCHEMA_SOURCE.kubernetes}, passes Pod Security "restricted" and the lab rules (limits, probes, rollout, PDB)`,
  run: () =>
    withRendered(async (r) => {
      const problems: string[] = [];
      for (const o of OVERLAYS) {
        problems.push(...(await validateSchemas(r[o])).map((p) => `${o}: ${formatSchemaProblem(p)}`));
        problems.push(...restrictedViolations(r[o]).map((p) => `${o}: ${p}`));
        problems.push(...labPolicyProblems(r[o], OVERLAY_NAMESPACE[o]).map((p) => `${o}: ${p}`));
      }
      if (problems.length > 0)
        return [{ status: 'fail', evidence: `${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}` }];
      const count = OVERLAYS.reduce((a, o) => a + r[o].length, 0);
      return [
        {
          status: 'pass',
          evidence: `${count} objects in test, preprod and prod: schemas ${SCHEMA_SOURCE.kubernetes}, Pod Security restricted and lab rules pass`,
        },
      ];
    }),
};

/** The candidate's kubeconfig: $KUBECONFIG, else <state>/kubeconfig/<candidate>.yaml. */
export function kubeconfigOf(candidate: string, env: NodeJS.ProcessEnv = process.env): { file?: string; looked: string[] } {
  const looked = [env.KUBECONFIG, join(resolveStateDir(env), 'kubeconfig', `${candidate}.yaml`)].filter((f): f is string => !!f);
  for (const f of looked) {
    try {
      accessSync(f, constants.R_OK);
      return { file: f, looked };
    } catch {
      /* next */
    }
  }
  return { looked };
}

/**
 * The candidate's cluster for the CP8.4 check. AWS target: the k3s of their k8s server, through the
 * bastion (src/targets/aws/cluster.ts: kubeconfig read over SSH, API through a tunnel). Otherwise the
 * kubeconfig of an external cluster (kubeconfigOf).
 */
async function clusterFor(
  ctx: CheckContext,
): Promise<{ file: string; close: () => Promise<void>; where: string } | { outcome: CheckOutcome }> {
  if (ctx.cohort.target === 'aws') {
    const server = ctx.servers.find((s) => s.role === 'k8s' && s.state === 'running');
    if (!server)
      return { outcome: { status: 'not-run', evidence: 'no cluster: the AWS lab has no running k8s server for this candidate' } };
    try {
      const k = await openK3s(ctx.cohort.cohort, server);
      return { file: k.kubeconfig, close: k.close, where: `k3s on ${server.machine ?? server.name} through the bastion` };
    } catch (err) {
      return { outcome: { status: 'fail', evidence: (err as Error).message } };
    }
  }
  const { file, looked } = kubeconfigOf(ctx.candidate.id);
  if (!file)
    return {
      outcome: { status: 'not-run', evidence: `no cluster: no readable kubeconfig (${looked.join(', ') || 'KUBECONFIG unset'})` },
    };
  return { file, close: async () => {}, where: '' };
}

/** CP8.4: the application is available in the candidate's prod namespace (ready API pods). */
export const k8sAvailable: CheckDefinition = {
  id: 'k8s-app-available-in-prod',
  criterion: 'CP8.4',
  path: PATH,
  description: "on the candidate's cluster, the API and the worker of <candidate>-prod have all their replicas ready",
  run: async (ctx: CheckContext) => {
    const cluster = await clusterFor(ctx);
    if ('outcome' in cluster) return [cluster.outcome];
    try {
      const o = await availability(ctx, cluster.file);
      return [cluster.where ? { ...o, evidence: `${o.evidence} (${cluster.where})` } : o];
    } finally {
      await cluster.close();
    }
  },
};

async function availability(ctx: CheckContext, file: string): Promise<CheckOutcome> {
  const ns = namespaceOf(ctx.candidate.id, 'prod');
  const r = await execa(
    'kubectl',
    [
      '--kubeconfig',
      file,
      '-n',
      ns,
      'get',
      'deployment',
      'api',
      'worker',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas}/{.status.replicas} {end}',
    ],
    { reject: false, timeout: 20_000 },
  );
  if (r.failed)
    return {
      status: 'fail',
      evidence: `kubectl get deployment -n ${ns}: ${(r.stderr || r.stdout || String(r.exitCode)).trim().split('\n')[0]}`,
    };
  const states = r.stdout.trim().split(/\s+/).filter(Boolean);
  const ready = states.every((s) => {
    const m = /=(\d*)\/(\d+)$/.exec(s);
    return !!m && Number(m[1] || 0) >= Number(m[2]) && Number(m[2]) > 0;
  });
  return { status: ready && states.length === 2 ? 'pass' : 'fail', evidence: `${ns}: ${states.join(', ') || 'no deployment'}` };
}

export const KUBERNETES_CHECKS: CheckDefinition[] = [k8sParity, k8sDescribed, k8sAvailable];
