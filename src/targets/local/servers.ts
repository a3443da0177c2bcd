// What the state directory says about servers: read by status, ssh, inventories and preflight.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { statePaths } from '../../core/state.ts';

export interface LocalServer {
  cohort: string;
  candidate: string;
  /** Machine name "<candidate>-<server>" (also the hostname). */
  name: string;
  role: string;
  driver: 'container' | 'vm';
  state: 'running' | 'stopped';
  /** IPv4 address, without prefix length. */
  address: string;
  /** Address with prefix length, e.g. 10.98.0.10/24. */
  cidr: string;
  gateway: string;
  bridge: string;
  memoryMiB: number;
  cpus: number;
  sshPort: 22;
  user: 'asd-admin';
  /** Private key that opens asd-admin (the public key given to create-server, without ".pub"). */
  keyPath: string;
  /** known_hosts lines of the server's own host keys: use with StrictHostKeyChecking=yes. */
  knownHostsFile: string;
  /** Directory of the server in the state directory (logs, disks, pid file). */
  dir: string;
}

/** Parse a KEY=VALUE file written by the scripts. */
export function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

const COMM: Record<string, string> = { container: 'systemd-nspawn', vm: 'qemu-system-x86' };

/** Is the process of the pid file alive and still the server's (guards against pid reuse)? */
function running(dir: string, driver: string): boolean {
  try {
    const pid = readFileSync(path.join(dir, 'pid'), 'utf8').trim();
    return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === COMM[driver];
  } catch {
    // no pid file, or the process is gone: the server is not running
    return false;
  }
}

/** Every server of the state directory (of all cohorts), sorted by name. */
export async function listServers(stateDir: string): Promise<LocalServer[]> {
  const root = statePaths(stateDir).servers;
  if (!existsSync(root)) return [];
  const out: LocalServer[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const file = path.join(dir, 'server.env');
    if (!existsSync(file)) continue; // a creation in progress or interrupted
    const e = readEnvFile(file);
    const driver = e.DRIVER === 'vm' ? 'vm' : 'container';
    out.push({
      cohort: e.COHORT ?? '',
      candidate: e.CANDIDATE ?? '',
      name: e.NAME ?? entry.name,
      role: e.ROLE ?? '',
      driver,
      state: running(dir, driver) ? 'running' : 'stopped',
      address: (e.ADDRESS ?? '').split('/')[0]!,
      cidr: e.ADDRESS ?? '',
      gateway: e.GATEWAY ?? '',
      bridge: e.NETWORK ?? '',
      memoryMiB: Number(e.MEMORY_MIB),
      cpus: Number(e.CPUS),
      sshPort: 22,
      user: 'asd-admin',
      keyPath: (e.SSH_KEY ?? '').replace(/\.pub$/, ''),
      knownHostsFile: path.join(dir, 'known_host_keys'),
      dir,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
