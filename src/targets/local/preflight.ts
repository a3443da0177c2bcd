// Checks that run before the local target creates anything: root, tools, KVM when asked for, and
// clashes of the plan with what the host already has (interfaces, addresses, routes, servers).
// checkHost() is pure (unit-tested on snapshots); snapshotHost() reads the real host.
import { accessSync, constants, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Cohort } from '../../core/model/cohort.ts';
import { t } from '../../core/i18n/index.ts';
import { overlaps } from './addressing.ts';
import { LocalError } from './errors.ts';
import type { CandidatePlan } from './plan.ts';
import { planCohort } from './plan.ts';
import { SCRIPTS_DIR } from './scripts.ts';
import { resolveStateDir, statePaths } from '../../core/state.ts';
import type { LocalServer } from './servers.ts';
import { listServers } from './servers.ts';

export type Driver = 'container' | 'vm';
export type Accel = 'auto' | 'kvm' | 'tcg';

export interface Tool {
  command: string;
  pkg: string;
  purpose: string;
  drivers: Driver[];
}

/** Host tools of the local target and the Debian package that brings each one. */
export const TOOLS: Tool[] = [
  { command: 'debootstrap', pkg: 'debootstrap', purpose: 'builds the golden image', drivers: ['container', 'vm'] },
  { command: 'chroot', pkg: 'coreutils', purpose: 'configures the image and servers', drivers: ['container', 'vm'] },
  { command: 'ip', pkg: 'iproute2', purpose: 'bridges, taps, addresses', drivers: ['container', 'vm'] },
  { command: 'nft', pkg: 'nftables', purpose: 'isolation between candidates', drivers: ['container', 'vm'] },
  { command: 'ssh-keygen', pkg: 'openssh-client', purpose: 'lab key and SSH host keys', drivers: ['container', 'vm'] },
  { command: 'ssh', pkg: 'openssh-client', purpose: 'connects to the servers', drivers: ['container', 'vm'] },
  { command: 'flock', pkg: 'util-linux', purpose: 'serializes the scripts', drivers: ['container', 'vm'] },
  { command: 'setsid', pkg: 'util-linux', purpose: 'starts servers in the background', drivers: ['container', 'vm'] },
  { command: 'systemd-nspawn', pkg: 'systemd-container', purpose: 'container driver', drivers: ['container'] },
  { command: 'qemu-system-x86_64', pkg: 'qemu-system-x86', purpose: 'vm driver', drivers: ['vm'] },
  { command: 'qemu-img', pkg: 'qemu-utils', purpose: 'vm disks', drivers: ['vm'] },
  { command: 'mkfs.ext4', pkg: 'e2fsprogs', purpose: 'vm disks', drivers: ['vm'] },
];

export interface HostSnapshot {
  uid: number;
  /** Tools found on the PATH (and in the sbin directories, which a non-root PATH may lack). */
  tools: Set<string>;
  links: { name: string; alias: string }[];
  /** IPv4 routes of the main table, default route excluded. */
  routes: { dst: string; dev: string }[];
  /** IPv4 addresses with their prefix length. */
  addrs: { dev: string; cidr: string }[];
  /** Servers in the state directory. */
  servers: LocalServer[];
  /** Verdict of scripts/kvm-probe.sh when KVM was asked for; null when not probed. */
  kvm: { usable: boolean; reason: string } | null;
  /** The kernel's inotify instances per user and how many are open now; null when unreadable. */
  inotify?: { limit: number; inUse: number } | null;
}

export interface CheckOptions {
  driver: Driver;
  accel: Accel;
}

/** Every problem of the plan on this host (empty when the plan can go ahead). Pure. */
export function checkHost(cohort: Cohort, plans: CandidatePlan[], host: HostSnapshot, opts: CheckOptions): string[] {
  const problems: string[] = [];
  if (host.uid !== 0) problems.push(t('local.notRoot'));
  for (const tool of TOOLS) {
    if (tool.drivers.includes(opts.driver) && !host.tools.has(tool.command)) {
      problems.push(t('local.missingTool', { tool: tool.command, purpose: tool.purpose, pkg: tool.pkg }));
    }
  }
  if (opts.driver === 'vm' && opts.accel === 'kvm' && host.kvm && !host.kvm.usable) {
    problems.push(t('local.kvmUnusable', { reason: host.kvm.reason }));
  }
  for (const p of plans) {
    const link = host.links.find((l) => l.name === p.bridge);
    if (link && !link.alias.startsWith('asd-lab')) problems.push(t('local.bridgeNotOurs', { bridge: p.bridge }));
    for (const r of host.routes) {
      if (r.dev !== p.bridge && overlaps(r.dst, p.subnet)) {
        problems.push(t('local.routeClash', { subnet: p.subnet, candidate: p.candidate.id, route: r.dst, dev: r.dev }));
      }
    }
    for (const a of host.addrs) {
      if (a.dev !== p.bridge && a.cidr.split('/')[0] === p.gateway) {
        problems.push(t('local.addressClash', { address: p.gateway, dev: a.dev }));
      }
    }
    for (const s of p.servers) {
      const same = host.servers.find((x) => x.name === s.name);
      if (same && (same.cohort !== cohort.cohort || same.candidate !== p.candidate.id)) {
        problems.push(t('local.nameTaken', { name: s.name, cohort: same.cohort || '?', candidate: same.candidate || '?' }));
      }
      const at = host.servers.find((x) => x.name !== s.name && x.address === s.ip);
      if (at) problems.push(t('local.addressTaken', { address: s.ip, server: at.name, wanted: s.name }));
    }
  }
  return [...new Set(problems)];
}

function hasCommand(command: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((d) => {
    try {
      accessSync(path.join(d, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory: the next one, and preflight names the missing command
      return false;
    }
  });
}

async function ipJson<T>(args: string[]): Promise<T[]> {
  const r = await execa('ip', ['-j', ...args], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return JSON.parse(r.stdout) as T[];
}

export interface SnapshotOptions {
  stateDir: string;
  driver: Driver;
  accel: Accel;
  scriptsDir: string;
}

/** Read what the checks need from the host (read-only, except the KVM probe's cache file). */
export async function snapshotHost(opts: SnapshotOptions): Promise<HostSnapshot> {
  const tools = new Set(TOOLS.map((x) => x.command).filter(hasCommand));
  const haveIp = tools.has('ip');
  const links = haveIp ? await ipJson<{ ifname: string; ifalias?: string }>(['link', 'show']) : [];
  const routes = haveIp ? await ipJson<{ dst: string; dev: string }>(['-4', 'route', 'show', 'table', 'main']) : [];
  const addrs = haveIp
    ? await ipJson<{ ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }>(['-4', 'addr', 'show'])
    : [];
  let kvm: HostSnapshot['kvm'] = null;
  if (opts.driver === 'vm' && opts.accel === 'kvm') kvm = await probeKvm(opts.stateDir, opts.scriptsDir);
  return {
    uid: process.getuid?.() ?? -1,
    tools,
    links: links.map((l) => ({ name: l.ifname, alias: l.ifalias ?? '' })),
    routes: routes.filter((r) => r.dst !== 'default').map((r) => ({ dst: r.dst, dev: r.dev })),
    addrs: addrs.flatMap((a) =>
      (a.addr_info ?? []).filter((i) => i.family === 'inet').map((i) => ({ dev: a.ifname, cidr: `${i.local}/${i.prefixlen}` })),
    ),
    servers: await listServers(opts.stateDir),
    kvm,
    inotify: opts.driver === 'container' ? readInotify() : null,
  };
}

/**
 * Can KVM boot Linux here? Without /dev/kvm: no. With it, scripts/kvm-probe.sh boots the VM image's
 * kernel (when the VM image exists; otherwise create-server.sh probes before creating anything).
 */
export async function probeKvm(stateDir: string, scriptsDir: string): Promise<{ usable: boolean; reason: string } | null> {
  if (!existsSync('/dev/kvm'))
    return { usable: false, reason: '/dev/kvm is missing (no hardware virtualization, or no kvm module)' };
  const kernel = path.join(statePaths(stateDir).currentImage, 'vm-current', 'vmlinuz');
  if (!existsSync(kernel)) return null;
  const r = await execa(path.join(scriptsDir, 'kvm-probe.sh'), ['--kernel', kernel, '--cache', statePaths(stateDir).kvmProbe], {
    reject: false,
  });
  const reason = /^REASON=(.*)$/m.exec(r.stdout)?.[1] ?? r.stderr;
  return { usable: r.exitCode === 0, reason };
}

/**
 * inotify instances each booted container server takes: its systemd, journald, udev-less services
 * hold 9–10 on Debian 12 (measured on 15 servers), with a margin. All servers run as the host's
 * root, so they share root's fs.inotify.max_user_instances, 128 on Debian: past about 12 servers, a
 * new server's systemd fails to boot ("Failed to allocate manager object: Too many open files").
 */
export const INOTIFY_PER_SERVER = 16;
const INOTIFY_HEADROOM = 64;
/** What `up` raises the limit to at least (the value of several distributions' defaults). */
export const INOTIFY_TARGET = 8192;
const INOTIFY_SYSCTL = '/proc/sys/fs/inotify/max_user_instances';
export const INOTIFY_SYSCTL_FILE = '/etc/sysctl.d/60-asd-lab-inotify.conf';

/** The inotify instance limit the plan needs when the current one is too low; undefined when it is enough. Pure. */
export function inotifyShortfall(
  plans: CandidatePlan[],
  host: HostSnapshot,
  driver: Driver,
): { needed: number; limit: number; servers: number } | undefined {
  if (driver !== 'container' || !host.inotify) return undefined;
  const running = new Set(host.servers.filter((s) => s.state === 'running').map((s) => s.name));
  const servers = plans.flatMap((p) => p.servers).filter((s) => !running.has(s.name)).length;
  if (!servers) return undefined;
  const needed = host.inotify.inUse + servers * INOTIFY_PER_SERVER + INOTIFY_HEADROOM;
  return needed > host.inotify.limit ? { needed, limit: host.inotify.limit, servers } : undefined;
}

/** inotify instances open on this host now (every process's, an upper bound of root's). */
function inotifyInUse(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') n += 1;
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return n;
}

function readInotify(): HostSnapshot['inotify'] {
  try {
    return { limit: Number(readFileSync(INOTIFY_SYSCTL, 'utf8').trim()), inUse: inotifyInUse() };
  } catch {
    // no such sysctl (not Linux, or a restricted /proc): nothing to check or raise
    return null;
  }
}

/** Raise the limit now and at boot (sysctl.d); undefined when done, else why it could not be. */
function raiseInotify(to: number): string | undefined {
  try {
    writeFileSync(INOTIFY_SYSCTL, `${to}\n`);
    writeFileSync(
      INOTIFY_SYSCTL_FILE,
      `# Written by asd-lab up: each lab server's systemd needs about ${INOTIFY_PER_SERVER} inotify instances,\n# and all of them count against root's limit (128 by default).\nfs.inotify.max_user_instances = ${to}\n`,
    );
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface PreflightOptions {
  stateDir?: string;
  driver?: Driver;
  accel?: Accel;
  scriptsDir?: string;
  /** Where to say what preflight changed on the host (a raised kernel limit). */
  say?: (line: string) => void;
}

/** Plan the cohort and check the host; throws one LocalError listing every problem. */
export async function preflight(cohort: Cohort, opts: PreflightOptions = {}): Promise<CandidatePlan[]> {
  const driver = opts.driver ?? cohort.local.driver;
  const accel = opts.accel ?? 'auto';
  const plans = planCohort(cohort);
  const host = await snapshotHost({
    stateDir: opts.stateDir ?? resolveStateDir(),
    driver,
    accel,
    scriptsDir: opts.scriptsDir ?? SCRIPTS_DIR,
  });
  const problems = checkHost(cohort, plans, host, { driver, accel });
  // The one host setting preflight changes, and only when nothing else stands in the way.
  const short = problems.length ? undefined : inotifyShortfall(plans, host, driver);
  if (short) {
    const to = Math.max(INOTIFY_TARGET, short.needed);
    const why = raiseInotify(to);
    if (why)
      problems.push(t('local.inotifyLimit', { limit: short.limit, needed: short.needed, servers: short.servers, reason: why }));
    else opts.say?.(t('local.inotifyRaised', { from: short.limit, to, file: INOTIFY_SYSCTL_FILE }));
  }
  if (problems.length) throw new LocalError(problems, t('local.preflightHeader', { count: problems.length }));
  return plans;
}
