// The application's stages, in promotion order: a release goes to test, then preprod, then prod.
// One definition for every layer (containers, databases, SLOs, Kubernetes overlays, the pipeline,
// the inventory's lab_env, the staged security updates).
export const ENVIRONMENTS = ['test', 'preprod', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEnvironment(value: string): value is Environment {
  return (ENVIRONMENTS as readonly string[]).includes(value);
}
