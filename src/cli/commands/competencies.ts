// `asd-lab competencies`: the competency map (table, --json, or --markdown for docs/competencies.md).
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { competencyMap, renderMarkdown, renderTable } from '../../competencies/map.ts';
import { globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('competencies')
    .description(t('cmd.competencies.description'))
    .option('--markdown', t('cmd.competencies.opt.markdown'))
    .action((opts: { markdown?: boolean }, cmd: Command) => {
      const map = competencyMap();
      const g = globals(cmd);
      if (g.json) printJson({ competencies: map });
      else if (opts.markdown) process.stdout.write(renderMarkdown(map));
      else console.log(renderTable(map, g.lang));
    });
}
