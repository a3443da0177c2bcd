// CP8.2: what the pipeline found in pre-production reaches the developers as a report. Read from
// the runs `asd-lab pipeline run` left in STATE/pipeline/<time>/ (pipeline-run.json and .md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveStateDir, statePaths } from '../../core/state.ts';
import type { CheckDefinition } from '../../checks/types.ts';
import type { RunReport } from './run.ts';

/** The runs of the pipeline for a candidate, newest first (a run without --candidate counts for all). */
export function candidateRuns(runsDir: string, candidate: string): RunReport[] {
  if (!existsSync(runsDir)) return [];
  const out: RunReport[] = [];
  for (const name of readdirSync(runsDir).sort().reverse()) {
    const file = join(runsDir, name, 'pipeline-run.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
    const at = r.labArgs.indexOf('--candidate');
    if (at === -1 || r.labArgs[at + 1] === candidate) out.push({ ...r, reportDir: join(runsDir, name) });
  }
  return out;
}

export const preprodDefectsReported: CheckDefinition = {
  id: 'preprod-defects-reported',
  criterion: 'CP8.2',
  path: 'src/modules/pipeline/checks.ts',
  description:
    "the last pipeline run that reached pre-production left the developers a report (pipeline-run.md) giving the pre-production stage's outcome, with its log and, on failure, the failed stage",
  run: async (ctx) => {
    const runs = candidateRuns(statePaths(resolveStateDir()).pipelineRuns, ctx.candidate.id);
    const run = runs.find((r) => r.stages.some((s) => s.id === 'deploy-preprod' && s.status !== 'not-run'));
    if (!run) return [{ status: 'not-run', evidence: 'no pipeline run reached pre-production (asd-lab pipeline run)' }];
    const stage = run.stages.find((s) => s.id === 'deploy-preprod')!;
    const md = join(run.reportDir, 'pipeline-run.md');
    const problems: string[] = [];
    const text = existsSync(md) ? readFileSync(md, 'utf8') : '';
    if (!text) problems.push(`no report ${md}`);
    else if (!text.includes(`| ${stage.title} |`)) problems.push(`${md} does not give the pre-production stage`);
    if (!stage.log || !existsSync(join(run.reportDir, stage.log))) problems.push('the pre-production stage left no log');
    if (stage.status === 'failed' && !(run.failedStage === 'deploy-preprod' && text.includes('**FAILED**')))
      problems.push('the pre-production failure is not in the report');
    return [
      {
        status: problems.length ? 'fail' : 'pass',
        evidence: problems.length
          ? problems.join('; ')
          : `${md}: pre-production ${stage.status} (${run.version}, ${run.finishedAt}), log ${stage.log}; run ${run.result}`,
      },
    ];
  },
};

export const PIPELINE_CHECKS: CheckDefinition[] = [preprodDefectsReported];
