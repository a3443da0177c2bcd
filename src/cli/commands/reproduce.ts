// `asd-lab reproduce`: check a bundle (checksums, format, version, secrets) and rebuild that
// candidate's environment on the local target, then verify it; --dry-run only checks and tells.
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { planCandidate } from '../../targets/local/plan.ts';
import { resolveStateDir } from '../../core/state.ts';
import { serversOf } from '../../core/model/cohort.ts';
import { parseCohort } from '../../core/model/load.ts';
import { BundleError, openBundle, packageDiff } from '../../evidence/bundle.ts';
import { imageState } from '../../evidence/tools.ts';
import { toolVersion } from '../../evidence/version.ts';
import { reportFailed } from '../../checks/run.ts';
import { renderTerminal } from '../../evidence/verify-report/terminal.ts';
import { reproduce } from '../../lifecycle/index.ts';
import { globals, printJson, UsageError, UserError } from '../context.ts';
import { listrSink } from '../progress.ts';
import { upSummary } from '../render.ts';
import { expiresOption, reproducedCohortText } from '../expires.ts';

interface ReproduceOpts {
  dryRun?: boolean;
  target: string;
  expectSha256?: string;
  cohortFile?: string;
  expires?: string;
}

export function register(program: Command): void {
  program
    .command('reproduce')
    .description(t('cmd.reproduce.description'))
    .argument('<file>', t('cmd.reproduce.arg.file'))
    .option('--dry-run', t('cmd.reproduce.opt.dryRun'))
    .option('--target <target>', t('cmd.reproduce.opt.target'), 'local')
    .option('--expect-sha256 <hash>', t('cmd.reproduce.opt.expectSha256'))
    .option('--expires <date>', t('reproduce.expiresOption'), expiresOption)
    .option('--cohort-file <file>', t('cmd.reproduce.opt.cohortFile'))
    .action(async (file: string, opts: ReproduceOpts, cmd: Command) => {
      const g = globals(cmd);
      const lang = getLang();
      if (opts.target !== 'local') throw new UsageError(t('reproduce.targetLocal', { got: opts.target }));
      let b;
      try {
        b = await openBundle(file, await toolVersion(), { expectSha256: opts.expectSha256 });
      } catch (err) {
        if (err instanceof BundleError)
          throw new UserError(t('reproduce.refused', { file, reason: err.message }), 1, { cause: err }); // adds the file
        throw err;
      }
      const stateDir = resolveStateDir();
      const cand = b.cohort.candidates[0]!;
      const plan = b.cohort.target === 'local' ? planCandidate(b.cohort, cand) : undefined;
      const ours = imageState(stateDir);
      const diff = packageDiff(b.files.get('image/packages.txt')?.toString(), ours.packages);
      const servers = serversOf(b.cohort, cand).map((s, i) => ({
        name: s.name,
        role: s.role,
        address: plan?.servers[i]?.ip ?? '-',
        memoryMiB: s.memoryMiB,
        cpus: s.cpus,
      }));
      const summary = {
        bundle: file,
        manifestSha256: b.manifestSha256,
        cohort: b.meta.cohort,
        candidate: b.meta.candidate,
        createdAt: b.meta.createdAt,
        asdLab: b.meta.asdLab,
        tools: b.meta.tools,
        image: {
          bundle: b.meta.image.id,
          here: ours.id,
          changed: diff.changed.length,
          missing: diff.missing.length,
          extra: diff.extra.length,
        },
        network: plan ? { bridge: plan.bridge, subnet: plan.subnet } : undefined,
        servers,
        lastVerify: b.meta.lastVerify,
        warnings: b.warnings,
      };
      if (g.json && opts.dryRun) printJson(summary);
      else {
        console.log(t('reproduce.ok', { file, hash: b.manifestSha256 }, lang));
        console.log(
          t(
            'reproduce.from',
            {
              cohort: b.meta.cohort,
              candidate: b.meta.candidate,
              date: b.meta.createdAt,
              version: b.meta.asdLab.version,
              commit: b.meta.asdLab.commit.slice(0, 12),
            },
            lang,
          ),
        );
        for (const w of b.warnings) console.log(`  ! ${w}`);
        console.log(t('reproduce.image', { bundle: b.meta.image.id, here: ours.id }, lang));
        if (diff.changed.length + diff.missing.length + diff.extra.length > 0) {
          console.log(
            `  ! ${t('reproduce.imageDiff', { changed: diff.changed.length, missing: diff.missing.length, extra: diff.extra.length }, lang)}`,
          );
          for (const line of diff.changed.slice(0, 10)) console.log(`    ${line}`);
        }
        if (plan) console.log(t('reproduce.network', { bridge: plan.bridge, subnet: plan.subnet }, lang));
        for (const s of servers)
          console.log(`  ${s.name.padEnd(12)} ${s.role.padEnd(8)} ${s.address.padEnd(16)} ${s.memoryMiB} MiB, ${s.cpus} CPU`);
        if (b.meta.lastVerify)
          console.log(
            t(
              'reproduce.lastVerify',
              {
                date: b.meta.lastVerify.generatedAt,
                pass: b.meta.lastVerify.pass,
                fail: b.meta.lastVerify.fail,
                notRun: b.meta.lastVerify.notRun,
              },
              lang,
            ),
          );
      }
      if (opts.dryRun) {
        if (!g.json) console.log(t('reproduce.dryRun', {}, lang));
        return;
      }
      if (b.cohort.target !== 'local') throw new UsageError(t('up.awsNotHere'));
      // The bundle's cohort, with --expires for an old one; then the same library calls as
      // `up --candidate ID --no-verify` and `verify --candidate ID`.
      const cohortText = reproducedCohortText(b.cohortText, b.cohort, opts.expires);
      const cohort = cohortText === b.cohortText ? b.cohort : parseCohort(cohortText, 'cohort.yaml');
      const result = await reproduce(
        { cohort, cohortText },
        { cohortFile: opts.cohortFile, stateDir, progress: listrSink({ json: g.json }) },
      );
      for (const line of upSummary(result.up, result.cohortFile)) console.log(line);
      if (!result.verify) throw new UserError(t('reproduce.upFailed', { file: result.cohortFile }));
      if (g.json) printJson(result.verify);
      else console.log(renderTerminal(result.verify, lang, { width: process.stdout.columns || 160 }));
      if (reportFailed(result.verify)) process.exitCode = 1;
    });
}
