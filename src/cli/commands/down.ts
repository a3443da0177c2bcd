// `asd-lab down`: stops and deletes servers, overlays, bridges and rules; leaves nothing of the lab.
import { existsSync, readFileSync } from 'node:fs';
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
      const lines =
        cohort.target === 'aws'
          ? [
              t('aws.down.confirm', {
                cohort: cohort.cohort,
                stacks: [
                  `${cohort.cohort}-network`,
                  ...candidatesOf(cohort, opts.candidate).map((c) => `${cohort.cohort}-cand-${c.id}`),
                ].join(', '),
              }),
            ]
          : downPlanLines(await planDown(cohort, opts));
      const ok = await confirm(lines, io(Boolean(g.json)), { yes: opts.yes });
      if (!ok) {
        process.stderr.write(`${t('down.cancelled')}\n`);
        process.exitCode = 1;
        return;
      }
      const result = await down(cohort, {
        ...opts,
        say: (l) => process.stderr.write(`${l}\n`),
        aws: { cohortFile: loaded.file, cohortText: existsSync(loaded.file) ? readFileSync(loaded.file, 'utf8') : undefined },
      });
      // AWS: what still holds resources, and what still carries the cohort tag, make down fail (exit 1).
      const leftovers = [
        ...(result.remaining ?? []).map((r) =>
          t('aws.down.remaining', { stack: r.stack, count: r.resources.length, resources: r.resources.join(', ') }),
        ),
        ...(result.left ?? []).map((arn) => t('aws.down.left', { cohort: cohort.cohort, region: cohort.aws.region, arn })),
      ];
      if (leftovers.length) process.exitCode = 1;
      if (g.json) {
        const aws = cohort.target === 'aws' ? { remaining: result.remaining ?? [], left: result.left ?? [] } : {};
        return printJson({ cohort: result.cohort, candidates: result.candidates, jump: result.jump, ...aws });
      }
      for (const c of result.candidates) {
        console.log(
          c.removed.length
            ? t('down.removed', { candidate: c.id, servers: c.removed.join(', ') })
            : t('down.nothing', { candidate: c.id }),
        );
      }
      if (result.jump.length) console.log(t('down.jump', { removed: result.jump.join(', ') }));
      if (result.purged) console.log(t('down.purged', { dir: result.purged }));
      for (const l of leftovers) console.log(l);
      if (cohort.target === 'aws' && !opts.candidate) {
        if ((result.remaining ?? []).some((r) => r.stack !== `${cohort.cohort}-network`)) console.log(t('aws.down.networkKept'));
        else if (!leftovers.length) console.log(t('aws.down.clean', { cohort: cohort.cohort, region: cohort.aws.region }));
      }
    });
}
