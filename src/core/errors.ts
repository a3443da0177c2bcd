// The one base of asd-lab's own errors. Domain errors extend it; the CLI (src/cli/main.ts) catches
// it once, prints the message without a stack and exits with its code, so commands never re-wrap.
// Imports nothing: everything may depend on it (src/, stacks/, bench/).

/**
 * 'user': bad input, or a situation the user can act on (fix the cohort, install a tool, pick
 * another port). 'operation': something the lab tried failed (a script, terraform, a server).
 */
export type ErrorKind = 'user' | 'operation';

export interface AsdErrorOptions<P = string> {
  kind?: ErrorKind;
  /** Every problem found, when there are several (the message already lists them). */
  problems?: P[];
  /** Process exit code; default 1 (DEFAULT_EXIT_CODE). */
  exitCode?: number;
  /** A translated line printed before the message instead of the generic "error:" prefix. */
  header?: string;
  cause?: unknown;
}

/** Exit code of an AsdError without its own: today every kind exits 1 (tests assert it). */
export const DEFAULT_EXIT_CODE = 1;

export class AsdError<P = string> extends Error {
  readonly kind: ErrorKind;
  readonly problems?: P[];
  readonly exitCode?: number;
  readonly header?: string;

  constructor(message: string, opts: AsdErrorOptions<P> = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.kind = opts.kind ?? 'operation';
    if (opts.problems !== undefined) this.problems = opts.problems;
    if (opts.exitCode !== undefined) this.exitCode = opts.exitCode;
    if (opts.header !== undefined) this.header = opts.header;
  }

  /** What `--json` prints on stdout when this error ends a command; undefined: nothing. */
  jsonReport(): unknown {
    return undefined;
  }
}

export function exitCodeOf(err: AsdError<unknown>): number {
  return err.exitCode ?? DEFAULT_EXIT_CODE;
}

/** A file or directory that is not there (as opposed to one that cannot be read). */
export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
