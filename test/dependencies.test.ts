// package.json against the code: what the tool imports at run time must be a dependency (an
// install without devDependencies runs it), and no dependency is dead weight.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';

/** What runs: the tool, its stacks, its entry point; and the reference app, which `up` bundles with esbuild. */
const ROOTS = ['src', 'stacks', 'bin', 'reference-app/src'];
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Imports whose specifier is computed: the file, and the packages it can reach (checked by hand). */
const COMPUTED: Record<string, string[]> = {
  // `kubernetes-models/<group>/<kind>` from the KINDS table: the schema of each manifest kind.
  'src/modules/kubernetes/schema.ts': ['kubernetes-models'],
};

/** Dependencies used without an import (a binary, a loader): none today; say why when adding one. */
const NOT_IMPORTED: Record<string, string> = {};

interface Found {
  packages: Map<string, Set<string>>;
  computed: Map<string, string[]>;
  unresolved: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : walk(p);
    return CODE.test(name) && !/\.(test|spec)\.|\.d\.ts$/.test(name) ? [p] : [];
  });
}

/** `@scope/name/sub/path` -> `@scope/name`; `tsx/esm/api` -> `tsx`. */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** Every runtime import reachable from ROOTS: relative ones are followed, even out of the roots. */
function runtimeImports(): Found {
  const found: Found = { packages: new Map(), computed: new Map(), unresolved: [] };
  const queue = ROOTS.flatMap((r) => walk(resolve(REPO_ROOT, r)));
  const seen = new Set<string>();
  const add = (spec: string, from: string) => {
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const target = resolve(dirname(from), spec);
      const file = [target, target.replace(/\.js$/, '.ts')].find((f) => existsSync(f) && statSync(f).isFile());
      if (!file) found.unresolved.push(`${relative(REPO_ROOT, from)}: ${spec}`);
      else if (CODE.test(file)) queue.push(file);
      return;
    }
    if (spec.startsWith('node:') || isBuiltin(spec)) return;
    const set = found.packages.get(packageOf(spec)) ?? new Set();
    set.add(relative(REPO_ROOT, from));
    found.packages.set(packageOf(spec), set);
  };
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      // `import type` and `export type ... from` vanish at run time; `typeof import('x')` is a type node.
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, file);
      } else if (
        ts.isExportDeclaration(node) &&
        !node.isTypeOnly &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        add(node.moduleSpecifier.text, file);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteralLike(arg)) add(arg.text, file);
        else {
          const key = relative(REPO_ROOT, file);
          found.computed.set(key, [...(found.computed.get(key) ?? []), node.getText(sf)]);
        }
      } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteralLike(arg)) add(arg.text, file);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  for (const [file, pkgs] of Object.entries(COMPUTED)) {
    for (const p of pkgs) found.packages.set(p, new Set([...(found.packages.get(p) ?? []), file]));
  }
  return found;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const found = runtimeImports();

describe('dependencies of package.json', () => {
  it('finds the imports it should (the parser is not blind)', () => {
    for (const p of ['commander', 'zod', 'cdktf', 'tsx', 'esbuild', 'pg', 'typescript', 'kubernetes-models']) {
      expect(found.packages.has(p), p).toBe(true);
    }
    expect(found.unresolved).toEqual([]);
  });

  it('every computed import is one reviewed in COMPUTED', () => {
    expect([...found.computed.keys()].sort()).toEqual(Object.keys(COMPUTED).sort());
  });

  it('every package imported at run time is in dependencies, not devDependencies', () => {
    const wrong = [...found.packages]
      .filter(([p]) => !(p in pkg.dependencies))
      .map(
        ([p, files]) =>
          `${p} (${p in pkg.devDependencies ? 'devDependencies' : 'not declared'}; ${[...files].slice(0, 3).join(', ')})`,
      );
    expect(wrong).toEqual([]);
  });

  it('every dependency is imported somewhere, or says why not', () => {
    const dead = Object.keys(pkg.dependencies).filter((p) => !found.packages.has(p) && !(p in NOT_IMPORTED));
    expect(dead).toEqual([]);
    for (const p of Object.keys(NOT_IMPORTED)) expect(pkg.dependencies, p).toHaveProperty(p);
  });
});
