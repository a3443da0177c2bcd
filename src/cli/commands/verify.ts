// `asd-lab verify`: the performance-criterion checks, as a report grouped by competency and
// criterion (terminal), a versioned JSON document (--json), a printable HTML page (--html FILE)
// and JUnit XML (--junit FILE). The result is saved as the cohort's last verify result.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { labServers, verifyLab } from '../../lifecycle/index.ts';
import { htmlDiagram } from '../../evidence/render.ts';
import { reportFailed } from '../../checks/run.ts';
import { renderHtml } from '../../evidence/verify-report/html.ts';
import { renderJunit } from '../../evidence/verify-report/junit.ts';
import { renderTerminal } from '../../evidence/verify-report/terminal.ts';
import { verdictText } from '../../evidence/verify-report/verdict.ts';
import { candidatesOf, cohortOf, globals, printJson, UsageError } from '../context.ts';

interface VerifyOpts {
  candidate?: string;
  html?: string;
  junit?: string;
  concurrency: string;
  save: boolean;
}

export function parseConcurrency(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(t('cli.concurrency', { got: raw }));
  return n;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(t('cmd.verify.description'))
    .option('--candidate <id>', t('cmd.verify.opt.candidate'))
    .option('--html <file>', t('cmd.verify.opt.html'))
    .option('--junit <file>', t('cmd.verify.opt.junit'))
    .option('--concurrency <n>', t('cmd.verify.opt.concurrency'), '2')
    .option('--no-save', t('cmd.verify.opt.noSave'))
    .action(async (opts: VerifyOpts, cmd: Command) => {
      const g = globals(cmd);
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      candidatesOf(cohort, opts.candidate);
      const concurrency = parseConcurrency(opts.concurrency);
      const servers = await labServers(cohort);
      const report = await verifyLab(cohort, {
        candidate: opts.candidate,
        concurrency,
        servers,
        save: opts.save,
        onCandidate: (c) =>
          process.stderr.write(
            `${t('report.candidateDone', { candidate: c.id, verdict: verdictText(c, lang), pass: c.summary.pass, fail: c.summary.fail, notRun: c.summary.notRun }, lang)}\n`,
          ),
      });
      if (opts.html) {
        writeFileSync(opts.html, renderHtml(report, lang, await htmlDiagram(cohort, servers, lang, opts.candidate)));
        process.stderr.write(`${t('report.written', { format: 'HTML', file: opts.html }, lang)}\n`);
      }
      if (opts.junit) {
        writeFileSync(opts.junit, renderJunit(report));
        process.stderr.write(`${t('report.written', { format: 'JUnit', file: opts.junit }, lang)}\n`);
      }
      if (g.json) printJson(report);
      else console.log(renderTerminal(report, lang, { width: process.stdout.columns || 160 }));
      if (reportFailed(report)) process.exitCode = 1;
    });
}
