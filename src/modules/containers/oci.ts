// Reading an OCI image layout (index.json -> manifest -> config and layers), checking every blob
// against its digest, unpacking it into a root filesystem, and writing the OCI runtime bundle
// (config.json) that systemd-nspawn --oci-bundle runs. Written here rather than with umoci so that
// the runtime configuration is exactly what the model says (limits, read-only root, mounts).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

export interface LayoutImage {
  digest: string;
  manifest: { config: Descriptor; layers: Descriptor[] };
  config: { config: ImageConfig; rootfs: { diff_ids: string[] } };
  layers: Descriptor[];
}

const blobPath = (layout: string, digest: string) => {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new Error(`unsupported digest ${digest}`);
  return path.join(layout, 'blobs', 'sha256', m[1]!);
};

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

async function readBlob(layout: string, d: { digest: string }): Promise<Buffer> {
  const bytes = await readFile(blobPath(layout, d.digest));
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== d.digest) throw new Error(`blob ${d.digest} is corrupt (its content hashes to ${actual})`);
  return bytes;
}

/** The image tagged `tag` in an OCI layout, its manifest and config checked against their digests. */
export async function readLayout(layout: string, tag: string): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`no image tagged ${tag} in ${layout}`);
  const manifest = JSON.parse((await readBlob(layout, found)).toString('utf8')) as LayoutImage['manifest'];
  const config = JSON.parse((await readBlob(layout, manifest.config)).toString('utf8')) as LayoutImage['config'];
  return { digest: found.digest, manifest, config, layers: manifest.layers };
}

/**
 * Unpack the image into `dest` (once per digest; a second call finds it done). Every layer is
 * checked against its digest first. Layers from buildah FROM scratch carry no whiteouts to apply.
 */
export async function unpack(layout: string, tag: string, dest: string, expectedDigest?: string): Promise<LayoutImage> {
  const img = await readLayout(layout, tag);
  if (expectedDigest && img.digest !== expectedDigest)
    throw new Error(`image ${tag} in ${layout} has digest ${img.digest}, not the pinned ${expectedDigest}`);
  const done = path.join(dest, '.asd-unpacked');
  try {
    await stat(done);
    return img;
  } catch {
    /* not yet */
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.join(tmp, 'rootfs'), { recursive: true });
  for (const layer of img.layers) {
    const file = blobPath(layout, layer.digest);
    const actual = await sha256Of(file);
    if (actual !== layer.digest) throw new Error(`layer ${layer.digest} is corrupt (its content hashes to ${actual})`);
    const gz = layer.mediaType.endsWith('+gzip');
    await execa('tar', [
      '-x',
      ...(gz ? ['-z'] : []),
      '-f',
      file,
      '-C',
      path.join(tmp, 'rootfs'),
      '--numeric-owner',
      '-p',
      '--same-owner',
    ]);
  }
  await execa('touch', [path.join(tmp, '.asd-unpacked')]);
  await rm(dest, { recursive: true, force: true });
  await mkdir(path.dirname(dest), { recursive: true });
  await rename(tmp, dest);
  return img;
}

export interface Mount {
  destination: string;
  source: string;
  readOnly?: boolean;
}

export interface RuntimeSpecInput {
  image: ImageConfig;
  rootfs: string;
  hostname: string;
  args: string[];
  env: Record<string, string>;
  mounts: Mount[];
  tmpfsMiB: number;
  /** A prepared network namespace (/run/netns/NAME) to join. */
  netnsPath?: string;
}

const parseUser = (u: string | undefined) => {
  const [uid, gid] = (u ?? '0:0').split(':');
  if (!/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? uid ?? ''))
    throw new Error(`image user must be numeric uid:gid, got ${JSON.stringify(u)}`);
  return { uid: Number(uid), gid: Number(gid ?? uid) };
};

/**
 * The OCI runtime configuration of one container: the image's user (refused if root), entrypoint
 * and environment, a read-only root filesystem, a size-capped /tmp, the volumes, no capabilities,
 * no new privileges. Limits are not here: systemd-nspawn applies `linux.resources` through systemd,
 * which a host without systemd lacks, so asd-lab puts the container in its own cgroup instead.
 */
export function runtimeSpec(i: RuntimeSpecInput) {
  const user = parseUser(i.image.User);
  if (user.uid === 0) throw new Error('the image runs as root: refusing to run it (the app image must set a non-root USER)');
  const env = new Map<string, string>();
  for (const e of i.image.Env ?? []) {
    const k = e.split('=')[0]!;
    env.set(k, e.slice(k.length + 1));
  }
  for (const [k, v] of Object.entries(i.env)) env.set(k, v);
  return {
    ociVersion: '1.0.0', // systemd-nspawn 252 accepts this version only
    process: {
      terminal: false,
      user,
      args: [...(i.image.Entrypoint ?? []), ...i.args],
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: i.image.WorkingDir || '/',
      noNewPrivileges: true,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
    },
    root: { path: i.rootfs, readonly: true },
    hostname: i.hostname,
    // systemd-nspawn mounts its own /tmp (a tmpfs) and ignores this entry; other OCI runtimes honour
    // it. Bind mounts are given on nspawn's command line (--bind, --bind-ro): its OCI parser accepts
    // no "ro" option on a bind mount.
    mounts: [
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'noexec', 'mode=1777', `size=${i.tmpfsMiB}m`],
      },
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        i.netnsPath ? { type: 'network', path: i.netnsPath } : { type: 'network' },
      ],
    },
  };
}
