// `asd-lab status`: per candidate and server: state, health (SSH answers), role, address, SSH port,
// user, key path, and the candidate's last verify result; --watch refreshes.
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { renderDashboardText } from '../../evidence/dashboard.ts';
import { labStatus } from '../../lifecycle/index.ts';
import { cohortOf, globals, printJson, UsageError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('status')
    .description(t('cmd.status.description'))
    .option('--watch [seconds]', t('cmd.status.opt.watch'))
    .action(async (opts: { watch?: string | boolean }, cmd: Command) => {
      const g = globals(cmd);
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      const every = opts.watch === undefined ? 0 : opts.watch === true ? 5 : Number(opts.watch);
      if (!Number.isFinite(every) || every < 0 || (opts.watch !== undefined && every < 1))
        throw new UsageError(t('status.badWatch', { got: String(opts.watch) }));
      for (;;) {
        const d = await labStatus(cohort);
        if (g.json) printJson(d);
        else {
          if (every) process.stdout.write('\x1b[2J\x1b[H');
          console.log(renderDashboardText(d, lang));
        }
        if (!every) return;
        await new Promise((r) => setTimeout(r, every * 1000));
      }
    });
}
