// `asd-lab serve`: the cohort dashboard as a small read-only web page on 127.0.0.1 only.
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { htmlDiagram } from '../../evidence/render.ts';
import { dashboard, renderDashboardHtml } from '../../evidence/dashboard.ts';
import { renderHtml } from '../../evidence/verify-report/html.ts';
import { startServe } from '../../evidence/serve.ts';
import { loadLastVerify } from '../../evidence/verify-report/state.ts';
import { cohortOf, UsageError, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description(t('cmd.serve.description'))
    .option('--port <port>', t('cmd.serve.opt.port'), '8099')
    .action(async (opts: { port: string }, cmd: Command) => {
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(t('serve.badPort', { got: opts.port }));
      const data = async () => dashboard(cohort, await labServers(cohort), loadLastVerify(cohort.cohort));
      const { url } = await startServe(
        {
          page: async () => {
            const servers = await labServers(cohort);
            const d = await dashboard(cohort, servers, loadLastVerify(cohort.cohort));
            return renderDashboardHtml(d, lang, {
              refreshSeconds: 10,
              diagramSvg: (await htmlDiagram(cohort, servers, lang)).svg,
            });
          },
          json: data,
          report: async () => {
            const last = loadLastVerify(cohort.cohort);
            return last ? renderHtml(last, lang, await htmlDiagram(cohort, await labServers(cohort), lang)) : undefined;
          },
        },
        port,
      ).catch((err: NodeJS.ErrnoException) => {
        throw new UserError(t('serve.listenFailed', { port: opts.port, detail: err.code ?? err.message }), 1, { cause: err });
      });
      console.log(t('serve.listening', { url }, lang));
      await new Promise(() => undefined); // until interrupted
    });
}
