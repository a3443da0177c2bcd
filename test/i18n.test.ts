import { describe, expect, it } from 'vitest';
import { detectLang, t } from '../src/core/i18n/index.ts';
import { en, fr } from '../src/core/i18n/messages.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalog', () => {
  it('has the same keys in French and English', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it('uses the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(fr[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('has a French text that differs from the English one for sentences', () => {
    const same = (Object.keys(en) as (keyof typeof en)[]).filter((k) => en[k] === fr[k] && en[k].split(' ').length > 3);
    expect(same).toEqual([]);
  });

  it('takes the language from LANG and fills placeholders', () => {
    expect(detectLang({ LANG: 'fr_FR.UTF-8' })).toBe('fr');
    expect(detectLang({ LANG: 'en_GB.UTF-8' })).toBe('en');
    expect(detectLang({ LC_ALL: 'fr_CA.UTF-8', LANG: 'en_US' })).toBe('fr');
    expect(detectLang({})).toBe('en');
    expect(t('model.cidr', { got: '"x"' }, 'fr')).toBe('doit être un CIDR comme 203.0.113.0/24, reçu "x"');
  });
});
