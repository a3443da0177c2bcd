// `asd-lab report app [--since 7d]`: the developers' report (CP10.3) of each candidate's application,
// from its Prometheus: availability vs SLO, error budget left, latency percentiles, top errors,
// saturation, the alerts of team dev, with SVG charts. Written as Markdown (+ SVG files) and as one
// HTML page under <state>/cohorts/<cohort>/reports/<candidate>/ (or --out).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../i18n/index.ts';
import { labServers } from '../../lab/local.ts';
import {
  CHART_QUERIES, devAlerts, envStats, parsePeriod, renderHtml, renderMarkdown, reportQueries, reportsDir, svgChart, type AppReport,
} from '../../monitoring/app-report.ts';
import { monServer, promQuery, promRange, readEvents } from '../../monitoring/remote.ts';
import { candidatesOf, cohortOf, globals, printJson, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description('the developers\' report of the application: availability vs SLO, error budget, latency, errors, saturation, charts')
    .argument('<subject>', 'app')
    .option('--since <period>', 'period covered, e.g. 7d, 24h, 90m (5m to 90d)', '7d')
    .option('--candidate <id>', 'only this candidate')
    .option('-o, --out <dir>', 'write here instead of the lab state')
    .action(async (subject: string, opts: { since: string; candidate?: string; out?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (subject !== 'app') throw new UserError(t('appReport.unknownSubject', { got: subject }), 2);
      const seconds = parsePeriod(opts.since);
      if (seconds === undefined) throw new UserError(t('appReport.badPeriod', { got: opts.since }), 2);
      const { cohort } = cohortOf(cmd);
      const candidates = candidatesOf(cohort, opts.candidate);
      const servers = await labServers(cohort);
      const written: { candidate: string; files: string[]; error?: string }[] = [];
      for (const c of candidates) {
        const mon = monServer(servers.get(c.id) ?? []);
        if (!mon || mon.state !== 'running') {
          written.push({ candidate: c.id, files: [], error: mon ? t('ssh.notRunning', { server: mon.name, state: mon.state, candidate: c.id }) : t('alerts.noMon', { candidate: c.id }) });
          continue;
        }
        try {
          const end = Math.floor(Date.now() / 1000);
          const start = end - seconds;
          const q = reportQueries(opts.since);
          const results = {} as Record<keyof typeof q, Map<string, string>>;
          const raw = {} as Record<keyof typeof q, Awaited<ReturnType<typeof promQuery>>>;
          for (const [k, expr] of Object.entries(q) as [keyof typeof q, string][]) {
            raw[k] = await promQuery(mon, expr);
            results[k] = new Map(raw[k].map((s) => [s.metric.env ?? '', s.value[1]]));
          }
          const step = Math.max(60, Math.round(seconds / 120));
          const charts = [];
          for (const ch of Object.values(CHART_QUERIES)) {
            const series = await promRange(mon, ch.expr, start, end, step);
            charts.push({ title: ch.title, unit: ch.unit, series: series.map((s) => ({ env: s.metric.env ?? '', points: s.values.map(([x, y]) => [x, Number(y)] as [number, number]).filter(([, y]) => Number.isFinite(y)) })) });
          }
          const report: AppReport = {
            cohort: cohort.cohort, candidate: c.id, generated: new Date().toISOString().slice(0, 19) + 'Z', period: opts.since,
            from: new Date(start * 1000).toISOString().slice(0, 16) + 'Z', to: new Date(end * 1000).toISOString().slice(0, 16) + 'Z',
            envs: envStats(cohort.slo, results),
            topErrors: raw.topErrors.map((s) => ({ env: s.metric.env ?? '', route: s.metric.route ?? '', code: s.metric.code ?? '', count: Math.round(Number(s.value[1])) })),
            alerts: devAlerts(await readEvents(mon), start * 1000),
            charts,
          };
          const dir = opts.out ?? reportsDir(cohort, c.id);
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          const stamp = `app-${report.generated.replace(/[-:]/g, '').slice(0, 13)}Z`;
          const files = [join(dir, `${stamp}.md`), join(dir, `${stamp}.html`)];
          writeFileSync(files[0]!, renderMarkdown(report, `${stamp}-chart-`));
          writeFileSync(files[1]!, renderHtml(report));
          report.charts.forEach((ch, i) => {
            const f = join(dir, `${stamp}-chart-${i + 1}.svg`);
            writeFileSync(f, svgChart(ch));
            files.push(f);
          });
          written.push({ candidate: c.id, files });
        } catch (err) {
          written.push({ candidate: c.id, files: [], error: t('alerts.unreachable', { server: mon.machine ?? mon.name, detail: (err as Error).message }) });
        }
      }
      if (g.json) printJson({ reports: written });
      else for (const w of written) console.log(w.error ? `${w.candidate}: ${w.error}` : t('appReport.written', { candidate: w.candidate, files: w.files.join(', ') }));
      if (written.some((w) => w.error)) process.exitCode = 1;
    });
}
