// Render a kustomize directory with the kubectl client (no cluster needed) and read the
// objects back. Engine-neutral: the later CDKTF Kubernetes stacks and the tests share it.
import { resolve } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { ENVIRONMENTS, type Environment } from '../../core/environments.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { AsdError } from '../../core/errors.ts';

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The environments of the reference application and their kustomize namespaces. */
/** One kustomize overlay per environment: k8s/overlays/<env>. */
export const OVERLAYS = ENVIRONMENTS;
export type Overlay = Environment;
export const OVERLAY_NAMESPACE: Record<Overlay, string> = { test: 'asd-test', preprod: 'asd-preprod', prod: 'asd-prod' };

export const K8S_DIR = resolve(REPO_ROOT, 'k8s');
export const overlayDir = (o: Overlay) => resolve(K8S_DIR, 'overlays', o);

/** kubectl kustomize is missing or failed on k8s/ (kind 'operation'). */
export class RenderError extends AsdError {}

/** `kubectl kustomize DIR`, parsed. Throws RenderError with kubectl's own words on failure. */
export async function renderKustomize(dir: string, kubectl = 'kubectl'): Promise<K8sObject[]> {
  const r = await execa(kubectl, ['kustomize', dir], { reject: false });
  if (r.failed) {
    if ((r as { code?: string }).code === 'ENOENT') {
      throw new RenderError(`"${kubectl}" not found: install the kubectl client (only the client is needed, no cluster)`);
    }
    throw new RenderError(`kubectl kustomize ${dir} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return parseObjects(r.stdout, dir);
}

/** Parse a multi-document YAML stream into objects; every document must be a Kubernetes object. */
export function parseObjects(text: string, origin = 'input'): K8sObject[] {
  const out: K8sObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new RenderError(`${origin}: document ${i}: ${doc.errors[0]!.message}`);
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    if (
      !isObject(v) ||
      typeof v.apiVersion !== 'string' ||
      typeof v.kind !== 'string' ||
      !isObject(v.metadata) ||
      typeof v.metadata.name !== 'string'
    ) {
      throw new RenderError(
        `${origin}: document ${i} is not a Kubernetes object (apiVersion, kind and metadata.name are required)`,
      );
    }
    out.push(v as K8sObject);
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "Kind/name", or "Kind/namespace/name" when asked, for messages. */
export function objectId(o: K8sObject, withNamespace = false): string {
  return withNamespace && o.metadata.namespace
    ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
    : `${o.kind}/${o.metadata.name}`;
}
