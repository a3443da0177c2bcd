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
}

/** Plain lines: each step's title when it starts, its failure when it fails. */
export function lineSink(write: (line: string) => void): ProgressSink {
  return {
    say: write,
    async group(title, steps) {
      if (title) write(title);
      for (const s of steps) {
        write(`${title ? '  ' : ''}- ${s.title}`);
        await s.run(() => undefined);
      }
    },
  };
}

/** Nothing shown: the caller reads the result. */
export const silentSink: ProgressSink = lineSink(() => undefined);
