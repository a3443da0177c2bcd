// `asd-lab down`: stops and deletes servers, overlays, bridges and rules; leaves nothing of the lab.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { down, planDown } from '../../lifecycle/index.ts';
import { confirm, type ConfirmIO, terminalIO } from '../confirm.ts';
import { downPlanLines } from '../render.ts';
import { candidatesOf, cohortOf, globals, printJson, sayCohortFile } from '../context.ts';

/** The terminal down asks on; tests give their own. */
export function register(program: Command, io: (json: boolean) => ConfirmIO = terminalIO): void {
  program
    .command('down')
    .description(t('cmd.down.description'))
    .option('--candidate <id>', t('cmd.down.opt.candidate'))
    .option('--purge', t('cmd.down.opt.purge'))
    .option('-y, --yes', t('cmd.down.opt.yes'))
    .option('--wait', t('cmd.lock.opt.wait'))
    .action(async (opts: { candidate?: string; purge?: boolean; wait?: boolean; yes?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const loaded = cohortOf(cmd);
      const { cohort } = loaded;
      sayCohortFile(loaded, g.json);
      candidatesOf(cohort, opts.candidate);
      const ok = await confirm(downPlanLines(await planDown(cohort, opts)), io(Boolean(g.json)), { yes: opts.yes });
      if (!ok) {
        process.stderr.write(`${t('down.cancelled')}\n`);
        process.exitCode = 1;
        return;
      }
      const result = await down(cohort, { ...opts, say: (l) => process.stderr.write(`${l}\n`) });
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
