// `asd-lab inventory`: the Ansible inventory generated from the model and the running servers.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { cohortInventory } from '../../lifecycle/index.ts';
import { parse } from 'yaml';
import { cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('inventory')
    .description(t('cmd.inventory.description'))
    .action(async (_opts, cmd: Command) => {
      const { cohort } = cohortOf(cmd);
      const file = await cohortInventory(cohort);
      const text = readFileSync(file, 'utf8');
      // --json: the same inventory as an object (the file is YAML), and where it was written
      if (globals(cmd).json) printJson({ file, inventory: parse(text) as unknown });
      else process.stdout.write(text);
    });
}
