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

export const lynisHardening: CheckDefinition = {
  id: 'lynis-hardening-index',
  criterion: 'CP3.2',
  path: PATH,
  description: `Lynis (independent auditor) gives a hardening index of at least ${LYNIS_MIN_INDEX}`,
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const r = await sshExec(
        target(s),
        'sudo -n lynis audit system --quick --no-colors --quiet --report-file /var/log/lynis-report.dat >/dev/null 2>&1; sudo -n cat /var/log/lynis-report.dat',
        600_000,
      );
      const index = lynisIndex(r.stdout);
      if (index === undefined) return { status: 'fail', evidence: `no hardening index in the Lynis report (exit ${r.code})` };
      return {
        status: index >= LYNIS_MIN_INDEX ? 'pass' : 'fail',
        evidence: `Lynis hardening index ${index} (goal >= ${LYNIS_MIN_INDEX})`,
      };
    }),
};

export const ACCESS_CHECKS = [passwordLoginRefused, rootLoginRefused, firewallDefaultDrop, lynisHardening];
