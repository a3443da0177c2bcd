// How a long operation reports its progress without knowing who watches: the CLI renders it as a
// live task tree (listr2), the tests, benchmarks and `reproduce` as plain lines.

/** One step of an operation; `update` shows its latest output line (a script's progress, say). */
export interface Step {
  title: string;
  run(update: (line: string) => void): Promise<void>;
}

export interface ProgressSink {
  /** A message outside any step (what is installed, which file is used...). */
  say(line: string): void;
  /**
   * Runs steps in order under a title (a candidate), or at the top level without one. Rejects with
   * the first step's error; the steps after it do not run.
   */
  group(title: string | undefined, steps: Step[]): Promise<void>;
  /**
   * Runs several titled groups, at most `concurrency` at a time; each group's steps stay in order
   * and a failed group does not stop the others. Resolves with each group's error (or undefined).
   */
  groups(groups: { title: string; steps: Step[] }[], concurrency: number): Promise<(Error | undefined)[]>;
}

/** Runs `jobs` at most `limit` at a time; resolves with each one's error, in order. */
export async function pool(jobs: (() => Promise<void>)[], limit: number): Promise<(Error | undefined)[]> {
  const errors: (Error | undefined)[] = new Array(jobs.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      try {
        await jobs[i]!();
      } catch (err) {
        errors[i] = err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return errors;
}

/** Plain lines: each step's title when it starts, its failure when it fails. */
export function lineSink(write: (line: string) => void): ProgressSink {
  const sink: ProgressSink = {
    say: write,
    async group(title, steps) {
      if (title) write(title);
      for (const s of steps) {
        write(`${title ? '  ' : ''}- ${s.title}`);
        await s.run(() => undefined);
      }
    },
    // Concurrent groups interleave their lines: each line names its group.
    groups: (groups, concurrency) =>
      pool(
        groups.map((g) => async () => {
          for (const s of g.steps) {
            write(`${g.title}: ${s.title}`);
            await s.run(() => undefined);
          }
        }),
        concurrency,
      ),
  };
  return sink;
}

/** Nothing shown: the caller reads the result. */
export const silentSink: ProgressSink = lineSink(() => undefined);
