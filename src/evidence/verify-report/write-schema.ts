// Regenerates docs/verify-report.schema.json from the zod schema (test/report.test.ts fails when stale):
//   node --import tsx src/evidence/verify-report/write-schema.ts
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../core/repo.ts';
import { renderReportJsonSchema } from './schema.ts';

export const REPORT_SCHEMA_FILE = 'docs/verify-report.schema.json';

writeFileSync(resolve(REPO_ROOT, REPORT_SCHEMA_FILE), renderReportJsonSchema());
console.log(REPORT_SCHEMA_FILE);
