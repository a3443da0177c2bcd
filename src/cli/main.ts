// The asd-lab command line. Each command lives in its own module under ./commands and registers
// itself on the program; this file only wires the global options and turns errors into exit codes.
import { Command, CommanderError, Option } from 'commander';
import { getLang, setLang, t, type Lang } from '../core/i18n/index.ts';
import { toolVersion, versionLine } from '../evidence/version.ts';
import { AsdError, EXIT, exitCodeOf } from '../core/errors.ts';
import { COMMANDS } from './commands/index.ts';
import { jsonWasPrinted } from './context.ts';
import { localizeCommanderMessage } from './commander-errors.ts';
import { addHelpSections, localizeHelp } from './help.ts';

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
    .addOption(new Option('--lang <lang>', t('cli.opt.lang')).choices(['fr', 'en']).default(getLang()))
    .option('-c, --cohort <file>', t('cli.opt.cohort'))
    .option('--json', t('cli.opt.json'))
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(localizeCommanderMessage(str, getLang())) })
    .showHelpAfterError();
  localizeHelp(program);
  for (const register of COMMANDS) register(program);
  addHelpSections(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    const json = argv.includes('--json');
    if (err instanceof CommanderError) {
      const code = commanderExitCode(err);
      // commander has printed its message on stderr already
      if (json && code !== EXIT.ok)
        printJsonError({ message: localizeCommanderMessage(err.message, getLang()), kind: 'usage', exitCode: code });
      return code;
    }
    if (err instanceof AsdError) {
      report(err, json);
      return exitCodeOf(err);
    }
    // a bug: node prints the stack; --json still gets its document first
    if (json) printJsonError({ message: err instanceof Error ? err.message : String(err), kind: 'internal', exitCode: 1 });
    throw err;
  }
}

/**
 * Commander's own errors are usage errors (unknown option or command, missing or invalid argument):
 * exit 2, where commander says 1. Help and --version asked for exit 0; help shown because no
 * command was given ("commander.help", error) is a usage error too.
 */
export function commanderExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return EXIT.usage;
}

interface JsonError {
  message: string;
  kind: string;
  exitCode: number;
  problems?: unknown[];
}

/** The --json document of an error without one of its own: {"error": {...}} on stdout. */
function printJsonError(error: JsonError): void {
  process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
}

/** The one place asd-lab's errors are printed: no stack (ASD_LAB_DEBUG=1 shows it, with the cause). */
function report(err: AsdError<unknown>, json: boolean): void {
  if (json && !jsonWasPrinted()) {
    // an error with its own document (CohortError: the validate document) prints it; the others the generic one
    const doc = err.jsonReport();
    if (doc !== undefined) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else
      printJsonError({
        message: err.message,
        kind: err.kind,
        exitCode: exitCodeOf(err),
        ...(err.problems !== undefined ? { problems: err.problems } : {}),
      });
  }
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
