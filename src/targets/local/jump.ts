// The cohort's jump host on the local target: a dedicated sshd on the lab host (its own config,
// host key, port and pid file under STATE/cohorts/<cohort>/jump; the host's own sshd is never
// touched), one account per candidate that may only open their own servers' SSH and consoles, one
// trainer account that may open every candidate's. The host has no systemd here: the sshd is
// started in the background with a pid file, like the servers, and started again by `up`.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { parse as parseYaml } from 'yaml';
import { jumpFlows } from '../../core/flows.ts';
import { t } from '../../core/i18n/index.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { ANSIBLE_DIR } from '../../core/repo.ts';
import type { JumpPaths } from '../../core/state.ts';
import { LocalError } from './errors.ts';
import { cohortHash } from './naming.ts';
import { planCohort, type CandidatePlan } from './plan.ts';

export const SSHD = '/usr/sbin/sshd';

/** The ssh role's algorithm lists (ansible/roles/ssh/defaults): the jump is configured the same way. */
export interface SshAlgorithms {
  kex: string[];
  ciphers: string[];
  macs: string[];
  hostKeyAlgorithms: string[];
  pubkeyAccepted: string[];
  requiredRsaSize: number;
  moduliMinBits: number;
}

export function sshAlgorithms(file = path.join(ANSIBLE_DIR, 'roles/ssh/defaults/main.yml')): SshAlgorithms {
  const d = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const list = (k: string) => {
    const v = d[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${file}: ${k} is not a list of names`);
    return v as string[];
  };
  return {
    kex: list('ssh_kex_algorithms'),
    ciphers: list('ssh_ciphers'),
    macs: list('ssh_macs'),
    // The jump has one ed25519 host key and no certificate.
    hostKeyAlgorithms: list('ssh_host_key_algorithms').filter((a) => a === 'ssh-ed25519'),
    pubkeyAccepted: list('ssh_pubkey_accepted_algorithms'),
    requiredRsaSize: Number(d.ssh_required_rsa_size ?? 2048),
    moduliMinBits: Number(d.ssh_moduli_min_bits ?? 3071),
  };
}

/** Host accounts: "asdj-<6 hex of the cohort>-<candidate>" (at most 32 characters, useradd's limit). */
export function jumpUser(cohort: string, candidate: string): string {
  return `asdj-${cohortHash(cohort)}-${candidate}`;
}

/** The trainers' account: "_" cannot appear in a candidate id, so it never clashes with one. */
export function trainerUser(cohort: string): string {
  return `asdj-${cohortHash(cohort)}_trainer`;
}

/** The nftables table of a cohort's jump (its own table: lab-network.sh removes asd_lab with its last bridge). */
export function jumpTable(cohort: string): string {
  return `asd_lab_jump_${cohortHash(cohort)}`;
}

/** The number of bits of an RSA public key line (0 when it is not RSA). */
function rsaBits(line: string): number {
  const k = ssh2.utils.parseKey(line.trim());
  if (k instanceof Error || Array.isArray(k) || k.type !== 'ssh-rsa') return 0;
  const blob = k.getPublicSSH();
  let off = 0;
  const next = () => {
    const n = blob.readUInt32BE(off);
    const v = blob.subarray(off + 4, off + 4 + n);
    off += 4 + n;
    return v;
  };
  next(); // "ssh-rsa"
  next(); // e
  let n = next();
  while (n.length && n[0] === 0) n = n.subarray(1);
  return n.length ? (n.length - 1) * 8 + Math.floor(Math.log2(n[0]!)) + 1 : 0;
}

/** Why the jump would refuse this key (null when it accepts it): the ssh role's own algorithm policy. */
export function keyRefusal(line: string, algos: SshAlgorithms): string | null {
  const type = line.trim().split(/\s+/)[0] ?? '';
  if (type === 'ssh-rsa') {
    const bits = rsaBits(line);
    if (!algos.pubkeyAccepted.some((a) => a.startsWith('rsa-sha2-'))) return t('jump.keyType', { type });
    return bits < algos.requiredRsaSize ? t('jump.keyRsaSize', { bits, min: algos.requiredRsaSize }) : null;
  }
  return algos.pubkeyAccepted.includes(type) ? null : t('jump.keyType', { type });
}

export interface JumpAccount {
  user: string;
  /** The candidate's id, or null for the trainers' account. */
  candidate: string | null;
  keys: string[];
  /** "address:port" the account may open, nothing else. */
  permitOpen: string[];
  /** Addresses (IPv4) of those servers, for the nftables rule. */
  addresses: string[];
}

export interface JumpPlan {
  cohort: string;
  port: number;
  listen: string[];
  /** shadow's expiry day (YYYY-MM-DD): the day after the cohort's last day; null when it has none. */
  expireDate: string | null;
  accounts: JumpAccount[];
  /** Candidates without an account, and why. */
  refused: { candidate: string; reason: string }[];
}

/** The day after `expires`: shadow refuses a login from the expiry day on, the cohort's last day still counts. */
export function dayAfter(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** What each account may open, from the plan of the cohort (addresses are deterministic). Pure. */
export function planJump(cohort: Cohort, algos: SshAlgorithms, plans: CandidatePlan[] = planCohort(cohort)): JumpPlan {
  const flows = jumpFlows(cohort.modules);
  const opens = (p: CandidatePlan) =>
    p.servers.flatMap((s) => flows.filter((f) => f.to.includes(s.spec.role)).map((f) => `${s.ip}:${f.port}`));
  const accounts: JumpAccount[] = [];
  const refused: JumpPlan['refused'] = [];
  for (const p of plans) {
    const reason = keyRefusal(p.candidate.sshKey, algos);
    if (reason) {
      refused.push({ candidate: p.candidate.id, reason });
      continue;
    }
    accounts.push({
      user: jumpUser(cohort.cohort, p.candidate.id),
      candidate: p.candidate.id,
      keys: [p.candidate.sshKey.trim()],
      permitOpen: opens(p),
      addresses: p.servers.map((s) => s.ip),
    });
  }
  const trainerKeys = cohort.admin.sshKeys.map((k) => k.trim()).filter((k) => keyRefusal(k, algos) === null);
  if (trainerKeys.length) {
    accounts.push({
      user: trainerUser(cohort.cohort),
      candidate: null,
      keys: trainerKeys,
      permitOpen: plans.flatMap(opens),
      addresses: plans.flatMap((p) => p.servers.map((s) => s.ip)),
    });
  }
  return {
    cohort: cohort.cohort,
    port: cohort.access.port,
    listen: cohort.access.listen,
    expireDate: cohort.expires ? dayAfter(cohort.expires) : null,
    accounts,
    refused,
  };
}

/** The jump's sshd_config: forwarding to PermitOpen only, no session at all (MaxSessions 0). Pure. */
export function renderSshdConfig(plan: JumpPlan, paths: JumpPaths, algos: SshAlgorithms): string {
  const lines = [
    `# asd-lab jump host of cohort ${plan.cohort} (generated by asd-lab up; never the host's own sshd).`,
    '# Candidates only pass through it (ProxyJump, ssh -L) to their own servers: no shell, no command,',
    '# no other forwarding. Algorithms: the same lists as ansible/roles/ssh on the servers.',
    `Port ${plan.port}`,
    'AddressFamily any',
    ...plan.listen.map((a) => `ListenAddress ${a.includes(':') ? `[${a}]` : a}`),
    `HostKey ${paths.hostKey}`,
    `PidFile ${paths.pid}`,
    `ModuliFile ${paths.moduli}`,
    `KexAlgorithms ${algos.kex.join(',')}`,
    `Ciphers ${algos.ciphers.join(',')}`,
    `MACs ${algos.macs.join(',')}`,
    `HostKeyAlgorithms ${algos.hostKeyAlgorithms.join(',')}`,
    `PubkeyAcceptedAlgorithms ${algos.pubkeyAccepted.join(',')}`,
    `RequiredRSASize ${algos.requiredRsaSize}`,
    'RekeyLimit 1G 1h',
    'SyslogFacility AUTH',
    'LogLevel VERBOSE',
    // Only the jump's own accounts; every other host account (root included) is refused.
    `AllowUsers ${plan.accounts.map((a) => a.user).join(' ') || 'nobody-asd-lab-jump'}`,
    'PermitRootLogin no',
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'PermitEmptyPasswords no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'IgnoreRhosts yes',
    'GSSAPIAuthentication no',
    'KerberosAuthentication no',
    'StrictModes yes',
    `AuthorizedKeysFile ${paths.authorizedKeys}/%u`,
    'PermitUserEnvironment no',
    'PermitUserRC no',
    // sshd checks shadow's account expiry itself when PAM is off (the cohort's expires).
    'UsePAM no',
    'LoginGraceTime 30',
    'MaxAuthTries 3',
    // 0: no shell, exec or subsystem session, forwarding only (sshd_config(5)).
    'MaxSessions 0',
    'MaxStartups 10:30:60',
    'ClientAliveInterval 300',
    'ClientAliveCountMax 2',
    'TCPKeepAlive no',
    'AllowTcpForwarding local',
    'PermitOpen none',
    'PermitListen none',
    'AllowAgentForwarding no',
    'AllowStreamLocalForwarding no',
    'GatewayPorts no',
    'PermitTunnel no',
    'X11Forwarding no',
    'PermitTTY no',
    'ForceCommand /usr/sbin/nologin',
    'Compression no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'DebianBanner no',
    'VersionAddendum none',
    '',
  ];
  for (const a of plan.accounts) {
    lines.push(
      `# ${a.candidate ? `candidate ${a.candidate}` : 'trainers (admin.sshKeys)'}`,
      `Match User ${a.user}`,
      `    PermitOpen ${a.permitOpen.join(' ') || 'none'}`,
      '',
    );
  }
  return lines.join('\n');
}

/** authorized_keys of one account: the same restriction once more, on the key itself. Pure. */
export function renderAuthorizedKeys(a: JumpAccount): string {
  const opens = a.permitOpen.map((o) => `permitopen="${o}"`).join(',');
  return a.keys.map((k) => `restrict,port-forwarding${opens ? `,${opens}` : ''} ${k}`).join('\n') + '\n';
}

/**
 * nftables, the host's own output: what each account's processes (the sshd child that opens the
 * forwarded connection runs as the account) may reach. `meta skuid`: the socket owner. Pure.
 */
export function renderNft(table: string, accounts: (JumpAccount & { uid: number })[]): string {
  const rules = accounts.flatMap((a) => {
    const dests = a.permitOpen.map((o) => {
      const [ip, port] = o.split(':');
      return `${ip} . ${port}`;
    });
    return [
      ...(dests.length ? [`    meta skuid ${a.uid} ip daddr . tcp dport { ${dests.join(', ')} } accept`] : []),
      `    meta skuid ${a.uid} counter drop comment "asd-lab jump ${a.user}"`,
    ];
  });
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    '  chain output {',
    '    type filter hook output priority filter - 10; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}

// ---- the host -------------------------------------------------------------------------------

interface AccountRecord {
  user: string;
  uid: number;
  candidate: string | null;
}

function readAccounts(paths: JumpPaths): AccountRecord[] {
  try {
    return JSON.parse(readFileSync(paths.accounts, 'utf8')) as AccountRecord[];
  } catch {
    // no record yet: no account was made
    return [];
  }
}

async function uidOf(user: string): Promise<number | null> {
  const r = await execa('getent', ['passwd', user], { reject: false });
  return r.exitCode === 0 ? Number(r.stdout.split(':')[2]) : null;
}

/** The pid of the cohort's running jump sshd, or null (pid file checked against /proc: no pid reuse). */
export function jumpPid(paths: JumpPaths): number | null {
  try {
    const pid = Number(readFileSync(paths.pid, 'utf8').trim());
    // sshd rewrites its title ("sshd: /usr/sbin/sshd -f CONFIG ... [listener]"): search the whole line.
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmd.includes(` ${paths.config} `) ? pid : null;
  } catch {
    // no pid file or no such process
    return null;
  }
}

/** Who listens on a TCP port of this host (empty: nobody). */
async function listeners(port: number): Promise<string[]> {
  const r = await execa('ss', ['-Hltnp', `sport = :${port}`], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Refuses, before anything is created, a port that something else than this cohort's jump holds,
 * and a state directory sshd's StrictModes would refuse for the keys (a group- or world-writable
 * parent, as /tmp is).
 */
export async function jumpPreflight(cohort: Cohort, paths: JumpPaths): Promise<string[]> {
  const problems: string[] = [];
  const port = cohort.access.port;
  const mine = jumpPid(paths);
  const held = (await listeners(port)).filter((l) => mine === null || !l.includes(`pid=${mine},`));
  if (held.length) problems.push(t('jump.portTaken', { port, who: held.map((l) => l.replace(/\s+/g, ' ')).join('; ') }));
  if (!existsSync(SSHD)) problems.push(t('jump.noSshd'));
  for (let d = path.dirname(paths.dir); ; d = path.dirname(d)) {
    if (existsSync(d)) {
      const st = statSync(d);
      // sshd opens authorized_keys as the account: it must also be able to walk the path (o+x).
      if (st.uid !== 0 || (st.mode & 0o022) !== 0 || (st.mode & 0o001) === 0) {
        problems.push(t('jump.insecureDir', { dir: d }));
        break;
      }
    }
    if (d === path.dirname(d)) break;
  }
  return problems;
}

async function ensureUser(user: string, candidate: string | null, cohort: string, expireDate: string | null): Promise<number> {
  const expire = expireDate ?? '';
  if ((await uidOf(user)) === null) {
    // No --expiredate here: useradd --system ignores it (no aging for system accounts); usermod below.
    await execa('useradd', [
      '--system',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      // "*": no password, and not "!" (locked), which sshd refuses without PAM.
      '--password',
      '*',
      '--comment',
      `asd-lab jump cohort=${cohort} ${candidate ? `candidate=${candidate}` : 'trainers'}`,
      user,
    ]);
  }
  await execa('usermod', ['--expiredate', expire, user]);
  return (await uidOf(user))!;
}

/** The pids running as this uid (an open ProxyJump or tunnel: the sshd child of that connection). */
function processesOf(uid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
      if (m && Number(m[1]) === uid) out.push(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Ends the account's connections (userdel refuses a user with processes), then removes it. */
async function removeUser(user: string): Promise<void> {
  const uid = await uidOf(user);
  if (uid === null || uid === 0) return;
  for (let i = 0; i < 50; i++) {
    const pids = processesOf(uid);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, i < 30 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await execa('userdel', [user]);
}

export interface JumpResult {
  plan: JumpPlan;
  pid: number;
  /** started, reloaded (configuration changed) or unchanged */
  action: 'started' | 'reloaded' | 'unchanged';
}

/**
 * Makes or converges the jump: host key, accounts, keys, config (checked with sshd -t), nftables,
 * then starts sshd or reloads it (SIGHUP) when its configuration changed. The accounts already
 * made stay, `candidates` are added (default: all) and `remove` go (down --candidate); with
 * `start: false` a stopped jump stays stopped.
 */
export async function ensureJump(
  cohort: Cohort,
  paths: JumpPaths,
  opts: { candidates?: string[]; remove?: string[]; start?: boolean } = {},
): Promise<JumpResult> {
  const algos = sshAlgorithms();
  const made = readAccounts(paths);
  const wanted = new Set([...made.map((a) => a.candidate), ...(opts.candidates ?? cohort.candidates.map((c) => c.id))]);
  for (const r of opts.remove ?? []) wanted.delete(r);
  const full = planJump(cohort, algos);
  const plan: JumpPlan = {
    ...full,
    accounts: full.accounts.filter((a) => a.candidate === null || wanted.has(a.candidate)),
  };
  mkdirSync(paths.authorizedKeys, { recursive: true, mode: 0o755 });
  // Whatever the umask: the accounts walk these folders to their authorized_keys (sshd reads it as them).
  for (const d of [path.dirname(paths.dir), paths.dir, paths.authorizedKeys]) chmodSync(d, 0o755);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  if (!existsSync(paths.hostKey)) {
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `asd-lab-jump-${cohort.cohort}`, '-f', paths.hostKey]);
  }
  if (!existsSync(paths.moduli)) {
    const moduli = readFileSync('/etc/ssh/moduli', 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(#|$)/.test(l) && Number(l.split(/\s+/)[4]) >= algos.moduliMinBits);
    writeFileSync(paths.moduli, `${moduli.join('\n')}\n`, { mode: 0o644 });
  }
  // Accounts no longer planned (down --candidate, a candidate removed from the file) go first.
  const keepUsers = new Set(plan.accounts.map((a) => a.user));
  for (const a of made.filter((x) => !keepUsers.has(x.user))) {
    await removeUser(a.user);
    rmSync(path.join(paths.authorizedKeys, a.user), { force: true });
  }
  const records: AccountRecord[] = [];
  for (const a of plan.accounts) {
    const uid = await ensureUser(a.user, a.candidate, cohort.cohort, plan.expireDate);
    records.push({ user: a.user, uid, candidate: a.candidate });
    writeFileSync(path.join(paths.authorizedKeys, a.user), renderAuthorizedKeys(a), { mode: 0o644 });
  }
  for (const f of readdirSync(paths.authorizedKeys)) if (!keepUsers.has(f)) rmSync(path.join(paths.authorizedKeys, f));
  writeFileSync(paths.accounts, `${JSON.stringify(records, null, 2)}\n`);
  const uids = new Map(records.map((r) => [r.user, r.uid]));
  await execa('nft', ['-f', '-'], {
    input: renderNft(
      jumpTable(cohort.cohort),
      plan.accounts.map((a) => ({ ...a, uid: uids.get(a.user)! })),
    ),
  });
  const config = renderSshdConfig(plan, paths, algos);
  const before = existsSync(paths.config) ? readFileSync(paths.config, 'utf8') : '';
  const next = `${paths.config}.new`;
  writeFileSync(next, config, { mode: 0o600 });
  const check = await execa(SSHD, ['-t', '-f', next], { reject: false });
  if (check.exitCode !== 0) throw new LocalError(t('jump.badConfig', { detail: check.stderr.trim() }));
  writeFileSync(paths.config, config, { mode: 0o600 });
  rmSync(next);
  let pid = jumpPid(paths);
  let action: JumpResult['action'] = 'unchanged';
  if (pid !== null && before !== config) {
    process.kill(pid, 'SIGHUP'); // sshd re-executes itself and reads the new configuration
    action = 'reloaded';
  } else if (pid === null && opts.start === false) {
    return { plan, pid: 0, action: 'unchanged' };
  } else if (pid === null) {
    const r = await execa('setsid', [SSHD, '-f', paths.config, '-E', paths.log], { reject: false });
    if (r.exitCode !== 0) throw new LocalError(t('jump.startFailed', { detail: `${r.stderr}\n${tail(paths.log)}`.trim() }));
    action = 'started';
  }
  // Ready when the pid file names our sshd and the port listens.
  for (let i = 0; i < 100; i++) {
    pid = jumpPid(paths);
    if (pid !== null && (await listeners(plan.port)).some((l) => l.includes(`pid=${pid},`))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (pid === null) throw new LocalError(t('jump.startFailed', { detail: tail(paths.log) }));
  return { plan, pid, action };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    // no log yet
    return '';
  }
}

/** Stops the jump, removes its accounts, its nftables table and its folder. Returns what it removed. */
export async function removeJump(cohort: Cohort, paths: JumpPaths): Promise<string[]> {
  const removed: string[] = [];
  const pid = jumpPid(paths);
  if (pid !== null) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && jumpPid(paths) !== null; i++) await new Promise((r) => setTimeout(r, 100));
    removed.push(`jump sshd (pid ${pid})`);
  }
  // Every account of this cohort, recorded or not (an interrupted up made some and no record).
  const users = new Set(readAccounts(paths).map((a) => a.user));
  const prefix = `asdj-${cohortHash(cohort.cohort)}`;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const l of passwd) {
    const [name, , , , gecos] = l.split(':');
    if (name?.startsWith(prefix) && gecos?.includes(`cohort=${cohort.cohort} `)) users.add(name);
  }
  for (const u of users) {
    if ((await uidOf(u)) !== null) {
      await removeUser(u);
      removed.push(`account ${u}`);
    }
  }
  const table = jumpTable(cohort.cohort);
  if ((await execa('nft', ['list', 'table', 'inet', table], { reject: false })).exitCode === 0) {
    await execa('nft', ['delete', 'table', 'inet', table]);
    removed.push(`nft table inet ${table}`);
  }
  if (existsSync(paths.dir)) rmSync(paths.dir, { recursive: true, force: true });
  // STATE/jump goes with the last cohort's jump.
  if (existsSync(path.dirname(paths.dir)) && readdirSync(path.dirname(paths.dir)).length === 0)
    rmSync(path.dirname(paths.dir), { recursive: true });
  return removed;
}

/** The jump's public host key line ("ssh-ed25519 AAAA... comment"), or null before the first up. */
export function jumpHostKey(paths: JumpPaths): string | null {
  try {
    return readFileSync(`${paths.hostKey}.pub`, 'utf8').trim();
  } catch {
    // no jump yet
    return null;
  }
}

/** SHA256 fingerprint as ssh-keygen -l prints it: "SHA256:base64-without-padding". */
export function fingerprint(keyLine: string): string {
  const blob = Buffer.from(keyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The host's first global IPv4 address (the default `access.host`). */
export async function firstGlobalAddress(): Promise<string | null> {
  const r = await execa('ip', ['-o', '-4', 'addr', 'show', 'scope', 'global'], { reject: false });
  for (const l of r.stdout.split('\n')) {
    const m = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(l);
    // Not a lab bridge: the candidates come from outside.
    if (m && !/^\d+: asd-/.test(l)) return m[1]!;
  }
  return null;
}
