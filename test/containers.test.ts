// Unit tests of the app's containers: image content and configuration, runtime bundle, limits,
// addresses, OCI layout checks. Nothing here builds or runs a container (containers-live does).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp as mkdtempRaw, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { createCgroup, limitValues, readCgroup } from '../src/modules/containers/cgroup.ts';
import { envAddresses } from '../src/modules/containers/addresses.ts';
import { accountFiles, APP_UID, buildahConfigArgs, IMAGE_DIRS, parseLdd } from '../src/modules/containers/image-spec.ts';
import { appSchema } from '../src/core/model/containers.ts';
import { readLayout, runtimeSpec, unpack } from '../src/modules/containers/oci.ts';
import { macFor, netNames, nspawnArgs, podmanRunArgs, type StartRequest } from '../src/modules/containers/runtime.ts';
import { purl, spdxDocument } from '../src/modules/containers/sbom.ts';
import { planCandidate } from '../src/targets/local/index.ts';
import { cohortSchema } from '../src/core/model/cohort.ts';
import { KEY_A } from './helpers.ts';

const settings = appSchema.parse(undefined);
const temps: string[] = [];
const mkdtemp = async (prefix: string) => {
  const d = await mkdtempRaw(prefix);
  temps.push(d);
  return d;
};
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

describe('image configuration', () => {
  it('runs as the unprivileged uid 10001, never root, with a fixed entrypoint', () => {
    const args = buildahConfigArgs('v2', { revision: 'abc1234' });
    expect(args[args.indexOf('--user') + 1]).toBe(`${APP_UID}:${APP_UID}`);
    expect(JSON.parse(args[args.indexOf('--entrypoint') + 1]!)).toEqual(['/usr/bin/node', '/app/app.cjs']);
    expect(args).toContain('org.opencontainers.image.version=v2');
    expect(args).toContain('org.opencontainers.image.revision=abc1234');
    expect(args).toContain('org.opencontainers.image.base.name=scratch');
    const acc = accountFiles();
    expect(acc.passwd).toMatch(/^app:x:10001:10001:.*:\/usr\/sbin\/nologin$/m);
    expect(acc.passwd).toMatch(/^root:x:0:0:.*nologin$/m);
  });

  it('gives the app user its data directory only; /tmp is sticky', () => {
    expect(IMAGE_DIRS.filter((d) => d.owner === APP_UID).map((d) => d.path)).toEqual(['data']);
    expect(IMAGE_DIRS.find((d) => d.path === 'tmp')?.mode).toBe(0o1777);
  });

  it('reads the shared libraries and the loader from ldd, and refuses a missing one', () => {
    const out = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n`;
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
    expect(() => parseLdd('\tlibfoo.so.1 => not found\n')).toThrow(/not found/);
  });
});

describe('runtime bundle (OCI config.json for systemd-nspawn)', () => {
  const image = {
    User: '10001:10001',
    Entrypoint: ['/usr/bin/node', '/app/app.cjs'],
    Env: ['PATH=/usr/bin', 'NODE_ENV=production'],
    WorkingDir: '/app',
  };
  const spec = runtimeSpec({
    image,
    rootfs: '/r',
    hostname: 'h',
    args: ['worker'],
    env: { APP_ENV: 'test', NODE_ENV: 'x' },
    mounts: [
      { source: '/mnt/v', destination: '/data' },
      { source: '/e', destination: '/run/edge', readOnly: true },
    ],
    tmpfsMiB: 16,
  });

  it('has a read-only root, no capabilities, no new privileges, the image user', () => {
    expect(spec.root).toEqual({ path: '/r', readonly: true });
    expect(spec.process.user).toEqual({ uid: 10001, gid: 10001 });
    expect(spec.process.noNewPrivileges).toBe(true);
    expect(Object.values(spec.process.capabilities).every((c) => c.length === 0)).toBe(true);
    expect(spec.process.args).toEqual(['/usr/bin/node', '/app/app.cjs', 'worker']);
    expect(spec.process.env).toContain('APP_ENV=test');
    expect(spec.process.env).toContain('NODE_ENV=x'); // the deployment overrides the image
  });

  it("asks for a size-capped /tmp; the volumes go on nspawn's command line with their modes", () => {
    expect(spec.mounts).toEqual([
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: expect.arrayContaining(['size=16m', 'noexec']) },
    ]);
    const a = nspawnArgs('/b', 'm', 'ns1', [
      { source: '/mnt/v', destination: '/data' },
      { source: '/e', destination: '/run/edge', readOnly: true },
    ]);
    expect(a).toEqual(expect.arrayContaining(['--bind=/mnt/v:/data', '--bind-ro=/e:/run/edge']));
  });

  it('joins the prepared network namespace', () => {
    const withNs = runtimeSpec({
      image,
      rootfs: '/r',
      hostname: 'h',
      args: [],
      env: {},
      mounts: [],
      tmpfsMiB: 8,
      netnsPath: '/run/netns/x',
    });
    expect(withNs.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/x' });
    expect(withNs.linux.namespaces).toContainEqual({ type: 'mount' });
  });

  it('refuses an image that runs as root', () => {
    expect(() =>
      runtimeSpec({ image: { ...image, User: '0:0' }, rootfs: '/r', hostname: 'h', args: [], env: {}, mounts: [], tmpfsMiB: 8 }),
    ).toThrow(/root/);
    expect(() =>
      runtimeSpec({ image: { ...image, User: 'app' }, rootfs: '/r', hostname: 'h', args: [], env: {}, mounts: [], tmpfsMiB: 8 }),
    ).toThrow(/numeric/);
  });
});

describe('limits from the model', () => {
  it('has defaults for every role and refuses absurd values', () => {
    expect(settings.limits.api).toEqual({ memoryMiB: 160, cpus: 0.5, pids: 64 });
    expect(settings.replicas).toBe(2);
    expect(appSchema.safeParse({ limits: { api: { memoryMiB: 8 } } }).success).toBe(false);
    expect(appSchema.safeParse({ limits: { api: { pids: 1 } } }).success).toBe(false);
    expect(appSchema.safeParse({ replicas: 0 }).success).toBe(false);
  });

  it('turns them into cgroup values', () => {
    expect(limitValues({ memoryMiB: 160, cpus: 0.5, pids: 64 })).toEqual({ memoryBytes: 167772160, cpuQuota: 50000, pids: 64 });
  });

  it('writes them to cgroup v1 and v2 layouts and reads them back', async () => {
    const limits = { memoryMiB: 96, cpus: 0.25, pids: 32 };
    const v1 = await mkdtemp(path.join(os.tmpdir(), 'cg1-'));
    const dirs = await createCgroup('x', limits, 'v1', v1);
    expect(dirs.map((d) => path.relative(v1, d))).toEqual(['memory/asd-lab-app/x', 'cpu/asd-lab-app/x', 'pids/asd-lab-app/x']);
    expect(await readCgroup(dirs)).toMatchObject({ memoryBytes: 96 * 1048576, cpuQuota: 25000, pids: 32 });
    const v2 = await mkdtemp(path.join(os.tmpdir(), 'cg2-'));
    await writeFile(path.join(v2, 'cgroup.subtree_control'), '');
    await mkdir(path.join(v2, 'asd-lab-app'));
    await writeFile(path.join(v2, 'asd-lab-app', 'cgroup.subtree_control'), 'memory cpu pids');
    const d2 = await createCgroup('y', limits, 'v2', v2);
    expect(await readFile(path.join(d2[0]!, 'cpu.max'), 'utf8')).toBe('25000 100000');
    expect(await readCgroup(d2)).toMatchObject({ memoryBytes: 96 * 1048576, cpuQuota: 25000, pids: 32 });
  });

  const req: StartRequest = {
    id: 'c-test-api-3',
    role: 'api',
    version: 'v2',
    digest: 'sha256:x',
    rootfs: '/r',
    imageId: 'sha256:img',
    image: { User: '10001:10001' },
    ip: '10.0.0.30',
    prefix: 27,
    gateway: '10.0.0.1',
    bridge: 'br',
    env: { APP_ENV: 'test' },
    mounts: [{ source: '/m', destination: '/data' }],
    limits: { memoryMiB: 160, cpus: 0.5, pids: 64 },
    dir: '/d',
  };

  it('passes the same limits, read-only root and network to podman', () => {
    const a = podmanRunArgs(req, 'n', 'ns1');
    const val = (flag: string) => a[a.indexOf(flag) + 1];
    expect(val('--memory')).toBe('160m');
    expect(val('--cpus')).toBe('0.5');
    expect(val('--pids-limit')).toBe('64');
    expect(val('--network')).toBe('ns:/run/netns/ns1');
    expect(val('--user')).toBe('10001:10001');
    expect(a).toContain('--read-only');
    expect(a).toContain('--cap-drop=ALL');
    expect(JSON.parse(val('--health-cmd')!)).toEqual(['/usr/bin/node', '/app/app.cjs', 'probe', 'http://127.0.0.1:8080/readyz']);
    expect(a.slice(-2)).toEqual(['sha256:img', 'api']);
  });

  it('runs nspawn without systemd registration, in the prepared namespace, stopping with SIGTERM', () => {
    const a = nspawnArgs('/b', 'm', 'ns1');
    expect(a).toEqual(
      expect.arrayContaining([
        '--oci-bundle=/b',
        '--register=no',
        '--keep-unit',
        '--network-namespace-path=/run/netns/ns1',
        '--kill-signal=SIGTERM',
      ]),
    );
  });

  it("derives a stable, locally administered MAC address from the container's IP address", () => {
    expect(macFor('10.240.16.26')).toBe('02:a5:0a:f0:10:1a');
    expect(macFor('10.240.16.27')).not.toBe(macFor('10.240.16.26'));
    expect(() => macFor('10.240.16')).toThrow(/IPv4/);
  });

  it('names interfaces within 15 characters, the same for the same instance', () => {
    const n = netNames('a-very-long-candidate-name-preprod-api-12');
    expect(n.hostVeth.length).toBeLessThanOrEqual(15);
    expect(n.peer.length).toBeLessThanOrEqual(15);
    expect(netNames('a-very-long-candidate-name-preprod-api-12')).toEqual(n);
    expect(netNames('other').hostVeth).not.toBe(n.hostVeth);
  });
});

describe('addresses of the environments', () => {
  const cohort = (prefix: number, servers: string[]) =>
    cohortSchema.parse({
      cohort: 'c',
      local: { subnetPool: '10.240.16.0/22', subnetPrefix: prefix },
      candidates: [
        { id: 'a', sshKey: KEY_A, overrides: { servers: servers.map((n) => ({ name: n, role: n === 'app' ? 'app' : 'db' })) } },
      ],
    });

  it('gives each environment its own block at the top of the subnet, clear of the servers', () => {
    const c = cohort(27, ['app', 'db1']);
    const plan = planCandidate(c, c.candidates[0]!);
    const test = envAddresses(plan, settings, 'test');
    const prod = envAddresses(plan, settings, 'prod');
    expect(test).toEqual(['10.240.16.30', '10.240.16.29', '10.240.16.28', '10.240.16.27', '10.240.16.26']);
    expect(prod.at(-1)).toBe('10.240.16.16');
    const all = new Set([...test, ...envAddresses(plan, settings, 'preprod'), ...prod]);
    expect(all.size).toBe(15);
    for (const s of plan.servers) expect(all.has(s.ip)).toBe(false);
  });

  it('refuses a subnet too small, saying what to change', () => {
    const c = cohort(28, ['app', 'db1']);
    expect(() => envAddresses(planCandidate(c, c.candidates[0]!), settings, 'test')).toThrow(/too small.*subnetPrefix/);
  });
});

describe('OCI layout', () => {
  async function layout() {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oci-'));
    const blobs = path.join(dir, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const put = async (bytes: Buffer) => {
      const h = createHash('sha256').update(bytes).digest('hex');
      await writeFile(path.join(blobs, h), bytes);
      return { digest: `sha256:${h}`, size: bytes.length };
    };
    const src = await mkdtemp(path.join(os.tmpdir(), 'src-'));
    await mkdir(path.join(src, 'app'));
    await writeFile(path.join(src, 'app', 'hello.txt'), 'hello\n');
    await execa('tar', ['-czf', path.join(dir, 'layer.tgz'), '-C', src, '.']);
    const layer = await put(await readFile(path.join(dir, 'layer.tgz')));
    const config = await put(Buffer.from(JSON.stringify({ config: { User: '10001:10001' }, rootfs: { diff_ids: [] } })));
    const manifest = await put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
        }),
      ),
    );
    await writeFile(
      path.join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    );
    return { dir, manifest, layer };
  }

  it('reads the tagged image and unpacks it after checking every digest', async () => {
    const l = await layout();
    const img = await readLayout(l.dir, 'v1');
    expect(img.digest).toBe(l.manifest.digest);
    expect(img.config.config.User).toBe('10001:10001');
    const dest = path.join(l.dir, 'unpacked');
    await unpack(l.dir, 'v1', dest, l.manifest.digest);
    expect(await readFile(path.join(dest, 'rootfs', 'app', 'hello.txt'), 'utf8')).toBe('hello\n');
    await expect(readLayout(l.dir, 'v9')).rejects.toThrow(/no image tagged v9/);
  });

  it('refuses another digest than the pinned one, and a corrupt layer', async () => {
    const l = await layout();
    await expect(unpack(l.dir, 'v1', path.join(l.dir, 'u1'), `sha256:${'0'.repeat(64)}`)).rejects.toThrow(/not the pinned/);
    await writeFile(path.join(l.dir, 'blobs', 'sha256', l.layer.digest.slice(7)), 'tampered');
    await expect(unpack(l.dir, 'v1', path.join(l.dir, 'u2'))).rejects.toThrow(/corrupt/);
  });
});

describe('SBOM', () => {
  it('is SPDX 2.3 with purls and a CONTAINS relationship per file', () => {
    const doc = spdxDocument(
      { name: 'asd-app', version: 'v1', namespace: 'https://x/1', created: '2026-01-01T00:00:00Z' },
      [
        { name: 'libc6', version: '2.36-9+deb12u10', type: 'deb', arch: 'amd64' },
        { name: 'pg', version: '8.16.3', type: 'npm' },
      ],
      [{ path: 'lib/x86_64-linux-gnu/libc.so.6', sha256: 'ab', package: 'libc6' }],
    );
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.packages.map((p) => p.externalRefs[0]!.referenceLocator)).toEqual([
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64',
      'pkg:npm/pg@8.16.3',
    ]);
    expect(doc.relationships[0]).toMatchObject({ spdxElementId: 'SPDXRef-Package-libc6', relationshipType: 'CONTAINS' });
    expect(purl({ name: '@types/x', version: '1', type: 'npm' })).toBe('pkg:npm/%40types/x@1');
  });
});

describe('asd-lab app: bad input is refused before anything is done', () => {
  it('names the unknown environment or release, in English and in French', async () => {
    const { cli } = await import('./helpers.ts');
    const env = await cli(['app', 'deploy', 'staging', '--version', 'v1']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('unknown environment staging: choose one of test, preprod, prod');
    const ver = await cli(['--lang', 'fr', 'app', 'update', 'test', '--version', 'v3']);
    expect(ver.code).toBe(2);
    expect(ver.stderr).toContain('version v3 inconnue : choisissez parmi v1, v2');
    const img = await cli(['app', 'image', '--version', 'latest']);
    expect(img.code).toBe(2);
    expect(img.stderr).toContain('unknown release latest');
  });

  it('asks which candidate when the cohort has several', async () => {
    const { cli } = await import('./helpers.ts');
    const r = await cli(['app', 'status', 'test', '-c', 'examples/cohort.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/(several candidates: choose one with --candidate|does not target "local")/);
  });
});
