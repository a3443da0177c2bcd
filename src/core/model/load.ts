// Reading a cohort file: YAML syntax, then the schema; the expiry check (it needs "now") only when
// asked, because only creating or growing a lab must stop once a course is over: `down`, `status`,
// `bundle`... must keep working on an expired cohort (cleanup is needed exactly then).
// All problems are collected and reported at once, each with the file and the field path.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { AsdError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { DEFAULT_COHORT_FILE } from '../repo.ts';
import { cohortSchema, crossFieldProblems, type Cohort } from './cohort.ts';

export interface Problem {
  path: string;
  message: string;
}

/** A cohort file that cannot be used, every problem at once (kind 'usage': exit 2); main prints the count as header. */
export class CohortError extends AsdError<Problem> {
  declare readonly problems: Problem[];

  constructor(
    readonly file: string,
    problems: Problem[],
  ) {
    super(problems.map((p) => `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'), {
      kind: 'usage',
      problems,
      header: t('model.invalidHeader', { count: problems.length }),
    });
  }

  /** `validate --json` and every command given --json: the same document as a valid file's, valid false. */
  override jsonReport(): unknown {
    return { file: this.file, valid: false, problems: this.problems };
  }
}

/** `candidates[2].id` from zod's ['candidates', 2, 'id']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

function problemsOf(error: z.ZodError): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...issue.path, key]), message: t('model.unknownKey', { key }) });
      }
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

export interface LoadOptions {
  /** Today, for the expiry check (tests pin it). */
  now?: Date;
  /** Refuse a cohort whose `expires` is past (`up` only). */
  refuseExpired?: boolean;
}

/** The `expires` problem of a cohort past its last day, else undefined. */
export function expiryProblem(cohort: Pick<Cohort, 'expires'>, now: Date = new Date()): Problem | undefined {
  const today = now.toISOString().slice(0, 10);
  if (!cohort.expires || cohort.expires >= today) return undefined;
  return { path: 'expires', message: t('model.expired', { expires: cohort.expires, today }) };
}

/** Throws the CohortError (key model.expired, field `expires`) when the cohort is past its last day. */
export function assertNotExpired(cohort: Pick<Cohort, 'expires'>, file: string, now?: Date): void {
  const problem = expiryProblem(cohort, now);
  if (problem) throw new CohortError(file, [problem]);
}

/** Parse and validate cohort text; throws CohortError listing every problem. */
export function parseCohort(text: string, file: string, opts: LoadOptions = {}): Cohort {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new CohortError(
      file,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : '',
        message: t('model.yaml', { detail: e.message.split('\n')[0] ?? e.code }),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CohortError(file, [{ path: '', message: t('model.notMapping') }]);
  }
  const result = cohortSchema.safeParse(raw);
  const problems = result.success ? [] : problemsOf(result.error);
  for (const p of crossFieldProblems(raw as Record<string, unknown>)) {
    problems.push({ path: formatPath(p.path), message: p.message });
  }
  if (!result.success || problems.length > 0) throw new CohortError(file, problems);
  const cohort = result.data;
  if (opts.refuseExpired) assertNotExpired(cohort, file, opts.now);
  return cohort;
}

/** Load a cohort file (the embedded default when none is given). */
export function loadCohort(file: string | undefined, opts: LoadOptions = {}): { cohort: Cohort; file: string } {
  const path = file ?? DEFAULT_COHORT_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CohortError(path, [{ path: '', message: t('model.unreadable', { code }) }]);
  }
  return { cohort: parseCohort(text, path, opts), file: path };
}
