// Real test of the local target's container driver: golden image, two servers made by the bash and
// the Python script with the same arguments, SSH as asd-admin, idempotence, isolation between
// candidates, caps, and a destroy that leaves nothing. Needs root and the tools (fails otherwise).
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  destroyServer,
  downNetwork,
  ensureImage,
  ensureLabKey,
  listServers,
  SCRIPTS_DIR,
  upNetwork,
  type CandidatePlan,
} from '../src/targets/local/index.ts';
import { alive, requireHost, ssh, STATE, testCohort, traces } from './local-helpers.ts';

// Two candidates in a pool of their own: lta has two servers (bash and Python), ltb one (TypeScript API).
const cohort = testCohort('local-test', '10.231.240.0/24', [
  { id: 'lta', servers: ['one', 'two'] },
  { id: 'ltb', servers: ['one'] },
]);
const [lta, ltb] = cohort.candidates as [(typeof cohort.candidates)[0], (typeof cohort.candidates)[0]];
let planA: CandidatePlan;
let planB: CandidatePlan;
let key: { privateKey: string; publicKey: string };
const timings: Record<string, number> = {};

const scriptArgs = (p: CandidatePlan, i: number) => {
  const s = p.servers[i]!;
  return [
    '--name',
    s.name,
    '--role',
    s.spec.role,
    '--memory',
    String(s.spec.memoryMiB),
    '--cpus',
    String(s.spec.cpus),
    '--network',
    p.bridge,
    '--address',
    s.address,
    '--gateway',
    p.gateway,
    '--ssh-key',
    key.publicKey,
    '--driver',
    'container',
    '--state-dir',
    STATE,
    '--cohort',
    cohort.cohort,
    '--candidate',
    p.candidate.id,
  ];
};
const run = (file: string, args: string[]) => execa(path.join(SCRIPTS_DIR, file), args, { reject: false, all: true });

async function cleanup() {
  for (const name of ['lta-one', 'lta-two', 'ltb-one']) await destroyServer(name, { stateDir: STATE });
  await downNetwork(cohort, lta, { stateDir: STATE });
  await downNetwork(cohort, ltb, { stateDir: STATE });
}

/** Files of an overlay upper directory under etc/ and home/: type, mode, owner, and text content. */
function tree(root: string, replace: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    const st = lstatSync(abs);
    let desc = `${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      for (const f of readdirSync(abs)) walk(path.join(rel, f));
    } else if (st.isSymbolicLink()) {
      desc += ` -> ${readlinkSync(abs)}`;
    } else if (!/ssh_host_.*_key|machine-id/.test(rel)) {
      // Host keys and machine-id are random per server: only their presence and mode must match.
      let text = readFileSync(abs, 'utf8');
      for (const [from, to] of replace) text = text.split(from).join(to);
      desc += ` ${text}`;
    }
    out[rel] = desc;
  };
  for (const top of ['etc', 'home']) walk(top);
  return out;
}

describe('local target, container driver (real)', () => {
  beforeAll(async () => {
    await requireHost('container');
    const t0 = Date.now();
    await ensureImage({ stateDir: STATE });
    timings.imageMs = Date.now() - t0;
    await cleanup(); // leftovers of an interrupted run
    key = await ensureLabKey(cohort.cohort, { stateDir: STATE });
    planA = await upNetwork(cohort, lta, { stateDir: STATE });
    planB = await upNetwork(cohort, ltb, { stateDir: STATE });
  }, 900_000);

  afterAll(async () => {
    await cleanup();
    console.log(`local-server timings: ${JSON.stringify(timings)}`);
  }, 120_000);

  it('the lab key is private (0600) and the network answers a second "up" with "nothing changed"', async () => {
    expect(lstatSync(key.privateKey).mode & 0o777).toBe(0o600);
    const again = await run('lab-network.sh', ['up', '--bridge', planA.bridge, '--gateway', planA.gatewayCidr]);
    expect(again.stdout).toMatch(/already up .*nothing changed/);
  });

  it('create-server.sh and create_server.py, given the same arguments, make equivalent servers', async () => {
    let t0 = Date.now();
    const bash = await run('create-server.sh', scriptArgs(planA, 0));
    timings.createBashMs = Date.now() - t0;
    expect(bash.exitCode, bash.all).toBe(0);
    t0 = Date.now();
    const py = await run('create_server.py', scriptArgs(planA, 1));
    timings.createPythonMs = Date.now() - t0;
    expect(py.exitCode, py.all).toBe(0);
    expect(bash.stdout).toMatch(/server 'lta-one' is running: 10\.231\.240\.10\/28/);
    expect(py.stdout).toMatch(/server 'lta-two' is running: 10\.231\.240\.11\/28/);

    const [one, two] = planA.servers as [CandidatePlan['servers'][0], CandidatePlan['servers'][0]];
    const a = tree(path.join(STATE, 'servers', one.name, 'upper'), [
      [one.name, 'NAME'],
      [one.ip, 'IP'],
    ]);
    const b = tree(path.join(STATE, 'servers', two.name, 'upper'), [
      [two.name, 'NAME'],
      [two.ip, 'IP'],
    ]);
    expect(Object.keys(a)).toContain('etc/sudoers.d/90-asd-admin');
    expect(Object.keys(a)).toContain('home/asd-admin/.ssh/authorized_keys');
    expect(a['etc/systemd/network/10-asd-lab.network']).toMatch(/Address=IP\/28\nGateway=10\.231\.240\.1\n/);
    expect(b).toEqual(a);

    const envOf = (n: string) => readFileSync(path.join(STATE, 'servers', n, 'server.env'), 'utf8');
    expect(envOf(two.name).replaceAll(two.name, 'N').replace(two.ip, 'IP')).toBe(
      envOf(one.name).replaceAll(one.name, 'N').replace(one.ip, 'IP'),
    );
  }, 180_000);

  it('both answer SSH as asd-admin with the lab key, with their own host keys and identity', async () => {
    const servers = await listServers(STATE);
    const fingerprints = new Set<string>();
    for (const s of planA.servers) {
      const info = servers.find((x) => x.name === s.name)!;
      expect(info).toMatchObject({
        cohort: 'local-test',
        candidate: 'lta',
        state: 'running',
        address: s.ip,
        sshPort: 22,
        user: 'asd-admin',
        keyPath: key.privateKey,
      });
      const r = await ssh(
        s.ip,
        info.keyPath,
        info.knownHostsFile,
        'id -un; sudo -n id -u; hostname; ip -4 -o addr show host0 | awk "{print \\$4}"; systemctl is-system-running --wait; cat /etc/asd-lab/server',
      );
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      const [user, rootId, host, addr, running] = r.stdout.split('\n');
      expect([user, rootId, host, addr]).toEqual(['asd-admin', '0', s.name, s.address]);
      expect(running).toBe('running'); // no failed unit in the golden image
      expect(r.stdout).toContain(`ROLE=app\nADDRESS=${s.address}\nCOHORT=local-test\nCANDIDATE=lta`);
      fingerprints.add(readFileSync(info.knownHostsFile, 'utf8').split('\n')[0]!.split(' ')[2]!);
      // Password login is off from the first boot.
      const pw = await execa(
        'ssh',
        [
          '-o',
          'BatchMode=yes',
          '-o',
          'PreferredAuthentications=password',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'ConnectTimeout=5',
          `asd-admin@${s.ip}`,
          'true',
        ],
        { reject: false },
      );
      expect(pw.exitCode).not.toBe(0);
    }
    expect(fingerprints.size).toBe(2);
  }, 60_000);

  it('a second run of either script changes nothing and says so', async () => {
    const pidOf = (n: string) => readFileSync(path.join(STATE, 'servers', n, 'pid'), 'utf8').trim();
    const before = planA.servers.map((s) => pidOf(s.name));
    for (const [file, i] of [
      ['create-server.sh', 0],
      ['create_server.py', 0],
      ['create_server.py', 1],
      ['create-server.sh', 1],
    ] as const) {
      const r = await run(file, scriptArgs(planA, i));
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/is already running .*nothing changed/);
    }
    expect(planA.servers.map((s) => pidOf(s.name))).toEqual(before);
    // Other settings for an existing server: an error, not a silent change.
    const args = scriptArgs(planA, 0);
    args[args.indexOf('--memory') + 1] = '1024';
    const changed = await run('create-server.sh', args);
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toMatch(/exists with MEMORY_MIB=256, not 1024: destroy it first/);
  }, 120_000);

  it("servers reach their candidate's servers and the host, never another candidate", async () => {
    const t0 = Date.now();
    const other = await createServer(cohort, ltb, 'one', { stateDir: STATE });
    timings.createApiMs = Date.now() - t0;
    expect(other).toMatchObject({ name: 'ltb-one', address: planB.servers[0]!.ip, state: 'running' });
    const from = await listServers(STATE).then((l) => l.find((x) => x.name === 'lta-one')!);
    const ping = (ip: string) =>
      ssh(from.address, from.keyPath, from.knownHostsFile, `ping -c 1 -W 2 ${ip} >/dev/null && echo yes || echo no`);
    expect((await ping(planA.servers[1]!.ip)).stdout).toBe('yes');
    expect((await ping(planA.gateway)).stdout).toBe('yes');
    expect((await ping(other.address)).stdout).toBe('no');
    const rules = (await execa('nft', ['list', 'chain', 'inet', 'asd_lab', 'forward'])).stdout;
    for (const br of [planA.bridge, planB.bridge]) {
      expect(rules).toContain(`iifname "${br}" oifname != "${br}" drop`);
      expect(rules).toContain(`oifname "${br}" iifname != "${br}" drop`);
    }
  }, 120_000);

  it("memory and CPU are capped in the server's own cgroup", async () => {
    const v2 = lstatSync('/sys/fs/cgroup/cgroup.controllers', { throwIfNoEntry: false });
    for (const s of planA.servers) {
      const pid = readFileSync(path.join(STATE, 'servers', s.name, 'pid'), 'utf8').trim();
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (v2) {
        expect(cg).toContain(`0::/asd-lab/${s.name}`);
        expect(readFileSync(`/sys/fs/cgroup/asd-lab/${s.name}/memory.max`, 'utf8').trim()).toBe(String(256 * 1048576));
        expect(readFileSync(`/sys/fs/cgroup/asd-lab/${s.name}/cpu.max`, 'utf8').trim()).toBe('50000 100000');
        timings[`${s.name}MemoryBytes`] = Number(readFileSync(`/sys/fs/cgroup/asd-lab/${s.name}/memory.current`, 'utf8'));
      } else {
        expect(cg).toMatch(new RegExp(`memory:/asd-lab/${s.name}\\n`));
        expect(cg).toMatch(new RegExp(`cpu:/asd-lab/${s.name}\\n`));
        const mem = `/sys/fs/cgroup/memory/asd-lab/${s.name}`;
        expect(readFileSync(`${mem}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(256 * 1048576));
        expect(readFileSync(`/sys/fs/cgroup/cpu/asd-lab/${s.name}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('50000');
        // Every process of the container is in it, not only nspawn.
        expect(readFileSync(`${mem}/cgroup.procs`, 'utf8').trim().split('\n').length).toBeGreaterThan(3);
        const stat = readFileSync(`${mem}/memory.stat`, 'utf8');
        timings[`${s.name}MemoryBytes`] = Number(readFileSync(`${mem}/memory.usage_in_bytes`, 'utf8'));
        timings[`${s.name}RssBytes`] = Number(/^total_rss (\d+)$/m.exec(stat)?.[1]);
      }
    }
  });

  it('destroy (bash, Python, API) leaves no process, mount, link, cgroup or state; down leaves no bridge or rule', async () => {
    const pids = (await listServers(STATE))
      .filter((s) => s.cohort === 'local-test')
      .map((s) => Number(readFileSync(path.join(s.dir, 'pid'), 'utf8')));
    expect(pids).toHaveLength(3);
    const t0 = Date.now();
    expect((await run('destroy-server.sh', ['--name', 'lta-one', '--state-dir', STATE])).stdout).toMatch(/destroyed/);
    timings.destroyMs = Date.now() - t0;
    expect((await run('destroy_server.py', ['--name', 'lta-two', '--state-dir', STATE])).stdout).toMatch(/destroyed/);
    await destroyServer('ltb-one', { stateDir: STATE });
    expect((await run('destroy-server.sh', ['--name', 'lta-one', '--state-dir', STATE])).stdout).toMatch(
      /does not exist: nothing to do/,
    );
    for (const pid of pids) expect(alive(pid)).toBe(false);
    for (const name of ['lta-one', 'lta-two', 'ltb-one']) expect(await traces(name), name).toEqual([]);

    await downNetwork(cohort, lta, { stateDir: STATE });
    await downNetwork(cohort, ltb, { stateDir: STATE });
    const links = (await execa('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(planA.bridge);
    expect(links).not.toContain(planB.bridge);
    const ruleset = (await execa('nft', ['list', 'ruleset'])).stdout;
    expect(ruleset).not.toContain(planA.bridge);
    expect(ruleset).not.toContain(planB.bridge);
    // The table goes with the last asd-lab network on the host.
    if (!/ alias asd-lab/.test((await execa('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout)) {
      expect(ruleset).not.toContain('table inet asd_lab');
    }
  }, 120_000);
});
