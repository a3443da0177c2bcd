// `asd-lab inventory`: the Ansible inventory generated from the model and the running servers.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ensureLabKey } from '../../targets/local/index.ts';
import { labPaths, writeInventory } from '../../targets/local/lab.ts';
import { cohortOf } from '../context.ts';

export function register(program: Command): void {
  program
    .command('inventory')
    .description('write and print the Ansible inventory of the running servers (local target)')
    .action(async (_opts, cmd: Command) => {
      const { cohort } = cohortOf(cmd);
      const paths = labPaths(cohort);
      const key = await ensureLabKey(cohort.cohort, { stateDir: paths.state });
      const file = await writeInventory(cohort, paths, key.privateKey);
      process.stdout.write(readFileSync(file, 'utf8'));
    });
}
