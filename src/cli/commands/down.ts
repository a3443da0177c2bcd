// `asd-lab down`: stops and deletes servers, overlays, bridges and rules; leaves nothing of the lab.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { down } from '../../lifecycle/index.ts';
import { candidatesOf, cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('down')
    .description('stop and delete the servers, networks and firewall rules of the lab (local target)')
    .option('--candidate <id>', 'only this candidate')
    .option('--purge', "also delete the cohort's lab key, CA and inventory (the shared golden image stays cached)")
    .action(async (opts: { candidate?: string; purge?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      candidatesOf(cohort, opts.candidate);
      const result = await down(cohort, opts);
      if (g.json) return printJson({ cohort: result.cohort, candidates: result.candidates, jump: result.jump });
      for (const c of result.candidates) {
        console.log(
          c.removed.length
            ? t('down.removed', { candidate: c.id, servers: c.removed.join(', ') })
            : t('down.nothing', { candidate: c.id }),
        );
      }
      if (result.jump.length) console.log(t('down.jump', { removed: result.jump.join(', ') }));
      if (result.purged) console.log(t('down.purged', { dir: result.purged }));
    });
}
