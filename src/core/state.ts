// Where the local target keeps its state (golden image, servers, keys, logs).
import path from 'node:path';

/**
 * The state directory: $ASD_LAB_STATE when set, else /var/lib/asd-lab when running as root, else
 * ./.asd-lab (ignored by git). The scripts (scripts/lib/common.sh, create_server.py) use the same rule.
 */
export function resolveStateDir(
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? -1,
  cwd: string = process.cwd(),
): string {
  if (env.ASD_LAB_STATE) return path.resolve(cwd, env.ASD_LAB_STATE);
  if (uid === 0) return '/var/lib/asd-lab';
  return path.join(cwd, '.asd-lab');
}

/** The layout of a state directory (docs/local.md, "State directory"). */
export function statePaths(stateDir: string) {
  return {
    root: stateDir,
    images: path.join(stateDir, 'image'),
    currentImage: path.join(stateDir, 'image', 'current'),
    servers: path.join(stateDir, 'servers'),
    server: (name: string) => path.join(stateDir, 'servers', name),
    keys: (cohort: string) => path.join(stateDir, 'keys', cohort),
    kvmProbe: path.join(stateDir, 'kvm-probe'),
  };
}
