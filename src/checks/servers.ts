// CP1 and CP2: the servers of the model exist, work, and are configured as the model says.
import { existsSync, readFileSync } from 'node:fs';
import { serverTarget, sshExec } from '../tools/ssh.ts';
import { serversOf } from '../core/model/cohort.ts';
import { perServer, type CheckDefinition } from './types.ts';
import type { LabServer } from '../core/lab-server.ts';

const PATH = 'src/checks/servers.ts';
const target = serverTarget;

export const serverWorks: CheckDefinition = {
  id: 'server-works',
  criterion: 'CP1.1',
  path: PATH,
  description: 'the server answers SSH with the lab key and systemd reports it running, with no failed unit',
  run: (ctx) =>
    perServer(ctx, async (s) => {
      const r = await sshExec(
        target(s),
        'systemctl is-system-running; systemctl --failed --no-legend --plain | cut -d" " -f1 | paste -sd,',
      );
      const [state = '', failed = ''] = r.stdout.trim().split('\n');
      return {
        status: state === 'running' ? 'pass' : 'fail',
        evidence: `systemd: ${state}${failed ? `; failed units: ${failed}` : ''}`,
      };
    }),
};

/** The memory cap the host enforces on a local server (cgroup v2, or v1 on hybrid hosts), in MiB. */
export function hostMemoryCapMiB(machine: string): number | undefined {
  for (const file of [
    `/sys/fs/cgroup/asd-lab/${machine}/memory.max`,
    `/sys/fs/cgroup/memory/asd-lab/${machine}/memory.limit_in_bytes`,
  ]) {
    if (existsSync(file)) {
      const raw = readFileSync(file, 'utf8').trim();
      return raw === 'max' ? Infinity : Math.round(Number(raw) / 1048576);
    }
  }
  return undefined;
}

export const serverMatchesModel: CheckDefinition = {
  id: 'server-matches-model',
  criterion: 'CP1.2',
  path: PATH,
  description: 'host name, role and memory cap are the ones the cohort file specifies',
  run: (ctx) => {
    const specs = serversOf(ctx.cohort, ctx.candidate);
    return perServer(ctx, async (s) => {
      const spec = specs.find((x) => x.name === s.name);
      if (!spec) return { status: 'fail', evidence: 'server is not in the cohort model' };
      const r = await sshExec(target(s), 'hostname; . /etc/asd-lab/server 2>/dev/null; echo "${ROLE:-?}"');
      const [hostname = '', role = ''] = r.stdout.trim().split('\n');
      const problems: string[] = [];
      const machine = s.machine ?? `${ctx.candidate.id}-${s.name}`;
      if (hostname !== machine) problems.push(`host name ${hostname}, expected ${machine}`);
      if (role !== spec.role) problems.push(`role ${role}, expected ${spec.role}`);
      let memory = '';
      if (ctx.cohort.target === 'local') {
        // A container sees the host's /proc/meminfo: the cap is read where it is enforced, on the host.
        const cap = hostMemoryCapMiB(machine);
        memory = `, memory cap ${cap ?? 'none'} MiB (model ${spec.memoryMiB} MiB)`;
        if (cap === undefined || Math.abs(cap - spec.memoryMiB) > spec.memoryMiB * 0.5)
          problems.push(`memory cap ${cap ?? 'none'} MiB`);
      }
      return {
        status: problems.length === 0 ? 'pass' : 'fail',
        evidence: `host ${hostname}, role ${role}${memory}${problems.length ? `; mismatch: ${problems.join(', ')}` : ''}`,
      };
    });
  },
};

export const inventoryMatchesModel: CheckDefinition = {
  id: 'inventory-matches-model',
  criterion: 'CP2.2',
  path: PATH,
  description: 'every server of the model is deployed and running, and nothing else is',
  run: async (ctx) => {
    const expected = serversOf(ctx.cohort, ctx.candidate)
      .map((s) => s.name)
      .sort();
    const running = ctx.servers
      .filter((s) => s.state === 'running')
      .map((s) => s.name)
      .sort();
    const missing = expected.filter((n) => !running.includes(n));
    const extra = running.filter((n) => !expected.includes(n));
    return [
      {
        status: missing.length === 0 && extra.length === 0 ? 'pass' : 'fail',
        evidence: `model: ${expected.join(', ')}; running: ${running.join(', ') || 'none'}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; not in the model: ${extra.join(', ')}` : ''}`,
      },
    ];
  },
};

export const SERVER_CHECKS = [serverWorks, serverMatchesModel, inventoryMatchesModel];
