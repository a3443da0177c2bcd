// `asd-lab alerts [--candidate ID]`: what each candidate's Alertmanager holds right now: alert name,
// severity, team, state (active, or suppressed by a silence or an inhibition), since when, where.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { amAlerts, monServer, type AmAlert } from '../../modules/monitoring/remote.ts';
import { candidatesOf, cohortOf, globals, printJson } from '../context.ts';

export interface AlertRow {
  name: string;
  severity: string;
  team: string;
  state: string;
  since: string;
  instance: string;
  summary: string;
}

export function alertRow(a: AmAlert): AlertRow {
  const state =
    a.status.state === 'suppressed'
      ? `suppressed (${a.status.inhibitedBy.length > 0 ? 'inhibited' : 'silenced'})`
      : a.status.state;
  return {
    name: a.labels.alertname ?? '',
    severity: a.labels.severity ?? '',
    team: a.labels.team ?? '',
    state,
    since: a.startsAt,
    instance: a.labels.instance ?? a.labels.env ?? '',
    summary: a.annotations.summary ?? '',
  };
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1 };

/** Critical first, then oldest first. */
export function sortRows(rows: AlertRow[]): AlertRow[] {
  return [...rows].sort(
    (a, b) =>
      (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) ||
      a.since.localeCompare(b.since) ||
      a.name.localeCompare(b.name),
  );
}

export function renderTable(rows: AlertRow[]): string {
  const head: AlertRow = {
    name: t('alerts.col.name'),
    severity: t('alerts.col.severity'),
    team: t('alerts.col.team'),
    state: t('alerts.col.state'),
    since: t('alerts.col.since'),
    instance: t('alerts.col.instance'),
    summary: t('alerts.col.summary'),
  };
  const cols: (keyof AlertRow)[] = ['name', 'severity', 'team', 'state', 'since', 'instance', 'summary'];
  const all = [head, ...rows.map((r) => ({ ...r, since: r.since.replace(/\.\d+Z$/, 'Z') }))];
  const width = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  return all
    .map((r) =>
      cols
        .map((c, i) => (i === cols.length - 1 ? r[c] : r[c].padEnd(width[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function register(program: Command): void {
  program
    .command('alerts')
    .description(t('cmd.alerts.description'))
    .option('--candidate <id>', t('cmd.alerts.opt.candidate'))
    .action(async (opts: { candidate?: string }, cmd: Command) => {
      const g = globals(cmd);
      const { cohort } = cohortOf(cmd);
      const candidates = candidatesOf(cohort, opts.candidate);
      const servers = await labServers(cohort);
      const out: { id: string; mon?: string; error?: string; alerts: AlertRow[] }[] = [];
      for (const c of candidates) {
        const mon = monServer(servers.get(c.id) ?? []);
        if (!mon) {
          out.push({ id: c.id, error: t('alerts.noMon', { candidate: c.id }), alerts: [] });
          continue;
        }
        if (mon.state !== 'running') {
          out.push({
            id: c.id,
            mon: mon.machine ?? mon.name,
            error: t('ssh.notRunning', { server: mon.name, state: mon.state, candidate: c.id }),
            alerts: [],
          });
          continue;
        }
        try {
          out.push({ id: c.id, mon: mon.machine ?? mon.name, alerts: sortRows((await amAlerts(mon)).map(alertRow)) });
        } catch (err) {
          out.push({
            id: c.id,
            mon: mon.machine ?? mon.name,
            error: t('alerts.unreachable', { server: mon.machine ?? mon.name, detail: (err as Error).message }),
            alerts: [],
          });
        }
      }
      if (g.json) printJson({ candidates: out });
      else {
        for (const c of out) {
          console.log(t('alerts.header', { candidate: c.id, mon: c.mon ?? '-', count: c.alerts.length }));
          if (c.error) console.log(`  ${c.error}`);
          else if (c.alerts.length === 0) console.log(`  ${t('alerts.none')}`);
          else console.log(renderTable(c.alerts).replace(/^/gm, '  '));
        }
      }
      if (out.some((c) => c.error)) process.exitCode = 1;
    });
}
