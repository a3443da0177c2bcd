// Reading a model file: the cohort here, a project's asd-project.yaml in ./project.ts, with the
// same machinery. YAML syntax, then the schema; for a cohort the expiry check (it needs "now") only when
// asked, because only creating or growing a lab must stop once a course is over: `down`, `status`,
// `bundle`... must keep working on an expired cohort (cleanup is needed exactly then).
// All problems are collected and reported at once, each with the file, its line:col (the yaml
// package's own node ranges) and the field path.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Document, isMap, isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { AsdError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { DEFAULT_COHORT_FILE } from '../repo.ts';
import { cohortSchema, crossFieldProblems, type Cohort } from './cohort.ts';

export interface Problem {
  path: string;
  message: string;
  /** 1-based position in the file of the node the problem is about (absent when there is no file position). */
  line?: number;
  col?: number;
}

/** `file:line:col: path: message` (the path is left out when it only repeats the line). */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  const path = p.path && p.path !== `line ${p.line}` ? `${p.path}: ` : '';
  return `${where}: ${path}${p.message}`;
}

/**
 * A model file (the cohort, a project's asd-project.yaml) that cannot be used, every problem at
 * once (kind 'usage': exit 2); main prints the header line, then one problem per line.
 */
export class ModelFileError extends AsdError<Problem> {
  declare readonly problems: Problem[];

  constructor(
    readonly file: string,
    problems: Problem[],
    header: string,
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'), { kind: 'usage', problems, header });
  }

  /** `validate --json` and every command given --json: the same document as a valid file's, valid false. */
  override jsonReport(): unknown {
    return { file: this.file, valid: false, problems: this.problems };
  }
}

/** A cohort file that cannot be used, every problem at once (kind 'usage': exit 2). */
export class CohortError extends ModelFileError {
  constructor(file: string, problems: Problem[]) {
    super(file, problems, t('model.invalidHeader', { count: problems.length }));
  }
}

/** `candidates[2].id` from zod's ['candidates', 2, 'id']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest known key when it is close (a typo, a case slip), else undefined. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    // Case differences count for little: "sshkey" is surely "sshKey".
    const d = k.toLowerCase() === key.toLowerCase() ? 0.5 : editDistance(key, k);
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? best.k : undefined;
}

interface ZodDefLike {
  type: string;
  shape?: Record<string, { _zod: { def: ZodDefLike } }>;
  innerType?: { _zod: { def: ZodDefLike } };
  in?: { _zod: { def: ZodDefLike } };
  element?: { _zod: { def: ZodDefLike } };
}

/** The keys the schema knows for the object at a document path (for "did you mean"). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const unwrap = (d: ZodDefLike): ZodDefLike => {
    for (;;) {
      const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
      if (!inner) return d;
      d = inner._zod.def;
    }
  };
  let def: ZodDefLike | undefined = unwrap((schema as unknown as { _zod: { def: ZodDefLike } })._zod.def);
  for (const seg of path) {
    if (!def) return [];
    const next: { _zod: { def: ZodDefLike } } | undefined = typeof seg === 'number' ? def.element : def.shape?.[String(seg)];
    def = next ? unwrap(next._zod.def) : undefined;
  }
  return def?.shape ? Object.keys(def.shape) : [];
}

/** Where a document path is in the file: its node, else its deepest existing parent. */
function positionOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[], keyOf?: string): Pick<Problem, 'line' | 'col'> {
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lc.linePos(offset);
    return { line, col };
  };
  const segs = path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  for (let n = segs.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
    if (!isNode(node)) continue;
    // An unknown key: point at the key itself, not at its parent mapping.
    if (keyOf !== undefined && n === segs.length && isMap(node)) {
      const pair = node.items.find((it) => isNode(it.key) && String((it.key as { value?: unknown }).value) === keyOf);
      if (pair && isNode(pair.key)) return at(pair.key.range?.[0]);
    }
    return at(node.range?.[0]);
  }
  return {};
}

/** Where a field path is in the file being read (line and column, 1-based). */
export type Locate = (path: readonly PropertyKey[], key?: string) => Pick<Problem, 'line' | 'col'>;

function problemsOf(error: z.ZodError, where: Locate, schema: z.ZodType, unknownKey: (key: string) => string): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = closestKey(key, known);
        out.push({
          path: formatPath([...issue.path, key]),
          message: suggestion ? t('model.unknownKeyDidYouMean', { key, suggestion }) : unknownKey(key),
          ...where(issue.path, key),
        });
      }
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message, ...where(issue.path) });
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
export function assertNotExpired(
  cohort: Pick<Cohort, 'expires'>,
  file: string,
  now?: Date,
  where: Pick<Problem, 'line' | 'col'> = {},
): void {
  const problem = expiryProblem(cohort, now);
  if (problem) throw new CohortError(file, [{ ...problem, ...where }]);
}

/** What differs between the model files read here: their schema, cross-field checks and texts. */
export interface ModelFileSpec<S extends z.ZodType> {
  schema: S;
  /** Checks across fields, on the raw document, run even when the schema failed (every problem at once). */
  crossField?: (raw: Record<string, unknown>) => { path: (string | number)[]; message: string }[];
  /** The error that lists the problems of a file. */
  error: (file: string, problems: Problem[]) => ModelFileError;
  /** The message when the document is not a mapping. */
  notMapping: () => string;
  /** The message of an unknown key with no close known key. */
  unknownKey: (key: string) => string;
}

/** A valid model file: its value, and where each of its fields is in the file. */
export interface ParsedModelFile<T> {
  value: T;
  where: Locate;
}

/**
 * Parse and validate the YAML text of a model file: syntax, then the schema and the cross-field
 * checks, every problem with its line:col and field path, in the order of the file; throws the
 * spec's error listing them.
 */
export function parseModelFile<S extends z.ZodType>(
  text: string,
  file: string,
  spec: ModelFileSpec<S>,
): ParsedModelFile<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  if (doc.errors.length > 0) {
    throw spec.error(
      file,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : '',
        // The position is printed in front: not again at the end of the detail.
        message: t('model.yaml', { detail: (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '') }),
        ...(e.linePos ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
      })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw spec.error(file, [{ path: '', message: spec.notMapping() }]);
  }
  const where: Locate = (path, key) => positionOf(doc, lineCounter, path, key);
  const result = spec.schema.safeParse(raw);
  const problems = result.success ? [] : problemsOf(result.error, where, spec.schema, spec.unknownKey);
  for (const p of spec.crossField?.(raw as Record<string, unknown>) ?? []) {
    problems.push({ path: formatPath(p.path), message: p.message, ...where(p.path) });
  }
  // In the order of the file, so that the list reads top to bottom.
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (!result.success || problems.length > 0) throw spec.error(file, problems);
  return { value: result.data as z.output<S>, where };
}

const COHORT_FILE_SPEC: ModelFileSpec<typeof cohortSchema> = {
  schema: cohortSchema,
  crossField: crossFieldProblems,
  error: (file, problems) => new CohortError(file, problems),
  notMapping: () => t('model.notMapping'),
  unknownKey: (key) => t('model.unknownKey', { key }),
};

/** Parse and validate cohort text; throws CohortError listing every problem. */
export function parseCohort(text: string, file: string, opts: LoadOptions = {}): Cohort {
  const { value: cohort, where } = parseModelFile(text, file, COHORT_FILE_SPEC);
  if (opts.refuseExpired) assertNotExpired(cohort, file, opts.now, where(['expires']));
  return cohort;
}

/** How the cohort file was chosen, in precedence order. */
export type CohortSource = 'flag' | 'env' | 'cwd' | 'embedded';

/** The name looked for in the current directory when neither -c nor $ASD_LAB_COHORT is given. */
export const CWD_COHORT_FILE = 'asd-lab.yaml';

/**
 * Which cohort file a command uses: -c FILE, else $ASD_LAB_COHORT, else ./asd-lab.yaml, else the
 * embedded solo cohort. A missing $ASD_LAB_COHORT file is an error (a typo there must not silently
 * fall back to another lab); a missing -c file is reported when it is read.
 */
export function resolveCohortFile(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): { file: string; source: CohortSource } {
  if (flag) return { file: flag, source: 'flag' };
  const fromEnv = env.ASD_LAB_COHORT;
  if (fromEnv) {
    const file = resolve(cwd, fromEnv);
    if (!existsSync(file)) throw new CohortError(fromEnv, [{ path: '', message: t('model.envMissing', { file: fromEnv }) }]);
    return { file: fromEnv, source: 'env' };
  }
  const local = join(cwd, CWD_COHORT_FILE);
  if (existsSync(local)) return { file: local, source: 'cwd' };
  return { file: DEFAULT_COHORT_FILE, source: 'embedded' };
}

/** The line `up` and `down` print first: which cohort file, and why that one. */
export function cohortSourceLine(file: string, source: CohortSource): string {
  const how = {
    flag: t('cohortFile.flag'),
    env: t('cohortFile.env'),
    cwd: t('cohortFile.cwd', { name: CWD_COHORT_FILE }),
    embedded: t('cohortFile.embedded', { name: CWD_COHORT_FILE }),
  }[source];
  return t('cohortFile.using', { file, how });
}

/** Load a cohort file; without one, the file resolveCohortFile picks (the embedded solo cohort at the end). */
export function loadCohort(
  file: string | undefined,
  opts: LoadOptions = {},
): { cohort: Cohort; file: string; source: CohortSource } {
  const { file: path, source } = resolveCohortFile(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CohortError(path, [{ path: '', message: t('model.unreadable', { code }) }]);
  }
  return { cohort: parseCohort(text, path, opts), file: path, source };
}
