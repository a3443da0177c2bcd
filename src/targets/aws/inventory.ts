// The AWS lab as the Ansible inventory and the checks see it, built from `terraform output -json`
// of the network stack (the shared bastion) and of each candidate stack (their servers). The same
// InventoryHost shape as the local target, so the same roles run; every host is reached through its
// bastion (the cohort's, or the candidate's own gateway) with ProxyJump.
import { t } from '../../core/i18n/index.ts';
import type { InventoryHost } from '../../core/hosts.ts';
import type { LabServer } from '../../core/lab-server.ts';
import type { Cohort } from '../../core/model/cohort.ts';
import { AsdError } from '../../core/errors.ts';
import type { TfOutputs } from './terraform/apply.ts';

/** One element of the `hosts` output of a stack (stacks/network-stack.ts, stacks/candidate-stack.ts). */
export interface HostOutput {
  /** '' (or null, as Terraform prints an empty string of a tuple) for the cohort's bastion. */
  candidate: string | null;
  server: string;
  name: string;
  role: string;
  private_ip: string;
  public_ip: string;
  subnet: string;
}

export interface AwsJump {
  /** Public address of the bastion. */
  host: string;
  /** The host of the inventory that is this bastion. */
  inventoryName: string;
  privateIp: string;
}

export interface AwsLab {
  hosts: InventoryHost[];
  /** The bastion each candidate goes through ('' = the cohort's own, for the bastion host itself). */
  jumps: Map<string, AwsJump>;
  /** Candidates whose stack has no outputs yet (not applied). */
  missing: string[];
}

/**
 * The k8s server runs k3s (ansible/roles/k3s): the firewall role's default-drop policies must let
 * the pod network through (flannel's bridge cni0 and its VXLAN device), and the pods reach the API
 * server and DNS on the node itself from cni0.
 */
export const K3S_FIREWALL_VARS = {
  firewall_forward_accept_interfaces: ['cni0', 'flannel.1'],
  firewall_extra_input_rules: ['iifname "cni0" accept comment "k3s: pods to the node (API server, DNS)"'],
} as const;

const hostsOf = (outputs: TfOutputs | undefined): HostOutput[] => (outputs?.hosts?.value as HostOutput[] | undefined) ?? [];

/** The inventory hosts of the cohort from the stacks' outputs; the candidates of `candidates` only. */
export function awsLabHosts(cohort: Cohort, network: TfOutputs, candidates: Map<string, TfOutputs>): AwsLab {
  if (network.network_applied?.value !== true) throw new AsdError(t('aws.networkNotApplied', { cohort: cohort.cohort }));
  const jumps = new Map<string, AwsJump>();
  const hosts: InventoryHost[] = [];
  const shared = hostsOf(network).find((h) => h.server === 'bastion');
  if (shared) {
    const jump = { host: shared.public_ip, inventoryName: 'bastion', privateIp: shared.private_ip };
    jumps.set('', jump);
    hosts.push({
      candidate: '',
      server: 'bastion',
      role: 'gateway',
      address: shared.private_ip,
      subnet: shared.subnet,
      vars: {
        // Ansible reaches the bastion itself directly, on its public address.
        ansible_host: shared.public_ip,
        lab_public_ip: shared.public_ip,
        // Each candidate's jump-only account (cloud-init made the first ones; the common role keeps them).
        lab_jump_accounts: cohort.candidates.map((c) => ({ user: c.id, key: c.sshKey.trim() })),
        lab_bastion_cidrs: [],
      },
    });
  }
  const missing: string[] = [];
  for (const cand of cohort.candidates) {
    const out = candidates.get(cand.id);
    const list = hostsOf(out);
    if (!out || list.length === 0) {
      missing.push(cand.id);
      continue;
    }
    const own = list.find((h) => h.role === 'gateway' && h.public_ip);
    const jump = own
      ? { host: own.public_ip, inventoryName: own.name, privateIp: own.private_ip }
      : shared
        ? jumps.get('')!
        : undefined;
    if (!jump) throw new AsdError(t('aws.noBastion', { candidate: cand.id }));
    jumps.set(cand.id, jump);
    for (const h of list) {
      const isJump = h.name === jump.inventoryName;
      hosts.push({
        candidate: cand.id,
        server: h.server,
        role: h.role,
        address: h.private_ip,
        subnet: h.subnet,
        vars: {
          ...(isJump ? { ansible_host: h.public_ip, lab_public_ip: h.public_ip } : {}),
          // The firewall role opens the flows "from the bastion" to this address only.
          lab_bastion_cidrs: isJump ? [] : [`${jump.privateIp}/32`],
          ...(h.role === 'k8s' && cohort.modules.kubernetes ? K3S_FIREWALL_VARS : {}),
        },
      });
    }
  }
  return { hosts, jumps, missing };
}

/** The servers as the checks and `status` see them: reached through their bastion. */
export function awsLabServers(
  cohort: Cohort,
  lab: AwsLab | undefined,
  opts: { keyPath: string; user?: string; knownHostsFile?: string },
): Map<string, LabServer[]> {
  const out = new Map<string, LabServer[]>();
  for (const cand of cohort.candidates) {
    const jump = lab?.jumps.get(cand.id);
    const list = (lab?.hosts ?? [])
      .filter((h) => h.candidate === cand.id)
      .map((h): LabServer => {
        const isJump = jump && `${cand.id}-${h.server}` === jump.inventoryName;
        return {
          name: h.server,
          machine: `${cand.id}-${h.server}`,
          role: h.role,
          state: 'running',
          address: isJump ? jump.host : h.address,
          sshPort: 22,
          user: opts.user ?? 'asd-admin',
          keyPath: opts.keyPath,
          // The keys the controller's first connections recorded (trust on first use on AWS: docs/aws.md).
          ...(opts.knownHostsFile ? { knownHostsFile: opts.knownHostsFile } : {}),
          ...(jump && !isJump
            ? {
                jump: {
                  host: jump.host,
                  port: 22,
                  user: opts.user ?? 'asd-admin',
                  keyPath: opts.keyPath,
                  ...(opts.knownHostsFile ? { knownHostsFile: opts.knownHostsFile } : {}),
                },
              }
            : {}),
        };
      });
    out.set(cand.id, list);
  }
  return out;
}
