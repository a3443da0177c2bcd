// `asd-lab db backup|restore-check|failover|status CANDIDATE`: the database operations of CP6 on a
// candidate's lab (local target). Results are recorded in the lab state and shown by `db status`
// and by the CP6 checks of `asd-lab verify`.
import { join } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { backup, dataLab, failover, restoreAt, restoreCheck, status, type DataLab } from '../../modules/data/ops.ts';
import { cohortOf, globals, printJson, UsageError } from '../context.ts';
import { cohortPaths } from '../../core/state.ts';

async function labOf(cmd: Command, candidate: string): Promise<{ lab: DataLab; json: boolean }> {
  const g = globals(cmd);
  const { cohort } = cohortOf(cmd);
  return { lab: await dataLab(cohort, candidate), json: Boolean(g.json) };
}

export function register(program: Command): void {
  const db = program.command('db').description(t('cmd.db.description'));

  db.command('backup')
    .description(t('cmd.db.backup.description'))
    .argument('<candidate>')
    .option('--type <type>', t('cmd.db.backup.opt.type'), 'full')
    .action(async (candidate: string, opts: { type: string }, cmd: Command) => {
      if (!['full', 'diff', 'incr'].includes(opts.type))
        throw new UsageError(t('db.badType', { got: JSON.stringify(opts.type) }));
      const { lab, json } = await labOf(cmd, candidate);
      const r = await backup(lab, opts.type as 'full' | 'diff' | 'incr');
      if (json) printJson({ candidate, backup: r });
      else console.log(t('db.backupDone', { candidate, type: r.type, label: r.label, seconds: r.seconds, repo: lab.repo!.name }));
    });

  db.command('restore-check')
    .description(t('cmd.db.restoreCheck.description'))
    .argument('<candidate>')
    .option('--target-time <time>', t('cmd.db.restoreCheck.opt.targetTime'))
    .option('--database <name>', t('cmd.db.restoreCheck.opt.database'))
    .action(async (candidate: string, opts: { targetTime?: string; database?: string }, cmd: Command) => {
      if (
        opts.targetTime !== undefined &&
        (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(opts.targetTime) ||
          Number.isNaN(Date.parse(opts.targetTime)))
      ) {
        throw new UsageError(t('db.badTime', { got: JSON.stringify(opts.targetTime) }));
      }
      const { lab, json } = await labOf(cmd, candidate);
      if (opts.database && !lab.plan.databases.some((d) => d.name === opts.database)) {
        throw new UsageError(
          t('db.failed', {
            candidate,
            step: '--database',
            server: '-',
            detail: t('db.unknownDatabase', { name: opts.database, known: lab.plan.databases.map((d) => d.name).join(', ') }),
          }),
        );
      }
      if (opts.targetTime) {
        const r = await restoreAt(lab, opts.targetTime, opts.database);
        if (json) printJson({ candidate, restore: r });
        else
          console.log(
            t('db.restoreTarget', {
              candidate,
              point: `${r.target}${r.recoveryPoint ? `, last replayed commit ${r.recoveryPoint}` : ''}`,
              seconds: r.totalSeconds,
              rows: r.canary?.rows ?? '-',
              checksum: r.canary?.checksum ?? '-',
              tables:
                Object.entries(r.tables)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ') || '-',
            }),
          );
        return;
      }
      const r = await restoreCheck(lab);
      if (json) printJson({ candidate, restoreCheck: r });
      else if (r.ok)
        console.log(
          t('db.restoreOk', {
            candidate,
            rows: r.expected.rows,
            checksum: r.expected.checksum,
            point: `${r.restorePoint} (${r.recoveryPoint}, backup ${r.backup})`,
            seconds: r.seconds,
          }),
        );
      else
        console.log(
          t('db.restoreMismatch', {
            candidate,
            expected: `${r.expected.rows} ${r.expected.checksum}`,
            got: r.got ? `${r.got.rows} ${r.got.checksum}` : 'no canary table',
          }),
        );
      if (!r.ok) process.exitCode = 1;
    });

  db.command('failover')
    .description(t('cmd.db.failover.description'))
    .argument('<candidate>')
    .action(async (candidate: string, _opts: unknown, cmd: Command) => {
      const { lab, json } = await labOf(cmd, candidate);
      if (!json)
        console.log(t('db.converge', { candidate, log: join(cohortPaths(lab.cohort.cohort).logs, `data-${candidate}.json`) }));
      const r = await failover(lab);
      if (json) printJson({ candidate, failover: r });
      else
        console.log(
          t('db.failoverDone', { candidate, primary: r.primary, old: r.old, seconds: r.promoteSeconds, reseed: r.reseedSeconds }),
        );
    });

  db.command('status')
    .description(t('cmd.db.status.description'))
    .argument('<candidate>')
    .action(async (candidate: string, _opts: unknown, cmd: Command) => {
      const { lab, json } = await labOf(cmd, candidate);
      const s = await status(lab);
      if (json) {
        printJson(s);
        return;
      }
      console.log(candidate);
      for (const x of s.servers) {
        const line = t('db.statusServer', {
          server: x.server,
          role: x.role,
          lagBytes: x.lagBytes ?? 0,
          lagSeconds: x.lagSeconds ?? 0,
        });
        console.log(
          `  ${x.role === 'replica' ? line : x.role === 'primary' ? `${x.server}: primary` : `${x.server}: down (${x.error ?? ''})`}${x.role === 'replica' && !x.streaming ? ` (NOT streaming${x.error ? `: ${x.error}` : ''})` : ''}`,
        );
      }
      const b = s.lastBackup;
      console.log(`  ${t('db.statusBackup', { backup: b ? `${b.label} (${b.type}, ${b.stop})` : t('db.never') })}`);
      const rc = s.lastRestoreCheck;
      console.log(
        `  ${t('db.statusRestore', { restore: rc ? `${rc.at}: ${rc.ok ? 'OK' : 'FAILED'}, ${rc.expected.rows} rows, ${rc.restoreSeconds} s` : t('db.never') })}`,
      );
    });
}
