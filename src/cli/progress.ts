// Progress for long operations (listr2): an animated tree on a terminal, one line per step
// otherwise (CI logs), nothing with --json so that stdout stays machine-readable.
import { Listr, type ListrTask } from 'listr2';

export function tasks<Ctx = object>(list: ListrTask<Ctx>[], opts: { json?: boolean; concurrent?: boolean | number; exitOnError?: boolean } = {}) {
  const renderer = opts.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
  return new Listr<Ctx>(list, {
    concurrent: opts.concurrent ?? false,
    exitOnError: opts.exitOnError ?? true,
    renderer,
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, collapseErrors: false },
  } as never);
}
