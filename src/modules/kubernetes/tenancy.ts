// A candidate's share of a Kubernetes cluster, as plain Kubernetes objects (engine-neutral; the
// CDKTF stacks of stacks/k8s-stack.ts turn them into provider resources): for each environment
// (test, preprod, prod) the namespace <candidate>-<env> with the application rendered from
// k8s/overlays/<env>, a ResourceQuota and a LimitRange sized FROM that rendered application, and
// RBAC that lets the candidate (a user and a ServiceAccount) manage the application in their
// three namespaces and nowhere else.
import { isObject, type K8sObject, type Overlay, OVERLAYS } from './render.ts';
import { retarget } from './retarget.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

export const namespaceOf = (candidate: string, env: Overlay) => `${candidate}-${env}`;
/** The candidate's ServiceAccount (pipelines) lives in their test namespace and is bound in all three. */
export const CANDIDATE_SA = 'candidate';
export const CANDIDATE_ROLE = 'candidate';
/** Headroom of the quota over what the application needs at full scale during a rollout. */
export const QUOTA_HEADROOM = 1.5;
const LABELS = (candidate: string) => ({ 'app.kubernetes.io/managed-by': 'asd-lab', 'asd-lab/candidate': candidate });

// ---- quantities ----
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};
/** "250m" -> 0.25, "128Mi" -> 134217728, "1" -> 1. Throws on what Kubernetes would refuse. */
export function parseQuantity(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`"${String(q)}" is not a Kubernetes quantity handled here (e.g. 250m, 1, 128Mi, 5Gi)`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}
/** CPU in millicores ("1500m"), memory and storage in MiB ("384Mi"), rounded up. */
export const formatQuantity = (resource: string, n: number) =>
  resource === 'cpu' ? `${Math.ceil(n * 1000)}m` : `${Math.ceil(n / 1024 ** 2)}Mi`;

// ---- what the application needs ----
export interface AppNeeds {
  /** Pods at the most: HPA maximum (or replicas) plus the rollout surge, per Deployment, summed. */
  pods: number;
  requests: Record<string, number>;
  limits: Record<string, number>;
  /** Storage requested by the claims, in bytes, and their count. */
  storage: number;
  claims: number;
  services: number;
  /** The largest container limit and smallest request, per resource (LimitRange bounds). */
  maxLimit: Record<string, number>;
}

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage'] as const;

export function appNeeds(objects: K8sObject[]): AppNeeds {
  const n: AppNeeds = { pods: 0, requests: {}, limits: {}, storage: 0, claims: 0, services: 0, maxLimit: {} };
  for (const r of RESOURCES) {
    n.requests[r] = 0;
    n.limits[r] = 0;
    n.maxLimit[r] = 0;
  }
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const spec = obj(d.spec);
    const hpa = objects.find(
      (o) => o.kind === 'HorizontalPodAutoscaler' && obj(obj(o.spec).scaleTargetRef).name === d.metadata.name,
    );
    const replicas = hpa ? Number(obj(hpa.spec).maxReplicas) : Number(spec.replicas ?? 1);
    const surge = Number(obj(obj(spec.strategy).rollingUpdate).maxSurge ?? 1);
    const pods = replicas + (Number.isFinite(surge) ? surge : 1);
    n.pods += pods;
    for (const c of [...list(obj(obj(spec.template).spec).containers), ...list(obj(obj(spec.template).spec).initContainers)]) {
      const res = obj(c.resources);
      for (const r of RESOURCES) {
        const req = parseQuantity(obj(res.requests)[r] ?? 0);
        const lim = parseQuantity(obj(res.limits)[r] ?? 0);
        n.requests[r]! += pods * req;
        n.limits[r]! += pods * lim;
        n.maxLimit[r] = Math.max(n.maxLimit[r]!, lim);
      }
    }
  }
  for (const c of objects.filter((o) => o.kind === 'PersistentVolumeClaim')) {
    n.claims += 1;
    n.storage += parseQuantity(obj(obj(obj(c.spec).resources).requests).storage ?? 0);
  }
  n.services = objects.filter((o) => o.kind === 'Service').length;
  return n;
}

export function resourceQuota(namespace: string, candidate: string, needs: AppNeeds): K8sObject {
  const h = (x: number) => x * QUOTA_HEADROOM;
  const hard: Record<string, string> = {
    pods: String(Math.ceil(h(needs.pods))),
    'requests.cpu': formatQuantity('cpu', h(needs.requests.cpu!)),
    'limits.cpu': formatQuantity('cpu', h(needs.limits.cpu!)),
    'requests.memory': formatQuantity('memory', h(needs.requests.memory!)),
    'limits.memory': formatQuantity('memory', h(needs.limits.memory!)),
    'requests.ephemeral-storage': formatQuantity('memory', h(needs.requests['ephemeral-storage']!)),
    'limits.ephemeral-storage': formatQuantity('memory', h(needs.limits['ephemeral-storage']!)),
    persistentvolumeclaims: String(Math.max(1, Math.ceil(h(needs.claims)))),
    'requests.storage': formatQuantity('memory', h(needs.storage)),
    services: String(Math.ceil(h(needs.services))),
    // A candidate's namespace never opens a port on the nodes or buys a cloud load balancer.
    'services.nodeports': '0',
    'services.loadbalancers': '0',
  };
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'candidate-quota', namespace, labels: LABELS(candidate) },
    spec: { hard },
  };
}

export function limitRange(namespace: string, candidate: string, needs: AppNeeds): K8sObject {
  // Defaults for a container that a candidate starts without resources (a debug pod): without
  // them the quota would refuse it. The maximum is twice the largest limit of the application.
  const max = Object.fromEntries(RESOURCES.map((r) => [r, formatQuantity(r, 2 * needs.maxLimit[r]!)]));
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'candidate-limits', namespace, labels: LABELS(candidate) },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '200m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
          defaultRequest: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '32Mi' },
          max,
        },
      ],
    },
  };
}

/**
 * What the candidate may do in their namespaces: manage the application's objects, read events and
 * logs, exec into pods. Not: the namespace itself, ResourceQuota, LimitRange, Roles and
 * RoleBindings (they could raise their own rights or quota); nothing cluster-wide.
 */
export const CANDIDATE_RULES = [
  {
    apiGroups: [''],
    resources: [
      'pods',
      'pods/log',
      'services',
      'endpoints',
      'configmaps',
      'secrets',
      'persistentvolumeclaims',
      'serviceaccounts',
    ],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create', 'get'] },
  { apiGroups: [''], resources: ['events', 'resourcequotas', 'limitranges'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['apps'],
    resources: ['deployments', 'deployments/scale', 'replicasets', 'statefulsets'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['ingresses', 'networkpolicies'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['discovery.k8s.io'],
    resources: ['endpointslices'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
];

export function candidateRbac(candidate: string): K8sObject[] {
  const saNamespace = namespaceOf(candidate, 'test');
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: CANDIDATE_SA, namespace: saNamespace, labels: LABELS(candidate) },
      automountServiceAccountToken: false,
    },
  ];
  for (const env of OVERLAYS) {
    const namespace = namespaceOf(candidate, env);
    out.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: CANDIDATE_ROLE, namespace, labels: LABELS(candidate) },
        rules: structuredClone(CANDIDATE_RULES),
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: CANDIDATE_ROLE, namespace, labels: LABELS(candidate) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: CANDIDATE_ROLE },
        subjects: [
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: candidate },
          { kind: 'ServiceAccount', name: CANDIDATE_SA, namespace: saNamespace },
        ],
      },
    );
  }
  return out;
}

export interface EnvironmentInput {
  env: Overlay;
  /** The rendered overlay k8s/overlays/<env>. */
  rendered: K8sObject[];
}

/** Every object of one candidate: per environment the retargeted application, its quota and limits; then RBAC. */
export function candidateObjects(
  candidate: string,
  envs: EnvironmentInput[],
  opts: { domain: string; postgresAddress?: string },
): Map<Overlay, K8sObject[]> {
  const out = new Map<Overlay, K8sObject[]>();
  for (const { env, rendered } of envs) {
    const namespace = namespaceOf(candidate, env);
    const host = `${env === 'prod' ? 'api' : `api-${env}`}.${candidate}.${opts.domain}`;
    const app = retarget(rendered, { namespace, host, postgresAddress: opts.postgresAddress });
    const needs = appNeeds(app);
    out.set(env, [...app, resourceQuota(namespace, candidate, needs), limitRange(namespace, candidate, needs)]);
  }
  return out;
}

// ---- RBAC evaluation (what the API server's RBAC authorizer would decide, for Roles) ----
export interface Subject {
  kind: 'User' | 'ServiceAccount' | 'Group';
  name: string;
  namespace?: string;
}

const matches = (allowed: unknown, value: string) => Array.isArray(allowed) && (allowed.includes('*') || allowed.includes(value));

/**
 * Would these Roles/RoleBindings (and any ClusterRoles/ClusterRoleBindings among the objects) let
 * the subject do `verb` on `group/resource` in `namespace`? RBAC only adds rights, so a request is
 * allowed when one binding that names the subject points at a rule that matches.
 */
export function rbacAllows(
  objects: K8sObject[],
  who: Subject,
  verb: string,
  group: string,
  resource: string,
  namespace: string,
): boolean {
  const sameSubject = (s: Obj) =>
    s.kind === who.kind && s.name === who.name && (who.kind !== 'ServiceAccount' || s.namespace === who.namespace);
  const roleRules = (ref: Obj, ns: string | undefined): Obj[] => {
    const role = objects.find(
      (o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === ns),
    );
    return role ? list(role.rules) : [];
  };
  const bindings = objects.filter(
    (o) => (o.kind === 'RoleBinding' && o.metadata.namespace === namespace) || o.kind === 'ClusterRoleBinding',
  );
  return bindings.some(
    (b) =>
      list(b.subjects).some(sameSubject) &&
      roleRules(obj(b.roleRef), b.metadata.namespace).some(
        (r) => matches(r.verbs, verb) && matches(r.apiGroups, group) && matches(r.resources, resource),
      ),
  );
}
