import { readFileSync } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS } from '../src/competencies/artifacts.ts';
import { artifactProblems, competencyMap, renderMarkdown } from '../src/competencies/map.ts';
import { COMPETENCIES } from '../src/core/competencies.ts';
import { generatedDocs } from '../src/cli/commands/docs.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { cli } from './helpers.ts';

describe('competency registry', () => {
  it('has the eleven competencies of the title with their criteria', () => {
    expect(COMPETENCIES.map((c) => c.id)).toEqual([
      'CP1',
      'CP2',
      'CP3',
      'CP4',
      'CP5',
      'CP6',
      'CP7',
      'CP8',
      'CP9',
      'CP10',
      'CP11',
    ]);
    expect(COMPETENCIES.flatMap((c) => c.criteria).length).toBe(32);
    expect(COMPETENCIES.find((c) => c.id === 'CP6')!.criteria.map((c) => c.fr)).toContain('Les données sont sauvegardées');
  });

  it('every declared artifact names existing criteria and an existing file', () => {
    expect(artifactProblems()).toEqual([]);
  });

  it('detects a made-up criterion and a missing file', () => {
    const bad = [{ kind: 'script' as const, name: 'x', path: 'scripts/nope.sh', covers: ['CP12.1', 'CP3.9'] }];
    const p = artifactProblems(bad);
    expect(p).toContain('scripts/nope.sh: unknown criterion CP12.1 (no such competency)');
    expect(p).toContain('scripts/nope.sh: unknown criterion CP3.9');
    expect(p).toContain('scripts/nope.sh: file does not exist');
  });

  it('every stack, role and script in the tree is declared', () => {
    const declared = new Set(ARTIFACTS.map((a) => a.path));
    const undeclared: string[] = [];
    const stacks = resolve(REPO_ROOT, 'stacks/constructs');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const rel = (p: string) => p.slice(REPO_ROOT.length + 1);
    for (const f of safe(() => walk(stacks))) if (f.endsWith('.ts') && !declared.has(rel(f))) undeclared.push(rel(f));
    for (const f of safe(() => readdirSync(resolve(REPO_ROOT, 'scripts')))) {
      if (/\.(sh|py|ps1)$/.test(f) && !declared.has(`scripts/${f}`)) undeclared.push(`scripts/${f}`);
    }
    for (const r of safe(() => readdirSync(resolve(REPO_ROOT, 'ansible/roles')))) {
      if (!declared.has(`ansible/roles/${r}`)) undeclared.push(`ansible/roles/${r}`);
    }
    expect(undeclared).toEqual([]);
  });

  it('shows uncovered competencies plainly', () => {
    const map = competencyMap();
    const cp11 = map.find((c) => c.id === 'CP11')!;
    expect(cp11.covered).toBe(false);
    expect(renderMarkdown(map)).toContain('## CP11');
  });

  it('generated docs (competencies, cohort reference, JSON Schema) are up to date: run npm run docs', () => {
    for (const [path, content] of generatedDocs()) {
      expect(readFileSync(resolve(REPO_ROOT, path), 'utf8'), path).toBe(content);
    }
  });

  it('prints the map as a table and as JSON', async () => {
    const table = await cli(['competencies']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/CP3\.2 +Les accès aux serveurs sont sécurisés/);
    const json = await cli(['competencies', '--json']);
    const parsed = JSON.parse(json.stdout) as { competencies: { id: string; criteria: unknown[] }[] };
    expect(parsed.competencies).toHaveLength(11);
  });
});

function safe(fn: () => string[]): string[] {
  try {
    return fn();
  } catch {
    return [];
  }
}
