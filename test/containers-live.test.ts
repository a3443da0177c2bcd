// Real test of the app's containers on this host (CP5, CP7): image build with buildah, deploy of the
// test environment, smoke tests, update v1 -> v2 under a load loop with zero failed requests,
// rollback, an update whose health check fails and is rolled back, and the verify checks.
// Needs root, buildah, systemd-nspawn (or a working podman), sshfs and PostgreSQL's binaries: it
// fails with the reason when one is missing, it never skips. PostgreSQL runs on the host, on the
// candidate's gateway address, in a temporary directory; the remote volume is on the lab's app server.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTempPostgres, type TempPostgres } from '../reference-app/scripts/pg.ts';
import { deploy, down, envDir, loadState, rollback, smoke, update, type EnvContext } from '../src/modules/containers/deploy.ts';
import { buildImage, type ImageRecord } from '../src/modules/containers/image.ts';
import { appProcess } from '../src/modules/containers/runtime.ts';
import {
  createServer,
  destroyServer,
  downNetwork,
  ensureImage,
  ensureLabKey,
  upNetwork,
  type CandidatePlan,
} from '../src/targets/local/index.ts';
import { cohortSchema } from '../src/core/model/cohort.ts';
import { CONTAINER_CHECKS } from '../src/modules/containers/checks.ts';
import { requireHost, STATE } from './local-helpers.ts';

const cohort = cohortSchema.parse({
  cohort: 'h-app',
  local: { subnetPool: '10.240.16.0/22', subnetPrefix: 27 },
  candidates: [
    {
      id: 'cand',
      sshKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc a@test',
      overrides: { servers: [{ name: 'app', role: 'app', memoryMiB: 256, cpus: 0.5 }] },
    },
  ],
});
const cand = cohort.candidates[0]!;
const lines: string[] = [];
const ctx: EnvContext = { cohort, candidate: cand, env: 'test', stateDir: STATE, say: (l) => lines.push(l) };
const figures: Record<string, unknown> = {};
let plan: CandidatePlan;
let pg: TempPostgres | undefined;
const images: Record<string, ImageRecord> = {};

async function need(tool: string, pkg: string) {
  if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0)
    throw new Error(`this test needs ${tool}: apt-get install ${pkg}`);
}

async function cleanup() {
  await down(ctx).catch(() => undefined);
  await destroyServer('cand-app', { stateDir: STATE });
  await downNetwork(cohort, cand, { stateDir: STATE });
}

describe("the app's containers on the local target (real)", () => {
  beforeAll(async () => {
    await requireHost('container');
    for (const [tool, pkg] of [
      ['buildah', 'buildah'],
      ['sshfs', 'sshfs'],
      ['systemd-nspawn', 'systemd-container'],
    ] as const)
      await need(tool, pkg);
    await cleanup();
    await ensureImage({ stateDir: STATE });
    const key = await ensureLabKey(cohort.cohort, { stateDir: STATE });
    plan = await upNetwork(cohort, cand, { stateDir: STATE });
    await createServer(cohort, cand, 'app', { stateDir: STATE, authorizedKeysFile: key.publicKey });
    for (const v of ['v1', 'v2']) {
      images[v] = await buildImage({ version: v, stateDir: STATE });
    }
    figures.imageMiB = +(images.v1!.size / 1048576).toFixed(1);
    figures.imageCompressedMiB = +(images.v1!.compressedSize / 1048576).toFixed(1);
    figures.buildSeconds = [images.v1!.buildSeconds, images.v2!.buildSeconds];
    // The database: PostgreSQL on the host, reachable from the candidate's bridge only (and loopback).
    pg = await startTempPostgres({ listen: ['127.0.0.1', plan.gateway], hbaCidrs: [plan.subnet] });
    const url = pg.url.replace('@127.0.0.1:', `@${plan.gateway}:`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'asd-app-db-'));
    await writeFile(path.join(dir, 'url'), `${url}\n`, { mode: 0o600 });
    const r = await deploy(ctx, 'v1', { databaseUrlFile: path.join(dir, 'url') });
    await (await import('node:fs/promises')).rm(dir, { recursive: true, force: true });
    figures.deploySeconds = r.seconds;
    figures.startSeconds = r.startSeconds;
  }, 900_000);

  afterAll(async () => {
    await cleanup();
    await pg?.stop();
    console.log(`containers-live figures: ${JSON.stringify(figures)}\n${lines.join('\n')}`);
  }, 300_000);

  it('built a non-root image from scratch with a pinned digest and an SBOM', async () => {
    const img = images.v1!;
    expect(img.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const cfg = await execa('buildah', ['inspect', '--type', 'image', '--format', '{{.OCIv1.Config.User}}', img.ref]);
    expect(cfg.stdout.trim()).toBe('10001:10001');
    const sbom = JSON.parse(await (await import('node:fs/promises')).readFile(img.sbom, 'utf8'));
    expect(sbom.packages.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['nodejs', 'libc6', 'pg', 'asd-app']),
    );
    expect(images.v2!.digest).not.toBe(img.digest);
  });

  it('runs the test environment healthy, limited, on the lab network, read-only, as uid 10001', async () => {
    const s = (await loadState(ctx))!;
    expect(s.api).toHaveLength(2);
    const w = s.worker!;
    const inside = await appProcess(w);
    expect(inside, "the worker's node process in its cgroup").toBeDefined();
    const status = await (await import('node:fs/promises')).readFile(`/proc/${inside}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+10001\s/m);
    const mounts = await (await import('node:fs/promises')).readFile(`/proc/${inside}/mountinfo`, 'utf8');
    expect(mounts.split('\n').find((l) => l.split(' ')[4] === '/')).toMatch(/ ro[, ]/);
    const smokeResult = await smoke(ctx);
    expect(smokeResult.steps.filter((x) => !x.ok)).toEqual([]);
    expect(smokeResult.steps.map((x) => x.step)).toContain('export on the remote volume');
  });

  it('updates v1 -> v2 one instance at a time with no failed request, then rolls back', async () => {
    const u = await update(ctx, 'v2');
    figures.update = {
      seconds: u.seconds,
      instanceStartSeconds: u.startSeconds,
      requests: u.load?.total,
      failed: u.load?.failed,
      samples: u.load?.samples,
    };
    expect(u.ok, u.reason).toBe(true);
    expect(u.replaced).toBe(2);
    expect(u.load!.total).toBeGreaterThan(50);
    expect(u.load!.failed, u.load!.samples.join('; ')).toBe(0);
    const s = (await loadState(ctx))!;
    expect(s.version).toBe('v2');
    const v = await (await fetch(`http://${s.edge!.ip}:8080/version`)).json();
    expect(v).toMatchObject({ version: 'v2', features: ['items', 'stats'] });
    expect((await smoke(ctx)).ok).toBe(true);
    const r = await rollback(ctx);
    figures.rollback = { seconds: r.seconds, requests: r.load?.total, failed: r.load?.failed };
    expect(r.ok).toBe(true);
    expect(r.load!.failed, r.load!.samples.join('; ')).toBe(0);
    expect((await loadState(ctx))!.version).toBe('v1');
  });

  it('rolls an update back by itself when the new instances fail their health check', async () => {
    // A broken release configuration: the new instance cannot reach its database, /readyz stays 503.
    const file = path.join(envDir(ctx), 'database.url');
    const good = await (await import('node:fs/promises')).readFile(file, 'utf8');
    // Whatever the test before left running is what must still run after the failed update.
    const before = (await loadState(ctx))!.version;
    await writeFile(file, `postgresql://nobody:wrong@${plan.gateway}:1/none\n`, { mode: 0o600 });
    try {
      const u = await update(ctx, 'v2', { healthTimeoutMs: 5000 });
      figures.failedUpdate = { seconds: u.seconds, requests: u.load?.total, failed: u.load?.failed };
      expect(u.ok).toBe(false);
      expect(u.reason).toMatch(/health check/);
      expect(u.load!.failed, u.load!.samples.join('; ')).toBe(0);
    } finally {
      await writeFile(file, good, { mode: 0o600 });
    }
    const s = (await loadState(ctx))!;
    expect(s.version).toBe(before);
    expect(s.history.at(-1)).toMatchObject({ action: 'update', result: 'rolled-back' });
    for (const a of s.api)
      expect(((await (await fetch(`http://${a.ip}:8080/version`)).json()) as { version: string }).version).toBe(before);
  });

  it('passes the CP7 checks of asd-lab verify', async () => {
    const out: Record<string, string> = {};
    for (const def of CONTAINER_CHECKS.filter((d) => d.criterion.startsWith('CP7') || d.criterion === 'CP5.2')) {
      for (const o of await def.run({ cohort, candidate: cand, servers: [] }))
        out[`${def.criterion} ${o.server ?? ''}`] = `${o.status}: ${o.evidence}`;
    }
    console.log(JSON.stringify(out, null, 2));
    // CP7.4 looks at the last update, the one rolled back above: it says so and fails.
    expect(out['CP7.4 test']).toMatch(/^fail: .*rolled-back/);
    for (const [k, v] of Object.entries(out)) if (!k.startsWith('CP7.4')) expect(v, k).toMatch(/^pass/);
    await update(ctx, 'v2');
    const [again] = await CONTAINER_CHECKS.find((d) => d.criterion === 'CP7.4')!.run({ cohort, candidate: cand, servers: [] });
    expect(again!.status, again!.evidence).toBe('pass');
  });

  it('leaves nothing behind after down', async () => {
    const s = (await loadState(ctx))!;
    await down(ctx);
    for (const i of [s.edge!, s.worker!, ...s.api]) {
      expect(existsSync(`/run/netns/${i.netns}`)).toBe(false);
      for (const d of i.cgroups) expect(existsSync(d)).toBe(false);
    }
    expect(
      (await (await import('node:fs/promises')).readFile('/proc/self/mountinfo', 'utf8')).includes(s.volume.mountpoint),
    ).toBe(false);
    const left = await execa('pgrep', ['-f', `sshfs .*${s.volume.mountpoint}`], { reject: false });
    expect(left.stdout.trim(), 'no sshfs process left').toBe('');
  });
});
