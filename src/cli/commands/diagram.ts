// `asd-lab diagram`: the architecture diagram of the live lab (servers, states, addresses, roles,
// networks) with the flows the roles imply, as SVG or PNG (Graphviz), Mermaid or DOT text.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { DIAGRAM_FORMATS, diagramOutput, type DiagramFormat } from '../../evidence/render.ts';
import { candidatesOf, cohortOf, globals, printJson, UsageError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('diagram')
    .description(t('cmd.diagram.description'))
    .option('--candidate <id>', t('cmd.diagram.opt.candidate'))
    .option('--format <format>', t('cmd.diagram.opt.format'), 'svg')
    .option('-o, --output <file>', t('cmd.diagram.opt.output'))
    .action(async (opts: { candidate?: string; format: string; output?: string }, cmd: Command) => {
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      if (!DIAGRAM_FORMATS.includes(opts.format as DiagramFormat)) {
        throw new UsageError(t('diagram.badFormat', { got: opts.format, formats: DIAGRAM_FORMATS.join(' | ') }));
      }
      if (opts.format === 'png' && !opts.output) throw new UsageError(t('diagram.pngNeedsFile'));
      candidatesOf(cohort, opts.candidate);
      const out = await diagramOutput(cohort, await labServers(cohort), opts.format as DiagramFormat, lang, opts.candidate);
      if (opts.output) {
        writeFileSync(opts.output, out);
        process.stderr.write(`${t('report.written', { format: opts.format, file: opts.output }, lang)}\n`);
        if (globals(cmd).json) printJson({ format: opts.format, file: opts.output });
      } else if (globals(cmd).json) printJson({ format: opts.format, content: out.toString() });
      else process.stdout.write(out);
    });
}
