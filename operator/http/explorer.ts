/**
 * GET / and /assets/*: the explorer page (explorer/dist, built by `npm run explorer:build` and committed), read
 * when the app is created and served from memory. The API routes are untouched; the page reads them same-origin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router, { type RouterContext } from '@koa/router';
import { HttpError } from './errors.ts';

export const EXPLORER_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'explorer', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page may fetch only this origin and the L1 node the user chooses (any http(s) URL); scripts only from
 * here, WebAssembly allowed (client/protocol's keccak compiles it at load).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Read once when the app is created (three small files); a missing bundle leaves the map empty. */
export function loadExplorerFiles(dist = EXPLORER_DIST): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(dist, { recursive: true }) as string[];
  } catch {
    return files; // no bundle: GET / says how to build it
  }
  for (const name of names) {
    if (TYPES[path.extname(name)] === undefined) continue;
    files.set(name.split(path.sep).join('/'), readFileSync(path.join(dist, name)));
  }
  return files;
}

export function explorerRoutes(files: Map<string, Buffer>): Router {
  const router = new Router();
  const serve = (ctx: RouterContext, name: string) => {
    const body = files.get(name);
    if (body === undefined) {
      if (name === 'index.html') throw new HttpError(404, 'no_explorer', 'the explorer is not built: run npm run explorer:build');
      throw new HttpError(404, 'not_found', `no asset ${name}`);
    }
    ctx.type = TYPES[path.extname(name)]!;
    ctx.set('content-security-policy', CONTENT_SECURITY_POLICY);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('cache-control', 'no-cache');
    ctx.body = body;
  };
  router.get('/', (ctx) => serve(ctx, 'index.html'));
  router.get('/assets/:name', (ctx) => serve(ctx, `assets/${ctx.params['name']}`));
  return router;
}
