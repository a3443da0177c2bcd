// Shared by the real tests of the local target: prerequisites (fail, never skip), SSH, host state.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { checkHost, snapshotHost, SCRIPTS_DIR, type Driver } from '../src/targets/local/index.ts';
import { cohortSchema, type Cohort } from '../src/core/model/cohort.ts';

export const STATE = process.env.ASD_LAB_STATE ?? '/var/lib/asd-lab';

/** Throws a clear error when this host cannot run the local target (root, tools). */
export async function requireHost(driver: Driver): Promise<void> {
  const host = await snapshotHost({ stateDir: STATE, driver, accel: 'auto', scriptsDir: SCRIPTS_DIR });
  const dummy = cohortSchema.parse({ cohort: 'probe', candidates: [{ id: 'x', sshKey: KEY }] });
  const problems = checkHost(dummy, [], host, { driver, accel: 'auto' });
  if (problems.length) {
    throw new Error(`the local-target tests need a prepared host (they never skip):\n  - ${problems.join('\n  - ')}`);
  }
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc a@test';

/** A cohort on the local target, in a pool that nothing else on the test host uses. */
export function testCohort(
  name: string,
  pool: string,
  candidates: { id: string; servers: string[] }[],
  driver: Driver = 'container',
  memoryMiB = 256,
  cpus = 0.5,
): Cohort {
  return cohortSchema.parse({
    cohort: name,
    local: { driver, subnetPool: pool, subnetPrefix: 28 },
    candidates: candidates.map((c) => ({
      id: c.id,
      sshKey: KEY,
      overrides: { servers: c.servers.map((s) => ({ name: s, role: 'app', memoryMiB, cpus })) },
    })),
  });
}

/** Run a command on a server as asd-admin, with its own host keys checked strictly. */
export async function ssh(ip: string, keyPath: string, knownHosts: string, command: string) {
  return execa(
    'ssh',
    [
      '-i',
      keyPath,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'ConnectTimeout=10',
      '-o',
      'LogLevel=ERROR',
      `asd-admin@${ip}`,
      command,
    ],
    { reject: false },
  );
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a server may leave on the host: the test asserts that all of it is gone after destroy. */
export async function traces(name: string): Promise<string[]> {
  const found: string[] = [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  if (mounts.includes(`/servers/${name}/`)) found.push('mount');
  for (const d of ['', '/memory', '/cpu', '/systemd', '/unified'].map((h) => `/sys/fs/cgroup${h}/asd-lab/${name}`)) {
    if (existsSync(d)) found.push(`cgroup ${d}`);
  }
  if (existsSync(`${STATE}/servers/${name}`)) found.push('state directory');
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
  if (links.includes(`vb-${name}`)) found.push('veth');
  const procs = (await execa('ps', ['-eo', 'args'])).stdout.split('\n');
  if (procs.some((p) => p.includes(`--machine=${name} `) || p.includes(`-name ${name} `))) found.push('process');
  return found;
}
