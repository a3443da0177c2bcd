// --json on the commands that print data: each prints one JSON document on stdout, nothing else there.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedDocs, writeGeneratedDocs } from '../src/cli/commands/docs.ts';
import { cli } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-json-'));
let runs = 0;
const run = (args: string[]) => cli(['--json', ...args], { ASD_LAB_STATE: join(tmp, `state-${++runs}`) });

describe.concurrent('--json is honoured by every command that prints data', () => {
  it('diagram: {format, content} on stdout, or {format, file} with -o', async () => {
    const r = await run(['diagram', '--format', 'dot']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { format: string; content: string };
    expect(doc.format).toBe('dot');
    expect(doc.content).toMatch(/^digraph asdlab/);
    const file = join(tmp, 'd.mmd');
    const f = await run(['diagram', '--format', 'mermaid', '-o', file]);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout)).toEqual({ format: 'mermaid', file });
    expect(existsSync(file)).toBe(true);
  });

  it('dossier: the directory and the files written', async () => {
    const dir = join(tmp, 'dossier');
    const r = await run(['dossier', '--candidate', 'candidate', '-o', dir]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { candidate: string; dir: string; files: string[]; lastVerify: boolean };
    expect(doc).toMatchObject({ candidate: 'candidate', dir, lastVerify: false });
    expect(doc.files).toEqual(
      expect.arrayContaining([join(dir, 'dossier.md'), join(dir, 'dossier.html'), join(dir, 'diagram.mmd')]),
    );
    for (const f of doc.files) expect(existsSync(f), f).toBe(true);
  });

  it('inventory: the file and the inventory as an object', async () => {
    const r = await run(['inventory']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { file: string; inventory: { all: { vars: Record<string, unknown> } } };
    expect(doc.file).toMatch(/inventory/);
    expect(existsSync(doc.file)).toBe(true);
    expect(doc.inventory.all.vars.lab_cohort).toBe('solo');
  });

  it('docs: every generated file, and whether it changed (what `docs --json` prints, written here into a scratch root)', () => {
    // The command writes into the checkout; the test must not, so it calls what the command calls.
    const root = join(tmp, 'docs-root');
    const first = writeGeneratedDocs(root);
    expect(first.map((f) => f.path)).toEqual(generatedDocs().map(([p]) => p));
    expect(first.every((f) => f.changed)).toBe(true);
    expect(writeGeneratedDocs(root).some((f) => f.changed)).toBe(false);
    expect(JSON.parse(JSON.stringify({ files: first }))).toEqual({ files: first });
  });

  it('an error under --json is a JSON document on stdout, with its exit code', async () => {
    const r = await run(['diagram', '--format', 'gif']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { message: '--format must be one of svg | png | mermaid | dot, got "gif"', kind: 'usage', exitCode: 2 },
    });
    const unknown = await run(['no-such-command']);
    expect(unknown.code).toBe(2);
    expect((JSON.parse(unknown.stdout) as { error: { kind: string } }).error.kind).toBe('usage');
  });
});
