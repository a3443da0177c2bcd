// `asd-lab reproduce`: check a bundle (checksums, format, version, secrets) and rebuild that
// candidate's environment on the local target, then verify it; --dry-run only checks and tells.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { getLang, t } from '../../core/i18n/index.ts';
import { planCandidate } from '../../targets/local/plan.ts';
import { resolveStateDir } from '../../core/state.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { serversOf } from '../../core/model/cohort.ts';
import { BundleError, openBundle, packageDiff } from '../../evidence/bundle.ts';
import { imageState } from '../../evidence/tools.ts';
import { toolVersion } from '../../evidence/version.ts';
import { globals, printJson, UserError } from '../context.ts';

interface ReproduceOpts {
  dryRun?: boolean;
  target: string;
  expectSha256?: string;
  cohortFile?: string;
}

export function register(program: Command): void {
  program
    .command('reproduce')
    .description('check a bundle and rebuild that candidate\'s environment (local target), then verify it')
    .argument('<file>', 'bundle made by `asd-lab bundle`')
    .option('--dry-run', 'check the bundle and print what would be built; build nothing')
    .option('--target <target>', 'where to rebuild (only local)', 'local')
    .option('--expect-sha256 <hash>', 'refuse the bundle unless its manifest has this SHA-256 (printed by `bundle`)')
    .option('--cohort-file <file>', 'where to write the cohort file (default: <state>/cohorts/<cohort>/reproduce-<candidate>.yaml)')
    .action(async (file: string, opts: ReproduceOpts, cmd: Command) => {
      const g = globals(cmd);
      const lang = getLang();
      if (opts.target !== 'local') throw new UserError(t('reproduce.targetLocal', { got: opts.target }), 2);
      let b;
      try {
        b = await openBundle(file, await toolVersion(), { expectSha256: opts.expectSha256 });
      } catch (err) {
        if (err instanceof BundleError) throw new UserError(t('reproduce.refused', { file, reason: err.message }), 1, { cause: err }); // adds the file
        throw err;
      }
      const stateDir = resolveStateDir();
      const cand = b.cohort.candidates[0]!;
      const plan = b.cohort.target === 'local' ? planCandidate(b.cohort, cand) : undefined;
      const ours = imageState(stateDir);
      const diff = packageDiff(b.files.get('image/packages.txt')?.toString(), ours.packages);
      const servers = serversOf(b.cohort, cand).map((s, i) => ({ name: s.name, role: s.role, address: plan?.servers[i]?.ip ?? '-', memoryMiB: s.memoryMiB, cpus: s.cpus }));
      const summary = {
        bundle: file, manifestSha256: b.manifestSha256, cohort: b.meta.cohort, candidate: b.meta.candidate,
        createdAt: b.meta.createdAt, asdLab: b.meta.asdLab, tools: b.meta.tools,
        image: { bundle: b.meta.image.id, here: ours.id, changed: diff.changed.length, missing: diff.missing.length, extra: diff.extra.length },
        network: plan ? { bridge: plan.bridge, subnet: plan.subnet } : undefined,
        servers, lastVerify: b.meta.lastVerify, warnings: b.warnings,
      };
      if (g.json && opts.dryRun) printJson(summary);
      else {
        console.log(t('reproduce.ok', { file, hash: b.manifestSha256 }, lang));
        console.log(t('reproduce.from', { cohort: b.meta.cohort, candidate: b.meta.candidate, date: b.meta.createdAt, version: b.meta.asdLab.version, commit: b.meta.asdLab.commit.slice(0, 12) }, lang));
        for (const w of b.warnings) console.log(`  ! ${w}`);
        console.log(t('reproduce.image', { bundle: b.meta.image.id, here: ours.id }, lang));
        if (diff.changed.length + diff.missing.length + diff.extra.length > 0) {
          console.log(`  ! ${t('reproduce.imageDiff', { changed: diff.changed.length, missing: diff.missing.length, extra: diff.extra.length }, lang)}`);
          for (const line of diff.changed.slice(0, 10)) console.log(`    ${line}`);
        }
        if (plan) console.log(t('reproduce.network', { bridge: plan.bridge, subnet: plan.subnet }, lang));
        for (const s of servers) console.log(`  ${s.name.padEnd(12)} ${s.role.padEnd(8)} ${s.address.padEnd(16)} ${s.memoryMiB} MiB, ${s.cpus} CPU`);
        if (b.meta.lastVerify) console.log(t('reproduce.lastVerify', { date: b.meta.lastVerify.generatedAt, pass: b.meta.lastVerify.pass, fail: b.meta.lastVerify.fail, notRun: b.meta.lastVerify.notRun }, lang));
      }
      if (opts.dryRun) {
        if (!g.json) console.log(t('reproduce.dryRun', {}, lang));
        return;
      }
      if (b.cohort.target !== 'local') throw new UserError(t('up.awsNotHere'));
      const cohortFile = resolve(opts.cohortFile ?? join(stateDir, 'cohorts', b.cohort.cohort, `reproduce-${cand.id}.yaml`));
      mkdirSync(dirname(cohortFile), { recursive: true, mode: 0o700 });
      writeFileSync(cohortFile, b.cohortText, { mode: 0o600 });
      console.log(t('reproduce.cohortFile', { file: cohortFile }, lang));
      const run = (args: string[]) => execa(process.execPath, [resolve(REPO_ROOT, 'bin/asd-lab.js'), '--lang', lang, '-c', cohortFile, ...args], { stdio: 'inherit', reject: false });
      const up = await run(['up', '--candidate', cand.id, '--no-verify']);
      if (up.exitCode !== 0) throw new UserError(t('reproduce.upFailed', { code: String(up.exitCode), file: cohortFile }));
      const v = await run(['verify', '--candidate', cand.id]);
      process.exitCode = v.exitCode ?? 1;
    });
}
