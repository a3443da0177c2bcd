// The Ansible inventory, generated from the cohort model and the servers' addresses. The local
// target and the AWS target (from Terraform outputs) produce the same shape, so the same roles run.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { flowsTo } from '../core/flows.ts';
import { groupName, hostName, type InventoryHost } from '../core/hosts.ts';
import { ROLES, type Cohort, type Role } from '../core/model/cohort.ts';
import { cohortPaths, type CohortPaths } from '../core/state.ts';
import { dataHostVars } from '../modules/data/inventory.ts';
import { appDeployed } from '../modules/containers/deploy.ts';
import { ensureLabKey } from '../targets/local/driver.ts';
import { planCohort } from '../targets/local/plan.ts';
import { listServers } from '../targets/local/servers.ts';

export interface InventoryOptions {
  /** Private key of the lab's admin user (asd-admin). */
  keyPath: string;
  /** Where the lab CA lives on the controller (never on the servers). */
  pkiDir: string;
  /** Extra SSH arguments, e.g. a ProxyJump through the bastion on AWS. */
  sshCommonArgs?: string;
}

/** One flow the firewall role opens on a host (consumed by ansible/roles/firewall). */
export interface FirewallFlowVar {
  id: string;
  protocol: 'tcp';
  port: number;
  /** Source kinds the role resolves itself: public, admin (lab_admin_cidrs), bastion (lab_bastion_cidrs), subnet (lab_subnet). */
  from: ('public' | 'admin' | 'bastion' | 'subnet')[];
  /** Roles named as sources, and the addresses of the candidate's servers of those roles. */
  roles: Role[];
  addresses: string[];
  why: string;
}

/**
 * What the firewall role opens on one host: the flows of src/core/flows.ts that reach its role,
 * with role sources resolved to the addresses of the same candidate's servers. Flows whose rule a
 * module writes itself from its model (the data module's 5432 and 8432) are left to it.
 */
export function firewallFlows(cohort: Cohort, host: InventoryHost, hosts: InventoryHost[]): FirewallFlowVar[] {
  const role = host.role as Role;
  if (!ROLES.includes(role)) return [];
  return flowsTo(role, cohort.modules)
    .filter((f) => !f.narrowedBy)
    .map((f) => {
      const roles = [...new Set(f.from.flatMap((s) => (s.kind === 'role' ? [s.role] : [])))];
      const addresses = hosts
        .filter((h) => h.candidate === host.candidate && (roles as string[]).includes(h.role))
        .map((h) => h.address);
      return {
        id: f.id,
        protocol: f.protocol,
        port: f.port,
        from: f.from.flatMap((s) => (s.kind === 'role' ? [] : [s.kind])),
        roles,
        addresses: [...new Set(addresses)],
        why: f.why,
      };
    });
}

export function buildInventory(cohort: Cohort, hosts: InventoryHost[], opts: InventoryOptions): Record<string, unknown> {
  const roleGroups: Record<string, Record<string, null>> = {};
  const candidateGroups: Record<string, Record<string, null>> = {};
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const h of hosts) {
    const name = hostName(h.candidate, h.server);
    // A host of the cohort itself (AWS: the shared bastion) belongs to no candidate.
    const cand = h.candidate === '' ? undefined : cohort.candidates.find((c) => c.id === h.candidate);
    if (!cand && h.candidate !== '') throw new Error(`inventory: host ${name} belongs to unknown candidate ${h.candidate}`);
    (roleGroups[h.role] ??= {})[name] = null;
    if (cand) (candidateGroups[`candidate_${groupName(h.candidate)}`] ??= {})[name] = null;
    hostvars[name] = {
      ansible_host: h.address,
      lab_ip: h.address,
      lab_candidate: h.candidate,
      lab_candidate_name: cand ? (cand.name ?? cand.id) : 'cohort',
      lab_candidate_ssh_keys: cand ? [cand.sshKey] : [],
      lab_server: h.server,
      lab_role: h.role,
      lab_env: h.env ?? 'prod',
      lab_app_deployed: h.appDeployed ?? false,
      lab_subnet: h.subnet,
      lab_firewall_flows: firewallFlows(cohort, h, hosts),
      ...(h.knownHostsFile ? { ansible_ssh_extra_args: `-o UserKnownHostsFile=${h.knownHostsFile}` } : {}),
      ...dataHostVars(cohort, h, hosts),
      ...h.vars,
    };
  }
  const children: Record<string, unknown> = {};
  for (const [group, members] of Object.entries({ ...roleGroups, ...candidateGroups }).sort(([a], [b]) => a.localeCompare(b))) {
    children[group] = { hosts: members };
  }
  return {
    all: {
      vars: {
        ansible_user: 'asd-admin',
        ansible_ssh_private_key_file: opts.keyPath,
        ...(opts.sshCommonArgs ? { ansible_ssh_common_args: opts.sshCommonArgs } : {}),
        lab_cohort: cohort.cohort,
        lab_target: cohort.target,
        lab_admin_cidrs: cohort.admin.cidrs,
        lab_admin_ssh_keys: cohort.admin.sshKeys,
        lab_pki_dir: opts.pkiDir,
        lab_modules: cohort.modules,
      },
      hosts: hostvars,
      children,
    },
  };
}

export function renderInventory(inventory: Record<string, unknown>): string {
  return `# Generated by asd-lab from the cohort model; do not edit (re-run asd-lab up or asd-lab inventory).\n${stringify(inventory, { nullStr: '' })}`;
}

/**
 * Write the cohort's inventory from the servers that run, and return its path. `through` reaches
 * them through a jump host (ansible_ssh_common_args of src/tools/jump-ssh.ts, as on AWS) and writes
 * that inventory to its own file instead of the lab's.
 */
export async function writeInventory(
  cohort: Cohort,
  paths: CohortPaths,
  keyPath: string,
  through?: { sshCommonArgs: string; file: string },
): Promise<string> {
  const running = (await listServers(paths.state)).filter((s) => s.cohort === cohort.cohort && s.state === 'running');
  const hosts: InventoryHost[] = [];
  for (const plan of planCohort(cohort)) {
    // The app's scrapes and probes start once `asd-lab app deploy` ran (scrape-jobs.ts, deployedBy).
    const deployed = await appDeployed({ stateDir: paths.state, cohort, candidate: plan.candidate });
    for (const s of plan.servers) {
      const live = running.find((r) => r.name === s.name);
      if (live)
        hosts.push({
          candidate: plan.candidate.id,
          server: s.spec.name,
          role: s.spec.role,
          address: live.address,
          subnet: plan.subnet,
          knownHostsFile: live.knownHostsFile,
          appDeployed: deployed,
        });
    }
  }
  const file = through?.file ?? paths.inventory;
  mkdirSync(paths.cohortDir, { recursive: true, mode: 0o700 });
  // Written aside then renamed: another candidate's Ansible run may be reading it.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(
    tmp,
    renderInventory(buildInventory(cohort, hosts, { keyPath, pkiDir: paths.pki, sshCommonArgs: through?.sshCommonArgs })),
  );
  renameSync(tmp, file);
  return file;
}

/** `asd-lab inventory`: the cohort's inventory written with its lab key; returns the file. */
export async function cohortInventory(cohort: Cohort, stateDir?: string): Promise<string> {
  const paths = cohortPaths(cohort.cohort, stateDir);
  const key = await ensureLabKey(cohort.cohort, { stateDir: paths.state });
  return writeInventory(cohort, paths, key.privateKey);
}
