// `asd-lab docs`: regenerates the reference documents that are derived from the code.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { competencyMap, renderMarkdown } from '../../competencies/map.ts';
import { renderFlowsDoc } from '../../core/flows.ts';
import { cohortJsonSchema, projectJsonSchema, renderCohortDoc, renderProjectDoc } from '../../core/model/docs.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { globals, printJson } from '../context.ts';
import { renderReportJsonSchema } from '../../evidence/verify-report/schema.ts';

/** Every generated document: path from the repository root, and its content. */
export function generatedDocs(): [string, string][] {
  return [
    ['docs/competencies.md', renderMarkdown(competencyMap())],
    ['docs/cohort.md', renderCohortDoc()],
    ['docs/flows.md', renderFlowsDoc()],
    ['docs/cohort.schema.json', `${JSON.stringify(cohortJsonSchema(), null, 2)}\n`],
    // hand-written around its generated field table: the current file is the template
    ['docs/project.md', renderProjectDoc(readFileSync(resolve(REPO_ROOT, 'docs/project.md'), 'utf8'))],
    ['docs/project.schema.json', `${JSON.stringify(projectJsonSchema(), null, 2)}\n`],
    ['docs/verify-report.schema.json', renderReportJsonSchema()],
  ];
}

/** Writes every generated document under root; says for each whether its content changed. */
export function writeGeneratedDocs(root = REPO_ROOT): { path: string; changed: boolean }[] {
  return generatedDocs().map(([path, content]) => {
    const file = resolve(root, path);
    const changed = !existsSync(file) || readFileSync(file, 'utf8') !== content;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return { path, changed };
  });
}

export function register(program: Command): void {
  program
    .command('docs')
    .description(t('cmd.docs.description'))
    .action((_opts, cmd: Command) => {
      const files = writeGeneratedDocs();
      if (globals(cmd).json) printJson({ files });
      else for (const f of files) console.log(f.path);
    });
}
