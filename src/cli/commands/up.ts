// `asd-lab up`: brings the local lab up (installs prerequisites, image, servers, Ansible, checks).
// Re-running converges; a failure for one candidate does not stop the others.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import {
  candidateSteps, ensureImage, ensureLabKey, installPrerequisites, labPaths, labServers, preflight,
  type CandidateUp,
} from '../../targets/local/lab.ts';
import { type Accel, type Driver } from '../../targets/local/index.ts';
import { runVerify } from '../../checks/run.ts';
import { saveLastVerify } from '../../evidence/verify-report/state.ts';
import type { VerifyReportV1 } from '../../evidence/verify-report/schema.ts';
import { candidatesOf, cohortOf, globals, printJson, UserError } from '../context.ts';
import { tasks } from '../progress.ts';

interface UpOpts {
  candidate?: string;
  driver?: Driver;
  accel?: Accel;
  verify: boolean;
}

export function register(program: Command): void {
  program
    .command('up')
    .description('bring the lab up on this machine (local target): image, servers, Ansible, checks')
    .option('--candidate <id>', 'only this candidate')
    .option('--driver <driver>', 'container | vm (default: the cohort\'s local.driver)')
    .option('--accel <accel>', 'vm driver: auto | kvm | tcg', 'auto')
    .option('--no-verify', 'skip the performance-criterion checks at the end')
    .action(async (opts: UpOpts, cmd: Command) => {
      const g = globals(cmd);
      const { cohort, file } = cohortOf(cmd);
      if (cohort.target !== 'local') throw new UserError(t('up.awsNotHere'));
      const candidates = candidatesOf(cohort, opts.candidate);
      const driver = opts.driver ?? cohort.local.driver;
      if (!['container', 'vm'].includes(driver)) throw new UserError(`--driver: container | vm, got "${driver}"`, 2);
      const say = (line: string) => (g.json ? process.stderr.write(`${line}\n`) : console.log(line));
      await installPrerequisites(driver, say);
      const plans = await preflight(cohort, { driver, accel: opts.accel, say });
      const paths = labPaths(cohort);
      const results: CandidateUp[] = [];
      let keyPath = '';
      const failures = new Map<string, string>();
      await tasks([
        { title: t('up.image'), task: async (_c, task) => void (await ensureImage({ stateDir: paths.state, vm: driver === 'vm', onLine: (l) => (task.output = l) })) },
        { title: 'SSH key', task: async () => void (keyPath = (await ensureLabKey(cohort.cohort, { stateDir: paths.state })).privateKey) },
      ], { json: g.json }).run();
      // Candidates one after the other (a 2-core host boots servers faster in sequence); inside a
      // candidate the steps are ordered. exitOnError false: one failed candidate does not stop the rest.
      await tasks(
        plans.filter((p) => candidates.some((c) => c.id === p.candidate.id)).map((plan) => ({
          title: t('up.candidate', { candidate: plan.candidate.id }),
          task: (_ctx, task) => {
            const { result, steps } = candidateSteps(cohort, plan, paths, { driver, accel: opts.accel, keyPath });
            results.push(result);
            return task.newListr(
              steps.map((s) => ({
                title: s.title,
                task: async () => {
                  try {
                    await s.run();
                  } catch (err) {
                    result.step = s.title;
                    result.error = (err as Error).message;
                    failures.set(plan.candidate.id, result.error);
                    throw err;
                  }
                },
              })),
              { exitOnError: true },
            );
          },
        })),
        { json: g.json, exitOnError: false },
      ).run().catch(() => undefined); // a failed step is in `failures` (above) and in the report: not lost
      for (const r of results) r.ok = !failures.has(r.id);
      let checks: VerifyReportV1 | undefined;
      if (opts.verify && results.some((r) => r.ok)) {
        const ok = cohort.candidates.filter((c) => results.some((r) => r.ok && r.id === c.id));
        const servers = await labServers(cohort, paths.state);
        // The same report as `asd-lab verify`, saved as the last result (status, bundle, serve read it).
        checks = await runVerify({ ...cohort, candidates: ok }, servers);
        saveLastVerify(checks, paths.state);
      }
      if (g.json) {
        printJson({ cohort: cohort.cohort, candidates: results.map(({ servers, ...r }) => ({ ...r, servers: servers.map((s) => s.name) })), verify: checks });
      } else {
        for (const r of results) {
          console.log(r.ok
            ? t('up.summary.ok', { candidate: r.id, servers: r.servers.length, changed: r.changed })
            : t('up.summary.failed', { candidate: r.id, step: r.step ?? '?', error: r.error ?? '?' }));
          if (!r.ok) console.log(`  ${t('up.retry', { file, candidate: r.id })}`);
        }
        for (const c of checks?.candidates ?? []) {
          const count = (s: string) => c.checks.filter((x) => x.status === s).length;
          console.log(`${c.id}: ${t('up.verifyHint', { pass: count('pass'), fail: count('fail'), notRun: count('not-run') })}`);
        }
      }
      const failedChecks = checks?.candidates.some((c) => c.checks.some((x) => x.status === 'fail')) ?? false;
      if (results.some((r) => !r.ok) || failedChecks) process.exitCode = 1;
    });
}

