// Writes the generated monitoring files (rules, configurations, dashboards, docs/indicators.md)
// for the lab's defaults: `npm run monitoring` (node --import tsx src/modules/monitoring/build.ts).
// Files of the generated directories that are no longer produced are removed, so that the tree
// matches the code exactly.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNotFound } from '../../core/errors.ts';
import { t } from '../../core/i18n/index.ts';
import { REPO_ROOT } from '../../core/repo.ts';
import { DASHBOARDS_DIR, GENERATED_DIR, generatedFiles } from './generate.ts';

export function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isNotFound(err)) return []; // not generated yet
    throw err;
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

export function writeGenerated(root: string = REPO_ROOT): number {
  const files = generatedFiles();
  for (const dir of [GENERATED_DIR, DASHBOARDS_DIR]) {
    for (const f of listFiles(resolve(root, dir))) if (!files.has(relative(root, f))) rmSync(f);
  }
  for (const [path, content] of files) {
    const abs = resolve(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  return files.size;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const count = writeGenerated();
  console.log(t('monitoring.written', { count, dir: `${GENERATED_DIR}, ${DASHBOARDS_DIR}, docs/indicators.md` }));
}
