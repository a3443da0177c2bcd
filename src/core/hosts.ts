// A host of the Ansible inventory and its names: the shape both targets produce (local: from the
// running servers; AWS: from Terraform outputs), read by the inventory builder and the modules.
import type { Environment } from './environments.ts';

export interface InventoryHost {
  candidate: string;
  server: string;
  role: string;
  address: string;
  /** The candidate's subnet (CIDR): SSH and inter-server flows are allowed from it. */
  subnet: string;
  /** test | preprod | prod: drives the staged security updates. */
  env?: Environment;
  /** The server's own host keys, recorded when it was created: no trust on first use. */
  knownHostsFile?: string;
  /** Host variables of the target (AWS: the public address Ansible uses, the bastion's address). */
  vars?: Record<string, unknown>;
  /** The candidate's application is deployed (asd-lab app deploy): its scrapes and probes run. */
  appDeployed?: boolean;
}

/** Ansible group names cannot contain "-". */
export const groupName = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

export function hostName(candidate: string, server: string): string {
  return candidate === '' ? server : `${candidate}-${server}`;
}
