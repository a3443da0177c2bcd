// The help in the language of --lang: commander's headings, its "(default: ...)" notes, the help
// option and command, an Examples section on the main commands and the exit codes on the program's.
// The command and option descriptions themselves come from the catalog (keys cmd.*).
import type { Argument, Command, Option } from 'commander';
import { t, type MessageKey } from '../core/i18n/index.ts';

/** Commander's headings (it passes them to styleTitle) and their keys. */
const TITLES: Record<string, MessageKey> = {
  'Usage:': 'help.usage',
  'Arguments:': 'help.arguments',
  'Options:': 'help.options',
  'Global Options:': 'help.globalOptions',
  'Commands:': 'help.commands',
};

/** The main commands, with an Examples section from the catalog. */
const EXAMPLES: Record<string, MessageKey> = {
  up: 'cmd.up.examples',
  down: 'cmd.down.examples',
  status: 'cmd.status.examples',
  verify: 'cmd.verify.examples',
  validate: 'cmd.validate.examples',
  plan: 'cmd.plan.examples',
  ssh: 'cmd.ssh.examples',
  bundle: 'cmd.bundle.examples',
  reproduce: 'cmd.reproduce.examples',
};

interface Described {
  description: string;
  argChoices?: string[];
  defaultValue?: unknown;
  defaultValueDescription?: string;
}

/** "(choices: ..., default: ...)" as commander writes it, in the current language. */
function withExtras(item: Described, extra: string[]): string {
  const info = [
    ...(item.argChoices ? [t('help.choices', { values: item.argChoices.map((c) => JSON.stringify(c)).join(', ') })] : []),
    ...extra,
  ];
  if (info.length === 0) return item.description;
  return item.description ? `${item.description} (${info.join(', ')})` : `(${info.join(', ')})`;
}

const defaultNote = (item: Described) =>
  t('help.default', { value: item.defaultValueDescription || JSON.stringify(item.defaultValue) });

/** Before the commands are registered: subcommands inherit the help configuration, option and command. */
export function localizeHelp(program: Command): void {
  program
    .configureHelp({
      styleTitle: (title: string) => (TITLES[title] ? t(TITLES[title]) : title),
      // "[command]" is the one English word of the usage lines ("[options]" reads the same in French)
      commandUsage: (cmd: Command) => {
        const path: string[] = [];
        for (let p = cmd.parent; p; p = p.parent) path.unshift(p.name());
        return [...path, cmd.name(), cmd.usage().replace('[command]', `[${t('help.commandArg')}]`)].join(' ');
      },
      optionDescription: (option: Option) => {
        const extra: string[] = [];
        const showDefault =
          option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
        if (option.defaultValue !== undefined && showDefault) extra.push(defaultNote(option));
        if (option.presetArg !== undefined && option.optional)
          extra.push(t('help.preset', { value: JSON.stringify(option.presetArg) }));
        if (option.envVar !== undefined) extra.push(t('help.env', { name: option.envVar }));
        return withExtras(option, extra);
      },
      argumentDescription: (argument: Argument) =>
        withExtras(argument, argument.defaultValue !== undefined ? [defaultNote(argument)] : []),
    })
    .helpOption('-h, --help', t('cli.opt.help'))
    .helpCommand(`help [${t('help.commandArg')}]`, t('cli.helpCommand'));
}

/** The catalog's example lines with their "# comment" in one column. */
function alignComments(text: string): string {
  const rows = text.split('\n').map((line) => {
    const at = line.indexOf(' # ');
    return at < 0 ? [line.trimEnd()] : [line.slice(0, at).trimEnd(), line.slice(at + 1)];
  });
  const width = Math.max(...rows.filter((r) => r.length === 2).map((r) => r[0]!.length));
  return rows.map((r) => (r.length === 2 ? `${r[0]!.padEnd(width)}  ${r[1]}` : r[0])).join('\n');
}

/** After the commands are registered: examples on the main ones, the exit codes on the program's help. */
export function addHelpSections(program: Command): void {
  for (const cmd of program.commands) {
    const key = EXAMPLES[cmd.name()];
    if (key) cmd.addHelpText('after', `\n${t('help.examples')}\n${alignComments(t(key))}`);
  }
  program.addHelpText('after', `\n${t('help.exitCodes')}`);
}
