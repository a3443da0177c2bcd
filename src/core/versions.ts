// The oldest versions of the host tools asd-lab works with, stated once: `doctor` checks them and
// the Terraform runner refuses an older Terraform. Node: package.json `engines` says the same.
export const MIN_VERSIONS = {
  /** Node 20.9 (20 LTS, end of life 2026-04-30) and 22 LTS; `engines` accepts both. */
  node: '20.9.0',
  /** Terraform: the oldest the runner accepts (src/targets/aws/terraform/runner.ts). */
  terraform: '1.5.0',
  /** ansible-core 2.14: Debian 12's (package ansible 7), what the roles run with here. */
  ansible: '2.14.0',
} as const;

export type Tool = keyof typeof MIN_VERSIONS;

/** The first x.y[.z] in a tool's version output ("Terraform v1.11.4", "ansible-playbook [core 2.14.18]"). */
export function parseVersion(output: string): string | undefined {
  return /(\d+)\.(\d+)(?:\.(\d+))?/.exec(output)?.[0];
}

/** Compare dotted versions numerically: negative, 0, positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function atLeast(version: string, tool: Tool): boolean {
  return compareVersions(version, MIN_VERSIONS[tool]) >= 0;
}
