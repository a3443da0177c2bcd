// One message catalog for everything a trainer, candidate or examiner reads.
// English is the reference; the French table must carry every key (the type checker enforces it).
import { z } from 'zod';
import { en, fr, type MessageKey } from './messages.ts';

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
  // zod's own messages (type errors, bounds) follow the same language.
  z.config(lang === 'fr' ? z.locales.fr() : z.locales.en());
}

export function getLang(): Lang {
  return current;
}

/** Translate a key, filling {placeholders} from params. */
export function t(key: MessageKey, params: Record<string, string | number> = {}, lang: Lang = current): string {
  const template = catalogs[lang][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

setLang(current);
