// The layering of the code (.dependency-cruiser.cjs): no import circle, core imports no other layer,
// nothing imports the CLI, commands do not import each other, only stacks/ imports cdktf. Run with
// the real dependency-cruiser on the real tree; a made-up violation proves the rules bite.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';

const DEPCRUISE = resolve(REPO_ROOT, 'node_modules/.bin/depcruise');
const scratch: string[] = [];
afterAll(() =>
  scratch.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);

async function cruise(cwd: string, paths: string[]) {
  const r = await execa(DEPCRUISE, ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...paths], {
    cwd,
    reject: false,
  });
  const out = JSON.parse(r.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number };
  };
  return out.summary;
}

describe('formatter and linter (Biome)', () => {
  it('the tree is formatted and has no lint error (npm run format fixes the layout)', async () => {
    const r = await execa(resolve(REPO_ROOT, 'node_modules/.bin/biome'), ['check', '--reporter=summary', '.'], {
      cwd: REPO_ROOT,
      reject: false,
      all: true,
    });
    expect(r.exitCode, r.all).toBe(0);
  }, 60_000);
});

describe('architecture (dependency-cruiser)', () => {
  it('the tree respects every rule', async () => {
    const summary = await cruise(REPO_ROOT, ['src', 'stacks', 'bench', 'bin']);
    expect(summary.totalCruised).toBeGreaterThan(150);
    expect(summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);

  it('reports a circle, core importing a layer above it, and a command importing another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asd-arch-'));
    scratch.push(dir);
    cpSync(resolve(REPO_ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    cpSync(resolve(REPO_ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    for (const d of ['src/core', 'src/modules/x', 'src/cli/commands']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'src/core/a.ts'), "import { b } from '../modules/x/b.ts';\nexport const a = b;\n");
    writeFileSync(
      join(dir, 'src/modules/x/b.ts'),
      "import { a } from '../../core/a.ts';\nexport const b = 1; export const c = a;\n",
    );
    writeFileSync(join(dir, 'src/cli/commands/one.ts'), "import { two } from './two.ts';\nexport const one = two;\n");
    writeFileSync(join(dir, 'src/cli/commands/two.ts'), 'export const two = 2;\n');
    const summary = await cruise(dir, ['src']);
    const rules = new Set(summary.violations.map((v) => v.rule.name));
    expect(rules).toEqual(new Set(['no-circular', 'core-is-the-bottom', 'commands-do-not-import-commands']));
  }, 120_000);
});
