// End to end, as a candidate on their own laptop: a two-candidate cohort comes up with its jump host,
// `asd-lab access` writes each candidate's files, and a "laptop" network namespace joined to the host
// by a veth pair (nothing else: no route to the labs) uses only those files and the candidate's own key
// (in an ssh-agent, as on a laptop). Real servers, real sshd, real nftables: needs root.
// Names are prefixed "acc" (cohort, candidates, netns, veth) and the pool and port are this file's
// own: other e2e suites may run on the same host at the same time.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortPaths } from '../src/core/state.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { ANSIBLE_DIR } from '../src/core/repo.ts';
import { writeInventory } from '../src/lifecycle/inventory.ts';
import { jumpHostKey, jumpTable, jumpUser, trainerUser } from '../src/targets/local/jump.ts';
import { writeJumpConfig } from '../src/tools/jump-ssh.ts';
import { cohortHash } from '../src/targets/local/naming.ts';
import { parse } from 'yaml';
import { cli } from './helpers.ts';
import { requireHost, STATE } from './local-helpers.ts';

const COHORT = 'acc-e2e';
const POOL = '10.231.244.0/24';
const PORT = 2422;
const NETNS = 'acc-laptop';
const VETH_HOST = 'acc-h0';
const VETH_LAPTOP = 'acc-l0';
const HOST_IP = '10.250.0.1';
const LAPTOP_IP = '10.250.0.2';
const CANDS = ['acca', 'accb'] as const;

const dir = mkdtempSync(join(tmpdir(), 'asd-lab-acc-e2e-'));
const file = join(dir, 'acc.yaml');
const keys: Record<string, string> = {};
const agents: Record<string, { sock: string; pid: number }> = {};
const paths = cohortPaths(COHORT, STATE);
let firstLoginMs = 0;

async function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  return execa(cmd, args, { reject: false, timeout: opts.timeout ?? 120_000, cwd: opts.cwd, env: opts.env, stdin: 'ignore' });
}

/** A command in the laptop namespace, with the candidate's agent (their key) and nothing else. */
function laptop(who: string, cwd: string, args: string[], extraEnv: Record<string, string> = {}) {
  return run('ip', ['netns', 'exec', NETNS, ...args], {
    cwd,
    env: { SSH_AUTH_SOCK: agents[who]!.sock, ...extraEnv },
  });
}

const sshArgs = ['ssh', '-F', 'ssh_config', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20'];

async function makeLaptop(): Promise<void> {
  await run('ip', ['netns', 'del', NETNS]);
  await run('ip', ['link', 'del', VETH_HOST]);
  for (const args of [
    ['netns', 'add', NETNS],
    ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_LAPTOP],
    ['link', 'set', VETH_LAPTOP, 'netns', NETNS],
    ['addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST],
    ['link', 'set', VETH_HOST, 'up'],
    ['-n', NETNS, 'addr', 'add', `${LAPTOP_IP}/30`, 'dev', VETH_LAPTOP],
    ['-n', NETNS, 'link', 'set', VETH_LAPTOP, 'up'],
    ['-n', NETNS, 'link', 'set', 'lo', 'up'],
  ]) {
    const r = await run('ip', args);
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
}

async function agent(who: string): Promise<void> {
  const sock = join(dir, `agent-${who}.sock`);
  const r = await run('ssh-agent', ['-a', sock, '-s']);
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(r.stdout)?.[1]);
  agents[who] = { sock, pid };
  const add = await run('ssh-add', [keys[who]!], { env: { SSH_AUTH_SOCK: sock } });
  if (add.exitCode !== 0) throw new Error(`ssh-add: ${add.stderr}`);
}

beforeAll(async () => {
  await requireHost('container');
  for (const who of [...CANDS, 'trainer']) {
    keys[who] = join(dir, `id_${who}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${who}@laptop`, '-f', keys[who]!]);
    await agent(who);
  }
  const pub = (who: string) => readFileSync(`${keys[who]}.pub`, 'utf8').trim();
  writeFileSync(
    file,
    [
      `cohort: ${COHORT}`,
      'expires: 2099-12-31',
      `local: {subnetPool: ${POOL}, subnetPrefix: 28}`,
      `access: {port: ${PORT}, host: ${HOST_IP}}`,
      'modules: {data: false, containers: false, kubernetes: false, monitoring: false}',
      `admin: {sshKeys: ["${pub('trainer')}"]}`,
      'servers:',
      '  - {name: gateway, role: gateway, memoryMiB: 256, cpus: 0.5}',
      '  - {name: app, role: app, memoryMiB: 256, cpus: 0.5}',
      'candidates:',
      ...CANDS.flatMap((c) => [`  - id: ${c}`, `    name: Candidate ${c.toUpperCase()}`, `    sshKey: ${pub(c)}`]),
      '',
    ].join('\n'),
  );
  await makeLaptop();
  const up = await cli(['--json', 'up', '-c', file, '--no-verify']);
  if (up.code !== 0) throw new Error(`up failed (${up.code}):\n${up.stdout.slice(-3000)}\n${up.stderr.slice(-3000)}`);
}, 2_400_000);

afterAll(async () => {
  const down = await cli(['down', '-c', file, '--purge']);
  for (const a of Object.values(agents)) if (a.pid) await run('kill', [String(a.pid)]);
  await run('ip', ['netns', 'del', NETNS]);
  await run('ip', ['link', 'del', VETH_HOST]);
  // Nothing of the jump is left: process, accounts, nftables table, folder; nor the laptop.
  const left: string[] = [];
  if (down.code !== 0) left.push(`down exit ${down.code}: ${down.stderr}`);
  const ps = (await run('ps', ['-eo', 'args'])).stdout;
  if (ps.includes(paths.jump.config)) left.push('jump sshd');
  const passwd = readFileSync('/etc/passwd', 'utf8');
  if (passwd.includes(`asdj-${cohortHash(COHORT)}`)) left.push('accounts');
  if ((await run('nft', ['list', 'table', 'inet', jumpTable(COHORT)])).exitCode === 0) left.push('nft table');
  if (existsSync(paths.jump.dir)) left.push('jump folder');
  if ((await run('ip', ['netns', 'list'])).stdout.includes(NETNS)) left.push('netns');
  expect(left).toEqual([]);
}, 600_000);

describe('access from a laptop, through the jump host', () => {
  const out = (who: string) => join(dir, `access-${who}`);

  it('writes a candidate files and the first login works with StrictHostKeyChecking yes', async () => {
    const t0 = Date.now();
    const r = await cli(['--json', 'access', '--candidate', 'acca', '-o', out('acca'), '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      candidate: string;
      jump: { host: string; port: number; user: string };
      servers: { name: string; address: string; user: string }[];
      files: Record<string, string>;
    };
    expect(j.candidate).toBe('acca');
    expect(j.jump).toEqual({ host: HOST_IP, port: PORT, user: jumpUser(COHORT, 'acca') });
    expect(j.servers.map((s) => `${s.name}:${s.user}`)).toEqual(['gateway:acca', 'app:acca']);
    // The account expires the day after the cohort's last day (shadow: days since 1970-01-01).
    const shadow = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${j.jump.user}:`))!;
    expect(Number(shadow.split(':')[7])).toBe(Date.parse('2100-01-01T00:00:00Z') / 86_400_000);
    for (const f of ['ssh_config', 'known_hosts', 'inventory.yml', 'card.html', 'card.pdf'])
      expect(existsSync(join(out('acca'), f))).toBe(true);
    // Nothing in the files names this host's paths: they work once copied to the laptop.
    for (const f of ['ssh_config', 'inventory.yml']) expect(readFileSync(join(out('acca'), f), 'utf8')).not.toContain(STATE);
    const login = await laptop('acca', out('acca'), [...sshArgs, 'gateway', 'hostname']);
    firstLoginMs = Date.now() - t0;
    expect(login.stderr).not.toMatch(/Permanently added|authenticity/);
    expect(login.stdout.trim(), login.stderr).toBe('acca-gateway');
    console.log(`access → first login from the laptop: ${firstLoginMs} ms`);
  }, 300_000);

  it("reaches every one of the candidate's servers, and Ansible pings them all", async () => {
    const r = await laptop('acca', out('acca'), [...sshArgs, 'app', 'id', '-un']);
    expect(r.stdout.trim(), r.stderr).toBe('acca');
    // From another folder: the inventory names its files relative to itself.
    const ansibleHome = join(dir, 'ansible-home');
    mkdirSync(ansibleHome, { recursive: true });
    const ping = await laptop('acca', dir, ['ansible', '-i', join(out('acca'), 'inventory.yml'), 'all', '-m', 'ping'], {
      ANSIBLE_HOME: ansibleHome,
      ANSIBLE_LOCAL_TEMP: join(ansibleHome, 'tmp'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(ansibleHome, 'cp'),
      ANSIBLE_NOCOLOR: '1',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    });
    expect(ping.exitCode, `${ping.stdout}\n${ping.stderr}`).toBe(0);
    expect(ping.stdout.match(/SUCCESS/g)).toHaveLength(2);
  }, 300_000);

  it("refuses a jump to the other candidate's server, a shell or a command on the jump, and a forward to the host", async () => {
    const other = (await cli(['--json', 'status', '-c', file])).stdout;
    const bobGateway = (
      JSON.parse(other) as { candidates: { id: string; servers: { name: string; address: string }[] }[] }
    ).candidates
      .find((c) => c.id === 'accb')!
      .servers.find((s) => s.name === 'gateway')!.address;
    const toBob = await laptop('acca', out('acca'), [...sshArgs, '-W', `${bobGateway}:22`, 'jump']);
    expect(toBob.exitCode).not.toBe(0);
    expect(toBob.stderr).toMatch(/administratively prohibited/);
    // With ann's ssh_config and HostName rewritten to bob's server: still the jump says no.
    const asBob = await laptop('acca', out('acca'), [...sshArgs, '-o', `HostName=${bobGateway}`, 'gateway', 'true']);
    expect(asBob.exitCode).not.toBe(0);
    const command = await laptop('acca', out('acca'), [...sshArgs, 'jump', 'id']);
    expect(command.exitCode).not.toBe(0);
    expect(command.stdout).toBe('');
    const shell = await laptop('acca', out('acca'), [...sshArgs, '-tt', 'jump']);
    expect(shell.exitCode).not.toBe(0);
    const loop = await laptop('acca', out('acca'), [...sshArgs, '-W', '127.0.0.1:22', 'jump']);
    expect(loop.stderr).toMatch(/administratively prohibited/);
    // ssh -L to the host's own 127.0.0.1:22: the tunnel opens, every connection through it is refused.
    const tunnel = execa(
      'ip',
      ['netns', 'exec', NETNS, ...sshArgs, '-N', '-o', 'ExitOnForwardFailure=yes', '-L', '127.0.0.1:12222:127.0.0.1:22', 'jump'],
      { cwd: out('acca'), env: { SSH_AUTH_SOCK: agents.acca!.sock }, reject: false, stdin: 'ignore' },
    );
    const own = execa('ip', ['netns', 'exec', NETNS, ...sshArgs, '-N', '-L', `127.0.0.1:12223:${annGateway()}:22`, 'jump'], {
      cwd: out('acca'),
      env: { SSH_AUTH_SOCK: agents.acca!.sock },
      reject: false,
      stdin: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 4000));
    const read = (port: number) =>
      run('ip', ['netns', 'exec', NETNS, 'timeout', '10', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; head -c 7 <&3`]);
    const host22 = await read(12222);
    const gw22 = await read(12223);
    tunnel.kill();
    own.kill();
    const tunnelErr = (await tunnel).stderr;
    await own;
    expect(host22.stdout).toBe('');
    expect(tunnelErr).toMatch(/administratively prohibited/);
    // The same kind of tunnel to the candidate's own server works (what the card's consoles command does).
    expect(gw22.stdout).toBe('SSH-2.0');
  }, 300_000);

  it("gives the trainer one Host per candidate's server, all reachable", async () => {
    const r = await cli(['access', '--trainer', '-o', out('trainer'), '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    for (const c of CANDS) {
      for (const s of ['gateway', 'app']) {
        const x = await laptop('trainer', out('trainer'), [...sshArgs, `${c}-${s}`, 'hostname']);
        expect(x.stdout.trim(), x.stderr).toBe(`${c}-${s}`);
      }
    }
    expect(readFileSync(join(out('trainer'), 'ssh_config'), 'utf8')).toContain(`User ${trainerUser(COHORT)}`);
  }, 300_000);

  it("the lab admin's Ansible reaches every server through the jump, with the AWS target's connection settings", async () => {
    // What src/lifecycle/aws.ts does for the bastion: one ssh_config naming the jump (src/tools/jump-ssh.ts),
    // the lab's inventory with ansible_ssh_common_args = -F <it> -o ProxyJump. Here the jump is the
    // cohort's jump host, entered with the trainer's account; the servers as asd-admin with the lab key.
    // Run from the laptop namespace, which has no route to any server: only the jump can carry it.
    const cohort = parseCohort(readFileSync(file, 'utf8'), file);
    const cfgDir = join(dir, 'admin-through-jump');
    mkdirSync(cfgDir, { recursive: true });
    const knownHosts = join(cfgDir, 'known_hosts');
    writeFileSync(knownHosts, `[${HOST_IP}]:${PORT} ${jumpHostKey(paths.jump)!.split(/\s+/).slice(0, 2).join(' ')}\n`);
    const { sshCommonArgs } = writeJumpConfig(join(cfgDir, 'ssh_config'), {
      host: HOST_IP,
      port: PORT,
      user: trainerUser(COHORT),
      keyPath: keys.trainer!,
      knownHostsFile: knownHosts,
      strictHostKeys: 'yes',
    });
    const inventory = await writeInventory(cohort, paths, paths.labKey, { sshCommonArgs, file: join(cfgDir, 'inventory.yml') });
    const servers = (parse(readFileSync(inventory, 'utf8')) as { all: { hosts: Record<string, { ansible_host: string }> } }).all
      .hosts;
    expect(Object.keys(servers).sort()).toEqual(['acca-app', 'acca-gateway', 'accb-app', 'accb-gateway']);
    // Direct SSH from the laptop to a server: no route.
    for (const [name, h] of Object.entries(servers)) {
      const direct = await run('ip', [
        'netns',
        'exec',
        NETNS,
        'ssh',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        '-i',
        paths.labKey,
        `asd-admin@${h.ansible_host}`,
        'true',
      ]);
      expect(direct.exitCode, name).toBe(255);
      expect(direct.stderr, name).toMatch(/unreachable|No route/i);
    }
    const playbook = join(cfgDir, 'through-jump.yml');
    writeFileSync(
      playbook,
      [
        '- name: Through the jump host, as the lab admin',
        '  hosts: all',
        '  gather_facts: true',
        '  become: true',
        '  tasks:',
        '    - name: Which server answers, and as whom after sudo',
        "      ansible.builtin.command: sh -c 'hostname; id -un'",
        '      register: who',
        '      changed_when: false',
        '    - name: It is the inventory host, and sudo gave root',
        '      ansible.builtin.assert:',
        '        that: who.stdout_lines == [inventory_hostname, "root"]',
        '',
      ].join('\n'),
    );
    const home = join(cfgDir, 'ansible-home');
    const t0 = Date.now();
    const play = await run('ip', ['netns', 'exec', NETNS, 'ansible-playbook', '-i', inventory, playbook], {
      cwd: ANSIBLE_DIR,
      timeout: 240_000,
      env: {
        // The settings of src/tools/ansible.ts's runPlaybook (ansible.cfg, no agent: the keys are files).
        ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'),
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_HOME: home,
        ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
        ANSIBLE_SSH_CONTROL_PATH_DIR: join(home, 'cp'),
        SSH_AUTH_SOCK: '',
        PATH: process.env.PATH ?? '/usr/bin:/bin',
      },
    });
    console.log(`Ansible through the jump, 4 servers: ${Date.now() - t0} ms`);
    expect(play.exitCode, `${play.stdout.slice(-3000)}\n${play.stderr.slice(-2000)}`).toBe(0);
    for (const name of Object.keys(servers))
      expect(play.stdout).toMatch(new RegExp(`${name}\\s+: ok=3\\s+changed=0\\s+unreachable=0\\s+failed=0`));
    // The connections to the servers' port 22 are the jump's: sockets of the trainer's account, held
    // open by Ansible's ControlPersist (60 s) on the laptop side.
    const uid = (await run('id', ['-u', trainerUser(COHORT)])).stdout.trim();
    const ss = (await run('ss', ['-tnHe', 'state', 'established', '( dport = :22 )'])).stdout.split('\n');
    for (const [name, h] of Object.entries(servers))
      expect(
        ss.some((l) => l.includes(` ${h.ansible_host}:22 `) && l.includes(`uid:${uid} `)),
        `${name}: no connection of ${trainerUser(COHORT)} (uid ${uid}) to ${h.ansible_host}:22\n${ss.join('\n')}`,
      ).toBe(true);
  }, 300_000);

  it('writes every candidate with --all, and the PDF card names every server', async () => {
    const r = await cli(['--json', 'access', '--all', '-o', join(dir, 'all'), '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    for (const c of CANDS) {
      const pdf = join(dir, 'all', c, 'card.pdf');
      expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
      expect(statSync(pdf).size).toBeGreaterThan(5_000);
      const text = (await run('pdftotext', [pdf, '-'])).stdout;
      for (const s of ['gateway', 'app', `Candidate ${c.toUpperCase()}`, '2099-12-31', 'ssh -F ssh_config gateway'])
        expect(text).toContain(s);
      expect(text).toContain('SHA256:');
    }
    // The other candidate's login works from their own files only.
    const bob = await laptop('accb', join(dir, 'all', 'accb'), [...sshArgs, 'app', 'hostname']);
    expect(bob.stdout.trim(), bob.stderr).toBe('accb-app');
    // And bob's key does not open ann's account.
    const swap = await laptop('accb', out('acca'), [...sshArgs, 'gateway', 'true']);
    expect(swap.exitCode).not.toBe(0);
  }, 300_000);

  it('ssh-audit: no "fail" finding on the jump nor on a server, no NIST-curve key exchange', async () => {
    const gateway = annGateway();
    for (const target of [`${HOST_IP}:${PORT}`, `${gateway}:22`]) {
      const text = await run('ssh-audit', ['-n', target], { timeout: 120_000 });
      expect(text.stdout, target).toMatch(/\(kex\)/);
      expect(
        text.stdout.split('\n').filter((l) => l.includes('[fail]')),
        target,
      ).toEqual([]);
      const json = JSON.parse((await run('ssh-audit', ['-j', target], { timeout: 120_000 })).stdout) as {
        kex: { algorithm: string }[];
      };
      expect(
        json.kex.map((k) => k.algorithm).filter((a) => a.startsWith('ecdh-sha2-nistp')),
        target,
      ).toEqual([]);
      console.log(
        `ssh-audit ${target}: 0 fail; warn: ${text.stdout
          .split('\n')
          .filter((l) => l.includes('[warn]'))
          .map((l) => l.trim())
          .join(' | ')}`,
      );
    }
  }, 300_000);

  it('down --candidate removes only that account', async () => {
    const r = await cli(['--json', 'down', '-c', file, '--candidate', 'accb']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { jump: string[] }).jump).toEqual([`account ${jumpUser(COHORT, 'accb')}`]);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    expect(passwd).not.toContain(`${jumpUser(COHORT, 'accb')}:`);
    expect(passwd).toContain(`${jumpUser(COHORT, 'acca')}:`);
    const still = await laptop('acca', out('acca'), [...sshArgs, 'gateway', 'true']);
    expect(still.exitCode, still.stderr).toBe(0);
  }, 300_000);
});

/** acca's gateway address, from the files `access` wrote. */
function annGateway(): string {
  const cfg = readFileSync(join(dir, 'access-acca', 'ssh_config'), 'utf8');
  return /Host gateway\n\s+HostName (\S+)/.exec(cfg)![1]!;
}
