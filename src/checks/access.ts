// CP3 "Les accès aux serveurs sont sécurisés": logins that must be refused, the firewall policy,
// and the hardening index measured by an independent auditor (Lynis).
import { serverTarget, sshExec, tryLogin } from '../tools/ssh.ts';
import { perServer, type CheckDefinition } from './types.ts';
import type { LabServer } from '../core/lab-server.ts';

const PATH = 'src/checks/access.ts';
const target = serverTarget;

/** The Lynis hardening index that every server must reach (docs/security.md argues the exceptions). */
export const LYNIS_MIN_INDEX = 85;

export const passwordLoginRefused: CheckDefinition = {
  id: 'ssh-password-refused',
  criterion: 'CP3.2',
  path: PATH,
  description: 'a password login over SSH is refused, even for an existing user',
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const attempt = await tryLogin({ ...target(s), keyPath: undefined }, { password: 'asd-lab-wrong-password' });
      const config = await sshExec(
        target(s),
        'sudo -n sshd -T 2>/dev/null | grep -E "^(passwordauthentication|kbdinteractiveauthentication) "',
      );
      const offAll = /passwordauthentication no/.test(config.stdout) && /kbdinteractiveauthentication no/.test(config.stdout);
      return {
        status: !attempt.accepted && offAll ? 'pass' : 'fail',
        evidence: `password login as ${s.user}: ${attempt.accepted ? 'ACCEPTED' : `refused (${attempt.detail})`}; sshd -T: ${config.stdout.trim().replace(/\n/g, ', ') || 'unreadable'}`,
      };
    }),
};

export const rootLoginRefused: CheckDefinition = {
  id: 'ssh-root-refused',
  criterion: 'CP3.2',
  path: PATH,
  description: 'root cannot log in over SSH, even with the lab key',
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const attempt = await tryLogin({ ...target(s), user: 'root' }, { keyPath: s.keyPath });
      const config = await sshExec(target(s), 'sudo -n sshd -T 2>/dev/null | grep -E "^permitrootlogin "');
      const off = /permitrootlogin no/.test(config.stdout);
      return {
        status: !attempt.accepted && off ? 'pass' : 'fail',
        evidence: `root login with the lab key: ${attempt.accepted ? 'ACCEPTED' : 'refused'}; sshd -T: ${config.stdout.trim() || 'unreadable'}`,
      };
    }),
};

export const firewallDefaultDrop: CheckDefinition = {
  id: 'firewall-default-drop',
  criterion: 'CP3.2',
  path: PATH,
  description: 'nftables is active and the input chain drops by default',
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const r = await sshExec(target(s), 'sudo -n nft -j list chains 2>&1');
      if (r.code !== 0) return { status: 'fail', evidence: `nft list chains failed: ${r.stdout.trim()}` };
      const chains = (
        JSON.parse(r.stdout) as { nftables: { chain?: { name: string; hook?: string; policy?: string; family: string } }[] }
      ).nftables
        .flatMap((x) => (x.chain ? [x.chain] : []))
        .filter((c) => c.hook === 'input');
      const dropping = chains.filter((c) => c.policy === 'drop');
      return {
        status: chains.length > 0 && dropping.length === chains.length ? 'pass' : 'fail',
        evidence:
          chains.length === 0
            ? 'no input chain: nothing is filtered'
            : chains.map((c) => `${c.family} ${c.name}: policy ${c.policy}`).join('; '),
      };
    }),
};

/** Parse `hardening_index=NN` from Lynis' report file. */
export function lynisIndex(report: string): number | undefined {
  const m = /^hardening_index=(\d+)$/m.exec(report);
  return m ? Number(m[1]) : undefined;
}

export const LYNIS_REPORT = '/var/log/lynis-report.dat';
/** What the server looked like when that report was made (written by this check, root only). */
export const LYNIS_STATE = '/var/log/lynis-report.asd-state';
/** An audit older than this is made again, whatever the state says. */
export const LYNIS_MAX_AGE_S = 24 * 3600;

/**
 * A digest of everything a Lynis audit inspects on a lab server: files under /etc and the crontabs
 * (name, size, time, mode, owner), installed packages, running services and listening sockets,
 * kernel parameters (without the counters that move on their own), mounts, listening ports and the
 * kernel. Same digest, same audit result: the audit is reused; any change, and it is made again.
 */
export const LYNIS_STATE_SCRIPT = `{
  find /etc /var/spool/cron -xdev \\( -type f -o -type l -o -type d \\) -printf '%p %s %T@ %m %u %g\\n' 2>/dev/null | sort
  dpkg-query -W -f '\${Package} \${Version} \${Status}\\n'
  systemctl list-units --no-legend --plain --type=service,socket --state=running,listening 2>/dev/null | awk '{print $1, $4}' | sort
  sysctl -a 2>/dev/null | grep -Ev '^(fs\\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr|quota\\.)|kernel\\.(random\\.|ns_last_pid|pty\\.nr)|net\\.netfilter\\.nf_conntrack_count)' | sort
  findmnt -rno TARGET,FSTYPE,OPTIONS | sort
  ss -Htlnu 2>/dev/null | awk '{print $1, $5}' | sort
  uname -a
} | sha256sum | cut -d' ' -f1`;

/**
 * The audit, run as root on the server: the last report is reused when the server's state digest
 * and the report are those recorded after it and it is less than a day old; otherwise Lynis audits
 * again (the same command as always). Prints `asd-audit=new|reused <epoch>` then the report.
 */
export function lynisScript(files: { report: string; state: string } = { report: LYNIS_REPORT, state: LYNIS_STATE }): string {
  return `R=${files.report}; S=${files.state}
state=$(${LYNIS_STATE_SCRIPT})
saved=""; [ -s "$S" ] && [ -s "$R" ] && saved=$(cat "$S")
now=$(date +%s)
if [ -n "$saved" ] && [ "$saved" = "$state $(sha256sum "$R" | cut -d' ' -f1)" ] && [ $((now - $(stat -c %Y "$R"))) -lt ${LYNIS_MAX_AGE_S} ]; then
  echo "asd-audit=reused $(stat -c %Y "$R")"
else
  rm -f "$S"
  lynis audit system --quick --no-colors --quiet --report-file "$R" >/dev/null 2>&1
  code=$?
  # The state seen before the audit: a change during it makes the next run audit again.
  [ -s "$R" ] && (umask 077; echo "$state $(sha256sum "$R" | cut -d' ' -f1)" > "$S")
  echo "asd-audit=new $(stat -c %Y "$R" 2>/dev/null || echo 0) $code"
fi
cat "$R" 2>/dev/null
`;
}

export const lynisHardening: CheckDefinition = {
  id: 'lynis-hardening-index',
  criterion: 'CP3.2',
  path: PATH,
  description: `Lynis (independent auditor) gives a hardening index of at least ${LYNIS_MIN_INDEX}`,
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const b64 = Buffer.from(lynisScript()).toString('base64');
      const r = await sshExec(target(s), `sudo -n /bin/sh -c "$(echo ${b64} | base64 -d)"`, 600_000);
      const audit = /^asd-audit=(new|reused) (\d+)(?: (\d+))?$/m.exec(r.stdout);
      const index = lynisIndex(r.stdout);
      if (index === undefined)
        return { status: 'fail', evidence: `no hardening index in the Lynis report (exit ${audit?.[3] ?? r.code})` };
      const at = new Date(Number(audit?.[2] ?? 0) * 1000).toISOString();
      const provenance =
        audit?.[1] === 'reused'
          ? `audit of ${at} reused: nothing it inspects changed since (files under /etc, packages, services, kernel parameters, mounts, ports)`
          : `audited now (${at})`;
      return {
        status: index >= LYNIS_MIN_INDEX ? 'pass' : 'fail',
        evidence: `Lynis hardening index ${index} (goal >= ${LYNIS_MIN_INDEX}); ${provenance}`,
      };
    }),
};

export const ACCESS_CHECKS = [passwordLoginRefused, rootLoginRefused, firewallDefaultDrop, lynisHardening];
