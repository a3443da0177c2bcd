// `asd-lab status`: per candidate and server: state, role, address, SSH port and user, key path.
import type { Command } from 'commander';
import { t } from '../../i18n/index.ts';
import { labServers } from '../../lab/local.ts';
import { cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('status')
    .description('servers of each candidate: state, role, address, SSH port, user, key')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      const servers = await labServers(cohort);
      const candidates = [...servers].map(([id, list]) => ({
        id,
        servers: list.map((s) => ({ name: s.name, role: s.role, state: s.state, address: s.address, sshPort: s.sshPort, user: s.user, keyPath: s.keyPath, machine: s.machine })),
      }));
      if (g.json) {
        printJson({ cohort: cohort.cohort, target: cohort.target, candidates });
        return;
      }
      if (candidates.every((c) => c.servers.every((s) => s.state === 'missing'))) console.log(t('status.none', { cohort: cohort.cohort }));
      for (const c of candidates) {
        console.log(c.id);
        for (const s of c.servers) {
          console.log(`  ${s.name.padEnd(10)} ${s.role.padEnd(8)} ${s.state.padEnd(8)} ${`${s.user}@${s.address}:${s.sshPort}`.padEnd(26)} ${s.keyPath}`);
        }
      }
    });
}
