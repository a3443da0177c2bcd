// Converge only what changed: after a successful Ansible run, `up` records per candidate the digest
// of everything the run read on the controller and, per host, what the run manages there (files,
// units, packages, accounts, sysctls, the firewall ruleset) as read back by a probe. The next `up`
// skips Ansible for that candidate only when the inputs are the same AND a fresh probe of every
// host reads the same: an unchanged lab is proved undrifted in one SSH command per host.
// `up --converge` always runs Ansible.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../core/repo.ts';
import type { CohortPaths } from '../core/state.ts';
import { emptyManagedSet, type ManagedSet } from '../tools/ansible.ts';
import type { ConvergeInputs, ConvergeRecord } from '../tools/converge-record.ts';

export { readRecord, writeRecord, type ConvergeInputs, type ConvergeRecord } from '../tools/converge-record.ts';
import { sshExec, type SshTarget } from '../tools/ssh.ts';
import { shq } from '../tools/shell.ts';

/** Why Ansible runs for a candidate, or that it does not. */
export interface ConvergeDecision {
  converge: boolean;
  reasons: ConvergeReason[];
}

export type ConvergeReason =
  | { kind: 'forced' }
  | { kind: 'no-record' }
  | { kind: 'inputs'; parts: (keyof ConvergeInputs)[] }
  | { kind: 'hosts'; added: string[]; removed: string[] }
  | { kind: 'drift'; host: string; lines: string[] }
  | { kind: 'unreachable'; host: string; error: string };

/** The repository trees the playbooks read (roles, generated monitoring files, the report job's sources). */
const CODE_INPUTS = ['ansible', 'monitoring', 'src', 'package-lock.json'];

function hashTree(hash: ReturnType<typeof createHash>, root: string, path: string, skip: (rel: string) => boolean): void {
  if (!existsSync(path)) return;
  const rel = relative(root, path);
  if (rel && skip(rel)) return;
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) hashTree(hash, root, join(path, name), skip);
  } else if (st.isFile()) {
    hash.update(`${rel}\0${st.mode & 0o777}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
}

const digest = (fill: (h: ReturnType<typeof createHash>) => void): string => {
  const h = createHash('sha256');
  fill(h);
  return h.digest('hex');
};

interface InventoryFile {
  all: {
    vars: Record<string, unknown>;
    hosts: Record<string, Record<string, unknown>>;
    children: Record<string, { hosts: Record<string, null> }>;
  };
}

/** The inventory file's hosts of one candidate (the `candidate_<id>` group). */
export function candidateHosts(inventoryFile: string, group: string): string[] {
  const inv = parse(readFileSync(inventoryFile, 'utf8')) as InventoryFile;
  return Object.keys(inv.all.children[group]?.hosts ?? {}).sort();
}

/**
 * The digests of what a converge of one candidate reads. Only this candidate's part of the
 * inventory and state counts, so that adding a candidate to a cohort does not re-run the others.
 */
export function convergeInputs(paths: CohortPaths, candidate: string, inventoryFile: string, group: string): ConvergeInputs {
  const inv = parse(readFileSync(inventoryFile, 'utf8')) as InventoryFile;
  const hosts = candidateHosts(inventoryFile, group);
  const inventory = digest((h) =>
    h.update(
      JSON.stringify({
        vars: inv.all.vars,
        hosts: hosts.map((n) => [n, inv.all.hosts[n]]),
        groups: Object.entries(inv.all.children)
          .map(([g, m]) => [g, Object.keys(m.hosts ?? {}).filter((n) => hosts.includes(n))] as const)
          .filter(([, m]) => m.length > 0),
      }),
    ),
  );
  const code = digest((h) => {
    for (const p of CODE_INPUTS)
      hashTree(h, REPO_ROOT, join(REPO_ROOT, p), (rel) => rel.endsWith('node_modules') || rel.includes('/.'));
  });
  const state = digest((h) => {
    // The CA and this candidate's host certificates (not the other candidates').
    hashTree(
      h,
      paths.cohortDir,
      paths.pki,
      (rel) => rel.startsWith('pki/hosts/') && !hosts.some((n) => rel.startsWith(`pki/hosts/${n}.`)),
    );
    // Secrets the monitoring roles read; the drills' journal is written by drills, not read.
    hashTree(h, paths.cohortDir, join(paths.cohortDir, 'monitoring'), (rel) => rel.endsWith('.jsonl'));
    hashTree(h, paths.cohortDir, paths.data(candidate), () => false);
  });
  return { code, inventory, state };
}

const uniq = (xs: string[]) => [...new Set(xs)].sort();

/**
 * A POSIX shell script (run as root) that prints one stable line per managed thing: a file's
 * SHA-256, mode and owner; a directory's mode and owner; a unit's active and enabled states; a
 * package's version; an account's passwd or group entry; a sysctl's value; the digest of the live
 * firewall ruleset without its counters. The same host left alone prints the same lines.
 */
export function probeScript(m: ManagedSet): string {
  const units = [...new Map(m.units.map((u) => [u.name, u])).values()].sort((a, b) => a.name.localeCompare(b.name));
  const words = (xs: string[]) => xs.map(shq).join(' ');
  const lines = ['export LC_ALL=C'];
  const files = uniq(m.files);
  if (files.length)
    lines.push(
      `for f in ${words(files)}; do if [ -f "$f" ]; then printf 'file %s %s %s\\n' "$f" "$(sha256sum < "$f" | cut -c1-64)" "$(stat -c '%a %U %G' "$f")"; else printf 'file %s missing\\n' "$f"; fi; done`,
    );
  const dirs = uniq(m.dirs);
  if (dirs.length)
    lines.push(
      `for d in ${words(dirs)}; do printf 'dir %s %s\\n' "$d" "$(stat -c '%a %U %G' "$d" 2>/dev/null || echo missing)"; done`,
    );
  for (const u of units) {
    const checks = [
      u.active ? '$(systemctl is-active "$u")' : '',
      u.enabled ? '$(systemctl is-enabled "$u" 2>/dev/null)' : '',
    ].filter(Boolean);
    lines.push(`u=${shq(u.name)}; printf 'unit %s %s\\n' "$u" "${checks.join(' ')}"`);
  }
  const packages = uniq(m.packages.filter((p) => /^[a-z0-9][a-z0-9+.-]*$/.test(p)));
  if (packages.length)
    lines.push(
      `for p in ${words(packages)}; do printf 'package %s %s\\n' "$p" "$(dpkg-query -W -f='\${Version} \${db:Status-Abbrev}' "$p" 2>/dev/null || echo missing)"; done`,
    );
  for (const [kind, db, names] of [
    ['user', 'passwd', uniq(m.users)],
    ['group', 'group', uniq(m.groups)],
  ] as const)
    if (names.length)
      lines.push(`for n in ${words(names)}; do printf '${kind} %s\\n' "$(getent ${db} "$n" || echo "$n missing")"; done`);
  const sysctls = uniq(m.sysctls);
  if (sysctls.length)
    lines.push(
      `for s in ${words(sysctls)}; do printf 'sysctl %s %s\\n' "$s" "$(sysctl -n "$s" 2>/dev/null || echo missing)"; done`,
    );
  // Stateless (-s): counters and quotas change with traffic; fail2ban's own table holds bans, not configuration.
  lines.push(
    `if command -v nft >/dev/null; then printf 'nftables %s\\n' "$(nft -s list ruleset | awk '/^table / { skip = ($3 ~ /^f2b/) } !skip' | sha256sum | cut -c1-64)"; fi`,
  );
  return `${lines.join('\n')}\n`;
}

/** Runs the probe on one host (as the lab's admin, through sudo) and returns its lines. */
export async function probeHost(target: SshTarget, m: ManagedSet): Promise<string[]> {
  const r = await sshExec(target, 'sudo -n sh -s', 60_000, probeScript(m));
  if (r.code !== 0) throw new Error(`probe exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** The lines of `after` that differ from `before` (missing, new or changed), the first few of them. */
export function driftLines(before: string[], after: string[], max = 3): string[] {
  const a = new Set(after);
  const b = new Set(before);
  return [...before.filter((l) => !a.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !b.has(l)).map((l) => `+ ${l}`)].slice(
    0,
    max,
  );
}

/**
 * Whether Ansible must run for a candidate: pure, from the record of its last successful run, the
 * inputs now, the hosts now and a fresh probe of each recorded host.
 */
export function decide(
  record: ConvergeRecord | undefined,
  inputs: ConvergeInputs,
  hosts: string[],
  probes: Record<string, string[] | { error: string }>,
): ConvergeDecision {
  if (!record) return { converge: true, reasons: [{ kind: 'no-record' }] };
  const reasons: ConvergeReason[] = [];
  const parts = (Object.keys(inputs) as (keyof ConvergeInputs)[]).filter((k) => record.inputs[k] !== inputs[k]);
  if (parts.length) reasons.push({ kind: 'inputs', parts });
  const recorded = Object.keys(record.hosts).sort();
  const added = hosts.filter((h) => !recorded.includes(h));
  const removed = recorded.filter((h) => !hosts.includes(h));
  if (added.length || removed.length) reasons.push({ kind: 'hosts', added, removed });
  for (const host of hosts) {
    const now = probes[host];
    const was = record.hosts[host];
    if (!was || !now) continue;
    if (!Array.isArray(now)) reasons.push({ kind: 'unreachable', host, error: now.error });
    else {
      const lines = driftLines(was.probe, now);
      if (lines.length) reasons.push({ kind: 'drift', host, lines });
    }
  }
  return { converge: reasons.length > 0, reasons };
}

/**
 * Where Ansible runs: only on the drifted servers when drift is the one reason (the roles read the
 * other servers' inventory variables, never their facts), else on every server of the candidate.
 */
export function runLimit(decision: ConvergeDecision, group: string): string {
  const drifted = decision.reasons.flatMap((r) => (r.kind === 'drift' ? [r.host] : []));
  return drifted.length === decision.reasons.length && drifted.length > 0 ? drifted.join(',') : group;
}

/** The set recorded for a host, or an empty one (a host the record does not know). */
export const recordedSet = (record: ConvergeRecord | undefined, host: string): ManagedSet =>
  record?.hosts[host]?.managed ?? emptyManagedSet();

/** Counts of what a record's probes cover, for the summary line. */
export function coverage(record: ConvergeRecord): { hosts: number; files: number; units: number; packages: number } {
  const sets = Object.values(record.hosts).map((h) => h.managed);
  const n = (f: (m: ManagedSet) => string[]) => sets.reduce((sum, m) => sum + uniq(f(m)).length, 0);
  return {
    hosts: sets.length,
    files: n((m) => m.files),
    units: n((m) => m.units.map((u) => u.name)),
    packages: n((m) => m.packages),
  };
}
