// `asd-lab report app [--since 7d]`: the developers' report (CP10.3) of each candidate's application,
// from its Prometheus: availability vs SLO, error budget left, latency percentiles, top errors,
// saturation, the alerts of team dev, with SVG charts. Written as Markdown (+ SVG files) and as one
// HTML page under <state>/cohorts/<cohort>/reports/<candidate>/ (or --out).
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { collectAppReport, parsePeriod, writeAppReport } from '../../modules/monitoring/app-report.ts';
import { reportsDir } from '../../modules/monitoring/app-report-files.ts';
import { monServer, promQuery, promRange, readEvents } from '../../modules/monitoring/remote.ts';
import { candidatesOf, cohortOf, globals, printJson, UsageError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description(t('cmd.report.description'))
    .argument('<subject>', t('cmd.report.arg.subject'))
    .option('--since <period>', t('cmd.report.opt.since'), '7d')
    .option('--candidate <id>', t('cmd.report.opt.candidate'))
    .option('-o, --out <dir>', t('cmd.report.opt.out'))
    .action(async (subject: string, opts: { since: string; candidate?: string; out?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (subject !== 'app') throw new UsageError(t('appReport.unknownSubject', { got: subject }));
      if (parsePeriod(opts.since) === undefined) throw new UsageError(t('appReport.badPeriod', { got: opts.since }));
      const { cohort } = cohortOf(cmd);
      const candidates = candidatesOf(cohort, opts.candidate);
      const servers = await labServers(cohort);
      const written: { candidate: string; files: string[]; error?: string }[] = [];
      for (const c of candidates) {
        const mon = monServer(servers.get(c.id) ?? []);
        if (mon?.state !== 'running') {
          written.push({
            candidate: c.id,
            files: [],
            error: mon
              ? t('ssh.notRunning', { server: mon.name, state: mon.state, candidate: c.id })
              : t('alerts.noMon', { candidate: c.id }),
          });
          continue;
        }
        try {
          const report = await collectAppReport(
            {
              query: (expr) => promQuery(mon, expr),
              range: (expr, start, end, step) => promRange(mon, expr, start, end, step),
              events: () => readEvents(mon),
            },
            { cohort: cohort.cohort, candidate: c.id, period: opts.since, slo: cohort.slo },
          );
          const dir = opts.out ?? reportsDir(cohort, c.id);
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          written.push({ candidate: c.id, files: writeAppReport(dir, report) });
        } catch (err) {
          written.push({
            candidate: c.id,
            files: [],
            error: t('alerts.unreachable', { server: mon.machine ?? mon.name, detail: (err as Error).message }),
          });
        }
      }
      if (g.json) printJson({ reports: written });
      else
        for (const w of written)
          console.log(
            w.error
              ? `${w.candidate}: ${w.error}`
              : t('appReport.written', { candidate: w.candidate, files: w.files.join(', ') }),
          );
      if (written.some((w) => w.error)) process.exitCode = 1;
    });
}
