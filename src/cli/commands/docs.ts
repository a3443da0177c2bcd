// `asd-lab docs`: regenerates the reference documents that are derived from the code.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { competencyMap, renderMarkdown } from '../../competencies/map.ts';
import { renderFlowsDoc } from '../../core/flows.ts';
import { cohortJsonSchema, renderCohortDoc } from '../../core/model/docs.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { renderReportJsonSchema } from '../../evidence/verify-report/schema.ts';

/** Every generated document: path from the repository root, and its content. */
export function generatedDocs(): [string, string][] {
  return [
    ['docs/competencies.md', renderMarkdown(competencyMap())],
    ['docs/cohort.md', renderCohortDoc()],
    ['docs/flows.md', renderFlowsDoc()],
    ['docs/cohort.schema.json', `${JSON.stringify(cohortJsonSchema(), null, 2)}\n`],
    ['docs/verify-report.schema.json', renderReportJsonSchema()],
  ];
}

export function register(program: Command): void {
  program
    .command('docs')
    .description(
      'regenerate docs/competencies.md, docs/cohort.md, docs/flows.md, docs/cohort.schema.json and docs/verify-report.schema.json from the code',
    )
    .action(() => {
      for (const [path, content] of generatedDocs()) {
        writeFileSync(resolve(REPO_ROOT, path), content);
        console.log(path);
      }
    });
}
