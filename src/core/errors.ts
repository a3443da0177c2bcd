// The one base of asd-lab's own errors. Domain errors extend it; the CLI (src/cli/main.ts) catches
// it once, prints the message without a stack and exits with its code, so commands never re-wrap.
// Imports nothing: everything may depend on it (src/, stacks/, bench/).

/**
 * 'usage': the command line or its input is wrong (bad option or argument, unknown candidate,
 * invalid cohort file, a cohort for another target): exit 2, the same on any machine.
 * 'user': well-formed, but not possible here or now, and the user can act on it (install a tool,
 * run as root, start the server first, pick another port): exit 1.
 * 'operation': something the lab tried failed (a script, terraform, a server, a check): exit 1.
 */
export type ErrorKind = 'usage' | 'user' | 'operation';

export interface AsdErrorOptions<P = string> {
  kind?: ErrorKind;
  /** Every problem found, when there are several (the message already lists them). */
  problems?: P[];
  /** Process exit code; default from the kind (exitCodeOf). */
  exitCode?: number;
  /** A translated line printed before the message instead of the generic "error:" prefix. */
  header?: string;
  cause?: unknown;
}

/** asd-lab's exit codes (README "The command line", `asd-lab --help`). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** An operation or a check failed, or it cannot be done here (a tool missing, a server down). */
  failed: 1,
  /** Usage error or invalid input: bad option, unknown command, invalid cohort file, bad argument. */
  usage: 2,
} as const;

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
  return err.exitCode ?? (err.kind === 'usage' ? EXIT.usage : EXIT.failed);
}

/** A file or directory that is not there (as opposed to one that cannot be read). */
export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
