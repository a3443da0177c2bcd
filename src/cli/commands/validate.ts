// `asd-lab validate`: schema check only; nothing is created.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description(t('cmd.validate.description'))
    .action((_opts, cmd: Command) => {
      const { cohort, file } = cohortOf(cmd);
      if (globals(cmd).json) {
        printJson({ file, valid: true, cohort });
      } else {
        console.log(
          t('cli.validate.ok', { file, cohort: cohort.cohort, target: cohort.target, count: cohort.candidates.length }),
        );
      }
    });
}
