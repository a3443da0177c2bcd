import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compile, detectLang, setLang, t } from '../src/core/i18n/index.ts';
import { CohortError, parseCohort } from '../src/core/model/load.ts';
import { renderHtml, renderMarkdown, svgChart, type AppReport } from '../src/modules/monitoring/app-report.ts';
import { en, fr } from '../src/core/i18n/messages.ts';

const keys = Object.keys(en) as (keyof typeof en)[];

describe('message catalog', () => {
  it('has the same keys in French and English', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it('parses every message of both tables as ICU MessageFormat', () => {
    const broken: string[] = [];
    for (const key of keys)
      for (const [lang, table] of [
        ['en', en],
        ['fr', fr],
      ] as const) {
        try {
          compile(table[key], lang);
        } catch (err) {
          broken.push(`${lang} ${key}: ${(err as Error).message}`);
        }
      }
    expect(broken).toEqual([]);
  });

  it('uses the same argument names per key in both languages (plural selectors included)', () => {
    for (const key of keys) expect(compile(fr[key], 'fr').args, key).toEqual(compile(en[key], 'en').args);
  });

  it('says no "(s)": a count drives the plural form and the agreement', () => {
    const left = keys.flatMap((k) => [en[k], fr[k]].filter((m) => /\w\((s|x|e|es)\)/.test(m)).map(() => k));
    expect(left).toEqual([]);
  });

  it('renders plurals by the CLDR rules of each language (French 0 is singular)', () => {
    const problems = (count: number, lang: 'en' | 'fr') =>
      t('local.preflightHeader', { count }, lang).split(' ').slice(0, 2).join(' ');
    expect([0, 1, 2].map((n) => problems(n, 'en'))).toEqual(['0 problems', '1 problem', '2 problems']);
    expect([0, 1, 2].map((n) => problems(n, 'fr'))).toEqual(['0 problème', '1 problème', '2 problèmes']);
    // agreement of the participles with their own count
    expect(t('verify.summary', { pass: 1, fail: 2, notRun: 0 }, 'fr')).toBe('1 réussie, 2 échouées, 0 non exécutée');
    expect(t('verify.summary', { pass: 1, fail: 2, notRun: 0 }, 'en')).toBe('1 passed, 2 failed, 0 not run');
    expect(t('report.criteriaSummary', { passed: 1, total: 12, failed: 0, notRun: 11 }, 'fr')).toBe(
      '1 critère sur 12 réussi, 0 en échec, 11 non exécutés',
    );
    expect(t('report.criteriaSummary', { passed: 2, total: 12, failed: 0, notRun: 1 }, 'fr')).toBe(
      '2 critères sur 12 réussis, 0 en échec, 1 non exécuté',
    );
    expect(t('app.down', { candidate: 'a', env: 'test', count: 1 }, 'fr')).toBe('a/test : 1 container supprimé');
    expect(t('app.down', { candidate: 'a', env: 'test', count: 0 }, 'en')).toBe('a/test: 0 containers removed');
    expect(t('up.summary.ok', { candidate: 'a', servers: 1, changed: 2 }, 'en')).toBe('a: up, 1 server, 2 changes by Ansible');
  });

  it('leaves a missing argument as {name}, as the former template did, and keeps apostrophes', () => {
    expect(t('model.cidr', {}, 'en')).toBe('must be a CIDR such as 203.0.113.0/24, got {got}');
    expect(t('model.duplicateId', { id: 'a', first: 0 }, 'fr')).toContain("l'identifiant « a »");
    expect(t('local.machineName', { name: 'x', max: 63 }, 'en')).toContain('("<candidate>-<server>")');
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

describe("zod's generic messages in French, from the catalog", () => {
  const problems = (text: string) => {
    try {
      parseCohort(text, 'c.yaml');
    } catch (err) {
      if (err instanceof CohortError) return err.problems.map((p) => `${p.path}: ${p.message}`);
      throw err;
    }
    return [];
  };

  it('a wrong type and a missing field read as French sentences, not "chaîne de caractères attendu, indéfini reçu"', () => {
    setLang('fr');
    try {
      const got = problems('cohort: ok\ncandidates:\n  - id: ann\n    sshKey: 3\n');
      expect(got).toContain('candidates[0].sshKey: doit être une chaîne de caractères, reçu un nombre (3)');
      const schema = z.object({
        name: z.string(),
        tags: z.array(z.string()).min(2),
        mode: z.enum(['a', 'b']),
        n: z.number().max(5),
      });
      const issues = schema.safeParse({ tags: ['x'], mode: 'c', n: 9 }).error!.issues.map((i) => i.message);
      expect(issues).toEqual([
        'obligatoire : doit être une chaîne de caractères',
        'doit contenir au moins 2 éléments',
        'doit valoir l\'une des valeurs "a", "b", reçu une chaîne de caractères ("c")',
        'doit valoir au plus 5',
      ]);
      expect(z.string().min(1).safeParse('').error!.issues[0]!.message).toBe('doit avoir au moins 1 caractère');
      for (const m of issues) expect(m).not.toMatch(/attendu|indéfini|Entrée invalide/);
    } finally {
      setLang('en');
    }
  });

  it("English keeps zod's own messages", () => {
    setLang('en');
    expect(z.object({ name: z.string() }).safeParse({}).error!.issues[0]!.message).toBe(
      'Invalid input: expected string, received undefined',
    );
  });
});

describe('report app and its charts in both languages', () => {
  const report: AppReport = {
    cohort: 'c',
    candidate: 'alice',
    generated: '2026-01-01T00:00:00Z',
    period: '7d',
    from: '2025-12-25T00:00Z',
    to: '2026-01-01T00:00Z',
    envs: [
      {
        env: 'test',
        requests: 50,
        errors: 5,
        availabilityPercent: 90,
        objectivePercent: 99,
        budgetLeftPercent: -900,
        p95ObjectiveMs: 300,
      },
      { env: 'prod', requests: 0, errors: 0, objectivePercent: 99.9, p95ObjectiveMs: 300 },
    ],
    topErrors: [],
    alerts: [],
    charts: [{ title: 'x', unit: '%', series: [] }],
  };

  it('French: headings, columns, verdicts, decimal comma, the empty chart', () => {
    const md = renderMarkdown(report, 'p-', 'fr');
    expect(md).toContain("# Rapport de l'application — alice (c)");
    expect(md).toContain("## Disponibilité et budget d'erreur");
    expect(md).toContain('| test | 50 | 5 | 90,000 % | 99 % | MANQUÉ | -900,0 % | — |');
    expect(md).toContain('| prod | 0 | 0 | — | 99,9 % | aucun trafic |');
    expect(md).toContain('Aucune erreur serveur (5xx) enregistrée sur la période.');
    const html = renderHtml(report, 'fr');
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('aucune donnée sur la période');
    for (const english of ['Application report', 'Availability', 'Latency', 'Top errors', 'no data', 'MISSED', 'Environment'])
      expect(`${md}\n${html}`).not.toContain(english);
    expect(svgChart(report.charts[0]!, 640, 220, 'en')).toContain('no data in the period');
  });

  it('English is as before', () => {
    const md = renderMarkdown(report, 'p-', 'en');
    expect(md).toContain('| test | 50 | 5 | 90.000 % | 99 % | MISSED | -900.0 % | — |');
    expect(renderHtml(report, 'en')).toContain('<h2>Availability and error budget</h2>');
  });
});
