// `asd-lab bundle`: one archive to reproduce and compare a candidate's environment (no secret inside).
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { resolveStateDir } from '../../core/state.ts';
import { bundleFiles, writeBundle } from '../../evidence/bundle.ts';
import { buildDiagram, candidateStates, renderDot, renderMermaid } from '../../evidence/diagram.ts';
import { imageState, toolVersions } from '../../evidence/tools.ts';
import { loadLastVerify } from '../../evidence/verify-report/state.ts';
import { toolVersion } from '../../evidence/version.ts';
import { candidatesOf, cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('bundle')
    .description(t('cmd.bundle.description'))
    .requiredOption('--candidate <id>', t('cmd.bundle.opt.candidate'))
    .requiredOption('-o, --output <file>', t('cmd.bundle.opt.output'))
    .action(async (opts: { candidate: string; output: string }, cmd: Command) => {
      const g = globals(cmd);
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      candidatesOf(cohort, opts.candidate);
      const stateDir = resolveStateDir();
      const servers = await labServers(cohort, stateDir);
      const d = buildDiagram(cohort, candidateStates(cohort, servers, opts.candidate), 'en');
      const last = loadLastVerify(cohort.cohort, stateDir);
      const files = bundleFiles({
        cohort,
        candidate: opts.candidate,
        servers: servers.get(opts.candidate) ?? [],
        stateDir,
        version: await toolVersion(),
        tools: await toolVersions(),
        image: imageState(stateDir),
        lastVerify: last,
        diagram: { dot: renderDot(d, 'en'), mermaid: renderMermaid(d, 'en') },
      });
      const written = { ...(await writeBundle(files, opts.output)), files: [...files.keys()] };
      if (g.json)
        printJson({ file: written.file, bytes: written.bytes, manifestSha256: written.manifestSha256, files: written.files });
      else {
        console.log(t('bundle.written', { file: written.file, bytes: written.bytes, count: written.files.length }, lang));
        console.log(t('bundle.manifestHash', { hash: written.manifestSha256 }, lang));
      }
      if (!last?.candidates.some((c) => c.id === opts.candidate))
        process.stderr.write(`${t('bundle.noVerify', { candidate: opts.candidate }, lang)}\n`);
    });
}
