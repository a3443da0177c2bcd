// `asd-lab verify`: the performance-criterion checks registered so far, with their evidence.
import type { Command } from 'commander';
import { t } from '../../i18n/index.ts';
import { labServers, selectCandidates } from '../../lab/local.ts';
import { verify } from '../../verify/index.ts';
import { cohortOf, globals, printJson, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('verify')
    .description('run the performance-criterion checks (pass / fail / not-run, with evidence)')
    .option('--candidate <id>', 'only this candidate')
    .action(async (opts: { candidate?: string }, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      try {
        selectCandidates(cohort, opts.candidate);
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      const report = await verify(cohort, await labServers(cohort), { candidate: opts.candidate });
      if (g.json) printJson(report);
      else {
        for (const c of report.candidates) {
          console.log(t('verify.header', { candidate: c.id }));
          for (const x of c.checks) {
            const mark = x.status === 'pass' ? 'PASS' : x.status === 'fail' ? 'FAIL' : 'N/R ';
            console.log(`  ${mark} ${x.competency.padEnd(4)} ${x.check}`);
            console.log(`       ${x.criterion} — ${x.evidence}`);
          }
          const n = (s: string) => c.checks.filter((x) => x.status === s).length;
          console.log(`  ${t('verify.summary', { pass: n('pass'), fail: n('fail'), notRun: n('not-run') })}`);
        }
      }
      if (report.candidates.some((c) => c.checks.some((x) => x.status === 'fail'))) process.exitCode = 1;
    });
}
