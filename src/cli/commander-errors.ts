// Commander's own error messages (unknown option or command, missing argument...) in the language
// of --lang: commander writes them in English; each known shape is rewritten from the catalog.
import { t, type Lang, type MessageKey } from '../core/i18n/index.ts';

const SHAPES: [RegExp, MessageKey][] = [
  [/^error: unknown option '(?<flag>[^']*)'/, 'cli.err.unknownOption'],
  [/^error: unknown command '(?<name>[^']*)'/, 'cli.err.unknownCommand'],
  [/^error: missing required argument '(?<name>[^']*)'/, 'cli.err.missingArgument'],
  [/^error: option '(?<flags>[^']*)' argument missing/, 'cli.err.optionMissingArgument'],
  [/^error: required option '(?<flags>[^']*)' not specified/, 'cli.err.missingMandatoryOption'],
  [/^error: option '(?<flags>[^']*)' argument '(?<value>[^']*)' is invalid\./, 'cli.err.invalidOptionValue'],
  [/^error: command-argument value '(?<value>[^']*)' is invalid for argument '(?<name>[^']*)'\./, 'cli.err.invalidArgumentValue'],
  [
    /^error: too many arguments(?: for '(?<name>[^']*)')?\. Expected (?<expected>\d+) arguments? but got (?<got>\d+)\./,
    'cli.err.tooManyArguments',
  ],
  [/Allowed choices are (?<choices>[^\n]*)\./, 'cli.err.allowedChoices'],
  [/\(Did you mean one of (?<similar>[^?]*)\?\)/, 'cli.err.didYouMeanOneOf'],
  [/\(Did you mean (?<similar>[^?]*)\?\)/, 'cli.err.didYouMean'],
];

/** The message in lang; English, and any shape not listed, as commander wrote it. */
export function localizeCommanderMessage(message: string, lang: Lang): string {
  if (lang === 'en') return message;
  let out = message;
  for (const [shape, key] of SHAPES) {
    out = out.replace(shape, (...args) => {
      const groups = args.at(-1) as Record<string, string | undefined>;
      const params = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, v ?? '']));
      return t(key, params, lang);
    });
  }
  return out;
}
