// deploy, update, rollback, smoke, status and down of one environment (test, preprod, prod) of
// the reference app for one candidate, on the local target. An environment is:
//   - an edge container: the environment's one address (port 8080), forwarding to the API instances;
//   - `replicas` API containers; - one worker container with the remote volume at /data;
// each with its own address on the candidate's bridge, its cgroup limits, a read-only root.
// An update starts a new instance, waits for its health check, adds it to the edge, takes an old
// one out and stops it, one instance at a time; a failed health check rolls the replaced ones back.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listServers, planCandidate, type CandidatePlan } from '../../targets/local/index.ts';
import type { Candidate, Cohort } from '../../core/model/cohort.ts';
import { APP_GID, APP_UID } from './image-spec.ts';
import { AppError, envAddresses } from './addresses.ts';
import { readImageRecord, type ImageRecord } from './image.ts';
import { startLoad, type LoadResult } from './load.ts';
import type { AppSettings } from '../../core/model/containers.ts';
import { unpack } from './oci.ts';
import {
  consoleTail,
  instanceState,
  isAlive,
  probeRuntime,
  startInstance,
  stopInstance,
  type Instance,
  type Role,
  type RuntimeKind,
} from './runtime.ts';
import { mountInfo, mountVolume, ssh, unmountVolume } from './volume.ts';
import { ENVIRONMENTS, type Environment } from '../../core/environments.ts';
import { isNotFound } from '../../core/errors.ts';
import { t } from '../../core/i18n/index.ts';
import { statePaths } from '../../core/state.ts';
import { labServers } from '../../targets/local/cohort.ts';
import { syncAppTargets } from '../monitoring/deployed-targets.ts';

export interface HistoryEntry {
  at: string;
  action: 'deploy' | 'update' | 'rollback';
  from?: string;
  to: string;
  result: 'ok' | 'rolled-back' | 'failed';
  reason?: string;
  load?: LoadResult;
  seconds: number;
  /** Seconds from starting each new instance to its first passed health check. */
  startSeconds?: number[];
}

export interface EnvState {
  cohort: string;
  candidate: string;
  env: Environment;
  runtime: RuntimeKind;
  runtimeReason: string;
  version: string;
  digest: string;
  previous?: { version: string; digest: string };
  generation: number;
  seq: number;
  edge?: Instance;
  worker?: Instance;
  api: Instance[];
  volume: { server: string; source: string; mountpoint: string; remoteDir: string };
  history: HistoryEntry[];
}

export interface EnvContext {
  cohort: Cohort;
  candidate: Candidate;
  env: Environment;
  stateDir: string;
  say: (line: string) => void;
}

const PORTS = { api: 8080, edge: 8080, worker: 9091 } as const;

export function envDir(ctx: Pick<EnvContext, 'stateDir' | 'cohort' | 'candidate' | 'env'>): string {
  return statePaths(ctx.stateDir).app.env(ctx.cohort.cohort, ctx.candidate.id, ctx.env);
}

/**
 * The environment's state; undefined when it was never deployed (no file). A file that cannot be
 * read or parsed is an error naming it: taken as "not deployed", a deploy would start a second set
 * of containers beside the running ones, and down would leave them running.
 */
export async function loadState(
  ctx: Pick<EnvContext, 'stateDir' | 'cohort' | 'candidate' | 'env'>,
): Promise<EnvState | undefined> {
  const file = path.join(envDir(ctx), 'state.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined; // never deployed
    throw new AppError(t('app.stateUnreadable', { file, detail: (err as Error).message }), { kind: 'user', cause: err });
  }
  try {
    return JSON.parse(text) as EnvState;
  } catch (err) {
    throw new AppError(t('app.stateUnreadable', { file, detail: (err as Error).message }), { kind: 'user', cause: err });
  }
}

/** Is the app deployed in at least one environment of the candidate (instances recorded, not taken down)? */
export async function appDeployed(ctx: Pick<EnvContext, 'stateDir' | 'cohort' | 'candidate'>): Promise<boolean> {
  for (const env of ENVIRONMENTS) if ((await loadState({ ...ctx, env }))?.api.length) return true;
  return false;
}

/**
 * The candidate's Prometheus scrapes and probes the app only while it is deployed: refreshed after
 * a deploy and after a down (the inventory carries the same fact for the next Ansible run).
 */
async function syncMonitoring(ctx: EnvContext): Promise<void> {
  const deployed = await appDeployed(ctx);
  const servers = (await labServers(ctx.cohort, ctx.stateDir)).get(ctx.candidate.id) ?? [];
  const r = await syncAppTargets(ctx.cohort, ctx.candidate.id, servers, deployed);
  if (r.mon)
    ctx.say(
      deployed
        ? t('app.monitoringOn', { candidate: ctx.candidate.id, mon: r.mon, targets: r.targets })
        : t('app.monitoringOff', { candidate: ctx.candidate.id, mon: r.mon }),
    );
}

async function saveState(ctx: EnvContext, s: EnvState): Promise<void> {
  const file = path.join(envDir(ctx), 'state.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    // not JSON (a proxy's error page): the callers show the raw body
    return { status: res.status, body: text };
  }
}

/** The instance's health check: its ready endpoint answers 200 (and the API tells the expected release). */
export async function waitHealthy(i: Instance, timeoutMs = 45_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const url =
    i.role === 'worker'
      ? `http://${i.ip}:${PORTS.worker}/readyz`
      : i.role === 'edge'
        ? `http://${i.ip}:${PORTS.edge}/_edge/status`
        : `http://${i.ip}:${PORTS.api}/readyz`;
  let last = '';
  while (Date.now() < until) {
    if ((await instanceState(i)) !== 'running')
      throw new AppError(`${i.id} stopped before it was healthy:\n${await consoleTail(i)}`);
    try {
      const r = await getJson(url);
      if (r.status === 200) {
        if (i.role !== 'api') return;
        const v = await getJson(`http://${i.ip}:${PORTS.api}/version`);
        if (v.body?.version === i.version) return;
        last = `/version says ${JSON.stringify(v.body?.version)}, expected ${i.version}`;
      } else last = `${url}: HTTP ${r.status} ${JSON.stringify(r.body)}`;
    } catch (err) {
      last = `${url}: ${String((err as Error).cause ?? (err as Error).message)}`;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new AppError(`${i.id} failed its health check within ${timeoutMs / 1000} s (${last})`);
}

async function writeBackends(ctx: EnvContext, s: EnvState): Promise<void> {
  const dir = path.join(envDir(ctx), 'edge');
  await mkdir(dir, { recursive: true });
  s.generation += 1;
  const body = { generation: s.generation, backends: s.api.map((a) => ({ id: a.id, url: `http://${a.ip}:${PORTS.api}` })) };
  await writeFile(path.join(dir, 'backends.json.tmp'), `${JSON.stringify(body)}\n`, { mode: 0o644 });
  await rename(path.join(dir, 'backends.json.tmp'), path.join(dir, 'backends.json'));
  if (!s.edge) return;
  // Wait until the edge has read this generation and sees every backend up.
  const until = Date.now() + 20_000;
  let last = '';
  while (Date.now() < until) {
    try {
      const st = await getJson(`http://${s.edge.ip}:${PORTS.edge}/_edge/status`);
      if (st.body?.generation === s.generation && st.body.backends.every((b: { up: boolean }) => b.up)) return;
      last = JSON.stringify(st.body);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new AppError(`the edge did not take generation ${s.generation} into account: ${last}`);
}

/**
 * The environment's database: the URL given with --database-url-file (kept in the lab state), else
 * the data module's database <app>_<env> on the candidate's primary, with its read-write role and the
 * password the postgresql role generated. The data model must let the containers' addresses connect.
 */
export async function resolveDatabaseUrl(ctx: EnvContext, plan: CandidatePlan, addresses: string[]): Promise<string> {
  const dbFile = path.join(envDir(ctx), 'database.url');
  if (existsSync(dbFile)) {
    const url = (await readFile(dbFile, 'utf8')).trim();
    // Environments never share a database: their workers would take each other's items.
    for (const other of ENVIRONMENTS.filter((e) => e !== ctx.env)) {
      const f = path.join(envDir({ ...ctx, env: other }), 'database.url');
      if (existsSync(f) && (await readFile(f, 'utf8')).trim() === url) {
        throw new AppError(`${ctx.env} and ${other} would use the same database (${f}): give each environment its own database`);
      }
    }
    return url;
  }
  const hint = `pass --database-url-file FILE (one postgresql://user:password@host:5432/db line; kept in ${dbFile}, mode 0600)`;
  let lab;
  try {
    const { dataLab } = await import('../data/ops.ts');
    lab = await dataLab(ctx.cohort, ctx.candidate.id);
  } catch (err) {
    throw new AppError(
      `no database for ${ctx.candidate.id}/${ctx.env}: ${hint}; the data module gives none (${(err as Error).message})`,
    );
  }
  const db = lab.plan.databases.find((d) => d.env === ctx.env);
  if (!db) throw new AppError(`the data model has no database for environment ${ctx.env}: ${hint}`);
  const ipaddr = (await import('ipaddr.js')).default;
  const allowed = (a: string) =>
    db.appSources.some((c) => {
      const [net, bits] = ipaddr.parseCIDR(c);
      const ip = ipaddr.parse(a);
      return ip.kind() === net.kind() && ip.match(net, bits);
    });
  const refused = addresses.filter((a) => !allowed(a));
  if (refused.length) {
    throw new AppError(
      `the data model lets ${db.appRole} connect from ${db.appSources.join(', ') || 'nowhere'} only, not from the containers' addresses (${refused.join(', ')}): add "containers" (or ${plan.subnet}) to data.applications[].clients and run asd-lab up again, or ${hint}`,
    );
  }
  const { rolePassword } = await import('../data/ops.ts');
  const password = rolePassword(lab, db.appRole);
  // TLS is required by the server (hostssl); the lab CA is not inside the image, so the server's
  // certificate is not verified (sslmode=no-verify): the traffic is encrypted, the server not authenticated.
  return `postgresql://${encodeURIComponent(db.appRole)}:${encodeURIComponent(password)}@${lab.primary.address}:5432/${encodeURIComponent(db.name)}?sslmode=no-verify`;
}

interface Prepared {
  plan: CandidatePlan;
  settings: AppSettings;
  addresses: string[];
  image: ImageRecord;
  rootfs: string;
  imageConfig: Awaited<ReturnType<typeof unpack>>['config']['config'];
  databaseUrl: string;
}

async function prepare(ctx: EnvContext, version: string): Promise<Prepared> {
  const plan = planCandidate(ctx.cohort, ctx.candidate);
  const settings = ctx.cohort.app;
  const addresses = envAddresses(plan, settings, ctx.env);
  const image = await readImageRecord(ctx.stateDir, version);
  if (!image) throw new AppError(`image ${version} is not built: run \`asd-lab app image --version ${version}\` first`);
  const rootfs = path.join(statePaths(ctx.stateDir).app.rootfs(image.digest), 'rootfs');
  const img = await unpack(image.layout, version, path.dirname(rootfs), image.digest);
  const databaseUrl = await resolveDatabaseUrl(ctx, plan, addresses);
  return { plan, settings, addresses, image, rootfs, imageConfig: img.config.config, databaseUrl };
}

function freeAddress(p: Prepared, s: EnvState): string {
  const used = new Set([s.edge?.ip, s.worker?.ip, ...s.api.map((a) => a.ip)]);
  const free = p.addresses.find((a) => !used.has(a));
  if (!free) throw new AppError("no free address left in the environment's block");
  return free;
}

async function launch(
  ctx: EnvContext,
  p: Prepared,
  s: EnvState,
  role: Role,
  version: string,
  image: ImageRecord,
  rootfs: string,
  imageConfig: Prepared['imageConfig'],
): Promise<Instance> {
  s.seq += 1;
  // The cohort is part of the id: the network namespace, veth, cgroup and podman names derive from
  // it, and two cohorts on one host may both have a candidate "solo" (the default lab and a test's).
  const id = `${ctx.cohort.cohort}-${ctx.candidate.id}-${ctx.env}-${role}-${s.seq}`;
  const ip = role === 'edge' ? p.addresses[0]! : freeAddress(p, s);
  const env: Record<string, string> = {
    APP_ENV: ctx.env,
    LOG_LEVEL: ctx.env === 'test' ? 'debug' : 'info',
    PORT: String(PORTS.api),
    METRICS_PORT: String(PORTS.worker),
    DATA_DIR: '/data',
  };
  if (role !== 'edge') env.DATABASE_URL = p.databaseUrl;
  else env.EDGE_BACKENDS = '/run/edge/backends.json';
  const mounts =
    role === 'worker'
      ? [{ source: s.volume.mountpoint, destination: '/data' }]
      : role === 'edge'
        ? [{ source: path.join(envDir(ctx), 'edge'), destination: '/run/edge', readOnly: true }]
        : [];
  ctx.say(`  starting ${id} (${version}) at ${ip}`);
  const inst = await startInstance(
    {
      id,
      role,
      version,
      digest: image.digest,
      rootfs,
      imageId: image.imageId,
      image: imageConfig,
      ip,
      prefix: p.plan.prefix,
      gateway: p.plan.gateway,
      bridge: p.plan.bridge,
      env,
      mounts,
      limits: p.settings.limits[role],
      dir: path.join(envDir(ctx), 'instances', id),
    },
    s.runtime,
  );
  return inst;
}

async function ensureVolume(ctx: EnvContext, settings: AppSettings): Promise<EnvState['volume']> {
  const servers = (await listServers(ctx.stateDir)).filter(
    (x) => x.cohort === ctx.cohort.cohort && x.candidate === ctx.candidate.id,
  );
  const plan = planCandidate(ctx.cohort, ctx.candidate);
  const wanted = settings.storage.server ?? plan.servers.find((x) => x.spec.role === 'app')?.spec.name;
  if (!wanted)
    throw new AppError(
      `no server holds the app's volume: set app.storage.server, or give ${ctx.candidate.id} a server of role app`,
    );
  const machine = plan.servers.find((x) => x.spec.name === wanted)?.name;
  const server = servers.find((x) => x.name === machine);
  if (server?.state !== 'running')
    throw new AppError(
      `server ${wanted} of ${ctx.candidate.id} (the app's remote volume) is not running: run \`asd-lab up\` first`,
    );
  const mountpoint = statePaths(ctx.stateDir).app.mounts(ctx.cohort.cohort, ctx.candidate.id, ctx.env);
  const remoteDir = `${settings.storage.path}/${ctx.env}`;
  const r = await mountVolume({
    server: wanted,
    address: server.address,
    user: server.user,
    keyPath: server.keyPath,
    knownHostsFile: server.knownHostsFile,
    remoteDir,
    mountpoint,
    uid: APP_UID,
    gid: APP_GID,
  });
  if (r.changed) ctx.say(`  mounted ${r.source} on ${mountpoint} (sshfs)`);
  return { server: wanted, source: r.source, mountpoint, remoteDir };
}

async function checkBridge(plan: CandidatePlan): Promise<void> {
  if (!existsSync(`/sys/class/net/${plan.bridge}/bridge`)) {
    throw new AppError(`the network of ${plan.candidate.id} (bridge ${plan.bridge}) is not up: run \`asd-lab up\` first`);
  }
}

export interface DeployResult {
  state: EnvState;
  changed: boolean;
  seconds: number;
  startSeconds?: number;
  /**
   * When the environment already ran another release, deploy replaced it by a rolling update (what
   * the pipeline does for a new version): the release it replaced, and the load loop that counted
   * the requests through the edge during that update.
   */
  update?: { from: string; replaced: number; load?: LoadResult; startSeconds: number[] };
}

export async function deploy(ctx: EnvContext, version: string, opts: { databaseUrlFile?: string } = {}): Promise<DeployResult> {
  const started = Date.now();
  if (opts.databaseUrlFile) {
    const text = (await readFile(opts.databaseUrlFile, 'utf8')).trim();
    if (!/^postgres(ql)?:\/\/\S+$/.test(text)) throw new AppError(`${opts.databaseUrlFile} must hold one postgresql:// URL`);
    await mkdir(envDir(ctx), { recursive: true, mode: 0o700 });
    await copyFile(opts.databaseUrlFile, path.join(envDir(ctx), 'database.url'));
    await chmod(path.join(envDir(ctx), 'database.url'), 0o600);
  }
  const existing = await loadState(ctx);
  if (existing?.api.length) {
    const alive = await Promise.all(
      [existing.edge, existing.worker, ...existing.api].map(async (i) => i && (await instanceState(i)) === 'running'),
    );
    if (alive.every(Boolean) && existing.version === version) {
      ctx.say(`${ctx.candidate.id}/${ctx.env}: ${version} already deployed and running, nothing to do`);
      return { state: existing, changed: false, seconds: (Date.now() - started) / 1000 };
    }
    if (alive.every(Boolean)) {
      // A new release on a running environment: one instance at a time, under the same bounded
      // load loop as `app update`, so a deploy by the pipeline reports its failed requests too.
      const from = existing.version;
      const u = await update(ctx, version);
      const load = u.load ? `; load loop: ${u.load.total} requests, ${u.load.failed} failed` : '';
      // A rolled-back update left the previous release in place: the deploy did not happen.
      if (!u.ok)
        throw new AppError(
          `${ctx.candidate.id}/${ctx.env}: the update from ${from} to ${version} failed and was rolled back, still ${u.state.version}: ${u.reason ?? ''}${load}`,
        );
      return {
        state: u.state,
        changed: true,
        seconds: (Date.now() - started) / 1000,
        update: { from, replaced: u.replaced, load: u.load, startSeconds: u.startSeconds },
      };
    }
    ctx.say(`${ctx.candidate.id}/${ctx.env}: some containers are gone, redeploying`);
    await down(ctx, { keepVolume: true });
  }
  const p = await prepare(ctx, version);
  await checkBridge(p.plan);
  const rt = await probeRuntime(p.image.imageId, p.settings.runtime);
  ctx.say(`${ctx.candidate.id}/${ctx.env}: runtime ${rt.kind} (${rt.reason})`);
  const volume = await ensureVolume(ctx, p.settings);
  const s: EnvState = {
    cohort: ctx.cohort.cohort,
    candidate: ctx.candidate.id,
    env: ctx.env,
    runtime: rt.kind,
    runtimeReason: rt.reason,
    version,
    digest: p.image.digest,
    generation: 0,
    seq: existing?.seq ?? 0,
    api: [],
    volume,
    // The history of the environment outlives a redeploy (app down, then deploy).
    history: existing?.history ?? [],
  };
  await mkdir(path.join(envDir(ctx), 'edge'), { recursive: true });
  await writeBackends(ctx, s); // generation 1, no backend yet: the edge starts with a valid file
  try {
    s.edge = await launch(ctx, p, s, 'edge', version, p.image, p.rootfs, p.imageConfig);
    await saveState(ctx, s);
    const t0 = Date.now();
    const worker = await launch(ctx, p, s, 'worker', version, p.image, p.rootfs, p.imageConfig);
    s.worker = worker;
    for (let n = 0; n < p.settings.replicas; n++)
      s.api.push(await launch(ctx, p, s, 'api', version, p.image, p.rootfs, p.imageConfig));
    await saveState(ctx, s);
    await Promise.all([s.edge, worker, ...s.api].map((i) => waitHealthy(i)));
    const startSeconds = (Date.now() - t0) / 1000;
    await writeBackends(ctx, s);
    s.history.push({
      at: new Date().toISOString(),
      action: 'deploy',
      to: version,
      result: 'ok',
      seconds: (Date.now() - started) / 1000,
    });
    await saveState(ctx, s);
    ctx.say(
      `${ctx.candidate.id}/${ctx.env}: ${version} serving at http://${s.edge.ip}:${PORTS.edge}/ (containers healthy in ${startSeconds.toFixed(1)} s)`,
    );
    await syncMonitoring(ctx);
    return { state: s, changed: true, seconds: (Date.now() - started) / 1000, startSeconds };
  } catch (err) {
    await saveState(ctx, s);
    throw err;
  }
}

export interface UpdateResult {
  state: EnvState;
  ok: boolean;
  reason?: string;
  load?: LoadResult;
  replaced: number;
  seconds: number;
  startSeconds: number[];
}

/** Replace the API instances one by one, then the worker; roll back on a failed health check. */
export async function update(
  ctx: EnvContext,
  version: string,
  opts: { load?: boolean; action?: 'update' | 'rollback'; healthTimeoutMs?: number } = {},
): Promise<UpdateResult> {
  const started = Date.now();
  const s = await loadState(ctx);
  if (!s?.edge || !s.api.length)
    throw new AppError(`${ctx.candidate.id}/${ctx.env} is not deployed: run \`asd-lab app deploy ${ctx.env}\` first`);
  const from = s.version;
  const p = await prepare(ctx, version);
  // Needed only to roll back: the update goes on without it, and a rollback says why it cannot.
  let oldMissing = '';
  const old = await prepare(ctx, from).catch((err: Error) => {
    oldMissing = err.message;
    return undefined;
  });
  const loop =
    opts.load === false ? undefined : startLoad(`http://${s.edge.ip}:${PORTS.edge}`, { concurrency: 2, maxSeconds: 300 });
  const replaced: { oldInst: Instance; newInst: Instance }[] = [];
  const startSeconds: number[] = [];
  let failure: string | undefined;
  try {
    for (const oldInst of [...s.api]) {
      const t0 = Date.now();
      const n = await launch(ctx, p, s, 'api', version, p.image, p.rootfs, p.imageConfig);
      try {
        await waitHealthy(n, opts.healthTimeoutMs);
        startSeconds.push((Date.now() - t0) / 1000);
      } catch (err) {
        failure = (err as Error).message;
        ctx.say(`  ${n.id} failed its health check: rolling back`);
        await stopInstance(n);
        break;
      }
      s.api.push(n);
      try {
        await writeBackends(ctx, s); // the new one takes traffic
      } catch (err) {
        // The edge cannot reach it: take it out again, as for a failed health check.
        failure = (err as Error).message;
        s.api = s.api.filter((a) => a.id !== n.id);
        await writeBackends(ctx, s).catch(() => undefined); // best effort: the edge is the failure being reported
        await stopInstance(n);
        break;
      }
      s.api = s.api.filter((a) => a.id !== oldInst.id);
      await writeBackends(ctx, s); // the old one gets none
      await stopInstance(oldInst); // finishes its requests in flight
      replaced.push({ oldInst, newInst: n });
      await saveState(ctx, s);
      ctx.say(`  replaced ${oldInst.id} (${oldInst.version}) by ${n.id} (${version})`);
    }
    if (!failure && s.worker) {
      const w = await launch(ctx, p, s, 'worker', version, p.image, p.rootfs, p.imageConfig);
      try {
        await waitHealthy(w, opts.healthTimeoutMs);
        await stopInstance(s.worker);
        s.worker = w;
      } catch (err) {
        failure = (err as Error).message;
        await stopInstance(w);
      }
    }
    if (failure) {
      // Roll back: put the previous release back in place of every instance already replaced.
      if (!old)
        throw new AppError(`${failure}; and the previous release ${from} cannot be prepared (${oldMissing}), cannot roll back`);
      for (const { newInst } of replaced.reverse()) {
        const back = await launch(ctx, old, s, 'api', from, old.image, old.rootfs, old.imageConfig);
        await waitHealthy(back);
        s.api.push(back);
        await writeBackends(ctx, s);
        s.api = s.api.filter((a) => a.id !== newInst.id);
        await writeBackends(ctx, s);
        await stopInstance(newInst);
        ctx.say(`  rolled ${newInst.id} back to ${from}`);
      }
    } else {
      s.previous = { version: from, digest: s.digest };
      s.version = version;
      s.digest = p.image.digest;
    }
  } finally {
    const load = await loop?.stop();
    const entry: HistoryEntry = {
      at: new Date().toISOString(),
      action: opts.action ?? 'update',
      from,
      to: version,
      result: failure ? 'rolled-back' : 'ok',
      reason: failure,
      load,
      seconds: (Date.now() - started) / 1000,
      startSeconds,
    };
    s.history.push(entry);
    await saveState(ctx, s);
    if (load)
      ctx.say(
        `  load during the ${entry.action}: ${load.total} requests, ${load.failed} failed${load.samples.length ? ` (${load.samples.join('; ')})` : ''}`,
      );
  }
  const last = s.history[s.history.length - 1]!;
  return {
    state: s,
    ok: !failure,
    reason: failure,
    load: last.load,
    replaced: replaced.length,
    seconds: (Date.now() - started) / 1000,
    startSeconds,
  };
}

export async function rollback(ctx: EnvContext, opts: { load?: boolean } = {}): Promise<UpdateResult> {
  const s = await loadState(ctx);
  if (!s?.previous) throw new AppError(`${ctx.candidate.id}/${ctx.env} has no previous release to roll back to`);
  return update(ctx, s.previous.version, { ...opts, action: 'rollback' });
}

export interface SmokeStep {
  step: string;
  ok: boolean;
  detail: string;
}

/** End-to-end checks through the edge: health, release, an item written, processed by the worker, exported to the volume. */
export async function smoke(ctx: EnvContext): Promise<{ ok: boolean; steps: SmokeStep[]; url: string }> {
  const s = await loadState(ctx);
  if (!s?.edge) throw new AppError(`${ctx.candidate.id}/${ctx.env} is not deployed: run \`asd-lab app deploy ${ctx.env}\` first`);
  const url = `http://${s.edge.ip}:${PORTS.edge}`;
  const steps: SmokeStep[] = [];
  const step = async (name: string, fn: () => Promise<string>) => {
    try {
      steps.push({ step: name, ok: true, detail: await fn() });
    } catch (err) {
      steps.push({ step: name, ok: false, detail: (err as Error).message });
    }
  };
  await step('healthz', async () => {
    const r = await getJson(`${url}/healthz`);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return 'HTTP 200';
  });
  await step('readyz', async () => {
    const r = await getJson(`${url}/readyz`);
    if (r.status !== 200) throw new Error(`HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return 'HTTP 200 (database reachable)';
  });
  await step('version', async () => {
    const r = await getJson(`${url}/version`);
    if (r.body?.version !== s.version || r.body?.env !== ctx.env)
      throw new Error(`got ${JSON.stringify(r.body)}, expected version ${s.version} env ${ctx.env}`);
    return `${r.body.version} (${r.body.features.join(', ')})`;
  });
  let id: number | undefined;
  await step('create item', async () => {
    const res = await fetch(`${url}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `smoke test ${new Date().toISOString()} of ${ctx.env}` }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { id: number };
    if (res.status !== 201) throw new Error(`HTTP ${res.status} ${JSON.stringify(body)}`);
    id = body.id;
    return `item ${id}`;
  });
  await step('worker processed it', async () => {
    if (!id) throw new Error('no item');
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const r = await getJson(`${url}/api/items/${id}`);
      if (r.body?.processedAt) return `words=${r.body.words}`;
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error('not processed within 15 s');
  });
  await step('export on the remote volume', async () => {
    if (!id) throw new Error('no item');
    const server = (await listServers(ctx.stateDir)).find(
      (x) => x.cohort === s.cohort && x.candidate === s.candidate && x.name.endsWith(`-${s.volume.server}`),
    );
    if (!server) throw new Error(`server ${s.volume.server} not found`);
    const r = await ssh(server, `cat ${s.volume.remoteDir}/exports/item-${id}.json`);
    if (r.exitCode !== 0) throw new Error(`not found on ${s.volume.server}: ${r.stderr.trim()}`);
    return `${s.volume.server}:${s.volume.remoteDir}/exports/item-${id}.json ${r.stdout.trim()}`;
  });
  if (s.version === 'v2') {
    await step('v2 stats', async () => {
      const r = await getJson(`${url}/api/stats`);
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return JSON.stringify(r.body);
    });
  }
  const ok = steps.every((x) => x.ok);
  await writeFile(
    path.join(envDir(ctx), 'smoke.json'),
    `${JSON.stringify({ at: new Date().toISOString(), version: s.version, ok, steps }, null, 2)}\n`,
  );
  return { ok, steps, url };
}

export async function down(ctx: EnvContext, opts: { keepVolume?: boolean } = {}): Promise<string[]> {
  const s = await loadState(ctx);
  if (!s) return [];
  const removed: string[] = [];
  for (const i of [s.edge, ...s.api, s.worker]) {
    if (!i) continue;
    await stopInstance(i, 5000);
    removed.push(i.id);
  }
  s.edge = undefined;
  s.worker = undefined;
  s.api = [];
  if (!opts.keepVolume) await unmountVolume(s.volume.mountpoint);
  await saveState(ctx, s);
  await syncMonitoring(ctx);
  return removed;
}

export interface InstanceStatus {
  id: string;
  role: Role;
  version: string;
  ip: string;
  state: 'running' | 'stopped';
  healthy: boolean;
}

export async function status(
  ctx: EnvContext,
): Promise<{ state?: EnvState; instances: InstanceStatus[]; volumeMounted: boolean }> {
  const s = await loadState(ctx);
  if (!s) return { instances: [], volumeMounted: false };
  const instances: InstanceStatus[] = [];
  for (const i of [s.edge, s.worker, ...s.api]) {
    if (!i) continue;
    const state = await instanceState(i);
    let healthy = false;
    if (state === 'running') {
      try {
        await waitHealthy(i, 1500);
        healthy = true;
      } catch {
        // status reports it as not healthy: that is the answer asked for
        healthy = false;
      }
    }
    instances.push({ id: i.id, role: i.role, version: i.version, ip: i.ip, state, healthy });
  }
  return { state: s, instances, volumeMounted: (await mountInfo(s.volume.mountpoint))?.fstype === 'fuse.sshfs' };
}

export { isAlive };
