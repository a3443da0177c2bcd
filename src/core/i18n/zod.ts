// zod's French locale is ungrammatical ("chaîne de caractères attendu, indéfini reçu"): the generic
// issues a cohort file can produce are rendered from the catalog instead, with the agreement right.
// Any other issue falls through to zod's own locale (customError returns undefined).
import type { z } from 'zod';
import type { MessageKey } from './messages.ts';

type Issue = z.core.$ZodRawIssue;
/** t() of one language, passed in: this module is imported by the i18n index (no import cycle). */
type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

const TYPES: Record<string, MessageKey> = {
  string: 'zod.type.string',
  number: 'zod.type.number',
  int: 'zod.type.int',
  boolean: 'zod.type.boolean',
  array: 'zod.type.array',
  object: 'zod.type.object',
  null: 'zod.type.null',
  undefined: 'zod.type.undefined',
};

function typeOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number' && Number.isInteger(input)) return 'number';
  return typeof input;
}

const typeName = (type: string, t: Translate) => (TYPES[type] ? t(TYPES[type]) : t('zod.type.other', { type }));

/** What was received: its kind, and the value itself when it is short and plain. */
function received(input: unknown, t: Translate): string {
  const kind = typeName(typeOf(input), t);
  const plain = typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean';
  const shown = plain ? JSON.stringify(input) : undefined;
  return shown !== undefined && shown.length <= 40 ? `${kind} (${shown})` : kind;
}

/** The message of a zod issue from the catalog, or undefined for zod's own. */
export function zodMessage(iss: Issue, t: Translate): string | undefined {
  switch (iss.code) {
    case 'invalid_type': {
      const expected = typeName(String(iss.expected), t);
      return iss.input === undefined
        ? t('zod.required', { expected })
        : t('zod.invalidType', { expected, received: received(iss.input, t) });
    }
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const raw = Number(small ? iss.minimum : iss.maximum);
      const inclusive = iss.inclusive !== false;
      if (iss.origin === 'string' || iss.origin === 'array' || iss.origin === 'set') {
        const bound = inclusive ? raw : small ? raw + 1 : raw - 1;
        const key = iss.origin === 'string' ? 'string' : 'array';
        return t(`zod.${small ? 'tooSmall' : 'tooBig'}.${key}` as MessageKey, { bound });
      }
      if (iss.origin === 'number' || iss.origin === 'int' || iss.origin === 'bigint') {
        const key = `zod.${small ? 'tooSmall' : 'tooBig'}.number${inclusive ? '' : 'Exclusive'}` as MessageKey;
        return t(key, { bound: String(raw) });
      }
      return undefined;
    }
    case 'invalid_value': {
      const values = (iss.values as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return t('zod.invalidValue', { count: iss.values.length, values, received: received(iss.input, t) });
    }
    default:
      return undefined;
  }
}
