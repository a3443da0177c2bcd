// `npm run app:build`: type-check the app, then bundle it with esbuild into one file per release:
// reference-app/dist/v1/app.cjs and reference-app/dist/v2/app.cjs (+ build.json with the bundle's sha256).
// The bundle holds the app and its dependencies (pg), so the image needs only node and this file.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import { execa } from 'execa';

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VERSIONS = ['v1', 'v2'] as const;

export async function buildApp(opts: { outDir?: string; versions?: readonly string[]; typecheck?: boolean } = {}) {
  const outDir = opts.outDir ?? path.join(APP_DIR, 'dist');
  if (opts.typecheck !== false) {
    const tsc = path.join(APP_DIR, '..', 'node_modules', '.bin', 'tsc');
    const r = await execa(tsc, ['-p', path.join(APP_DIR, 'tsconfig.json')], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`type errors in app/:\n${r.all}`);
  }
  const results = [];
  for (const v of opts.versions ?? VERSIONS) {
    const dir = path.join(outDir, v);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'app.cjs');
    await build({
      entryPoints: [path.join(APP_DIR, 'src', 'main.ts')],
      outfile: file,
      bundle: true,
      platform: 'node',
      // Node 18 is Debian 12's nodejs (the golden image); Node 20 runs it too.
      target: 'node18',
      format: 'cjs',
      // pg loads pg-native only when asked to; the pure JavaScript client is what we ship.
      external: ['pg-native'],
      define: { __ASD_APP_VERSION__: JSON.stringify(v) },
      legalComments: 'eof',
      logLevel: 'warning',
    });
    const bytes = await readFile(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const pgVersion = JSON.parse(await readFile(path.join(APP_DIR, '..', 'node_modules', 'pg', 'package.json'), 'utf8'))
      .version as string;
    const info = {
      version: v,
      file: 'app.cjs',
      sha256,
      size: bytes.length,
      esbuild: esbuildVersion,
      dependencies: { pg: pgVersion },
    };
    await writeFile(path.join(dir, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
    results.push({ ...info, path: file });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildApp().then(
    (r) => {
      for (const x of r)
        console.log(
          `app ${x.version}: ${path.relative(process.cwd(), x.path)} ${(x.size / 1024).toFixed(0)} KiB sha256:${x.sha256.slice(0, 16)}`,
        );
      console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    (err: unknown) => {
      console.error((err as Error).message);
      process.exit(1);
    },
  );
}
