// `asd-lab inventory`: the Ansible inventory generated from the model and the running servers.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { cohortInventory } from '../../lifecycle/index.ts';
import { cohortOf } from '../context.ts';

export function register(program: Command): void {
  program
    .command('inventory')
    .description('write and print the Ansible inventory of the running servers (local target)')
    .action(async (_opts, cmd: Command) => {
      const { cohort } = cohortOf(cmd);
      process.stdout.write(readFileSync(await cohortInventory(cohort), 'utf8'));
    });
}
