// First-boot configuration (cloud-init) of the instances: only what Ansible needs to take over.
// The Debian image's default user "admin" gets the EC2 key pair (the candidate's key on their
// servers); "asd-admin" is the trainers' and Ansible's account, as on the local target.
import { stringify } from 'yaml';

/** Account names that exist on the Debian 12 cloud image (or that asd-lab creates): not for candidates. */
export const RESERVED_USERS = new Set([
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'backup',
  'list',
  'irc',
  'nobody',
  'admin',
  'asd-admin',
  'messagebus',
  'sshd',
  'polkitd',
  'systemd-network',
  'systemd-timesync',
  'systemd-resolve',
  'systemd-journal',
  'chrony',
  'ntp',
  'postgres',
  'prometheus',
]);

const adminUser = (keys: string[]) => ({
  name: 'asd-admin',
  gecos: 'asd-lab administration (trainers, Ansible)',
  groups: ['sudo'],
  sudo: 'ALL=(ALL) NOPASSWD:ALL',
  shell: '/bin/bash',
  lock_passwd: true,
  ...(keys.length > 0 ? { ssh_authorized_keys: keys } : {}),
});

const cloudConfig = (doc: Record<string, unknown>) => `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;

export function serverUserData(hostname: string, adminKeys: string[]): string {
  return cloudConfig({ hostname, preserve_hostname: false, users: ['default', adminUser(adminKeys)] });
}

/**
 * The shared bastion: one jump-only account per candidate (no shell: `ssh -J alice@bastion` works,
 * an interactive login does not), plus asd-admin.
 */
export function bastionUserData(adminKeys: string[], candidates: { id: string; sshKey: string }[]): string {
  return cloudConfig({
    hostname: 'bastion',
    preserve_hostname: false,
    users: [
      'default',
      adminUser(adminKeys),
      ...candidates.map((c) => ({
        name: c.id,
        gecos: `asd-lab candidate ${c.id} (jump only)`,
        shell: '/usr/sbin/nologin',
        lock_passwd: true,
        ssh_authorized_keys: [c.sshKey],
      })),
    ],
  });
}
