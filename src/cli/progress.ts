// Progress for long operations (listr2): an animated tree on a terminal, one line per step
// otherwise (CI logs), nothing with --json so that stdout stays machine-readable.
import { Listr, type ListrTask } from 'listr2';
import type { ProgressSink } from '../lifecycle/index.ts';

export function tasks<Ctx = object>(
  list: ListrTask<Ctx>[],
  opts: { json?: boolean; concurrent?: boolean | number; exitOnError?: boolean } = {},
) {
  const renderer = opts.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
  return new Listr<Ctx>(list, {
    concurrent: opts.concurrent ?? false,
    exitOnError: opts.exitOnError ?? true,
    renderer,
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, collapseErrors: false },
  } as never);
}

/** The lifecycle's progress as listr2 task trees; messages go to stderr under --json. */
export function listrSink(opts: { json?: boolean }): ProgressSink {
  return {
    say: (line) => (opts.json ? process.stderr.write(`${line}\n`) : console.log(line)),
    async group(title, steps) {
      const list: ListrTask[] = steps.map((s) => ({
        title: s.title,
        task: (_ctx, task) => s.run((line) => (task.output = line)),
      }));
      const top: ListrTask[] = title ? [{ title, task: (_ctx, task) => task.newListr(list, { exitOnError: true }) }] : list;
      await tasks(top, { json: opts.json }).run();
    },
    async groups(groups, concurrency) {
      const errors: (Error | undefined)[] = groups.map(() => undefined);
      const top: ListrTask[] = groups.map((g, i) => ({
        title: g.title,
        task: (_ctx, task) =>
          task.newListr(
            g.steps.map((s) => ({
              title: s.title,
              task: async (_c, sub) => {
                try {
                  await s.run((line) => (sub.output = line));
                } catch (err) {
                  errors[i] ??= err as Error;
                  throw err;
                }
              },
            })),
            { exitOnError: true },
          ),
      }));
      // A failed candidate is recorded in errors, not thrown: the other candidates go on.
      await tasks(top, { json: opts.json, concurrent: concurrency, exitOnError: false })
        .run()
        .catch(() => undefined); // each group's error is in errors
      return errors;
    },
  };
}
