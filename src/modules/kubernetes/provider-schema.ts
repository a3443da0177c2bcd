// Kubernetes objects <-> resources of the Terraform provider hashicorp/kubernetes, as bound by
// @cdktf/provider-kubernetes (pinned). No cdktf import here: the provider's schema is read from the
// package's generated bindings (each `...ToHclTerraform(struct)` function lists, for one block,
// every Terraform attribute, the binding's property name, whether it is a block, a list of blocks
// or a primitive, and its storage type). With it:
//  - toProvider(): a rendered Kubernetes object becomes the typed config of the matching provider
//    resource (camelCase properties of the binding). Every field must exist in the provider's
//    schema: anything the provider cannot express is reported, never dropped silently (the
//    bindings themselves ignore unknown properties);
//  - fromTerraform(): a resource block of the synthesized Terraform JSON becomes a Kubernetes
//    object again, so that the same schema, Pod Security and RBAC checks as for k8s/ run on what
//    Terraform would really send, and a round trip shows any field lost on the way.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../core/repo.ts';
import { isObject, objectId, type K8sObject } from './render.ts';

export const PROVIDER_PACKAGE = '@cdktf/provider-kubernetes';
const PKG_DIR = resolve(REPO_ROOT, 'node_modules', PROVIDER_PACKAGE);

/** Kubernetes apiVersion/kind -> the provider's resource (package folder = Terraform type without prefix). */
export const KIND_RESOURCES: Record<string, string> = {
  'v1/Namespace': 'namespace-v1',
  'v1/ServiceAccount': 'service-account-v1',
  'v1/ConfigMap': 'config-map-v1',
  'v1/Service': 'service-v1',
  'v1/PersistentVolumeClaim': 'persistent-volume-claim-v1',
  'v1/ResourceQuota': 'resource-quota-v1',
  'v1/LimitRange': 'limit-range-v1',
  'apps/v1/Deployment': 'deployment-v1',
  'policy/v1/PodDisruptionBudget': 'pod-disruption-budget-v1',
  'autoscaling/v2/HorizontalPodAutoscaler': 'horizontal-pod-autoscaler-v2',
  'discovery.k8s.io/v1/EndpointSlice': 'endpoint-slice-v1',
  'networking.k8s.io/v1/Ingress': 'ingress-v1',
  'networking.k8s.io/v1/NetworkPolicy': 'network-policy-v1',
  'rbac.authorization.k8s.io/v1/Role': 'role-v1',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'role-binding-v1',
};

export const terraformType = (folder: string) => `kubernetes_${folder.replace(/-/g, '_')}`;
/** "deployment-v1" -> "DeploymentV1" (the binding's class). */
export const className = (folder: string) =>
  folder
    .split('-')
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join('');
const TYPE_TO_KIND = new Map(Object.entries(KIND_RESOURCES).map(([k, f]) => [terraformType(f), k]));

/** Attributes of the provider that are Terraform behaviour, not Kubernetes fields. */
export const TERRAFORM_ONLY = new Set([
  'id',
  'timeouts',
  'wait_for_rollout',
  'wait_until_bound',
  'wait_for_load_balancer',
  'wait_for_default_service_account',
  'lifecycle',
  'depends_on',
  'provider',
  'count',
  'for_each',
  '//',
]);

/** Kubernetes list fields that the provider names in the singular (one block per item). */
const PLURALS: Record<string, string> = {
  containers: 'container',
  initContainers: 'init_container',
  ports: 'port',
  volumes: 'volume',
  volumeMounts: 'volume_mount',
  volumeDevices: 'volume_device',
  metrics: 'metric',
  policies: 'policy',
  rules: 'rule',
  subjects: 'subject',
  endpoints: 'endpoint',
  limits: 'limit',
  paths: 'path',
  tolerations: 'toleration',
  readinessGates: 'readiness_gate',
  topologySpreadConstraints: 'topology_spread_constraint',
  httpHeaders: 'http_header',
  sysctls: 'sysctl',
};
const SINGULARS = Object.fromEntries(Object.entries(PLURALS).map(([k, v]) => [v, k]));
/** Kubernetes list fields that keep their name in the provider. */
const LISTS_SAME_NAME = new Set([
  'env',
  'env_from',
  'ingress',
  'egress',
  'from',
  'to',
  'ports',
  'tls',
  'match_expressions',
  'items',
  'host_aliases',
  'image_pull_secrets',
  'match_expression',
]);
/** Kubernetes names whose acronyms camelCase cannot restore. */
const ACRONYMS: Record<string, string> = {
  cluster_ip: 'clusterIP',
  cluster_ips: 'clusterIPs',
  external_ips: 'externalIPs',
  load_balancer_ip: 'loadBalancerIP',
  host_ip: 'hostIP',
  host_ipc: 'hostIPC',
  host_pid: 'hostPID',
  pod_ip: 'podIP',
  target_wwns: 'targetWWNs',
};
/** Integer and int-or-string Kubernetes fields that the provider types as strings (int64, "25%"...). */
const INT_OR_STRING = new Set([
  'port',
  'targetPort',
  'maxSurge',
  'maxUnavailable',
  'minAvailable',
  'replicas',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
]);

export const snake = (k: string) =>
  k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
const camel = (k: string) => ACRONYMS[k] ?? k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

interface Field {
  /** Property of the binding (camelCase). */
  prop: string;
  /** Function describing the nested block, when the field is a block. */
  child?: string;
  /** A list of blocks, or a list primitive (stringList...). */
  list: boolean;
  /** storageClassType of the binding: string, number, boolean, stringList, stringMap, or a struct name. */
  storage: string;
}
type Block = Map<string, Field>;

interface ResourceSchema {
  folder: string;
  type: string;
  className: string;
  root: Block;
  blocks: Map<string, Block>;
}

const ENTRY =
  /(\w+): \{\s*value: ([^\n]*?)\((?:struct\.|this\._)(\w+)(?:\.internalValue)?\),\s*isBlock: (?:true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}/g;

function parseEntries(body: string): Block {
  const block: Block = new Map();
  for (const m of body.matchAll(ENTRY)) {
    const [, tf, mapper, prop, , storage] = m as unknown as [string, string, string, string, string, string];
    // The nested block's function is named after its storage type: DeploymentV1SpecList -> deploymentV1Spec.
    const struct = storage.replace(/List$/, '');
    const child = /^[A-Z]/.test(storage) ? struct[0]!.toLowerCase() + struct.slice(1) : undefined;
    block.set(tf, { prop, child, list: mapper.includes('listMapperHcl'), storage });
  }
  return block;
}

const schemas = new Map<string, ResourceSchema>();

/** The provider's schema of one resource, read from the generated bindings (cached). */
export function resourceSchema(folder: string): ResourceSchema {
  const cached = schemas.get(folder);
  if (cached) return cached;
  const dir = resolve(PKG_DIR, 'lib', folder);
  const files = [resolve(dir, 'index.js')];
  try {
    files.push(
      ...readdirSync(resolve(dir, 'index-structs'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => resolve(dir, 'index-structs', f)),
    );
  } catch {
    /* small resources keep their structs in index.js */
  }
  const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const blocks = new Map<string, Block>();
  for (const m of text.matchAll(/function (\w+)ToHclTerraform\(struct\) \{([\s\S]*?)\n\}/g))
    blocks.set(m[1]!, parseEntries(m[2]!));
  const synth = /synthesizeHclAttributes\(\) \{([\s\S]*?)\n {4}\}/.exec(text);
  const name = className(folder);
  const type = new RegExp(`${name}\\.tfResourceType = "(\\w+)"`).exec(text)?.[1];
  if (!synth || !type || blocks.size === 0) {
    throw new Error(
      `cannot read the schema of ${folder} from ${PROVIDER_PACKAGE}: did the package change? (pinned in package.json)`,
    );
  }
  const s: ResourceSchema = { folder, type, className: name, root: parseEntries(synth[1]!), blocks };
  schemas.set(folder, s);
  return s;
}

/** The provider version the bindings were generated from (e.g. 2.38.0). */
export function providerVersion(): string {
  const text = readFileSync(resolve(PKG_DIR, 'lib', 'provider', 'index.js'), 'utf8');
  return /providerVersion: '([^']+)'/.exec(text)?.[1] ?? 'unknown';
}

export interface MappingProblem {
  object: string;
  path: string;
  message: string;
}
export const formatMappingProblem = (p: MappingProblem) => `${p.object}: ${p.path}: ${p.message}`;

export interface ProviderResource {
  /** Package folder, e.g. deployment-v1. */
  folder: string;
  /** Terraform type, e.g. kubernetes_deployment_v1. */
  type: string;
  className: string;
  /** Config of the binding (camelCase properties), without the Terraform-only attributes. */
  config: Record<string, unknown>;
}

/** Convert one Kubernetes object; problems list every field the provider cannot express. */
export function toProvider(o: K8sObject): { resource?: ProviderResource; problems: MappingProblem[] } {
  const id = objectId(o, true);
  const folder = KIND_RESOURCES[`${o.apiVersion}/${o.kind}`];
  if (!folder)
    return {
      problems: [
        { object: id, path: 'kind', message: `${o.apiVersion} ${o.kind} has no resource mapped in ${PROVIDER_PACKAGE}` },
      ],
    };
  const s = resourceSchema(folder);
  const problems: MappingProblem[] = [];
  const { apiVersion: _a, kind: _k, ...rest } = o;
  const config = convertBlock(rest, s.root, s, '', id, problems);
  return { resource: { folder, type: s.type, className: s.className, config }, problems };
}

function lookup(k: string, block: Block): [string, Field] | undefined {
  for (const tf of [snake(k), PLURALS[k]]) {
    const f = tf === undefined ? undefined : block.get(tf);
    if (f && tf) return [tf, f];
  }
  return undefined;
}

function convertBlock(
  v: Record<string, unknown>,
  block: Block,
  s: ResourceSchema,
  path: string,
  id: string,
  problems: MappingProblem[],
) {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    const hit = lookup(k, block);
    if (!hit) {
      problems.push({
        object: id,
        path: p,
        message: `not in the schema of ${s.type} (hashicorp/kubernetes ${providerVersion()})`,
      });
      continue;
    }
    const [, f] = hit;
    out[f.prop] = convertValue(x, f, s, p, id, problems);
  }
  return out;
}

function convertValue(x: unknown, f: Field, s: ResourceSchema, p: string, id: string, problems: MappingProblem[]): unknown {
  if (f.child) {
    const child = s.blocks.get(f.child);
    if (!child) throw new Error(`${s.type}: block ${f.child} not found in the bindings`);
    const one = (y: unknown, q: string) =>
      isObject(y)
        ? convertBlock(y, child, s, q, id, problems)
        : (problems.push({ object: id, path: q, message: 'expected an object' }), {});
    if (f.list) return Array.isArray(x) ? x.map((y, i) => one(y, `${p}[${i}]`)) : [one(x, p)];
    if (Array.isArray(x)) {
      problems.push({ object: id, path: p, message: `a list where ${s.type} allows one block` });
      return undefined;
    }
    return one(x, p);
  }
  if (f.storage === 'string' && typeof x === 'number') return String(x);
  return x;
}

/** Convert one resource block of the synthesized Terraform JSON back to a Kubernetes object. */
export function fromTerraform(type: string, block: Record<string, unknown>): { object: K8sObject; problems: MappingProblem[] } {
  const kindKey = TYPE_TO_KIND.get(type);
  if (!kindKey) throw new Error(`${type} is not a Kubernetes resource mapped here`);
  const s = resourceSchema(KIND_RESOURCES[kindKey]!);
  const i = kindKey.lastIndexOf('/');
  const problems: MappingProblem[] = [];
  const body = reverseBlock(block, s.root, s, '', type, problems, true);
  const object = { apiVersion: kindKey.slice(0, i), kind: kindKey.slice(i + 1), ...body } as K8sObject;
  return { object, problems };
}

function reverseBlock(
  v: Record<string, unknown>,
  block: Block,
  s: ResourceSchema,
  path: string,
  id: string,
  problems: MappingProblem[],
  top = false,
) {
  const out: Record<string, unknown> = {};
  for (const [tf, x] of Object.entries(v)) {
    if (top && TERRAFORM_ONLY.has(tf)) continue;
    const p = path ? `${path}.${tf}` : tf;
    const f = block.get(tf);
    if (!f) {
      problems.push({ object: id, path: p, message: `not in the schema of ${s.type}` });
      continue;
    }
    if (f.child) {
      const child = s.blocks.get(f.child)!;
      const items = (Array.isArray(x) ? x : [x]).map((y, n) =>
        reverseBlock(isObject(y) ? y : {}, child, s, `${p}[${n}]`, id, problems),
      );
      if (f.list && (SINGULARS[tf] || LISTS_SAME_NAME.has(tf))) out[SINGULARS[tf] ?? camel(tf)] = items;
      else out[camel(tf)] = items[0];
    } else {
      const k = camel(tf);
      out[k] = INT_OR_STRING.has(k) && typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : x;
    }
  }
  // Top level: the provider nests the object's fields (metadata, spec, data...) like the API does.
  return out;
}

/** Every Kubernetes resource block of a synthesized stack (cdk.tf.json), converted back. */
export function objectsOfStack(
  json: Record<string, unknown>,
): { address: string; object: K8sObject; problems: MappingProblem[] }[] {
  const resources = isObject(json.resource) ? json.resource : {};
  const out: { address: string; object: K8sObject; problems: MappingProblem[] }[] = [];
  for (const [type, byName] of Object.entries(resources)) {
    if (!TYPE_TO_KIND.has(type) || !isObject(byName)) continue;
    for (const [name, block] of Object.entries(byName)) {
      if (isObject(block)) out.push({ address: `${type}.${name}`, ...fromTerraform(type, block) });
    }
  }
  return out;
}

export interface StackObject {
  /** Terraform address, e.g. kubernetes_deployment_v1.prod_deployment_api. */
  address: string;
  object: K8sObject;
  via: 'typed' | 'manifest';
  problems: MappingProblem[];
}

/** Every Kubernetes object of a synthesized stack: typed resources converted back, kubernetes_manifest as written. */
export function stackObjects(json: Record<string, unknown>): StackObject[] {
  const typed: StackObject[] = objectsOfStack(json).map((x) => ({ ...x, via: 'typed' }));
  const manifests = obj(obj(json.resource).kubernetes_manifest);
  const raw: StackObject[] = Object.entries(manifests).map(([name, block]) => ({
    address: `kubernetes_manifest.${name}`,
    object: obj(block).manifest as K8sObject,
    via: 'manifest',
    problems: [],
  }));
  return [...typed, ...raw];
}
const obj = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/** Field-by-field differences between two objects ("path: a != b"); empty when equal. */
export function objectDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const out = a.length === b.length ? [] : [`${path}: ${a.length} items != ${b.length} items`];
    for (let i = 0; i < Math.min(a.length, b.length); i++) out.push(...objectDifferences(a[i], b[i], `${path}[${i}]`));
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => objectDifferences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`];
}
