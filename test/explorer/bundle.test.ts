// The committed explorer bundle (explorer/dist, what the operator serves) is what explorer/src builds to now:
// rebuilt in memory and compared file by file. Run `npm run explorer:build` and commit explorer/dist when not.
import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildExplorer, DIST } from '../../explorer/build.ts';

t.test('explorer/dist is up to date with explorer/src (else: npm run explorer:build)', async (t) => {
  const built = await buildExplorer();
  const committed = ((await readdir(DIST, { recursive: true })) as string[])
    .filter((name) => path.extname(name) !== '')
    .map((name) => name.split(path.sep).join('/'))
    .sort();
  t.same(committed, [...built.keys()].sort(), 'the same files (run npm run explorer:build)');
  for (const [name, contents] of built) {
    const onDisk = await readFile(path.join(DIST, name)).catch(() => undefined);
    t.ok(onDisk !== undefined && Buffer.compare(onDisk, Buffer.from(contents)) === 0, `explorer/dist/${name} is the current build (run npm run explorer:build)`);
  }
});

t.test('the bundle makes no request beyond its own origin and the L1 node: no external URL in it', async (t) => {
  const built = await buildExplorer();
  for (const [name, contents] of built) {
    const text = Buffer.from(contents).toString('utf8');
    const urls = [...text.matchAll(/(?:src|href)\s*=\s*["'](https?:)?\/\/[^"']+["']|@import\s+url\(\s*["']?https?:|url\(\s*["']?https?:/g)].map((m) => m[0]);
    t.same(urls, [], `${name} loads nothing from another origin`);
  }
});
