// `asd-lab app image`: the reference app's OCI image, built offline with buildah FROM scratch and
// without RUN (no container runtime is needed to build it): the node binary and the shared
// libraries it links, copied from the host's Debian packages; the app bundle; a non-root user.
// The image goes to the local containers-storage (for podman) and to an OCI image layout in the
// lab state (for systemd-nspawn); its manifest digest is recorded in image.json.
import { createHash, randomUUID } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { accountFiles, APP_GID, buildahConfigArgs, IMAGE_DIRS, imageRef, parseLdd } from './image-spec.ts';
import { REFERENCE_APP_DIR, REPO_ROOT } from '../../core/repo.ts';
import { debianPackageOf, spdxDocument, type SbomFile, type SbomPackage } from './sbom.ts';
import { statePaths } from '../../core/state.ts';
import { AsdError, isNotFound } from '../../core/errors.ts';
import { t } from '../../core/i18n/index.ts';

export interface ImageRecord {
  version: string;
  ref: string;
  /** Manifest digest of the image in the OCI layout: what deploy verifies and runs. */
  digest: string;
  /** Image id in containers-storage (podman). */
  imageId: string;
  /** Size of the root filesystem (uncompressed layer), in bytes. */
  size: number;
  /** Size of the gzip-compressed layer in the OCI layout, in bytes. */
  compressedSize: number;
  layout: string;
  sbom: string;
  builtAt: string;
  buildSeconds: number;
  node: { path: string; package: string; version: string };
  bundleSha256: string;
}

/** Building or reading the app's image failed (kind 'operation'; a missing tool says which package). */
export class ImageError extends AsdError {}

const sha256File = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

async function need(tool: string, pkg: string): Promise<void> {
  const r = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
  if (r.exitCode !== 0) throw new ImageError(`${tool} is missing: apt-get install ${pkg}`);
}

async function uncompressedSize(layout: string, digests: string[]): Promise<number> {
  let total = 0;
  for (const d of digests) {
    const r = await execa('sh', [
      '-c',
      'gzip -dc "$1" | wc -c',
      'sh',
      path.join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, '')),
    ]);
    total += Number(r.stdout.trim());
  }
  return total;
}

/** The record of a built image; undefined when it was never built. A damaged record is an error naming its file. */
export async function readImageRecord(stateDir: string, version: string): Promise<ImageRecord | undefined> {
  const file = path.join(statePaths(stateDir).app.image(version), 'image.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ImageRecord;
  } catch (err) {
    if (isNotFound(err)) return undefined; // not built
    throw new ImageError(t('app.imageRecordUnreadable', { file, detail: (err as Error).message, version }), {
      kind: 'user',
      cause: err,
    });
  }
}

export async function buildImage(opts: {
  version: string;
  stateDir: string;
  node?: string;
  say?: (line: string) => void;
}): Promise<ImageRecord> {
  const say = opts.say ?? (() => undefined);
  const { version } = opts;
  if (version !== 'v1' && version !== 'v2') throw new ImageError(`unknown version ${JSON.stringify(version)}: v1 or v2`);
  if (process.getuid?.() !== 0)
    throw new ImageError('building the image needs root (buildah mount, files owned by root and uid 10001)');
  await need('buildah', 'buildah');
  await need('ldd', 'libc-bin');
  await need('dpkg', 'dpkg');
  const started = Date.now();

  // 1. The app bundle, built from the working tree when missing or older than the sources.
  const dist = path.join(REFERENCE_APP_DIR, 'dist', version);
  const { buildApp } = await import('../../../reference-app/scripts/build.ts');
  say(`bundling app ${version} (esbuild)`);
  await buildApp({ versions: [version], typecheck: false });
  const bundle = path.join(dist, 'app.cjs');
  const buildInfo = JSON.parse(await readFile(path.join(dist, 'build.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    sha256: string;
  };

  // 2. node and its shared libraries, with the Debian package of each.
  const node = await realpath(opts.node ?? (await execa('sh', ['-c', 'command -v node'])).stdout.trim());
  const libs = parseLdd((await execa('ldd', [node])).stdout);
  const hostFiles = [{ src: node, dest: '/usr/bin/node' }, ...libs.map((l) => ({ src: l, dest: l }))];
  const packages = new Map<string, SbomPackage>();
  const files: SbomFile[] = [];
  for (const f of hostFiles) {
    const real = await realpath(f.src);
    const pkg = await debianPackageOf(f.src, real);
    packages.set(pkg.name, pkg);
    files.push({ path: f.dest.slice(1), sha256: await sha256File(real), package: pkg.name });
  }
  const nodePkg = [...packages.values()].find((p) => files.find((f) => f.path === 'usr/bin/node')?.package === p.name)!;
  packages.set('asd-app', { name: 'asd-app', version, type: 'app' });
  for (const [name, v] of Object.entries(buildInfo.dependencies)) packages.set(name, { name, version: v, type: 'npm' });
  files.push({ path: 'app/app.cjs', sha256: buildInfo.sha256, package: 'asd-app' });
  const created = new Date().toISOString();
  const sbom = spdxDocument(
    { name: 'asd-app', version, namespace: `https://asd-lab.invalid/sbom/asd-app-${version}-${randomUUID()}`, created },
    [...packages.values()],
    files,
  );

  // 3. The root filesystem, in a buildah working container FROM scratch (no RUN: nothing executes in it).
  const name = `asd-app-build-${version}`;
  await execa('buildah', ['rm', name], { reject: false });
  const ctr = (await execa('buildah', ['from', '--name', name, 'scratch'])).stdout.trim();
  try {
    const mnt = (await execa('buildah', ['mount', ctr])).stdout.trim();
    for (const d of IMAGE_DIRS) {
      const p = path.join(mnt, d.path);
      await mkdir(p, { recursive: true });
      await chmod(p, d.mode);
      if (d.owner) await chown(p, d.owner, APP_GID);
    }
    for (const f of hostFiles) {
      const dest = path.join(mnt, f.dest);
      await mkdir(path.dirname(dest), { recursive: true });
      await copyFile(await realpath(f.src), dest);
      await chmod(dest, (await stat(f.src)).mode & 0o755);
    }
    const acc = accountFiles();
    await writeFile(path.join(mnt, 'etc/passwd'), acc.passwd, { mode: 0o644 });
    await writeFile(path.join(mnt, 'etc/group'), acc.group, { mode: 0o644 });
    await writeFile(path.join(mnt, 'etc/ld.so.conf'), '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n', { mode: 0o644 });
    await copyFile(bundle, path.join(mnt, 'app/app.cjs'));
    await chmod(path.join(mnt, 'app/app.cjs'), 0o644);
    await mkdir(path.join(mnt, 'usr/share/asd-app'), { recursive: true });
    await writeFile(path.join(mnt, 'usr/share/asd-app/sbom.spdx.json'), `${JSON.stringify(sbom, null, 2)}\n`, { mode: 0o644 });
    // The loader's cache, written from the host: no command runs inside the image.
    await execa('ldconfig', ['-r', mnt]);
    await execa('buildah', ['umount', ctr]);
    const revision = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, reject: false });
    await execa('buildah', [
      'config',
      ...buildahConfigArgs(version, { revision: revision.exitCode === 0 ? revision.stdout.trim() : undefined }),
      ctr,
    ]);
    say(`committing ${imageRef(version)}`);
    await execa('buildah', ['commit', '--quiet', '--format', 'oci', '--omit-history', '--rm', ctr, imageRef(version)]);
  } catch (err) {
    await execa('buildah', ['rm', ctr], { reject: false });
    throw new ImageError(`buildah failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
  }

  // 4. The OCI image layout in the lab state (what nspawn runs), its digest, the SBOM beside it.
  const dir = statePaths(opts.stateDir).app.image(version);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const layout = path.join(dir, 'oci');
  const digestFile = path.join(dir, 'digest');
  await execa('buildah', [
    'push',
    '--quiet',
    '--disable-compression',
    '--digestfile',
    digestFile,
    imageRef(version),
    `oci:${layout}:${version}`,
  ]);
  const digest = (await readFile(digestFile, 'utf8')).trim();
  const imageId = (
    await execa('buildah', ['images', '--noheading', '--no-trunc', '--format', '{{.ID}}', imageRef(version)])
  ).stdout
    .trim()
    .split('\n')[0]!;
  const { readLayout } = await import('./oci.ts');
  const img = await readLayout(layout, version);
  const sbomPath = path.join(dir, 'sbom.spdx.json');
  await writeFile(sbomPath, `${JSON.stringify(sbom, null, 2)}\n`);
  const record: ImageRecord = {
    version,
    ref: imageRef(version),
    digest,
    imageId,
    size: await uncompressedSize(
      layout,
      img.layers.map((l) => l.digest),
    ),
    compressedSize: img.layers.reduce((s, l) => s + l.size, 0),
    layout,
    sbom: sbomPath,
    builtAt: created,
    buildSeconds: (Date.now() - started) / 1000,
    node: { path: node, package: nodePkg.name, version: nodePkg.version },
    bundleSha256: buildInfo.sha256,
  };
  if (img.digest !== digest)
    throw new ImageError(`the OCI layout's manifest digest ${img.digest} is not the one buildah reported (${digest})`);
  await writeFile(path.join(dir, 'image.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
