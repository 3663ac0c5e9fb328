/**
 * Builds the explorer page into explorer/dist/: index.html, assets/explorer.js (main.ts with client/protocol
 * and uPlot, one ES module) and assets/explorer.css. `npm run explorer:build` writes it; the bundle is committed
 * so that `npm start` serves it without a build step, and test/explorer/bundle.test.ts rebuilds it in memory and
 * fails while the committed one differs.
 *
 * client/protocol runs in the browser unchanged: the `secp256k1` package's own browser build (its `browser`
 * field: elliptic, pure JS) replaces the native binding, and buffer-shim.ts stands in for the one Node global it
 * names (Buffer, for hex).
 */
import { readFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.join(here, 'dist');

/** Every file of explorer/dist, by path relative to it. */
export async function buildExplorer(): Promise<Map<string, Uint8Array>> {
  const common: BuildOptions = {
    absWorkingDir: path.dirname(here),
    bundle: true,
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    outdir: path.join(DIST, 'assets'),
  };
  const [script, style] = await Promise.all([
    build({
      ...common,
      entryPoints: { explorer: path.join(here, 'src', 'main.ts') },
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      inject: [path.join(here, 'src', 'buffer-shim.ts')],
    }),
    build({ ...common, entryPoints: { explorer: path.join(here, 'src', 'style.css') } }),
  ]);
  const files = new Map<string, Uint8Array>();
  for (const file of [...(script.outputFiles ?? []), ...(style.outputFiles ?? [])]) files.set(path.relative(DIST, file.path).split(path.sep).join('/'), file.contents);
  files.set('index.html', await readFile(path.join(here, 'src', 'index.html')));
  return files;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildExplorer();
  await rm(DIST, { recursive: true, force: true });
  for (const [name, contents] of files) {
    await mkdir(path.dirname(path.join(DIST, name)), { recursive: true });
    await writeFile(path.join(DIST, name), contents);
  }
  for (const [name, contents] of files) console.log(`explorer/dist/${name}  ${(contents.length / 1024).toFixed(1)} KiB`);
}
