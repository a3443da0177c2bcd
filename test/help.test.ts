// The help follows --lang throughout: commander's headings and notes, every command's and option's
// description (catalog keys cmd.*), the Examples of the main commands and the exit codes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLang, t } from '../src/core/i18n/index.ts';
import { en, fr } from '../src/core/i18n/messages.ts';
import { main } from '../src/cli/main.ts';
import { localizeCommanderMessage } from '../src/cli/commander-errors.ts';
import { cli } from './helpers.ts';

/** The help main() prints for these arguments (in process: 40 commands would take minutes as processes). */
async function help(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    expect(await main(['node', 'asd-lab', ...args, '--help'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

const COMMANDS = [
  [],
  ...['validate', 'competencies', 'doctor', 'docs', 'synth', 'plan', 'up', 'status', 'ssh', 'verify', 'alerts', 'drill'].map(
    (c) => [c],
  ),
  ...['report', 'diagram', 'dossier', 'bundle', 'reproduce', 'serve', 'inventory', 'down'].map((c) => [c]),
  ...['db', 'db backup', 'db restore-check', 'db failover', 'db status'].map((c) => c.split(' ')),
  ...['k8s', 'k8s apply', 'k8s validate', 'pipeline', 'pipeline run', 'pipeline generate'].map((c) => c.split(' ')),
  ...['project', 'project validate'].map((c) => c.split(' ')),
  ...['app', 'app image', 'app deploy', 'app update', 'app rollback', 'app smoke', 'app status', 'app down'].map((c) =>
    c.split(' '),
  ),
];
const ENGLISH_HEADINGS = [
  'Usage:',
  'Options:',
  'Commands:',
  'Arguments:',
  'Examples:',
  'Exit codes:',
  'display help',
  '(default:',
  'choices:',
];
const cmdKeys = (Object.keys(en) as (keyof typeof en)[]).filter(
  (k) => (k.startsWith('cmd.') || k.startsWith('cli.opt.')) && en[k] !== fr[k],
);

afterEach(() => setLang('en'));

describe('--lang fr: the help is French throughout', () => {
  it('asd-lab --lang fr up --help (the real command line)', async () => {
    const r = await cli(['--lang', 'fr', 'up', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['Utilisation : asd-lab up [options]', 'Options :', "affiche l'aide de la commande", 'Exemples :'])
      expect(r.stdout).toContain(word);
    expect(r.stdout).toContain('monte le lab sur cette machine');
    expect(r.stdout).toContain('ce candidat seulement');
    expect(r.stdout).toContain('(par défaut : "auto")');
    for (const word of ENGLISH_HEADINGS) expect(r.stdout).not.toContain(word);
  });

  it('asd-lab --lang fr --help: headings, every command, the exit codes', async () => {
    const text = await help(['--lang', 'fr']);
    for (const word of [
      'Utilisation : asd-lab [options] [commande]',
      'Options :',
      'Commandes :',
      'Codes de sortie :',
      'help [commande]',
    ])
      expect(text).toContain(word);
    expect(text).toContain('Lab DevOps de référence');
    for (const word of ENGLISH_HEADINGS) expect(text).not.toContain(word);
  });

  it('every command and subcommand: no English heading, no English description left', async () => {
    for (const args of COMMANDS) {
      const text = await help(['--lang', 'fr', ...args]);
      const name = args.join(' ') || '(program)';
      for (const word of ENGLISH_HEADINGS) expect(text, `${name}: ${word}`).not.toContain(word);
      for (const k of cmdKeys) expect(text, `${name}: ${k}`).not.toContain(en[k].split('\n')[0]!.trim());
    }
  });

  it('the main commands have an Examples section', async () => {
    for (const c of ['up', 'down', 'status', 'verify', 'validate', 'plan', 'ssh', 'bundle', 'reproduce']) {
      expect(await help(['--lang', 'fr', c]), c).toContain('Exemples :\n  asd-lab ');
      expect(await help(['--lang', 'en', c]), c).toContain('Examples:\n  asd-lab ');
    }
  });
});

describe('--lang en: the help is English throughout', () => {
  it('asd-lab --lang en up --help and --lang en --help', async () => {
    const up = await help(['--lang', 'en', 'up']);
    for (const word of ['Usage: asd-lab up [options]', 'Options:', 'display help for command', 'Examples:', '(default: "auto")'])
      expect(up).toContain(word);
    expect(up).toContain(en['cmd.up.description']);
    const top = await help(['--lang', 'en']);
    for (const word of ['Usage: asd-lab [options] [command]', 'Commands:', 'Exit codes:', en['cmd.down.description']])
      expect(top).toContain(word);
    for (const text of [up, top])
      for (const word of ['Utilisation', 'Options :', 'Commandes', 'Exemples', "affiche l'aide", 'par défaut'])
        expect(text).not.toContain(word);
  });
});

describe("commander's own errors follow --lang, exit 2", () => {
  it('unknown option, unknown command, missing argument, invalid choice: French sentences', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['node', 'asd-lab', '--lang', 'fr', 'up', '--nope'])).toBe(2);
      expect(await main(['node', 'asd-lab', '--lang', 'fr', 'stauts'])).toBe(2);
      expect(await main(['node', 'asd-lab', '--lang', 'fr', 'db', 'backup'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const text = err.join('');
    expect(text).toContain('erreur : option inconnue « --nope »');
    expect(text).toContain('erreur : commande inconnue « stauts »');
    expect(text).toContain('(Vouliez-vous dire status ?)');
    expect(text).toContain('erreur : argument obligatoire « candidate » manquant');
    expect(text).not.toMatch(/error: |Did you mean|Usage:/);
  });

  it('the other shapes, and English left as commander writes it', () => {
    const fr = (m: string) => localizeCommanderMessage(m, 'fr');
    expect(fr("error: option '--lang <lang>' argument 'xx' is invalid. Allowed choices are fr, en.")).toBe(
      "erreur : la valeur « xx » de l'option « --lang <lang> » est invalide. Valeurs admises : fr, en.",
    );
    expect(fr("error: too many arguments for 'validate'. Expected 0 arguments but got 1.")).toBe(
      "erreur : trop d'arguments (0 attendu, 1 reçu).",
    );
    expect(fr("error: option '--port <n>' argument missing")).toBe("erreur : l'option « --port <n> » attend une valeur");
    const en = "error: unknown option '--nope'\n(Did you mean --now?)";
    expect(localizeCommanderMessage(en, 'en')).toBe(en);
    // the English keys say what commander writes (apostrophes doubled in ICU)
    expect(t('cli.err.unknownOption', { flag: '--nope' }, 'en')).toBe("error: unknown option '--nope'");
  });
});
