// Asking before a destructive command, only where someone can answer: on a terminal (stdin and
// stdout both TTYs). Scripts, CI and the tests have no terminal and are never asked; --yes skips it.
import { createInterface } from 'node:readline/promises';
import { t } from '../core/i18n/index.ts';

export interface ConfirmIO {
  /** stdin and stdout are terminals. */
  interactive: boolean;
  /** Prints the question, returns the answer line. */
  ask: (question: string) => Promise<string>;
  say: (line: string) => void;
}

/** The real terminal; under --json the list and the question go to stderr (stdout stays JSON). */
export function terminalIO(json = false): ConfirmIO {
  const out = json ? process.stderr : process.stdout;
  return {
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: out });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    say: (line) => out.write(`${line}\n`),
  };
}

/** y, yes, o, oui (either language); anything else, an empty line included, is no. */
export function isYes(answer: string): boolean {
  return ['y', 'yes', 'o', 'oui'].includes(answer.trim().toLowerCase());
}

/** Whether to go on: yes at once with --yes or without a terminal; else shows what goes and asks. */
export async function confirm(lines: string[], io: ConfirmIO, opts: { yes?: boolean } = {}): Promise<boolean> {
  if (opts.yes || !io.interactive) return true;
  for (const line of lines) io.say(line);
  return isYes(await io.ask(t('confirm.question')));
}
