// `asd-lab doctor`: which prerequisites are present, and the exact command to fix each missing one.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { runDoctor } from '../doctor.ts';
import { globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('doctor')
    .description(t('cmd.doctor.description'))
    .action(async (_opts, cmd: Command) => {
      const checks = await runDoctor();
      if (globals(cmd).json) {
        printJson({ checks });
      } else {
        for (const c of checks) {
          console.log(`${c.ok ? '[ok]  ' : '[--]  '}${c.label} (${c.for}): ${c.found}`);
          if (c.fix) console.log(`        ${t('doctor.fix', { command: c.fix })}`);
        }
        console.log(t('doctor.summary', { ok: checks.filter((c) => c.ok).length, total: checks.length }));
      }
      // Missing prerequisites are information, not a failure: doctor itself succeeded.
    });
}
