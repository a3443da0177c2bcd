// The cgroup of one container: memory, CPU and pids limits written by asd-lab itself, because
// systemd-nspawn applies limits through systemd, which a host may not run (asd-lab's CI host has
// none). cgroup v2 when the unified hierarchy has the controllers, else cgroup v1 (hybrid hosts).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerLimits } from '../../core/model/containers.ts';

const ROOT = '/sys/fs/cgroup';
export const CPU_PERIOD = 100_000;

export type CgroupMode = 'v2' | 'v1';

export function cgroupMode(root = ROOT): CgroupMode | undefined {
  try {
    if (existsSync(path.join(root, 'cgroup.controllers'))) {
      const c = readFileSync(path.join(root, 'cgroup.controllers'), 'utf8');
      if (/\bmemory\b/.test(c) && /\bpids\b/.test(c)) return 'v2';
    }
  } catch {
    /* unreadable controllers file: try the v1 layout below */
  }
  if (['memory', 'cpu', 'pids'].every((c) => existsSync(path.join(root, c, 'cgroup.procs')))) return 'v1';
  return undefined;
}

/** The values written for a container's limits (also what `verify` reads back). */
export function limitValues(l: ContainerLimits) {
  return {
    memoryBytes: l.memoryMiB * 1024 * 1024,
    cpuQuota: Math.round(l.cpus * CPU_PERIOD),
    pids: l.pids,
  };
}

/** Create the container's cgroup(s) with its limits; returns the directories to join. */
export async function createCgroup(name: string, limits: ContainerLimits, mode: CgroupMode, root = ROOT): Promise<string[]> {
  const v = limitValues(limits);
  if (mode === 'v2') {
    const parent = path.join(root, 'asd-lab-app');
    await mkdir(parent, { recursive: true });
    for (const dir of [root, parent]) {
      const have = await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
      for (const c of ['memory', 'cpu', 'pids'])
        if (!new RegExp(`\\b${c}\\b`).test(have)) await writeFile(path.join(dir, 'cgroup.subtree_control'), `+${c}`);
    }
    const dir = path.join(parent, name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'memory.max'), String(v.memoryBytes));
    await writeFile(path.join(dir, 'cpu.max'), `${v.cpuQuota} ${CPU_PERIOD}`);
    await writeFile(path.join(dir, 'pids.max'), String(v.pids));
    return [dir];
  }
  const dirs = ['memory', 'cpu', 'pids'].map((c) => path.join(root, c, 'asd-lab-app', name));
  for (const d of dirs) await mkdir(d, { recursive: true });
  await writeFile(path.join(dirs[0]!, 'memory.limit_in_bytes'), String(v.memoryBytes));
  await writeFile(path.join(dirs[1]!, 'cpu.cfs_period_us'), String(CPU_PERIOD));
  await writeFile(path.join(dirs[1]!, 'cpu.cfs_quota_us'), String(v.cpuQuota));
  await writeFile(path.join(dirs[2]!, 'pids.max'), String(v.pids));
  return dirs;
}

/** Read back the limits that are in force, and the pids inside. */
export async function readCgroup(
  dirs: string[],
): Promise<{ memoryBytes?: number; cpuQuota?: number; pids?: number; procs: number[] }> {
  const read = async (f: string) => (await readFile(f, 'utf8').catch(() => '')).trim(); // a limit file absent: that limit is not set
  const out: { memoryBytes?: number; cpuQuota?: number; pids?: number; procs: number[] } = { procs: [] };
  for (const d of dirs) {
    if (existsSync(path.join(d, 'memory.max'))) {
      out.memoryBytes = Number(await read(path.join(d, 'memory.max')));
      out.cpuQuota = Number((await read(path.join(d, 'cpu.max'))).split(' ')[0]);
      out.pids = Number(await read(path.join(d, 'pids.max')));
    }
    if (existsSync(path.join(d, 'memory.limit_in_bytes')))
      out.memoryBytes = Number(await read(path.join(d, 'memory.limit_in_bytes')));
    if (existsSync(path.join(d, 'cpu.cfs_quota_us'))) out.cpuQuota = Number(await read(path.join(d, 'cpu.cfs_quota_us')));
    if (existsSync(path.join(d, 'pids.max')) && !existsSync(path.join(d, 'memory.max')))
      out.pids = Number(await read(path.join(d, 'pids.max')));
    for (const p of (await read(path.join(d, 'cgroup.procs'))).split('\n').filter(Boolean))
      if (!out.procs.includes(Number(p))) out.procs.push(Number(p));
  }
  return out;
}

/** Kill what is left in the cgroups and remove them. */
export async function removeCgroup(dirs: string[]): Promise<void> {
  for (const d of dirs) {
    const procs = (await readFile(path.join(d, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean); // cgroup gone: nothing to kill
    for (const p of procs) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  for (const d of dirs) {
    for (let i = 0; i < 20; i++) {
      try {
        await rmdir(d);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The shared parent goes with the last container (it fails, harmlessly, while others remain).
    await rmdir(path.dirname(d)).catch(() => undefined); // EBUSY while another container of the parent remains
  }
}
