// Errors: one base (AsdError) caught once by main, and no catch that swallows an error without
// saying why. Covers the two swallows that hid real problems (a corrupt app state file read as
// "not deployed", a subnet too small read as "no containers to grant the database to").
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { AsdError, exitCodeOf, isNotFound } from '../src/core/errors.ts';
import { setLang } from '../src/core/i18n/index.ts';
import { cohortSchema } from '../src/core/model/cohort.ts';
import { CohortError } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { UsageError, UserError } from '../src/cli/context.ts';
import { statePaths } from '../src/core/state.ts';
import { AppError } from '../src/modules/containers/addresses.ts';
import { loadState } from '../src/modules/containers/deploy.ts';
import { DataError } from '../src/modules/data/generate.ts';
import { appContainerSources } from '../src/modules/data/inventory.ts';
import { LocalError } from '../src/targets/local/errors.ts';
import { AwsInputError } from '../stacks/topology.ts';
import { KEY_A } from './helpers.ts';

// main() with one test command instead of the real ones: it throws whatever the test puts here.
const thrown: { error?: unknown } = {};
vi.mock('../src/cli/commands/index.ts', () => ({
  COMMANDS: [
    (program: Command) => {
      program.command('boom').action(() => {
        throw thrown.error;
      });
    },
  ],
}));
const { main } = await import('../src/cli/main.ts');

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

const cohort = (prefix: number, servers: string[]) =>
  cohortSchema.parse({
    cohort: 'c',
    local: { subnetPool: '10.240.16.0/22', subnetPrefix: prefix },
    candidates: [
      { id: 'a', sshKey: KEY_A, overrides: { servers: servers.map((n) => ({ name: n, role: n === 'app' ? 'app' : 'db' })) } },
    ],
  });

describe('the error base', () => {
  it('every domain error is an AsdError with its own name and a kind', () => {
    const local = new LocalError(['p1', 'p2'], 'header');
    expect(local).toBeInstanceOf(AsdError);
    expect(local.name).toBe('LocalError');
    expect(local.kind).toBe('user');
    expect(local.problems).toEqual(['p1', 'p2']);
    expect(local.message).toBe('header\n  - p1\n  - p2');
    const aws = new AwsInputError(['x']);
    expect([aws.name, aws.kind, aws.problems, exitCodeOf(aws)]).toEqual(['AwsInputError', 'usage', ['x'], 2]);
    const app = new AppError('failed');
    expect([app.name, app.kind, exitCodeOf(app)]).toEqual(['AppError', 'operation', 1]);
    const user = new UserError('bad', 2);
    expect([user.name, user.kind, user.exitCode]).toEqual(['UserError', 'user', 2]);
    const cohortErr = new CohortError('f.yaml', [{ path: 'cohort', message: 'bad' }]);
    expect(cohortErr).toBeInstanceOf(AsdError);
    expect(cohortErr.problems).toEqual([{ path: 'cohort', message: 'bad' }]);
    expect([cohortErr.kind, exitCodeOf(cohortErr)]).toEqual(['usage', 2]);
    const usage = new UsageError('--port must be a TCP port number');
    expect([usage.kind, exitCodeOf(usage)]).toEqual(['usage', 2]);
    expect(exitCodeOf(new LocalError('run asd-lab with sudo'))).toBe(1);
  });

  it('src/core/errors.ts imports nothing', async () => {
    const text = await readFile(path.join(REPO_ROOT, 'src/core/errors.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*import\s/m);
  });

  it('tells a missing file from one that cannot be read', () => {
    expect(isNotFound(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(true);
    expect(isNotFound(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isNotFound(new SyntaxError('x'))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

describe('main catches once', () => {
  let err: MockInstance<typeof console.error>;
  let out: MockInstance<typeof process.stdout.write>;
  const stderr = () => err.mock.calls.map((c) => c.join(' ')).join('\n');
  const run = async (error: unknown, ...extra: string[]) => {
    thrown.error = error;
    return main(['node', 'asd-lab', '--lang', 'en', ...extra, 'boom']);
  };
  beforeEach(() => {
    err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.ASD_LAB_DEBUG;
  });

  it('a user error: its message, no stack, exit 1 by default or its own code', async () => {
    expect(await run(new UserError('the cohort names no such candidate'))).toBe(1);
    expect(stderr()).toBe('error: the cohort names no such candidate');
    expect(await run(new UserError('--driver: container | vm, got "x"', 2))).toBe(2);
    expect(await run(new LocalError('no KVM'))).toBe(1);
    expect(stderr()).not.toMatch(/\n\s+at /);
  });

  it('an operation error: its message, no stack, exit 1', async () => {
    const e = new DataError('backup failed on db1: pgbackrest exit 28');
    expect(e.kind).toBe('operation');
    expect(await run(e)).toBe(1);
    expect(stderr()).toBe('error: backup failed on db1: pgbackrest exit 28');
    expect(stderr()).not.toContain(e.stack!.split('\n')[1]!);
  });

  it('keeps the translated header of a cohort error, and its --json document', async () => {
    setLang('en');
    const e = new CohortError('f.yaml', [{ path: 'cohort', message: 'required' }]);
    expect(await run(e, '--json')).toBe(2);
    expect(stderr()).toBe('1 problem in the cohort file; nothing was created:\nf.yaml: cohort: required');
    expect(JSON.parse(String(out.mock.calls[0]![0]))).toEqual({
      file: 'f.yaml',
      valid: false,
      problems: [{ path: 'cohort', message: 'required' }],
    });
  });

  it('under --json, any other error is a JSON document on stdout too', async () => {
    expect(await run(new UsageError('--port must be a TCP port number (0-65535), got x'), '--json')).toBe(2);
    expect(JSON.parse(String(out.mock.calls[0]![0]))).toEqual({
      error: { message: '--port must be a TCP port number (0-65535), got x', kind: 'usage', exitCode: 2 },
    });
    out.mockClear();
    expect(await run(new LocalError(['p1', 'p2'], 'header'), '--json')).toBe(1);
    expect(JSON.parse(String(out.mock.calls[0]![0]))).toEqual({
      error: { message: 'header\n  - p1\n  - p2', kind: 'user', exitCode: 1, problems: ['p1', 'p2'] },
    });
    out.mockClear();
    expect(await run(new DataError('backup failed'))).toBe(1);
    expect(out).not.toHaveBeenCalled(); // without --json, stdout stays empty
  });

  it("commander's own errors exit 2 (usage), with a JSON document under --json; help exits 0", async () => {
    const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'asd-lab', '--lang', 'en', 'boom', '--no-such-option'])).toBe(2);
    expect(await main(['node', 'asd-lab', '--lang', 'en', 'no-such-command'])).toBe(2);
    expect(await main(['node', 'asd-lab', '--lang', 'en'])).toBe(2); // no command: the help, as an error
    expect(await main(['node', 'asd-lab', '--lang', 'en', '--json', 'no-such-command'])).toBe(2);
    const doc = JSON.parse(String(out.mock.calls.at(-1)![0])) as { error: { kind: string; exitCode: number; message: string } };
    expect(doc.error).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect(doc.error.message).toContain('no-such-command');
    expect(await main(['node', 'asd-lab', '--lang', 'en', '--help'])).toBe(0);
    expect(await main(['node', 'asd-lab', '--lang', 'en', 'help', 'boom'])).toBe(0);
    errWrite.mockRestore();
  });

  it('shows the stack and the cause only when asked (ASD_LAB_DEBUG=1)', async () => {
    process.env.ASD_LAB_DEBUG = '1';
    const cause = new Error('EADDRINUSE');
    expect(await run(new UserError('cannot listen', 1, { cause }))).toBe(1);
    expect(err.mock.calls[1]![0]).toBeInstanceOf(UserError);
    expect((err.mock.calls[1]![0] as Error).cause).toBe(cause);
  });

  it('anything else is a bug: not caught, so node prints its stack', async () => {
    await expect(run(new TypeError('x is undefined'))).rejects.toThrow(TypeError);
  });
});

describe('errors that were swallowed', () => {
  const ctxIn = async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'asd-errors-'));
    temps.push(stateDir);
    const c = cohort(24, ['app', 'db1']);
    return { stateDir, cohort: c, candidate: c.candidates[0]!, env: 'test' as const };
  };

  it('a corrupt app state file is an error naming its path, not "not deployed"', async () => {
    const ctx = await ctxIn();
    expect(await loadState(ctx)).toBeUndefined(); // never deployed: no file
    const file = path.join(statePaths(ctx.stateDir).app.env('c', 'a', 'test'), 'state.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{"version": "v1", "api": [');
    const e = await loadState(ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).message).toContain(file);
    expect((e as AppError).kind).toBe('user');
    await writeFile(file, '{"version": "v1", "api": []}');
    expect(await loadState(ctx)).toEqual({ version: 'v1', api: [] });
  });

  it("a subnet too small for the app's containers is raised, naming the candidate and the subnet", () => {
    expect(Object.keys(appContainerSources(cohort(27, ['app', 'db1']), 'a')!)).toEqual(['test', 'preprod', 'prod']);
    const small = cohort(28, ['app', 'db1']);
    let e: unknown;
    try {
      appContainerSources(small, 'a');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).message).toMatch(/candidate a: .*subnet 10\.240\.16\.0\/28 is too small/);
    expect((e as DataError).cause).toBeInstanceOf(AppError);
  });
});

/** Every catch clause and .catch() callback of a file that drops the error it caught without a comment. */
function silentCatches(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  // A comment on the catch line, on the first statement's line, or on a line between them (where
  // the formatter puts it).
  const commented = (from: number, to: number) => lines.slice(from, to + 1).some((l) => /\/\/|\/\*/.test(l));
  const uses = (node: ts.Node, name: string | undefined): boolean => {
    let found = false;
    const walk = (n: ts.Node) => {
      if (found) return;
      if (ts.isThrowStatement(n) || (name !== undefined && ts.isIdentifier(n) && n.text === name)) found = true;
      else ts.forEachChild(n, walk);
    };
    walk(node);
    return found;
  };
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCatchClause(node)) {
      const name =
        node.variableDeclaration && ts.isIdentifier(node.variableDeclaration.name)
          ? node.variableDeclaration.name.text
          : undefined;
      const line = lineOf(node.getStart(sf));
      const first = node.block.statements[0];
      if (!uses(node.block, name) && !commented(line, first ? lineOf(first.getStart(sf)) : line + 1))
        out.push(`${file}:${line + 1}`);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'catch'
    ) {
      const cb = node.arguments[0];
      if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) {
        const p = cb.parameters[0];
        const name = p && ts.isIdentifier(p.name) ? p.name.text : undefined;
        const line = lineOf(node.expression.name.getStart(sf));
        const body = cb.body;
        const first = ts.isBlock(body) ? body.statements[0] : body;
        if (!uses(body, name) && !commented(line, first ? lineOf(first.getStart(sf)) : line)) out.push(`${file}:${line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('no silent catch', () => {
  it('the scanner finds what it must', () => {
    expect(silentCatches('x.ts', 'try { a(); } catch {\n  return undefined;\n}\n')).toEqual(['x.ts:1']);
    expect(silentCatches('x.ts', 'try { a(); } catch (e) {}\n')).toEqual(['x.ts:1']);
    expect(silentCatches('x.ts', 'await p.catch(() => undefined);\n')).toEqual(['x.ts:1']);
    expect(silentCatches('x.ts', 'try { a(); } catch {\n  // gone: nothing to stop\n}\n')).toEqual([]);
    expect(silentCatches('x.ts', 'try { a(); } catch (e) {\n  log(e);\n}\n')).toEqual([]);
    expect(silentCatches('x.ts', 'try { a(); } catch {\n  throw new Error("b");\n}\n')).toEqual([]);
    expect(silentCatches('x.ts', 'await p.catch(() => undefined); // best effort: the caller reports\n')).toEqual([]);
  });

  it('in src/, stacks/ and bench/, every catch that drops its error says why, right there', async () => {
    const found: string[] = [];
    for (const dir of ['src', 'stacks', 'bench']) {
      for (const rel of await readdir(path.join(REPO_ROOT, dir), { recursive: true })) {
        if (!rel.endsWith('.ts')) continue;
        const file = path.join(dir, rel);
        found.push(...silentCatches(file, await readFile(path.join(REPO_ROOT, file), 'utf8')));
      }
    }
    expect(found).toEqual([]);
  });
});
