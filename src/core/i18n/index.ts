// One message catalog for everything a trainer, candidate or examiner reads.
// English is the reference; the French table must carry every key (the type checker enforces it).
// Messages are ICU MessageFormat (intl-messageformat): `{name}` arguments, and
// `{count, plural, one {...} other {...}}` where a number drives a noun or an agreement.
import { IntlMessageFormat } from 'intl-messageformat';
import { z } from 'zod';
import { en, fr, type MessageKey } from './messages.ts';
import { zodMessage } from './zod.ts';

export type Lang = 'fr' | 'en';
export type { MessageKey };

const catalogs: Record<Lang, Record<MessageKey, string>> = { en, fr };
let current: Lang = detectLang(process.env);

/** The language from --lang, else from LC_ALL / LC_MESSAGES / LANG (fr_* gives French), else English. */
export function detectLang(env: NodeJS.ProcessEnv): Lang {
  const raw = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return raw.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export function setLang(lang: Lang): void {
  current = lang;
  // zod's own messages (type errors, bounds) follow the same language; in French the generic ones
  // come from the catalog (zod's fr locale gets the agreement wrong), the rest from zod's locale.
  z.config({
    ...(lang === 'fr' ? z.locales.fr() : z.locales.en()),
    customError: lang === 'fr' ? (iss) => zodMessage(iss, (key, params) => t(key, params, 'fr')) : undefined,
  });
}

export function getLang(): Lang {
  return current;
}

type Ast = ReturnType<IntlMessageFormat['getAst']>;

interface Compiled {
  format: IntlMessageFormat;
  args: string[];
}
const compiled = new Map<string, Compiled>();

/** The parsed message (cached): the catalog holds a few hundred messages, each parsed once. */
export function compile(template: string, lang: Lang): Compiled {
  const id = `${lang}\u0000${template}`;
  let c = compiled.get(id);
  if (!c) {
    // ignoreTag: "<stack dir>" and "<candidate>-<server>" are text, not markup.
    const format = new IntlMessageFormat(template, lang, undefined, { ignoreTag: true });
    c = { format, args: [...argumentNames(format.getAst())].sort() };
    compiled.set(id, c);
  }
  return c;
}

/** Every argument a message uses, plural selectors included (the catalog test compares them per key). */
export function argumentNames(ast: Ast, into = new Set<string>()): Set<string> {
  for (const el of ast) {
    // type 0 is literal text; every other element with a string value names an argument.
    if (el.type !== 0 && 'value' in el && typeof el.value === 'string') into.add(el.value);
    if ('options' in el) for (const opt of Object.values(el.options)) argumentNames(opt.value, into);
    if ('children' in el) argumentNames(el.children, into);
  }
  return into;
}

/** Translate a key, filling its arguments from params (a missing one stays as "{name}", as it always did). */
export function t(key: MessageKey, params: Record<string, string | number> = {}, lang: Lang = current): string {
  const { format, args } = compile(catalogs[lang][key], lang);
  const values: Record<string, string | number> = { ...params };
  for (const name of args) if (!(name in values)) values[name] = `{${name}}`;
  return String(format.format(values));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

setLang(current);
