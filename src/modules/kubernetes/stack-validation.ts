// Validation of a synthesized Kubernetes stack (cdk.tf.json) with no cluster: its resources are
// mapped back to Kubernetes objects (src/modules/kubernetes/provider-schema.ts), then checked with the same
// schemas (Kubernetes v1.33) and Pod Security "restricted" rules as the k8s/ overlays.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { restrictedViolations } from './pod-security.ts';
import { formatMappingProblem, stackObjects } from './provider-schema.ts';
import { formatSchemaProblem, validateSchemas } from './schema.ts';

export interface StackValidation {
  file: string;
  objects: number;
  typed: number;
  manifests: number;
  problems: string[];
}

export async function validateStackFile(file: string): Promise<StackValidation> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const objs = stackObjects(json);
  const objects = objs.map((x) => x.object);
  const problems = [
    ...objs.flatMap((x) => x.problems.map(formatMappingProblem)),
    ...(await validateSchemas(objects)).map(formatSchemaProblem),
    ...restrictedViolations(objects),
  ];
  return {
    file,
    objects: objs.length,
    typed: objs.filter((x) => x.via === 'typed').length,
    manifests: objs.filter((x) => x.via === 'manifest').length,
    problems,
  };
}

/** Is hashicorp/kubernetes in the Terraform provider mirror? (It is not in this project's offline mirror.) */
export function mirrorHasKubernetes(mirror = process.env.ASD_LAB_TF_MIRROR ?? '/opt/tf-plugins'): {
  mirror: string;
  present: boolean;
} {
  const dir = resolve(mirror);
  return { mirror: dir, present: existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'kubernetes')) };
}
