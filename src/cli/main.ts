// The asd-lab command line. Each command lives in its own module under ./commands and registers
// itself on the program; this file only wires the global options and turns errors into exit codes.
import { Command, CommanderError, Option } from 'commander';
import { getLang, setLang, t, type Lang } from '../core/i18n/index.ts';
import { toolVersion, versionLine } from '../evidence/version.ts';
import { AsdError, exitCodeOf } from '../core/errors.ts';
import { COMMANDS } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  // --lang must take effect before the help texts are built.
  const langIdx = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  if (langIdx >= 0) {
    const value = argv[langIdx]!.includes('=') ? argv[langIdx]!.split('=')[1] : argv[langIdx + 1];
    if (value === 'fr' || value === 'en') setLang(value as Lang);
  }
  // --version is a program option only before any command: after one it is that command's own
  // (`app deploy --version v1`), and commander would otherwise take it for the program's anywhere.
  if (versionAsked(argv.slice(2))) {
    const v = await toolVersion();
    process.stdout.write(
      `${argv.includes('--json') ? JSON.stringify({ version: v.version, commit: v.commit === 'unknown' ? null : v.commit, dirty: v.dirty }) : versionLine(v)}\n`,
    );
    return 0;
  }
  const program = new Command('asd-lab')
    .description(t('cli.description'))
    .addHelpText('afterAll', `\n  -V, --version  ${t('cli.versionOption')}`)
    .addOption(new Option('--lang <lang>', 'fr | en (default from LANG)').choices(['fr', 'en']).default(getLang()))
    .option('-c, --cohort <file>', 'cohort file (default: $ASD_LAB_COHORT, else ./asd-lab.yaml, else the bundled solo example)')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .showHelpAfterError();
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof AsdError) {
      report(err, argv.includes('--json'));
      return exitCodeOf(err);
    }
    throw err;
  }
}

/** The one place asd-lab's errors are printed: no stack (ASD_LAB_DEBUG=1 shows it, with the cause). */
function report(err: AsdError<unknown>, json: boolean): void {
  const doc = json ? err.jsonReport() : undefined;
  if (doc !== undefined) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  if (err.header !== undefined) {
    console.error(err.header);
    console.error(err.message);
  } else {
    console.error(t('cli.error', { message: err.message }));
  }
  if (process.env.ASD_LAB_DEBUG === '1') console.error(err); // node's inspect: stack and [cause]
}

/** `asd-lab [--json] [--lang L] [-c FILE] --version`: the flag comes before any command. */
function versionAsked(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--version' || a === '-V') return true;
    if (a === '--json' || a.startsWith('--lang=') || a.startsWith('--cohort=')) continue;
    if (a === '--lang' || a === '-c' || a === '--cohort') {
      i++;
      continue;
    }
    return false;
  }
  return false;
}
