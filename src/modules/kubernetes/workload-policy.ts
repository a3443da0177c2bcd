// What asd-lab requires of the reference application's manifests, beyond the API schema and Pod
// Security: sized and probed containers, safe rollouts, a disruption budget per Deployment, no
// committed secret, default-deny networking, explicit storage. Each rule returns readable
// problems ("Kind/name: path: what is wrong"); an empty list means the rendered set complies.
import { isObject, objectId, type K8sObject } from './render.ts';
import { podTemplates } from './pod-security.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const strMap = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, String(x)]));

export const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'] as const;
export const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
const SECRET_LIKE = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY/i;

/** Does a label selector (matchLabels + matchExpressions) select these labels? */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const s = obj(selector);
  const ml = strMap(s.matchLabels);
  const exprs = list(s.matchExpressions);
  if (Object.keys(ml).length === 0 && exprs.length === 0) return true;
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return exprs.every((e) => {
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    switch (e.operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}

/** Every container: requests and limits for cpu, memory and ephemeral-storage; regular containers: the three probes. */
export function containerProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const { object, spec, base } of podTemplates(objects)) {
    const id = objectId(object);
    for (const field of ['initContainers', 'containers'] as const) {
      list(spec[field]).forEach((c, i) => {
        const path = `${base}.${field}[${i}]`;
        const res = obj(c.resources);
        for (const kind of ['requests', 'limits'] as const) {
          for (const r of RESOURCE_NAMES) {
            if (obj(res[kind])[r] === undefined) out.push(`${id}: ${path}.resources.${kind}.${r} is missing`);
          }
        }
        if (field === 'containers') {
          for (const p of PROBES) if (!isObject(c[p])) out.push(`${id}: ${path}.${p} is missing`);
        }
        const scx = obj(c.securityContext);
        if (scx.readOnlyRootFilesystem !== true) out.push(`${id}: ${path}.securityContext.readOnlyRootFilesystem must be true`);
        const mounts = list(c.volumeMounts);
        const tmp = mounts.find((m) => m.mountPath === '/tmp');
        const tmpVol = tmp && list(spec.volumes).find((v) => v.name === tmp.name);
        if (!tmpVol || !isObject(tmpVol.emptyDir))
          out.push(`${id}: ${path} must mount an emptyDir volume at /tmp (the root filesystem is read-only)`);
        const image = String(c.image ?? '');
        if (!/@sha256:[0-9a-f]{64}$/.test(image) && !/:[\w][\w.-]{0,127}$/.test(image.split('/').pop() ?? '')) {
          out.push(`${id}: ${path}.image "${image}" has neither a tag nor a digest (set one per overlay with kustomize images:)`);
        } else if (/:latest$/.test(image)) {
          out.push(`${id}: ${path}.image "${image}" uses the moving tag latest`);
        }
        list(c.env).forEach((e, j) => {
          if (SECRET_LIKE.test(String(e.name)) && e.value !== undefined) {
            out.push(
              `${id}: ${path}.env[${j}] ${String(e.name)} has a literal value: take it from a Secret (valueFrom.secretKeyRef)`,
            );
          }
        });
      });
    }
    if (spec.automountServiceAccountToken !== false)
      out.push(`${id}: ${base}.automountServiceAccountToken must be false (the app does not call the Kubernetes API)`);
  }
  return out;
}

/** Deployments: RollingUpdate with maxUnavailable 0 and maxSurge 1, one PodDisruptionBudget, no replicas when an HPA scales them. */
export function deploymentProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const id = objectId(d);
    const spec = obj(d.spec);
    const strategy = obj(spec.strategy);
    const ru = obj(strategy.rollingUpdate);
    if (strategy.type !== 'RollingUpdate') out.push(`${id}: spec.strategy.type must be RollingUpdate`);
    if (ru.maxUnavailable !== 0 && ru.maxUnavailable !== '0%')
      out.push(`${id}: spec.strategy.rollingUpdate.maxUnavailable must be 0 (got ${JSON.stringify(ru.maxUnavailable)})`);
    if (ru.maxSurge !== 1) out.push(`${id}: spec.strategy.rollingUpdate.maxSurge must be 1 (got ${JSON.stringify(ru.maxSurge)})`);
    const labels = strMap(obj(obj(spec.template).metadata).labels);
    const covering = pdbs.filter(
      (p) => p.metadata.namespace === d.metadata.namespace && selectorMatches(obj(p.spec).selector, labels),
    );
    if (covering.length === 0) out.push(`${id}: no PodDisruptionBudget selects its pods`);
    if (covering.length > 1)
      out.push(
        `${id}: ${covering.length} PodDisruptionBudgets select its pods (${covering.map((p) => p.metadata.name).join(', ')}): the eviction API refuses pods with more than one`,
      );
    const scaledBy = hpas.filter((h) => {
      const ref = obj(obj(h.spec).scaleTargetRef);
      return ref.kind === 'Deployment' && ref.name === d.metadata.name && h.metadata.namespace === d.metadata.namespace;
    });
    if (scaledBy.length > 0 && spec.replicas !== undefined) {
      out.push(
        `${id}: spec.replicas is set although HorizontalPodAutoscaler/${scaledBy[0]!.metadata.name} scales it (each apply would reset the count)`,
      );
    }
  }
  for (const h of hpas) {
    const ref = obj(obj(h.spec).scaleTargetRef);
    if (
      !objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === h.metadata.namespace)
    ) {
      out.push(`${objectId(h)}: spec.scaleTargetRef ${String(ref.kind)}/${String(ref.name)} does not exist`);
    }
  }
  for (const p of pdbs) {
    if (
      !objects.some(
        (o) =>
          o.kind === 'Deployment' &&
          o.metadata.namespace === p.metadata.namespace &&
          selectorMatches(obj(p.spec).selector, strMap(obj(obj(obj(o.spec).template).metadata).labels)),
      )
    ) {
      out.push(`${objectId(p)}: selects no Deployment's pods`);
    }
  }
  return out;
}

/** The namespace enforces restricted; every namespaced object lives in it; no Secret is rendered. */
export function namespaceProblems(objects: K8sObject[], expected: string): string[] {
  const out: string[] = [];
  const nss = objects.filter((o) => o.kind === 'Namespace');
  if (nss.length !== 1 || nss[0]!.metadata.name !== expected) {
    out.push(`expected exactly one Namespace "${expected}", got ${nss.map((n) => n.metadata.name).join(', ') || 'none'}`);
  }
  for (const ns of nss) {
    if (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') {
      out.push(`${objectId(ns)}: label pod-security.kubernetes.io/enforce must be "restricted"`);
    }
  }
  for (const o of objects) {
    if (o.kind !== 'Namespace' && o.metadata.namespace !== expected)
      out.push(`${objectId(o)}: namespace is ${String(o.metadata.namespace)}, expected ${expected}`);
    if (o.kind === 'Secret')
      out.push(`${objectId(o)}: a Secret is rendered from the repository; credentials must come from the deploy step`);
  }
  return out;
}

/** Storage: every claim a pod uses exists and names its storage class explicitly. */
export function storageProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  const pvcs = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
  for (const p of pvcs) {
    if (typeof obj(p.spec).storageClassName !== 'string' || obj(p.spec).storageClassName === '') {
      out.push(`${objectId(p)}: spec.storageClassName must be set explicitly by the overlay`);
    }
  }
  for (const { object, spec, base } of podTemplates(objects)) {
    list(spec.volumes).forEach((v, i) => {
      const claim = obj(v.persistentVolumeClaim).claimName;
      if (claim !== undefined && !pvcs.some((p) => p.metadata.name === claim)) {
        out.push(
          `${objectId(object)}: ${base}.volumes[${i}] uses PersistentVolumeClaim "${String(claim)}", which is not rendered`,
        );
      }
    });
  }
  return out;
}

/** One allowed flow, in words: "ingress api TCP/8080 from namespace=kube-system pods{app.kubernetes.io/name=traefik}". */
export type Flow = string;

const describePeer = (peer: Obj): string => {
  if (isObject(peer.ipBlock))
    return `ipBlock ${String(peer.ipBlock.cidr)}${Array.isArray(peer.ipBlock.except) ? ` except ${peer.ipBlock.except.join(',')}` : ''}`;
  const parts: string[] = [];
  if (isObject(peer.namespaceSelector)) parts.push(`namespaces{${describeSelector(peer.namespaceSelector)}}`);
  if (isObject(peer.podSelector)) parts.push(`pods{${describeSelector(peer.podSelector)}}`);
  return parts.join(' ') || 'anywhere';
};

function describeSelector(sel: Obj): string {
  const parts = Object.entries(strMap(sel.matchLabels)).map(([k, v]) => `${k}=${v}`);
  for (const e of list(sel.matchExpressions))
    parts.push(`${String(e.key)} ${String(e.operator)} (${Array.isArray(e.values) ? e.values.join(',') : ''})`);
  return parts.join(',') || '*';
}

/**
 * Every flow that the NetworkPolicies allow, as sorted text lines, and problems: no default
 * deny for both directions, or a rule open to every peer or every port.
 */
export function networkFlows(objects: K8sObject[]): { flows: Flow[]; problems: string[] } {
  const flows: Flow[] = [];
  const problems: string[] = [];
  const nps = objects.filter((o) => o.kind === 'NetworkPolicy');
  const denyAll = nps.find((p) => {
    const s = obj(p.spec);
    const types = Array.isArray(s.policyTypes) ? s.policyTypes : [];
    return (
      describeSelector(obj(s.podSelector)) === '*' &&
      types.includes('Ingress') &&
      types.includes('Egress') &&
      list(s.ingress).length === 0 &&
      list(s.egress).length === 0
    );
  });
  if (!denyAll) problems.push('no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)');
  for (const p of nps) {
    const s = obj(p.spec);
    const target = describeSelector(obj(s.podSelector));
    for (const dir of ['ingress', 'egress'] as const) {
      list(s[dir]).forEach((rule, i) => {
        const peers = list(rule[dir === 'ingress' ? 'from' : 'to']);
        const ports = list(rule.ports);
        if (peers.length === 0) problems.push(`${objectId(p)}: spec.${dir}[${i}] allows every peer`);
        if (ports.length === 0) problems.push(`${objectId(p)}: spec.${dir}[${i}] allows every port`);
        for (const peer of peers.length > 0 ? peers : [{}]) {
          for (const port of ports.length > 0 ? ports : [{}]) {
            const portText = `${String(port.protocol ?? 'TCP')}/${String(port.port ?? '*')}`;
            flows.push(`${dir} pods{${target}} ${portText} ${dir === 'ingress' ? 'from' : 'to'} ${describePeer(peer)}`);
          }
        }
      });
    }
  }
  return { flows: flows.sort(), problems };
}

/**
 * Services without a selector (external backends): each EndpointSlice address must be reachable
 * through an egress ipBlock on the slice's port, or the pods could not reach it.
 */
export function externalServiceProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  const egress = objects.filter((o) => o.kind === 'NetworkPolicy').flatMap((p) => list(obj(p.spec).egress));
  for (const svc of objects.filter(
    (o) =>
      o.kind === 'Service' &&
      obj(o.spec).selector === undefined &&
      obj(o.spec).clusterIP !== 'None' &&
      obj(o.spec).type !== 'ExternalName',
  )) {
    const slices = objects.filter(
      (o) => o.kind === 'EndpointSlice' && o.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name,
    );
    if (slices.length === 0) {
      out.push(
        `${objectId(svc)}: a Service without selector needs an EndpointSlice labelled kubernetes.io/service-name=${svc.metadata.name}`,
      );
      continue;
    }
    for (const slice of slices) {
      const ports = list(slice.ports).map((p) => Number(p.port));
      for (const addr of list(slice.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []))) {
        for (const port of ports) {
          const allowed = egress.some(
            (r) =>
              list(r.to).some((peer) => obj(peer.ipBlock).cidr === `${addr}/32`) &&
              list(r.ports).some((p) => Number(p.port) === port),
          );
          if (!allowed) out.push(`${objectId(slice)}: no egress NetworkPolicy allows ${addr}/32 on port ${port}`);
        }
      }
    }
  }
  return out;
}

/** Ingress: a host on every rule, backends that exist with the named port. */
export function ingressProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    list(obj(ing.spec).rules).forEach((rule, i) => {
      if (typeof rule.host !== 'string' || rule.host === '') out.push(`${objectId(ing)}: spec.rules[${i}].host is missing`);
      list(obj(rule.http).paths).forEach((p, j) => {
        const svc = obj(obj(p.backend).service);
        const target = objects.find((o) => o.kind === 'Service' && o.metadata.name === svc.name);
        const portName = obj(svc.port).name;
        const portNumber = obj(svc.port).number;
        if (!target)
          out.push(
            `${objectId(ing)}: spec.rules[${i}].http.paths[${j}] points to Service "${String(svc.name)}", which is not rendered`,
          );
        else if (
          !list(obj(target.spec).ports).some((sp) => (portName !== undefined ? sp.name === portName : sp.port === portNumber))
        ) {
          out.push(
            `${objectId(ing)}: spec.rules[${i}].http.paths[${j}] uses a port that Service "${String(svc.name)}" does not have`,
          );
        }
      });
    });
  }
  return out;
}

/** Every rule above at once. */
export function labPolicyProblems(objects: K8sObject[], namespace: string): string[] {
  return [
    ...containerProblems(objects),
    ...deploymentProblems(objects),
    ...namespaceProblems(objects, namespace),
    ...storageProblems(objects),
    ...networkFlows(objects).problems,
    ...externalServiceProblems(objects),
    ...ingressProblems(objects),
  ];
}
