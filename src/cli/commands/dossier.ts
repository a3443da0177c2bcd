// `asd-lab dossier`: the candidate's project-file skeleton (Markdown and HTML) with the diagram.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { getLang, t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import {
  buildDiagram,
  candidateStates,
  DotMissingError,
  inlineSvg,
  renderDot,
  renderMermaid,
  renderWithDot,
} from '../../evidence/diagram.ts';
import { toHtml, toMarkdown } from '../../evidence/doc.ts';
import { dossierBlocks } from '../../evidence/dossier.ts';
import { toolVersions } from '../../evidence/tools.ts';
import { loadLastVerify } from '../../evidence/verify-report/state.ts';
import { toolVersion } from '../../evidence/version.ts';
import { candidatesOf, cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  program
    .command('dossier')
    .description(t('cmd.dossier.description'))
    .requiredOption('--candidate <id>', t('cmd.dossier.opt.candidate'))
    .option('-o, --output <dir>', t('cmd.dossier.opt.output'))
    .option('--repo-url <url>', t('cmd.dossier.opt.repoUrl'))
    .action(async (opts: { candidate: string; output?: string; repoUrl?: string }, cmd: Command) => {
      const lang = getLang();
      const { cohort } = cohortOf(cmd);
      candidatesOf(cohort, opts.candidate);
      const outDir = opts.output ?? `dossier-${opts.candidate}`;
      mkdirSync(outDir, { recursive: true });
      const servers = await labServers(cohort);
      const d = buildDiagram(cohort, candidateStates(cohort, servers, opts.candidate), lang);
      const mermaid = renderMermaid(d, lang);
      let diagramFile: string | undefined;
      let diagramSvg: string | undefined;
      try {
        const svg = (await renderWithDot(renderDot(d, lang), 'svg')).toString();
        writeFileSync(join(outDir, 'diagram.svg'), svg);
        diagramFile = 'diagram.svg';
        diagramSvg = inlineSvg(svg);
      } catch (err) {
        if (!(err instanceof DotMissingError)) throw err;
        process.stderr.write(`${t('diagram.noDotHtml', {}, lang)}\n`);
      }
      writeFileSync(join(outDir, 'diagram.mmd'), mermaid);
      const last = loadLastVerify(cohort.cohort)?.candidates.find((c) => c.id === opts.candidate);
      const input = {
        cohort,
        candidate: opts.candidate,
        servers: servers.get(opts.candidate) ?? [],
        last,
        version: await toolVersion(),
        tools: await toolVersions(),
        lang,
        outDir,
        repoUrl: opts.repoUrl,
        diagramFile,
        mermaid,
      };
      writeFileSync(join(outDir, 'dossier.md'), toMarkdown(dossierBlocks(input)));
      const title = t('dossier.title', { candidate: opts.candidate }, lang);
      writeFileSync(join(outDir, 'dossier.html'), toHtml(title, lang, dossierBlocks({ ...input, diagramSvg })));
      if (globals(cmd).json) {
        const files = ['dossier.md', 'dossier.html', 'diagram.mmd', ...(diagramFile ? [diagramFile] : [])];
        printJson({
          candidate: opts.candidate,
          dir: outDir,
          files: files.map((f) => join(outDir, f)),
          lastVerify: last !== undefined,
        });
        return;
      }
      console.log(t('dossier.written', { dir: outDir }, lang));
      if (!last) console.log(t('dossier.noVerify', {}, lang));
    });
}
