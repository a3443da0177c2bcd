// A cohort's servers on this host: what the model asks for joined with what runs, and the removal
// of one candidate's servers and network.
import type { LabServer } from '../../core/lab-server.ts';
import type { Candidate, Cohort } from '../../core/model/cohort.ts';
import { resolveStateDir, statePaths } from '../../core/state.ts';
import { destroyServer, downNetwork } from './driver.ts';
import { planCohort } from './plan.ts';
import { listServers } from './servers.ts';

/** The servers of a cohort as the checks and `status` see them, model servers not created included. */
export async function labServers(cohort: Cohort, stateDir = resolveStateDir()): Promise<Map<string, LabServer[]>> {
  const existing = (await listServers(stateDir)).filter((s) => s.cohort === cohort.cohort);
  const out = new Map<string, LabServer[]>();
  for (const plan of planCohort(cohort)) {
    const list: LabServer[] = plan.servers.map((s) => {
      const found = existing.find((x) => x.name === s.name);
      return {
        name: s.spec.name,
        role: s.spec.role,
        machine: s.name,
        state: found ? found.state : 'missing',
        address: found?.address ?? s.ip,
        sshPort: 22,
        user: 'asd-admin',
        keyPath: found?.keyPath ?? statePaths(stateDir).labKey(cohort.cohort),
        ...(found ? { knownHostsFile: found.knownHostsFile } : {}),
      };
    });
    // Servers of this candidate that the model no longer lists still show (and `down` removes them).
    for (const x of existing.filter((e) => e.candidate === plan.candidate.id && !plan.servers.some((s) => s.name === e.name))) {
      list.push({
        name: x.name.slice(plan.candidate.id.length + 1),
        role: x.role,
        machine: x.name,
        state: x.state,
        address: x.address,
        sshPort: 22,
        user: x.user,
        keyPath: x.keyPath,
        knownHostsFile: x.knownHostsFile,
      });
    }
    out.set(plan.candidate.id, list);
  }
  return out;
}

/** Stop and remove a candidate's servers (those of the model and any left over) and network. */
export async function removeCandidate(cohort: Cohort, cand: Candidate, stateDir: string): Promise<string[]> {
  const removed: string[] = [];
  const servers = (await listServers(stateDir)).filter((s) => s.cohort === cohort.cohort && s.candidate === cand.id);
  for (const s of servers) {
    await destroyServer(s.name, { stateDir });
    removed.push(s.name);
  }
  await downNetwork(cohort, cand, { stateDir });
  return removed;
}
