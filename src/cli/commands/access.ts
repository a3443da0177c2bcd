// `asd-lab access`: what a candidate (or the trainer) needs to reach the lab from their own machine:
// ssh_config, known_hosts, inventory.yml, card.html and card.pdf (docs/access.md).
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { writeAccess } from '../../lifecycle/index.ts';
import { cohortOf, globals, printJson, UsageError } from '../context.ts';

interface AccessOpts {
  candidate?: string;
  all?: boolean;
  trainer?: boolean;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('access')
    .description(t('cmd.access.description'))
    .option('--candidate <id>', t('cmd.access.opt.candidate'))
    .option('--all', t('cmd.access.opt.all'))
    .option('--trainer', t('cmd.access.opt.trainer'))
    .option('-o, --output <dir>', t('cmd.access.opt.output'))
    .action(async (opts: AccessOpts, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      if ([opts.candidate !== undefined, opts.all, opts.trainer].filter(Boolean).length !== 1)
        throw new UsageError(t('access.which'));
      if ((opts.all || opts.trainer) && !opts.output) throw new UsageError(t('access.needDir'));
      const r = await writeAccess(cohort, { ...opts, outDir: opts.output, lang: g.lang });
      if (g.json) {
        const out = r.written.map((w) => ({ ...w, files: { ...w.files } }));
        printJson(opts.all ? { written: out, refused: r.refused } : (out[0] ?? { refused: r.refused }));
      } else {
        for (const w of r.written) {
          const names = Object.entries(w.files)
            .filter(([k]) => k !== 'dir')
            .map(([, f]) => f.split('/').pop())
            .join(', ');
          console.log(t('access.written', { who: w.candidate ?? 'trainers', files: names, dir: w.files.dir }));
        }
        for (const x of r.refused) console.error(t('access.noAccount', { candidate: x.candidate, reason: x.reason }));
      }
      if (r.refused.length) process.exitCode = 1;
    });
}
