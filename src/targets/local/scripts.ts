// Runs the scripts of scripts/: they are the single source of the local target's behaviour; this
// module only passes arguments and turns their failures into LocalError.
import path from 'node:path';
import { execa, ExecaError } from 'execa';
import { t } from '../../core/i18n/index.ts';
import { SCRIPTS_DIR } from '../../core/repo.ts';
import { ownedCommand } from '../../tools/owned.ts';
import { LocalError } from './errors.ts';

export { SCRIPTS_DIR } from '../../core/repo.ts';

export interface RunOptions {
  scriptsDir?: string;
  /** Receives each line the script prints (progress), stdout and stderr alike. */
  onLine?: (line: string) => void;
}

/** Run scripts/<script> with args; resolves to its stdout, rejects with LocalError (its error lines). */
export async function runScript(script: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const file = path.join(opts.scriptsDir ?? SCRIPTS_DIR, script);
  // Through their interpreter: a checkout that lost the executable bits still works.
  const interpreter = script.endsWith('.py') ? 'python3' : 'bash';
  const sub = execa(...ownedCommand(interpreter, [file, ...args]), { all: true, stdin: 'ignore' });
  if (opts.onLine) {
    let rest = '';
    sub.all?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) opts.onLine!(l);
    });
    sub.all?.on('end', () => rest && opts.onLine!(rest));
  }
  try {
    return (await sub).stdout;
  } catch (e) {
    if (e instanceof ExecaError) {
      const errors = String(e.stderr ?? '')
        .split('\n')
        .filter((l) => /error:/.test(l));
      const detail = errors.length
        ? errors.join('\n')
        : String(e.all ?? e.shortMessage)
            .split('\n')
            .slice(-5)
            .join('\n');
      throw new LocalError(t('local.scriptFailed', { script, detail }));
    }
    throw e;
  }
}
