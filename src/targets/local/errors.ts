// Errors of the local target that a trainer can act on. The CLI prints the message without a stack.
export class LocalError extends Error {
  /** Every problem found (preflight reports them all at once); message joins them. */
  readonly problems: string[];

  constructor(problems: string | string[], header?: string) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(header ? [header, ...list.map((p) => `  - ${p}`)].join('\n') : list.join('\n'));
    this.name = 'LocalError';
    this.problems = list;
  }
}
