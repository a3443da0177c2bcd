// One CDKTF stack per candidate on their Kubernetes cluster, with @cdktf/provider-kubernetes
// (hashicorp/kubernetes 2.38.0): namespaces <candidate>-test/-preprod/-prod, each with the
// reference application rendered from k8s/overlays/<env> (the SAME description as `kubectl apply
// -k`, retargeted by src/modules/kubernetes/retarget.ts; nothing is copied by hand), a ResourceQuota and a
// LimitRange sized from that application, and RBAC giving the candidate rights in their three
// namespaces only (src/modules/kubernetes/tenancy.ts).
//
// Every object becomes the provider's typed resource (kubernetes_deployment_v1...) when that
// resource can express it exactly (src/modules/kubernetes/provider-schema.ts checks each field against the
// provider's schema); otherwise it becomes a kubernetes_manifest carrying the object verbatim, and
// the stack's output `manifest_fallbacks` says which and why. Nothing is silently dropped.
//
// These stacks are NOT planned offline: the kubernetes provider talks to the candidate's cluster
// (kubeconfig) and it is not in the offline provider mirror. Tests validate the synthesized JSON.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  App,
  LocalBackend,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
  type TerraformResource,
} from 'cdktf';
import type { Construct, Node } from 'constructs';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1/index.js';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1/index.js';
import { EndpointSliceV1 } from '@cdktf/provider-kubernetes/lib/endpoint-slice-v1/index.js';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2/index.js';
import { IngressV1 } from '@cdktf/provider-kubernetes/lib/ingress-v1/index.js';
import { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1/index.js';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1/index.js';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1/index.js';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1/index.js';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1/index.js';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1/index.js';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1/index.js';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1/index.js';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { formatMappingProblem, toProvider } from '../src/modules/kubernetes/provider-schema.ts';
import { OVERLAYS, overlayDir, renderKustomize, type K8sObject, type Overlay } from '../src/modules/kubernetes/render.ts';
import { candidateObjects, candidateRbac } from '../src/modules/kubernetes/tenancy.ts';
import { t } from '../src/core/i18n/index.ts';
import type { Cohort } from '../src/core/model/cohort.ts';
import { AsdError } from '../src/core/errors.ts';

type ResourceClass = new (scope: Construct, id: string, config: never) => TerraformResource;
const CLASSES: Record<string, ResourceClass> = Object.fromEntries(
  Object.entries({
    ConfigMapV1,
    DeploymentV1,
    EndpointSliceV1,
    HorizontalPodAutoscalerV2,
    IngressV1,
    LimitRangeV1,
    NamespaceV1,
    NetworkPolicyV1,
    PersistentVolumeClaimV1,
    PodDisruptionBudgetV1,
    ResourceQuotaV1,
    RoleBindingV1,
    RoleV1,
    ServiceAccountV1,
    ServiceV1,
  }).map(([k, v]) => [k, v as unknown as ResourceClass]),
);

/** Terraform behaviour the typed resources need here (not Kubernetes fields). */
const TERRAFORM_SETTINGS: Record<string, Record<string, unknown>> = {
  // The pods cannot become ready before the deploy step has created the Secret asd-db; the rollout
  // is awaited by `asd-lab k8s apply` (kubectl rollout status), not by terraform apply.
  'deployment-v1': { waitForRollout: false },
  // local-path binds on first consumer: waiting for the claim to bind would block the apply.
  'persistent-volume-claim-v1': { waitUntilBound: false },
};

export const DEFAULT_KUBECONFIG_DIR = '.asd-lab/kubeconfig';
export const DEFAULT_DOMAIN = 'asd-lab.internal';

export interface K8sStackInfo {
  name: string;
  kind: 'kubernetes';
  candidate: string;
  dir: string;
  /** Objects written as typed resources and as kubernetes_manifest (with the reason). */
  typed: number;
  manifests: { object: string; reasons: string[] }[];
}

export interface K8sSynthOptions {
  stateDir?: string;
  /** Directory of the candidates' kubeconfig files (<dir>/<candidate>.yaml), default .asd-lab/kubeconfig. */
  kubeconfigDir?: string;
  /** Per candidate, the IPv4 address of their PostgreSQL server; the overlays' placeholder otherwise. */
  postgresAddresses?: Record<string, string>;
  domain?: string;
  /** Rendered overlays (tests pass them to avoid rendering again); rendered with kubectl otherwise. */
  rendered?: Record<Overlay, K8sObject[]>;
}

const idOf = (env: string, o: K8sObject) => `${env}_${o.kind.toLowerCase()}_${o.metadata.name.replace(/[^a-zA-Z0-9]/g, '_')}`;

export class K8sCandidateStack extends TerraformStack {
  readonly typed: number;
  readonly manifests: { object: string; reasons: string[] }[] = [];

  constructor(
    scope: Construct,
    name: string,
    props: {
      cohort: string;
      candidate: string;
      objects: Map<Overlay, K8sObject[]>;
      rbac: K8sObject[];
      stateDir: string;
      kubeconfig: string;
    },
  ) {
    super(scope, name);
    new LocalBackend(this, { path: join(props.stateDir, name, 'terraform.tfstate') });
    const kubeconfig = new TerraformVariable(this, 'kubeconfig', {
      type: 'string',
      default: props.kubeconfig,
      description: `kubeconfig of ${props.candidate}'s cluster (written by the k8s node's Ansible role)`,
    });
    new KubernetesProvider(this, 'kubernetes', { configPath: kubeconfig.stringValue });
    let typed = 0;
    const add = (id: string, o: K8sObject, dependsOn: TerraformResource[]): TerraformResource => {
      const { resource, problems } = toProvider(o);
      if (resource && problems.length === 0) {
        typed += 1;
        const Cls = CLASSES[resource.className];
        if (!Cls) throw new Error(`no binding imported for ${resource.className}`);
        return new Cls(this, id, { ...resource.config, ...TERRAFORM_SETTINGS[resource.folder], dependsOn } as never);
      }
      this.manifests.push({
        object: `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`,
        reasons: problems.map(formatMappingProblem),
      });
      return new Manifest(this, id, { manifest: o as unknown as Record<string, unknown>, dependsOn });
    };

    const namespaces = new Map<Overlay, TerraformResource>();
    for (const [env, objects] of props.objects) {
      const ns = objects.find((o) => o.kind === 'Namespace');
      if (!ns) throw new Error(`the ${env} overlay renders no Namespace`);
      const nsRes = add(idOf(env, ns), ns, []);
      namespaces.set(env, nsRes);
      // Quota and limits first, so that they apply to every pod; then everything else.
      const guards = objects
        .filter((o) => o.kind === 'ResourceQuota' || o.kind === 'LimitRange')
        .map((o) => add(idOf(env, o), o, [nsRes]));
      const rest = objects
        .filter((o) => !['Namespace', 'ResourceQuota', 'LimitRange', 'Deployment'].includes(o.kind))
        .map((o) => add(idOf(env, o), o, [nsRes, ...guards]));
      for (const d of objects.filter((o) => o.kind === 'Deployment')) add(idOf(env, d), d, [nsRes, ...guards, ...rest]);
    }
    for (const o of props.rbac) {
      const env = OVERLAYS.find((e) => o.metadata.namespace === `${props.candidate}-${e}`)!;
      add(idOf(`rbac_${env}`, o), o, [namespaces.get(env)!]);
    }
    this.typed = typed;
    new TerraformOutput(this, 'namespaces', { value: [...props.objects.keys()].map((e) => `${props.candidate}-${e}`) });
    new TerraformOutput(this, 'manifest_fallbacks', {
      value: this.manifests,
      description:
        'objects written as kubernetes_manifest because the typed resource of hashicorp/kubernetes cannot express them exactly',
    });
  }

  /** Readable addresses (kubernetes_deployment_v1.prod_deployment_api), as in the AWS stacks. */
  protected override allocateLogicalId(el: TerraformElement | Node): string {
    const scopes = (TerraformElement.isTerraformElement(el) ? el.node : el).scopes;
    return scopes
      .slice(scopes.indexOf(this) + 1)
      .map((c) => c.node.id)
      .join('_');
  }
}

/** Bad input for the Kubernetes stacks, every problem at once: kind 'user'. */
export class K8sInputError extends AsdError {
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'), { kind: 'usage', problems }); // the cohort does not fit the Kubernetes stacks
  }
}

/** Render the overlays once, then synthesize one stack per candidate into outDir/stacks/<cohort>-k8s-<candidate>/. */
export async function synthK8sCohort(cohort: Cohort, outDir: string, opts: K8sSynthOptions = {}): Promise<K8sStackInfo[]> {
  if (!cohort.modules.kubernetes) throw new K8sInputError([t('k8s.modulesOff', { cohort: cohort.cohort })]);
  const unknown = Object.keys(opts.postgresAddresses ?? {}).filter((id) => !cohort.candidates.some((c) => c.id === id));
  if (unknown.length > 0)
    throw new K8sInputError(unknown.map((id) => t('k8s.postgresUnknownCandidate', { candidate: id, cohort: cohort.cohort })));
  const rendered =
    opts.rendered ??
    (Object.fromEntries(
      await Promise.all(OVERLAYS.map(async (o) => [o, await renderKustomize(overlayDir(o))] as const)),
    ) as Record<Overlay, K8sObject[]>);
  const out = resolve(outDir);
  const stateDir = resolve(opts.stateDir ?? '.asd-lab/terraform');
  const kubeconfigDir = resolve(opts.kubeconfigDir ?? DEFAULT_KUBECONFIG_DIR);
  mkdirSync(out, { recursive: true });
  const app = new App({ outdir: out, stackTraces: false });
  const stacks: { stack: K8sCandidateStack; info: Omit<K8sStackInfo, 'typed' | 'manifests'> }[] = [];
  for (const cand of cohort.candidates) {
    const name = `${cohort.cohort}-k8s-${cand.id}`;
    const objects = candidateObjects(
      cand.id,
      OVERLAYS.map((env) => ({ env, rendered: rendered[env] })),
      {
        domain: `${cohort.cohort}.${opts.domain ?? DEFAULT_DOMAIN}`,
        postgresAddress: opts.postgresAddresses?.[cand.id],
      },
    );
    const stack = new K8sCandidateStack(app, name, {
      cohort: cohort.cohort,
      candidate: cand.id,
      objects,
      rbac: candidateRbac(cand.id),
      stateDir,
      kubeconfig: join(kubeconfigDir, `${cand.id}.yaml`),
    });
    stacks.push({ stack, info: { name, kind: 'kubernetes', candidate: cand.id, dir: join(out, 'stacks', name) } });
  }
  app.synth();
  return stacks.map(({ stack, info }) => ({ ...info, typed: stack.typed, manifests: stack.manifests }));
}
