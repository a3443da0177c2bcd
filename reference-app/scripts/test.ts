// `npm run app:test [-- --reports DIR]`: the app's test suite (vitest, reference-app/vitest.config.ts) on a
// real PostgreSQL, writing DIR/junit.xml and DIR/defects.md (default reference-app/reports). Exit code 1 when
// a test fails: the pipeline stops, and the two reports are its artifacts.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { defectsMarkdown, parseJUnit } from './defects.ts';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(APP_DIR, '..');

async function main(argv: string[]): Promise<number> {
  let reports = path.join(APP_DIR, 'reports');
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reports') reports = path.resolve(argv[++i] ?? '');
    else rest.push(argv[i]!);
  }
  await mkdir(reports, { recursive: true });
  const junit = path.join(reports, 'junit.xml');
  const defects = path.join(reports, 'defects.md');
  await rm(junit, { force: true });
  await rm(defects, { force: true });
  const vitest = path.join(ROOT, 'node_modules', '.bin', 'vitest');
  const run = await execa(
    vitest,
    [
      'run',
      '--config',
      path.join(APP_DIR, 'vitest.config.ts'),
      '--reporter=default',
      '--reporter=junit',
      `--outputFile.junit=${junit}`,
      ...rest,
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
      reject: false,
    },
  );
  let xml: string;
  try {
    xml = await readFile(junit, 'utf8');
  } catch {
    const md = `# Defect report: asd-app\n\nThe test run ended (exit code ${run.exitCode}) without writing ${junit}: the suite could not start. See the job log.\n`;
    await writeFile(defects, md);
    console.error(md);
    return 1;
  }
  const commit = await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false });
  const summary = parseJUnit(xml);
  await writeFile(
    defects,
    defectsMarkdown(summary, {
      title: 'asd-app',
      commit: commit.exitCode === 0 ? commit.stdout.trim() : undefined,
      date: new Date().toISOString(),
      junitPath: path.relative(ROOT, junit),
    }),
  );
  console.log(
    `reports: ${path.relative(process.cwd(), junit)}, ${path.relative(process.cwd(), defects)} (${summary.failures} defect(s) in ${summary.tests} tests)`,
  );
  return run.exitCode === 0 && summary.failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
