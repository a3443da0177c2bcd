// `asd-lab down`: stops and deletes servers, overlays, bridges and rules; leaves nothing of the lab.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { downCandidate, labPaths, purgeCohort } from '../../targets/local/lab.ts';
import { candidatesOf, cohortOf, globals, printJson, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('down')
    .description('stop and delete the servers, networks and firewall rules of the lab (local target)')
    .option('--candidate <id>', 'only this candidate')
    .option('--purge', 'also delete the cohort\'s lab key, CA and inventory (the shared golden image stays cached)')
    .action(async (opts: { candidate?: string; purge?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      if (cohort.target !== 'local') throw new UserError(t('up.awsNotHere'));
      const candidates = candidatesOf(cohort, opts.candidate);
      const paths = labPaths(cohort);
      const out: { id: string; removed: string[] }[] = [];
      for (const cand of candidates) {
        const removed = await downCandidate(cohort, cand, paths.state);
        out.push({ id: cand.id, removed });
        if (!g.json) console.log(removed.length ? t('down.removed', { candidate: cand.id, servers: removed.join(', ') }) : t('down.nothing', { candidate: cand.id }));
      }
      if (opts.purge && !opts.candidate) {
        purgeCohort(cohort, paths);
        if (!g.json) console.log(t('down.purged', { dir: paths.cohortDir }));
      }
      if (g.json) printJson({ cohort: cohort.cohort, candidates: out });
    });
}
