// The parity rule of CP8.1 ("the pre-production environment matches production"): the rendered
// preprod and prod overlays may differ ONLY in replica counts, resources and host names. Both
// sets are compared field by field after the namespace names are made equal; every other
// difference is reported with its path.
import { isObject, type K8sObject } from './render.ts';

export interface Difference {
  /** apiVersion kind/name after namespace normalisation, e.g. "apps/v1 Deployment/api". */
  object: string;
  /** Dotted path; list items with a unique name are addressed as [name=...]. */
  path: string;
  left: unknown;
  right: unknown;
  /** Why the difference is allowed, or undefined when it breaks the rule. */
  allowedAs?: string;
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];

/** The only differences allowed between preprod and prod. */
export const ALLOWED_DIFFERENCES: { kinds: string[]; path: RegExp; as: string }[] = [
  { kinds: ['Deployment', 'StatefulSet', 'ReplicaSet'], path: /^spec\.replicas$/, as: 'replicas' },
  { kinds: ['HorizontalPodAutoscaler'], path: /^spec\.(minReplicas|maxReplicas)$/, as: 'replicas' },
  {
    kinds: WORKLOADS,
    path: /^spec\.template\.spec\.(initContainers|containers)\[name=[^\]]+\]\.resources(\.|$)/,
    as: 'resources',
  },
  { kinds: ['PersistentVolumeClaim'], path: /^spec\.resources\.requests\.storage$/, as: 'resources (volume size)' },
  { kinds: ['Ingress'], path: /^spec\.rules\[\d+\]\.host$/, as: 'host names' },
  { kinds: ['Ingress'], path: /^spec\.tls\[\d+\]\.hosts\[\d+\]$/, as: 'host names' },
];

export const NAMESPACE_PLACEHOLDER = '<namespace>';

/** Replace every string equal to the environment's namespace (metadata.namespace, the Namespace's name...). */
export function normalizeNamespace<T>(v: T, namespace: string): T {
  if (typeof v === 'string') return (v === namespace ? NAMESPACE_PLACEHOLDER : v) as T;
  if (Array.isArray(v)) return v.map((x) => normalizeNamespace(x, namespace)) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeNamespace(x, namespace)])) as T;
  return v;
}

const keyOf = (o: K8sObject) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`;

/** Lists of objects that each carry a distinct string name are compared by name, not position. */
function byName(a: unknown[]): Map<string, unknown> | undefined {
  if (a.length === 0 || !a.every((x) => isObject(x) && typeof x.name === 'string')) return undefined;
  const m = new Map(a.map((x) => [String((x as { name: string }).name), x]));
  return m.size === a.length ? m : undefined;
}

function diffValues(a: unknown, b: unknown, path: string, out: { path: string; left: unknown; right: unknown }[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    const ma = byName(a);
    const mb = byName(b);
    if (ma && mb) {
      for (const name of new Set([...ma.keys(), ...mb.keys()]))
        diffValues(ma.get(name), mb.get(name), `${path}[name=${name}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffValues(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, left: a, right: b });
}

/** Every difference between two rendered environments, each marked allowed or not. */
export function compareEnvironments(
  left: K8sObject[],
  leftNamespace: string,
  right: K8sObject[],
  rightNamespace: string,
): Difference[] {
  const l = new Map(left.map((o) => normalizeNamespace(o, leftNamespace)).map((o) => [keyOf(o), o]));
  const r = new Map(right.map((o) => normalizeNamespace(o, rightNamespace)).map((o) => [keyOf(o), o]));
  const out: Difference[] = [];
  for (const key of [...new Set([...l.keys(), ...r.keys()])].sort()) {
    const a = l.get(key);
    const b = r.get(key);
    if (!a || !b) {
      out.push({ object: key, path: '', left: a ? 'present' : 'absent', right: b ? 'present' : 'absent' });
      continue;
    }
    const raw: { path: string; left: unknown; right: unknown }[] = [];
    diffValues(a, b, '', raw);
    for (const d of raw) {
      const rule = ALLOWED_DIFFERENCES.find((x) => x.kinds.includes(a.kind) && x.path.test(d.path));
      out.push({ object: key, ...d, allowedAs: rule?.as });
    }
  }
  return out;
}

/** The differences that break the rule. */
export function parityViolations(diffs: Difference[]): Difference[] {
  return diffs.filter((d) => d.allowedAs === undefined);
}

export function formatDifference(d: Difference, leftName = 'preprod', rightName = 'prod'): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const where = d.path ? `${d.object}: ${d.path}` : `${d.object}`;
  const tail = d.allowedAs ? ` [allowed: ${d.allowedAs}]` : '';
  return `${where}: ${show(d.left)} (${leftName}) != ${show(d.right)} (${rightName})${tail}`;
}
