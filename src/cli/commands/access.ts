// `asd-lab access`: what a candidate (or the trainer) needs to reach the lab from their own machine:
// ssh_config, known_hosts, inventory.yml, card.html and card.pdf (docs/access.md).
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { writeAccess } from '../../lifecycle/index.ts';
import { cohortOf, globals, printJson, UserError } from '../context.ts';

interface AccessOpts {
  candidate?: string;
  all?: boolean;
  trainer?: boolean;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('access')
    .description("write a candidate's (or the trainer's) ssh config, pinned host keys, Ansible inventory and printable card")
    .option('--candidate <id>', 'this candidate (default folder: ./access-<id>)')
    .option('--all', 'every candidate, one folder each under -o DIR')
    .option('--trainer', "the trainers' files: one Host per candidate's server, named <candidate>-<server>")
    .option('-o, --output <dir>', 'output folder')
    .action(async (opts: AccessOpts, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      if ([opts.candidate !== undefined, opts.all, opts.trainer].filter(Boolean).length !== 1)
        throw new UserError(t('access.which'), 2);
      if ((opts.all || opts.trainer) && !opts.output) throw new UserError(t('access.needDir'), 2);
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
