// CP2.1, CP4.1, CP4.3: the deployed servers work and the live architecture is the model's. Each
// reads the real state of every server: the services the configuration run started, the ports
// its role serves, the firewall's flows.
import { cohortPaths, resolveStateDir } from '../core/state.ts';
import { flowsTo, isPublic, type Flow } from '../core/flows.ts';
import { hostName } from '../core/hosts.ts';
import type { LabServer } from '../core/lab-server.ts';
import { ROLES, type Role } from '../core/model/cohort.ts';
import { readRecord } from '../tools/converge-record.ts';
import { serverTarget, sshExec } from '../tools/ssh.ts';
import { shq } from '../tools/shell.ts';
import { perServer, type CheckContext, type CheckDefinition } from './types.ts';

const PATH = 'src/checks/deployment.ts';

/** The flows a server of this role serves itself (not those the application serves once deployed). */
export function servedFlows(ctx: CheckContext, role: string): Flow[] {
  if (!(ROLES as readonly string[]).includes(role)) return [];
  return flowsTo(role as Role, ctx.cohort.modules).filter((f) => !f.servedBy);
}

/** Ports in `ss -Hltn` output (LISTEN lines: local address is the 4th column). */
export function listeningPorts(ss: string): Set<number> {
  const ports = new Set<number>();
  for (const line of ss.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const port = local ? Number(local.slice(local.lastIndexOf(':') + 1)) : Number.NaN;
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/**
 * What a ruleset written by the firewall role opens: the flows with an address set (flow_<id>_v4),
 * and the ports open to any address (`tcp dport N ct state new accept`, the public flows).
 */
export function rulesetFlows(ruleset: string): { flows: Set<string>; openToAll: Set<number> } {
  return {
    flows: new Set([...ruleset.matchAll(/\bset flow_([a-z0-9_]+)_v4\b/g)].map((m) => m[1]!.replace(/_/g, '-'))),
    openToAll: new Set([...ruleset.matchAll(/^\s*tcp dport (\d+) ct state new accept\b/gm)].map((m) => Number(m[1]))),
  };
}

export const roleServicesRunning: CheckDefinition = {
  id: 'role-services-running',
  criterion: 'CP2.1',
  path: PATH,
  description: 'every service the last configuration run (Ansible) started on the server is active now',
  run: (ctx) => {
    const record = readRecord(cohortPaths(ctx.cohort.cohort, resolveStateDir()), ctx.candidate.id);
    return perServer(ctx, async (s: LabServer) => {
      const managed = record?.hosts[hostName(ctx.candidate.id, s.name)]?.managed;
      if (!managed) return { status: 'not-run', evidence: 'no record of a configuration run for this server: run asd-lab up' };
      const units = [...new Set(managed.units.filter((u) => u.active).map((u) => u.name))].sort();
      if (units.length === 0) return { status: 'fail', evidence: 'the configuration run started no service here' };
      const r = await sshExec(serverTarget(s), `systemctl is-active ${units.map(shq).join(' ')}`);
      const states = r.stdout.trim().split('\n');
      const down = units.flatMap((u, k) => (states[k] === 'active' ? [] : [`${u} (${states[k] ?? '?'})`]));
      return {
        status: down.length === 0 ? 'pass' : 'fail',
        evidence:
          down.length === 0
            ? `${units.length} services started by Ansible (${record!.at}) are active: ${units.join(', ')}`
            : `not active: ${down.join(', ')}; active: ${units.length - down.length} of ${units.length}`,
      };
    });
  },
};

export const flowsListening: CheckDefinition = {
  id: 'flows-listening',
  criterion: 'CP4.1',
  path: PATH,
  description: "every port the server's role serves in the flows table (src/core/flows.ts) is listening",
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const flows = servedFlows(ctx, s.role);
      const ports = listeningPorts((await sshExec(serverTarget(s), 'sudo -n ss -Hltn')).stdout);
      const missing = flows.filter((f) => !ports.has(f.port));
      const seen = flows.filter((f) => ports.has(f.port)).map((f) => `${f.port} (${f.id})`);
      return {
        status: missing.length === 0 ? 'pass' : 'fail',
        evidence: `${missing.length ? `not listening: ${missing.map((f) => `${f.port} (${f.id})`).join(', ')}; ` : ''}listening: ${[...new Set(seen)].join(', ') || 'nothing'}`,
      };
    }),
};

export const architectureMatchesModel: CheckDefinition = {
  id: 'architecture-matches-model',
  criterion: 'CP4.3',
  path: PATH,
  description:
    "the live firewall of each server opens exactly its role's flows of the documented flows table (docs/flows.md, asd-lab diagram); the examiner judges the candidate's own architecture document",
  run: (ctx) =>
    perServer(ctx, async (s) => {
      // Flows a module writes itself (narrowedBy) have their own rules, not a flow set.
      const documented = (ROLES as readonly string[]).includes(s.role)
        ? flowsTo(s.role as Role, ctx.cohort.modules).filter((f) => !f.narrowedBy)
        : [];
      const expected = new Set(documented.map((f) => f.id));
      const ruleset = rulesetFlows((await sshExec(serverTarget(s), 'sudo -n nft list ruleset')).stdout);
      // A public flow is one rule for any address; any other port open to all is not documented.
      const live = new Set(ruleset.flows);
      for (const port of ruleset.openToAll) {
        const f = documented.find((x) => x.port === port && isPublic(x));
        live.add(f ? f.id : `port ${port} open to any address`);
      }
      const extra = [...live].filter((f) => !expected.has(f));
      const missing = [...expected].filter((f) => !live.has(f));
      const ok = extra.length === 0 && missing.length === 0;
      return {
        status: ok ? 'pass' : 'fail',
        evidence: ok
          ? `firewall flows as documented for ${s.role}: ${[...live].sort().join(', ')}`
          : `${missing.length ? `documented but not open: ${missing.join(', ')}; ` : ''}${extra.length ? `open but not documented: ${extra.join(', ')}` : ''}`,
      };
    }),
};

export const DEPLOYMENT_CHECKS = [roleServicesRunning, flowsListening, architectureMatchesModel];
