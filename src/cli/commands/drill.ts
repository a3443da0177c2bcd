// `asd-lab drill <scenario>`: inject a real fault on one server of a candidate's lab and print the
// alert's timeline (triggered, firing in Prometheus, notification received by the webhook, restored,
// resolved, resolution received). The fault is always undone. Each result is appended to the lab
// state (<state>/cohorts/<cohort>/monitoring/drills.jsonl) as evidence.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import {
  DRILL_DEFAULTS,
  drillLogFile,
  DrillRefused,
  drillTarget,
  renderTimeline,
  runDrill,
  SCENARIO_DEFS,
  SCENARIOS,
  type ScenarioName,
} from '../../modules/monitoring/drills.ts';
import { monServer } from '../../modules/monitoring/remote.ts';
import { candidatesOf, cohortOf, globals, printJson, UsageError, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('drill')
    .description(t('cmd.drill.description', { scenarios: SCENARIOS.join(', ') }))
    .argument('<scenario>', SCENARIOS.join(' | '))
    .option('--candidate <id>', t('cmd.drill.opt.candidate'))
    .option('--server <name>', t('cmd.drill.opt.server'))
    .option('--timeout <seconds>', t('cmd.drill.opt.timeout'), '900')
    .option('--attempts <n>', t('cmd.drill.opt.attempts'), String(DRILL_DEFAULTS.attempts))
    .option('--path <dir>', t('cmd.drill.opt.path'), DRILL_DEFAULTS.fillPath)
    .option('--max-fill <MiB>', t('cmd.drill.opt.maxFill'), String(DRILL_DEFAULTS.maxFillBytes / 1024 ** 2))
    .action(
      async (
        scenario: string,
        opts: { candidate?: string; server?: string; timeout: string; attempts: string; path: string; maxFill: string },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        if (!(SCENARIOS as readonly string[]).includes(scenario))
          throw new UsageError(t('drill.unknownScenario', { got: scenario, known: SCENARIOS.join(', ') }));
        const timeout = Number(opts.timeout);
        const attempts = Number(opts.attempts);
        const maxFill = Number(opts.maxFill);
        if (!Number.isInteger(timeout) || timeout < 60)
          throw new UsageError(t('drill.badNumber', { option: '--timeout', min: 60, got: opts.timeout }));
        if (!Number.isInteger(attempts) || attempts < 10 || attempts > 100)
          throw new UsageError(t('drill.badNumber', { option: '--attempts', min: 10, got: opts.attempts }));
        if (!Number.isFinite(maxFill) || maxFill < 1)
          throw new UsageError(t('drill.badNumber', { option: '--max-fill', min: 1, got: opts.maxFill }));
        if (!opts.path.startsWith('/')) throw new UsageError(t('monitoring.absolutePath', { got: JSON.stringify(opts.path) }));
        const { cohort } = cohortOf(cmd);
        const candidate = candidatesOf(cohort, opts.candidate)[0]!;
        const servers = (await labServers(cohort)).get(candidate.id) ?? [];
        const mon = monServer(servers);
        if (!mon) throw new UserError(t('alerts.noMon', { candidate: candidate.id }));
        if (mon.state !== 'running')
          throw new UserError(t('ssh.notRunning', { server: mon.name, state: mon.state, candidate: candidate.id }));
        const def = SCENARIO_DEFS[scenario as ScenarioName];
        let result;
        try {
          const target = drillTarget(servers, def, opts.server);
          if (!g.json) console.log(t('drill.starting', { scenario, server: target.machine ?? target.name, alert: def.alert }));
          result = await runDrill({
            scenario: def,
            candidate: candidate.id,
            target,
            mon,
            timeoutMs: timeout * 1000,
            opts: { attempts, fillPath: opts.path, maxFillBytes: maxFill * 1024 ** 2 },
            onStep: g.json
              ? undefined
              : (s) =>
                  console.log(
                    `  +${String(s.elapsedSeconds).padStart(4)} s  ${t(`drill.step.${s.step}`)}${s.detail ? `: ${s.detail}` : ''}`,
                  ),
          });
        } catch (err) {
          if (err instanceof DrillRefused) throw new UserError(t('drill.refused', { detail: err.message }), 1, { cause: err }); // adds the "nothing was changed" context
          throw err;
        }
        const file = drillLogFile(cohort);
        mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
        appendFileSync(file, `${JSON.stringify(result)}\n`, { mode: 0o600 });
        if (g.json) printJson(result);
        else console.log(renderTimeline(result));
        if (!result.ok) process.exitCode = 1;
      },
    );
}
