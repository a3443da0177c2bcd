// The containers' remote volume: a directory on one of the candidate's servers, mounted on the
// host with sshfs (SFTP over the lab's SSH, FUSE) and bind-mounted into the containers at /data.
// Why sshfs and not NFS: the lab's servers are systemd-nspawn containers, where the kernel NFS
// server is not available to them (docs/containers.md says what was tried); SFTP comes with
// OpenSSH, which every server runs, and the host is the only place the containers run.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export interface VolumeTarget {
  /** Server name in the model and its address. */
  server: string;
  address: string;
  user: string;
  keyPath: string;
  knownHostsFile: string;
  remoteDir: string;
  mountpoint: string;
  uid: number;
  gid: number;
}

export async function mountInfo(mountpoint: string): Promise<{ fstype: string; source: string } | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f[4] === mountpoint && sep > 0) return { fstype: f[sep + 1]!, source: f[sep + 2]! };
  }
  return undefined;
}

const sshOpts = (v: VolumeTarget) => [
  '-o',
  `IdentityFile=${v.keyPath}`,
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'BatchMode=yes',
  '-o',
  `UserKnownHostsFile=${v.knownHostsFile}`,
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'ConnectTimeout=10',
];

export async function ssh(v: Pick<VolumeTarget, 'keyPath' | 'knownHostsFile' | 'user' | 'address'>, command: string) {
  return execa('ssh', [...sshOpts(v as VolumeTarget), `${v.user}@${v.address}`, '--', command], {
    reject: false,
    timeout: 30_000,
  });
}

/** Mount the remote directory (idempotent: an existing sshfs mount of the same source is kept). */
export async function mountVolume(v: VolumeTarget): Promise<{ changed: boolean; source: string }> {
  const source = `${v.user}@${v.address}:${v.remoteDir}`;
  const cur = await mountInfo(v.mountpoint);
  if (cur?.fstype === 'fuse.sshfs' && cur.source === source) return { changed: false, source };
  if (cur) throw new Error(`${v.mountpoint} is already a ${cur.fstype} mount of ${cur.source}: unmount it first`);
  const mk = await ssh(v, `sudo install -d -o ${v.user} -g ${v.user} -m 0750 ${v.remoteDir}`);
  if (mk.exitCode !== 0)
    throw new Error(`cannot create ${v.remoteDir} on ${v.server}: ${mk.stderr.trim() || `ssh exit ${mk.exitCode}`}`);
  await mkdir(v.mountpoint, { recursive: true });
  const r = await execa(
    'sshfs',
    [
      source,
      v.mountpoint,
      ...sshOpts(v),
      // The containers run as uid 10001: files show as theirs; the server stores them as the SSH user.
      '-o',
      `allow_other,uid=${v.uid},gid=${v.gid},umask=0027`,
      '-o',
      'reconnect,ServerAliveInterval=15,ServerAliveCountMax=3',
    ],
    { reject: false, timeout: 30_000 },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `sshfs could not mount ${source}: ${r.stderr.trim() || `exit ${r.exitCode}`} (is sshfs installed and /dev/fuse available?)`,
    );
  return { changed: true, source };
}

/** The sshfs processes serving this mount point (found by their exact arguments in /proc). */
async function sshfsProcesses(mountpoint: string): Promise<number[]> {
  const out: number[] = [];
  const pids = await readdir('/proc').catch(() => [] as string[]); // no /proc: no process to find
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0'); // exited meanwhile
    if (path.basename(argv[0] ?? '') === 'sshfs' && argv.includes(mountpoint)) out.push(Number(pid));
  }
  return out;
}

export async function unmountVolume(mountpoint: string): Promise<void> {
  if (await mountInfo(mountpoint)) {
    const r = await execa('fusermount', ['-u', mountpoint], { reject: false });
    if (r.exitCode !== 0) await execa('umount', ['-l', mountpoint], { reject: false });
  }
  // After a lazy unmount the sshfs process may stay: end it, by its pid.
  for (const pid of await sshfsProcesses(mountpoint)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
}
