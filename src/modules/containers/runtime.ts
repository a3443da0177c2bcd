// Running one container of the app: its network namespace on the candidate's bridge, its cgroup
// limits, and the container itself with podman (where podman's OCI runtime works) or
// systemd-nspawn --oci-bundle (where it does not, as on asd-lab's CI host). `probeRuntime` picks.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cgroupMode, createCgroup, removeCgroup } from './cgroup.ts';
import type { ContainerLimits } from '../../core/model/containers.ts';
import { runtimeSpec, type ImageConfig, type Mount } from './oci.ts';

export type RuntimeKind = 'podman' | 'nspawn';
export type Role = 'api' | 'worker' | 'edge';

export interface Instance {
  id: string;
  role: Role;
  version: string;
  digest: string;
  ip: string;
  netns: string;
  hostVeth: string;
  runtime: RuntimeKind;
  /** nspawn: its pid; podman: the container name. */
  pid?: number;
  podmanName?: string;
  cgroups: string[];
  dir: string;
  startedAt: string;
  limits: ContainerLimits;
}

export interface StartRequest {
  id: string;
  role: Role;
  version: string;
  digest: string;
  /** Unpacked root filesystem (nspawn) and image id (podman). */
  rootfs: string;
  imageId: string;
  image: ImageConfig;
  ip: string;
  prefix: number;
  gateway: string;
  bridge: string;
  env: Record<string, string>;
  mounts: Mount[];
  limits: ContainerLimits;
  dir: string;
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

/** Names of the network namespace and veth pair of an instance (interface names: 15 characters at most). */
export function netNames(id: string) {
  const h = short(id);
  return { netns: `asdapp-${h}`, hostVeth: `av${h}`, peer: `ap${h}` };
}

/**
 * Which runtime works here. podman is tried with a container that only exits; on a host where
 * its OCI runtime cannot start containers (root without CAP_SYS_RESOURCE: crun's setrlimit fails
 * with EPERM), systemd-nspawn runs the OCI bundle instead.
 */
export async function probeRuntime(
  imageId: string,
  wanted: 'auto' | RuntimeKind = 'auto',
): Promise<{ kind: RuntimeKind; reason: string }> {
  const has = async (tool: string) => (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode === 0;
  if (wanted !== 'nspawn' && (await has('podman'))) {
    const r = await execa(
      'podman',
      ['run', '--rm', '--network=none', '--entrypoint', '/usr/bin/node', imageId, '-e', 'process.exit(0)'],
      { reject: false, timeout: 60_000 },
    );
    if (r.exitCode === 0) return { kind: 'podman', reason: 'podman ran a probe container' };
    const why = (r.stderr || r.stdout || '').split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.exitCode}`;
    if (wanted === 'podman') throw new Error(`podman cannot run containers on this host: ${why}`);
    if (await has('systemd-nspawn'))
      return { kind: 'nspawn', reason: `podman cannot run containers here (${why}): systemd-nspawn runs the OCI bundle` };
    throw new Error(
      `podman cannot run containers here (${why}) and systemd-nspawn is missing: apt-get install systemd-container`,
    );
  }
  if (await has('systemd-nspawn'))
    return {
      kind: 'nspawn',
      reason: wanted === 'nspawn' ? 'asked for systemd-nspawn' : 'podman is not installed: systemd-nspawn runs the OCI bundle',
    };
  throw new Error('no container runtime: apt-get install podman (or systemd-container for systemd-nspawn)');
}

/** A locally administered unicast MAC address for an IPv4 address: 02:a5 followed by its four bytes. */
export function macFor(ipv4: string): string {
  const bytes = ipv4.split('.').map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255))
    throw new Error(`not an IPv4 address: ${ipv4}`);
  return ['02', 'a5', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

async function ip(args: string[]) {
  return execa('ip', args);
}

/** The instance's network namespace, plugged into the candidate's bridge with its own address. */
export async function createNetns(id: string, addr: string, prefix: number, gateway: string, bridge: string) {
  const n = netNames(id);
  await deleteNetns(id);
  await ip(['netns', 'add', n.netns]);
  // The container's MAC address is derived from its IP address: an address freed by an update and
  // given to the next instance keeps its MAC, so the neighbours' ARP caches (the edge's above all,
  // where an entry stays REACHABLE for up to 45 s) stay right and traffic flows at once.
  await ip(['link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', n.peer, 'address', macFor(addr)]);
  await ip(['link', 'set', n.peer, 'netns', n.netns]);
  await ip(['link', 'set', n.hostVeth, 'master', bridge, 'up']);
  await ip(['-n', n.netns, 'link', 'set', n.peer, 'name', 'eth0']);
  await ip(['-n', n.netns, 'addr', 'add', `${addr}/${prefix}`, 'dev', 'eth0']);
  await ip(['-n', n.netns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', n.netns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', n.netns, 'route', 'add', 'default', 'via', gateway]);
  return n;
}

export async function deleteNetns(id: string): Promise<void> {
  const n = netNames(id);
  await execa('ip', ['link', 'del', n.hostVeth], { reject: false });
  await execa('ip', ['netns', 'del', n.netns], { reject: false });
}

/** podman arguments of one container: the same limits, network, mounts and read-only root as nspawn. */
export function podmanRunArgs(r: StartRequest, name: string, netns: string): string[] {
  return [
    'run',
    '--detach',
    '--name',
    name,
    '--replace',
    '--read-only',
    '--read-only-tmpfs=false',
    '--tmpfs',
    '/tmp:rw,nosuid,nodev,noexec,size=16m,mode=1777',
    '--user',
    r.image.User ?? '10001:10001',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    '--memory',
    `${r.limits.memoryMiB}m`,
    '--memory-swap',
    `${r.limits.memoryMiB}m`,
    '--cpus',
    String(r.limits.cpus),
    '--pids-limit',
    String(r.limits.pids),
    '--network',
    `ns:/run/netns/${netns}`,
    ...r.mounts.flatMap((m) => ['--volume', `${m.source}:${m.destination}:${m.readOnly ? 'ro' : 'rw'}`]),
    ...Object.entries(r.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--health-cmd',
    JSON.stringify([
      '/usr/bin/node',
      '/app/app.cjs',
      'probe',
      `http://127.0.0.1:${r.role === 'worker' ? 9091 : 8080}${r.role === 'edge' ? '/_edge/status' : '/readyz'}`,
    ]),
    '--health-interval',
    '5s',
    '--health-retries',
    '3',
    '--health-start-period',
    '10s',
    '--stop-signal',
    'SIGTERM',
    '--stop-timeout',
    '15',
    '--label',
    `asd-lab.instance=${r.id}`,
    r.imageId,
    r.role,
  ];
}

/** systemd-nspawn arguments: the OCI bundle, no registration with systemd, the prepared network namespace. */
export function nspawnArgs(bundle: string, machine: string, netns: string, mounts: Mount[] = []): string[] {
  return [
    '--quiet',
    `--oci-bundle=${bundle}`,
    `--machine=${machine}`,
    // Also on the command line: nspawn locks the root directory before it reads root.readonly, and only a
    // read-only root takes a shared lock, which lets every instance of a release use the same tree.
    '--read-only',
    ...mounts.map((m) => `${m.readOnly ? '--bind-ro' : '--bind'}=${m.source}:${m.destination}`),
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=/run/netns/${netns}`,
    // nspawn sends this to the container's PID 1 (node) on SIGTERM; the default without --boot is SIGKILL.
    '--kill-signal=SIGTERM',
    '--console=pipe',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--private-users=no',
  ];
}

export async function startInstance(r: StartRequest, kind: RuntimeKind): Promise<Instance> {
  await mkdir(r.dir, { recursive: true });
  const n = await createNetns(r.id, r.ip, r.prefix, r.gateway, r.bridge);
  const base: Omit<Instance, 'cgroups'> = {
    id: r.id,
    role: r.role,
    version: r.version,
    digest: r.digest,
    ip: r.ip,
    netns: n.netns,
    hostVeth: n.hostVeth,
    runtime: kind,
    dir: r.dir,
    startedAt: new Date().toISOString(),
    limits: r.limits,
  };
  if (kind === 'podman') {
    const name = `asd-app-${r.id}`;
    await execa('podman', podmanRunArgs(r, name, n.netns));
    return { ...base, podmanName: name, cgroups: [] };
  }
  const mode = cgroupMode();
  if (!mode) throw new Error('no cgroup memory, cpu and pids controllers under /sys/fs/cgroup: cannot limit the container');
  const cgroups = await createCgroup(r.id, r.limits, mode);
  const bundle = path.join(r.dir, 'bundle');
  await mkdir(bundle, { recursive: true });
  const spec = runtimeSpec({
    image: r.image,
    rootfs: r.rootfs,
    hostname: r.id.slice(0, 63),
    args: [r.role],
    env: r.env,
    mounts: r.mounts,
    tmpfsMiB: 16,
    netnsPath: `/run/netns/${n.netns}`,
  });
  await writeFile(path.join(bundle, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o600 }); // holds the database URL
  const log = openSync(path.join(r.dir, 'console.log'), 'a');
  // The wrapper joins the cgroups, then execs nspawn: the container is limited from its first instruction.
  const child = spawn(
    'setsid',
    [
      'sh',
      '-c',
      'for d in $ASD_CGROUPS; do echo $$ > "$d/cgroup.procs"; done; exec "$@"',
      'asd-app-start',
      'systemd-nspawn',
      ...nspawnArgs(bundle, r.id.slice(0, 63), n.netns, r.mounts),
    ],
    {
      // On a cgroup v1 or hybrid host, nspawn without --boot would mount every v1 controller listed in
      // /proc/cgroups inside the container and stop at the first one the host has not mounted
      // ("Failed to read link /sys/fs/cgroup/perf_event"). The app needs no cgroup tree of its own:
      // a cgroup2 view is enough. The limits are those of the host cgroups the wrapper joins.
      env: { ...process.env, ASD_CGROUPS: cgroups.join(' '), SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
      stdio: ['ignore', log, log],
      // Not detached: setsid then makes the new session itself without forking, so the pid we keep
      // is the one that becomes nspawn.
    },
  );
  child.unref();
  closeSync(log);
  const pid = child.pid!;
  await writeFile(path.join(r.dir, 'pid'), `${pid}\n`);
  return { ...base, pid, cgroups };
}

export function isAlive(i: Instance): boolean {
  if (i.runtime === 'podman') return true; // asked of podman by instanceState
  try {
    process.kill(i.pid!, 0);
    return true;
  } catch {
    // ESRCH: gone (EPERM would be a pid reused by another user: not ours either)
    return false;
  }
}

export async function instanceState(i: Instance): Promise<'running' | 'stopped'> {
  if (i.runtime === 'podman') {
    const r = await execa('podman', ['inspect', '--format', '{{.State.Running}}', i.podmanName!], { reject: false });
    return r.stdout.trim() === 'true' ? 'running' : 'stopped';
  }
  return isAlive(i) ? 'running' : 'stopped';
}

/** Stop gracefully (SIGTERM, the app finishes its requests), then remove everything it had. */
export async function stopInstance(i: Instance, graceMs = 15_000): Promise<void> {
  if (i.runtime === 'podman') {
    await execa('podman', ['rm', '--force', '--time', String(Math.ceil(graceMs / 1000)), i.podmanName!], { reject: false });
  } else if (i.pid) {
    try {
      process.kill(i.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const until = Date.now() + graceMs;
    while (isAlive(i) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(i)) {
      try {
        process.kill(i.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await removeCgroup(i.cgroups);
  }
  await deleteNetns(i.id);
  await rm(i.dir, { recursive: true, force: true });
}

/** The app's own process inside a container (nspawn: found in the container's cgroup), or undefined. */
export async function appProcess(i: Instance): Promise<number | undefined> {
  if (i.runtime === 'podman') {
    const r = await execa('podman', ['inspect', '--format', '{{.State.Pid}}', i.podmanName!], { reject: false });
    const pid = Number(r.stdout.trim());
    return pid > 0 ? pid : undefined;
  }
  for (const dir of i.cgroups.slice(0, 1)) {
    const procs = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean); // cgroup gone: no process
    for (const p of procs) {
      const comm = (await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim(); // exited meanwhile
      if (comm === 'node' || comm.startsWith('node')) return Number(p);
    }
  }
  return undefined;
}

export async function consoleTail(i: { dir: string }, lines = 15): Promise<string> {
  const text = await readFile(path.join(i.dir, 'console.log'), 'utf8').catch(() => ''); // no console yet: an empty tail, for a message
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}
