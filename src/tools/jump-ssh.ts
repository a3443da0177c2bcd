// How Ansible and ssh reach servers through a jump host: one ssh_config file naming the jump (its
// address, port, account, key, pinned host keys) and ProxyJump to it. The same settings serve the
// AWS bastion and the local target's jump host (test/access.e2e.test.ts runs Ansible through it).
// OpenSSH passes `-F <file>` on to the ssh it starts for ProxyJump, so the jump's IdentityFile and
// UserKnownHostsFile apply there too (a `-i` on the command line would not).
import { writeFileSync } from 'node:fs';

export interface JumpSettings {
  /** Address or name of the jump host, as reachable from this machine. */
  host: string;
  port: number;
  user: string;
  /** Private key for the jump account. */
  keyPath: string;
  /** known_hosts holding the jump's and the servers' host keys. */
  knownHostsFile: string;
  /**
   * 'yes': every host key must already be in knownHostsFile (pinned, the local target);
   * 'accept-new': trust on first use, then refuse a changed key (AWS: the keys are made at first boot).
   */
  strictHostKeys: 'yes' | 'accept-new';
}

/** The alias of the jump in the generated ssh_config. */
export const JUMP_ALIAS = 'asd-lab-jump';

export function renderJumpConfig(j: JumpSettings): string {
  return [
    '# Written by asd-lab (src/tools/jump-ssh.ts): the jump host and how to reach servers through it.',
    `Host ${JUMP_ALIAS}`,
    `  HostName ${j.host}`,
    `  Port ${j.port}`,
    `  User ${j.user}`,
    `  IdentityFile ${j.keyPath}`,
    '  IdentitiesOnly yes',
    '  ForwardAgent no',
    '',
    'Host *',
    `  UserKnownHostsFile ${j.knownHostsFile}`,
    `  StrictHostKeyChecking ${j.strictHostKeys}`,
    '  ServerAliveInterval 30',
    '',
  ].join('\n');
}

/** Write the ssh_config and return what Ansible needs (ansible_ssh_common_args). */
export function writeJumpConfig(file: string, j: JumpSettings): { sshCommonArgs: string; configFile: string } {
  writeFileSync(file, renderJumpConfig(j), { mode: 0o600 });
  return { sshCommonArgs: jumpCommonArgs(file), configFile: file };
}

export const jumpCommonArgs = (configFile: string) => `-F ${configFile} -o ProxyJump=${JUMP_ALIAS}`;
