// `asd-lab project validate [DIR]`: a candidate's own project (asd-project.yaml) checked against its
// schema (exit 2) and against what the lab can meet (exit 1, every need listed); nothing is deployed.
import type { Command } from 'commander';
import { t } from '../../core/i18n/index.ts';
import { ProjectNeedsError, validateProject, validationJson } from '../../modules/project/validate.ts';
import { candidatesOf, cohortOf, globals, printJson } from '../context.ts';

export function register(program: Command): void {
  const project = program.command('project').description(t('cmd.project.description'));
  project
    .command('validate')
    .description(t('cmd.project.validate.description'))
    .argument('[dir]', t('cmd.project.validate.arg.dir'), '.')
    .option('--candidate <id>', t('cmd.project.validate.opt.candidate'))
    .action(async (dir: string, opts: { candidate?: string }, cmd: Command) => {
      const { cohort } = cohortOf(cmd);
      const result = await validateProject(dir, cohort, candidatesOf(cohort, opts.candidate));
      if (result.needs.length > 0) throw new ProjectNeedsError(result);
      if (globals(cmd).json) printJson(validationJson(result));
      else
        console.log(
          t('project.ok', {
            file: result.file,
            name: result.project.name,
            candidates: result.candidates.join(', '),
            competencies: result.project.competencies.join(', '),
          }),
        );
    });
}
