// CP7 (containers) and CP5 (test environment) checks of the reference app on the local target,
// from what `asd-lab app` deployed (the environment states in STATE/app/deploy/) and from the
// app's test reports. Every check looks at the running system: processes, cgroups, network
// namespaces, mounts, HTTP answers; an environment never deployed gives not-run, with the reason.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import ipaddr from 'ipaddr.js';
import { parseJUnit } from '../../../reference-app/scripts/defects.ts';
import { limitValues, readCgroup } from './cgroup.ts';
import { loadState, type EnvState } from './deploy.ts';
import { REFERENCE_APP_DIR } from '../../core/repo.ts';
import { readImageRecord } from './image.ts';
import { appProcess, instanceState, type Instance } from './runtime.ts';
import { mountInfo } from './volume.ts';
import { listServers, planCandidate, resolveStateDir } from '../../targets/local/index.ts';
import type { CheckContext, CheckDefinition, CheckOutcome } from '../../checks/types.ts';
import { ENVIRONMENTS } from '../../core/environments.ts';

const NOT_DEPLOYED = 'no environment of the app is deployed for this candidate (asd-lab app deploy test)';

async function states(ctx: CheckContext): Promise<EnvState[]> {
  const stateDir = resolveStateDir();
  const out: EnvState[] = [];
  for (const env of ENVIRONMENTS) {
    const s = await loadState({ stateDir, cohort: ctx.cohort, candidate: ctx.candidate, env });
    if (s?.edge && s.api.length) out.push(s);
  }
  return out;
}

const instancesOf = (s: EnvState): Instance[] => [s.edge, s.worker, ...s.api].filter((i): i is Instance => !!i);

async function httpStatus(url: string): Promise<number | string> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await r.arrayBuffer();
    return r.status;
  } catch (err) {
    return String((err as Error).cause ?? (err as Error).message);
  }
}

const healthUrl = (i: Instance) =>
  i.role === 'worker'
    ? `http://${i.ip}:9091/readyz`
    : i.role === 'edge'
      ? `http://${i.ip}:8080/_edge/status`
      : `http://${i.ip}:8080/readyz`;

/** CP7.1: every container runs, answers its health check, within the limits of the model. */
export const containersOperational: CheckDefinition = {
  id: 'containers-running-with-limits',
  criterion: 'CP7.1',
  path: 'src/modules/containers/checks.ts',
  description:
    'each app container runs, passes its health check, and its cgroup holds the memory, CPU and pids limits of the model',
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only (on Kubernetes: asd-lab k8s)' }];
    const all = await states(ctx);
    if (!all.length) return [{ status: 'not-run', evidence: NOT_DEPLOYED }];
    const out: CheckOutcome[] = [];
    for (const s of all) {
      const problems: string[] = [];
      const seen: string[] = [];
      for (const i of instancesOf(s)) {
        if ((await instanceState(i)) !== 'running') {
          problems.push(`${i.id} is not running`);
          continue;
        }
        const code = await httpStatus(healthUrl(i));
        if (code !== 200) problems.push(`${i.id} health check: ${code}`);
        if (s.runtime === 'nspawn') {
          const want = limitValues(ctx.cohort.app.limits[i.role]);
          const got = await readCgroup(i.cgroups);
          if (got.memoryBytes !== want.memoryBytes || got.cpuQuota !== want.cpuQuota || got.pids !== want.pids) {
            problems.push(
              `${i.id} limits memory=${got.memoryBytes} cpu=${got.cpuQuota} pids=${got.pids}, model says ${want.memoryBytes}/${want.cpuQuota}/${want.pids}`,
            );
          }
          if (!got.procs.includes(i.pid!)) problems.push(`${i.id}: its process ${i.pid} is not in its cgroup`);
          seen.push(`${i.role} ${Math.round(want.memoryBytes / 1048576)} MiB/${want.cpuQuota / 100000} CPU/${want.pids} pids`);
        } else {
          const r = await execa(
            'podman',
            [
              'inspect',
              '--format',
              '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.ReadonlyRootfs}}',
              i.podmanName!,
            ],
            { reject: false },
          );
          seen.push(`${i.role} ${r.stdout.trim()}`);
        }
      }
      out.push({
        status: problems.length ? 'fail' : 'pass',
        evidence: `${s.env} (${s.runtime}, ${s.version}): ${instancesOf(s).length} containers${problems.length ? `: ${problems.join('; ')}` : ` healthy, limits ${[...new Set(seen)].join(', ')}`}`,
        server: s.env,
      });
    }
    return out;
  },
};

/** CP7.2: each container has its address on the candidate's bridge, and the API reaches PostgreSQL. */
export const containersNetworked: CheckDefinition = {
  id: 'containers-on-lab-network',
  criterion: 'CP7.2',
  path: 'src/modules/containers/checks.ts',
  description:
    "each container's network namespace has its address on the candidate's bridge, and the API reaches the database over it",
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only' }];
    const all = await states(ctx);
    if (!all.length) return [{ status: 'not-run', evidence: NOT_DEPLOYED }];
    const plan = planCandidate(ctx.cohort, ctx.candidate);
    const out: CheckOutcome[] = [];
    for (const s of all) {
      const problems: string[] = [];
      for (const i of instancesOf(s)) {
        const a = await execa('ip', ['-n', i.netns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { reject: false });
        if (!a.stdout.includes(` ${i.ip}/${plan.prefix} `))
          problems.push(`${i.id}: ${i.ip}/${plan.prefix} not on eth0 of ${i.netns}`);
        const l = await execa('ip', ['-o', 'link', 'show', i.hostVeth], { reject: false });
        if (!l.stdout.includes(`master ${plan.bridge}`)) problems.push(`${i.id}: ${i.hostVeth} is not on ${plan.bridge}`);
      }
      const ready = await httpStatus(`http://${s.edge!.ip}:8080/readyz`);
      if (ready !== 200) problems.push(`/readyz through the edge (database over the lab network): ${ready}`);
      out.push({
        status: problems.length ? 'fail' : 'pass',
        evidence: problems.length
          ? problems.join('; ')
          : `${s.env}: ${instancesOf(s)
              .map((i) => `${i.role} ${i.ip}`)
              .join(
                ', ',
              )} on bridge ${plan.bridge} (${plan.subnet}); the API reaches PostgreSQL (/readyz 200 through the edge http://${s.edge!.ip}:8080)`,
        server: s.env,
      });
    }
    return out;
  },
};

/** CP7.3: the worker's /data is the remote volume, and what it writes is on the storage server. */
export const containersRemoteStorage: CheckDefinition = {
  id: 'containers-remote-volume',
  criterion: 'CP7.3',
  path: 'src/modules/containers/checks.ts',
  description: "the worker's /data is the sshfs mount of a directory on another server, and its exports are there",
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only' }];
    const all = await states(ctx);
    if (!all.length) return [{ status: 'not-run', evidence: NOT_DEPLOYED }];
    const servers = await listServers(resolveStateDir());
    const out: CheckOutcome[] = [];
    for (const s of all) {
      const problems: string[] = [];
      const host = await mountInfo(s.volume.mountpoint);
      if (host?.fstype !== 'fuse.sshfs')
        problems.push(`${s.volume.mountpoint} is not an sshfs mount on the host (${host?.fstype ?? 'not mounted'})`);
      let inside = '';
      if (s.worker) {
        // The container's own view: the mount table of the app's process inside it.
        const pid = await appProcess(s.worker);
        const mi = pid ? await readFile(`/proc/${pid}/mountinfo`, 'utf8').catch(() => '') : ''; // exited: reported below as not mounted
        const line = mi.split('\n').find((x) => x.split(' ')[4] === '/data');
        if (line) inside = line.split(' - ')[1] ?? '';
        if (!inside.startsWith('fuse.sshfs')) problems.push(`/data inside ${s.worker.id} is ${inside || 'not mounted'}`);
      }
      const server = servers.find(
        (x) => x.cohort === s.cohort && x.candidate === s.candidate && x.name.endsWith(`-${s.volume.server}`),
      );
      let remote = '';
      if (server && server.state === 'running') {
        const { ssh } = await import('./volume.ts');
        const r = await ssh(server, `ls ${s.volume.remoteDir}/exports 2>/dev/null | wc -l`);
        remote = r.stdout.trim();
        if (r.exitCode !== 0) problems.push(`cannot list ${s.volume.remoteDir} on ${s.volume.server}`);
      } else problems.push(`storage server ${s.volume.server} is not running`);
      out.push({
        status: problems.length ? 'fail' : 'pass',
        evidence: problems.length
          ? problems.join('; ')
          : `${s.env}: worker /data = ${inside.split(' ').slice(0, 2).join(' ')}; ${remote} export file(s) in ${s.volume.server}:${s.volume.remoteDir}/exports`,
        server: s.env,
      });
    }
    return out;
  },
};

/** CP7.4: an update replaced the containers with no failed request, and the new release is served. */
export const containersUpdated: CheckDefinition = {
  id: 'containers-updated',
  criterion: 'CP7.4',
  path: 'src/modules/containers/checks.ts',
  description:
    'the last update or rollback replaced the containers one by one with no failed request, and every API instance serves the recorded release',
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only' }];
    const all = await states(ctx);
    if (!all.length) return [{ status: 'not-run', evidence: NOT_DEPLOYED }];
    const out: CheckOutcome[] = [];
    for (const s of all) {
      const last = [...s.history].reverse().find((h) => h.action !== 'deploy');
      if (!last) {
        out.push({
          status: 'not-run',
          evidence: `${s.env}: never updated (asd-lab app update ${s.env} --version v2)`,
          server: s.env,
        });
        continue;
      }
      const serving: string[] = [];
      for (const a of s.api) {
        try {
          const r = await fetch(`http://${a.ip}:8080/version`, { signal: AbortSignal.timeout(3000) });
          serving.push(((await r.json()) as { version: string }).version);
        } catch {
          // the check's evidence lists it as unreachable
          serving.push('unreachable');
        }
      }
      // A rolled-back update kept the containers as they were: it is no evidence of an update.
      const ok = last.result === 'ok' && (last.load?.failed ?? 0) === 0 && serving.every((v) => v === s.version);
      out.push({
        status: ok ? 'pass' : 'fail',
        evidence: `${s.env}: ${last.action} ${last.from} -> ${last.to} at ${last.at}: ${last.result}${last.reason ? ` (${last.reason})` : ''}; load loop ${last.load ? `${last.load.total} requests, ${last.load.failed} failed` : 'not run'}; API instances serve ${serving.join(', ')} (recorded ${s.version})`,
        server: s.env,
      });
    }
    return out;
  },
};

/** What an environment's edge serves users at /version: its status and body, or why it did not answer. */
async function edgeVersion(s: EnvState): Promise<{ ok: boolean; text: string; version?: string; env?: string }> {
  const url = `http://${s.edge!.ip}:8080/version`;
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await r.json()) as { version?: string; env?: string };
    return { ok: r.status === 200, text: `${url}: ${r.status}, ${body.version ?? '?'} (${body.env ?? '?'})`, ...body };
  } catch (err) {
    return { ok: false, text: `${url}: ${String((err as Error).cause ?? (err as Error).message)}` };
  }
}

/** CP4.2: end users reach the service in production, from outside the candidate's servers. */
export const appReachableByUsers: CheckDefinition = {
  id: 'app-reachable-by-users',
  criterion: 'CP4.2',
  path: 'src/modules/containers/checks.ts',
  description:
    "the production edge answers end users' requests from outside the candidate's servers (from the host), serving the recorded release",
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only (on Kubernetes: CP8.4)' }];
    const prod = (await states(ctx)).find((s) => s.env === 'prod');
    if (!prod)
      return [
        { status: 'not-run', evidence: 'the app is not deployed in prod (asd-lab pipeline run, or asd-lab app deploy prod)' },
      ];
    const v = await edgeVersion(prod);
    const ok = v.ok && v.version === prod.version && v.env === 'prod';
    return [{ status: ok ? 'pass' : 'fail', evidence: `${v.text}; recorded release ${prod.version}`, server: 'prod' }];
  },
};

/** CP5.1: the test environment is the one its specification (the cohort's app block) describes. */
export const testEnvMatchesSpec: CheckDefinition = {
  id: 'test-env-matches-spec',
  criterion: 'CP5.1',
  path: 'src/modules/containers/checks.ts',
  description:
    "the test environment runs what the cohort file specifies: the model's number of API instances, an edge and a worker, all running, on the candidate's network, serving the test release as env test",
  run: async (ctx) => {
    if (ctx.cohort.target !== 'local') return [{ status: 'not-run', evidence: 'local target only' }];
    const test = (await states(ctx)).find((s) => s.env === 'test');
    if (!test) return [{ status: 'not-run', evidence: NOT_DEPLOYED }];
    const problems: string[] = [];
    if (test.api.length !== ctx.cohort.app.replicas)
      problems.push(`${test.api.length} API instances, the model says ${ctx.cohort.app.replicas}`);
    if (!test.worker) problems.push('no worker');
    const plan = planCandidate(ctx.cohort, ctx.candidate);
    for (const i of instancesOf(test)) {
      if ((await instanceState(i)) !== 'running') problems.push(`${i.id} is not running`);
      if (!ipInSubnet(i.ip, plan.subnet)) problems.push(`${i.id} at ${i.ip}, outside the candidate's network ${plan.subnet}`);
    }
    const v = await edgeVersion(test);
    if (!v.ok || v.env !== 'test' || v.version !== test.version) problems.push(v.text);
    return [
      {
        status: problems.length ? 'fail' : 'pass',
        evidence: problems.length
          ? problems.join('; ')
          : `test: ${test.api.length} API, 1 edge, 1 worker on ${plan.subnet} (${test.runtime}); ${v.text}`,
        server: 'test',
      },
    ];
  },
};

const ipInSubnet = (ip: string, cidr: string): boolean => ipaddr.parse(ip).match(ipaddr.parseCIDR(cidr));

function reportsDir(): string {
  return process.env.ASD_APP_REPORTS ?? path.join(REFERENCE_APP_DIR, 'reports');
}

/** CP5.2: a test version of the app is built: the image deployed in test, its digest and SBOM. */
export const testVersionBuilt: CheckDefinition = {
  id: 'app-test-version-built',
  criterion: 'CP5.2',
  path: 'src/modules/containers/checks.ts',
  description: 'the release deployed in the test environment is an image built here, with a recorded digest and SBOM',
  run: async (ctx) => {
    const stateDir = resolveStateDir();
    const s = await loadState({ stateDir, cohort: ctx.cohort, candidate: ctx.candidate, env: 'test' });
    if (!s?.edge) return [{ status: 'not-run', evidence: 'the test environment is not deployed (asd-lab app deploy test)' }];
    const img = await readImageRecord(stateDir, s.version);
    const ok = !!img && img.digest === s.digest && existsSync(img.sbom);
    return [
      {
        status: ok ? 'pass' : 'fail',
        evidence: img
          ? `test runs ${img.ref} ${s.digest}; image record digest ${img.digest}, SBOM ${img.sbom}`
          : `no image record for ${s.version}`,
      },
    ];
  },
};

/** CP5.3 and CP5.4: the app's tests ran (JUnit) and their defects are summarised for developers. */
export const testsRun: CheckDefinition = {
  id: 'app-tests-run',
  criterion: 'CP5.3',
  path: 'src/modules/containers/checks.ts',
  description: "the app's test suite ran (JUnit report) and the smoke tests of the test environment ran",
  run: async (ctx) => {
    const junit = path.join(reportsDir(), 'junit.xml');
    if (!existsSync(junit)) return [{ status: 'not-run', evidence: `no ${junit}: run npm run app:test` }];
    const sum = parseJUnit(await readFile(junit, 'utf8'));
    const stateDir = resolveStateDir();
    const { envDir } = await import('./deploy.ts');
    const smokeFile = path.join(envDir({ stateDir, cohort: ctx.cohort, candidate: ctx.candidate, env: 'test' }), 'smoke.json');
    const smokeText = existsSync(smokeFile)
      ? (JSON.parse(await readFile(smokeFile, 'utf8')) as { at: string; ok: boolean; steps: unknown[] })
      : undefined;
    const ran = sum.tests > 0;
    return [
      {
        status: ran ? 'pass' : 'fail',
        evidence: `${junit}: ${sum.tests} tests, ${sum.failures} failed; smoke tests of test: ${smokeText ? `${smokeText.steps.length} steps at ${smokeText.at}, ${smokeText.ok ? 'all passed' : 'some failed'}` : 'not run'}`,
      },
    ];
  },
};

export const defectsReported: CheckDefinition = {
  id: 'app-defects-reported',
  criterion: 'CP5.4',
  path: 'src/modules/containers/checks.ts',
  description: 'a Markdown defect report accompanies the JUnit report and lists every failed test',
  run: async () => {
    const junit = path.join(reportsDir(), 'junit.xml');
    const md = path.join(reportsDir(), 'defects.md');
    if (!existsSync(junit) || !existsSync(md))
      return [{ status: 'not-run', evidence: `no reports in ${reportsDir()}: run npm run app:test` }];
    const sum = parseJUnit(await readFile(junit, 'utf8'));
    const text = await readFile(md, 'utf8');
    const missing = sum.cases.filter((c) => c.failure && !text.includes(c.name.replace(/\|/g, '\\|')));
    const header = sum.failures ? `**${sum.failures} defect(s)**` : '**No defect**';
    const ok = missing.length === 0 && text.includes(header);
    return [
      {
        status: ok ? 'pass' : 'fail',
        evidence: ok
          ? `${md}: ${sum.failures} defect(s) of ${sum.tests} tests listed`
          : `${md} does not match ${junit}: missing ${missing.map((c) => c.name).join(', ') || header}`,
      },
    ];
  },
};

export const CONTAINER_CHECKS: CheckDefinition[] = [
  testEnvMatchesSpec,
  testVersionBuilt,
  testsRun,
  defectsReported,
  containersOperational,
  containersNetworked,
  containersRemoteStorage,
  containersUpdated,
  appReachableByUsers,
];
