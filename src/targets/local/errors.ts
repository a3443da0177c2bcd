// Errors of the local target that a trainer can act on. The CLI prints the message without a stack.
import { AsdError, type AsdErrorOptions } from '../../core/errors.ts';
// Kind 'user' by default (a host prerequisite, a subnet, a candidate); a failed script says 'operation'.
export class LocalError extends AsdError {
  /** Every problem found (preflight reports them all at once); message joins them. */
  declare readonly problems: string[];

  constructor(problems: string | string[], header?: string, opts: AsdErrorOptions = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    // The header stays inside the message (printed as "error: <header>" then "  - ..."), as before.
    super(header ? [header, ...list.map((p) => `  - ${p}`)].join('\n') : list.join('\n'), {
      kind: 'user',
      ...opts,
      problems: list,
    });
  }
}
