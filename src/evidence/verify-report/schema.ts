// The verify report as a versioned document (`asd-lab verify --json`, the lab state, bundles).
// The zod schema is the reference: docs/verify-report.schema.json is generated from it (a test
// compares them) and every report the tool writes is validated against it.
//
// Version 1 keeps the original shape {"candidates":[{"id","checks":[{"competency","criterion",
// "check","status","evidence"}]}]} and adds metadata, per-check timing and criteria coverage.
import { z } from 'zod';

export const REPORT_SCHEMA_VERSION = 1;

export const checkStatus = z.enum(['pass', 'fail', 'not-run']);

export const checkRecordSchema = z.object({
  competency: z.string().describe('competency id, e.g. CP3'),
  criterion: z.string().describe('official (French) title of the performance criterion'),
  criterionId: z.string().describe('criterion id of the registry, e.g. CP3.2'),
  check: z.string().describe('check id, with the server in parentheses for per-server checks'),
  status: checkStatus,
  evidence: z.string().describe('what the check saw: command output excerpt, values, reason of a not-run'),
  server: z.string().optional().describe('server name when the check ran on one server'),
  startedAt: z.string().optional().describe('ISO 8601 time the check started'),
  durationMs: z.number().optional().describe('how long the check took, in milliseconds'),
});

export const criterionCoverageSchema = z.object({
  competency: z.string(),
  criterionId: z.string(),
  title: z.string().describe('official French title'),
  gloss: z.string().describe('English gloss'),
  status: checkStatus.describe('fail if a check failed; pass if a check passed and none failed; else not-run'),
  reason: z.string().optional().describe('why not-run: "no check yet", "every check not-run", "candidate unreachable"'),
  pass: z.number().int(),
  fail: z.number().int(),
  notRun: z.number().int(),
});

export const candidateReportSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  reachable: z.boolean().describe('false when no server of the candidate answered: checks were not run'),
  error: z.string().optional().describe('why the candidate could not be checked'),
  startedAt: z.string(),
  finishedAt: z.string(),
  servers: z.array(z.object({ name: z.string(), role: z.string(), state: z.string(), address: z.string() })),
  checks: z.array(checkRecordSchema),
  criteria: z.array(criterionCoverageSchema).describe('every criterion of CP1-CP10, covered by a check or not'),
  summary: z.object({
    pass: z.number().int(),
    fail: z.number().int(),
    notRun: z.number().int(),
    criteriaPassed: z.number().int(),
    criteriaFailed: z.number().int(),
    criteriaNotRun: z.number().int(),
  }),
});

export const verifyReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION).describe('incremented on any incompatible change'),
  generatedAt: z.string().describe('ISO 8601 time the report was written'),
  asdLab: z.object({
    version: z.string().describe('package.json version'),
    commit: z.string().describe('git commit of the tool ("unknown" outside a git checkout)'),
    dirty: z.boolean().describe('the work tree had uncommitted changes'),
  }),
  cohort: z.string(),
  target: z.string(),
  candidates: z.array(candidateReportSchema),
});

export type CheckRecordV1 = z.infer<typeof checkRecordSchema>;
export type CriterionCoverage = z.infer<typeof criterionCoverageSchema>;
export type CandidateReport = z.infer<typeof candidateReportSchema>;
export type VerifyReportV1 = z.infer<typeof verifyReportSchema>;

/** docs/verify-report.schema.json. */
export function reportJsonSchema(): unknown {
  return {
    $id: 'urn:asd-lab:verify-report:1',
    title: 'asd-lab verify report',
    ...(z.toJSONSchema(verifyReportSchema, { unrepresentable: 'any' }) as object),
  };
}

export function renderReportJsonSchema(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}

/** Parse a report read from disk or a bundle; throws with the zod issues when it is not one. */
export function parseReport(value: unknown): VerifyReportV1 {
  return verifyReportSchema.parse(value);
}
