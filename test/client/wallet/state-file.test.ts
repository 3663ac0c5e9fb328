// The wallet's state file: atomic writes, one writer at a time across processes, a dead writer's lock taken
// over, bigints round-tripped, and a damaged file refused with what to do.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { StateFile } from '../../../client/wallet/state-file.ts';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Counter {
  count: bigint;
  writers: string[];
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'plasma-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('bigints round-trip and a missing file reads as the initial state', async (t) => {
  const file = path.join(await tempDir(t), 'nested', 'state.json');
  const state = new StateFile<Counter>(file, () => ({ count: 0n, writers: [] }));
  t.same(await state.read(), { count: 0n, writers: [] });
  await state.update((s) => void (s.count = 2n ** 70n));
  t.equal((await state.read()).count, 2n ** 70n);
  t.match(await readFile(file, 'utf8'), /"\$bigint": "1180591620717411303424"/);
  t.same((await readdir(path.dirname(file))).sort(), ['state.json'], 'no temporary or lock file is left behind');
});

t.test('a failed change writes nothing', async (t) => {
  const file = path.join(await tempDir(t), 'state.json');
  const state = new StateFile<Counter>(file, () => ({ count: 0n, writers: [] }));
  await state.update((s) => void (s.count = 1n));
  await t.rejects(state.update((s) => {
    s.count = 99n;
    throw new Error('halfway');
  }), /halfway/);
  t.equal((await state.read()).count, 1n);
});

t.test('two processes incrementing at once lose no update', async (t) => {
  const file = path.join(await tempDir(t), 'state.json');
  const script = path.join(HERE, 'fixtures', 'state-file-writer.ts');
  const tsx = path.join(HERE, '..', '..', '..', 'node_modules', '.bin', 'tsx');
  await Promise.all([run(tsx, [script, file, 'a', '60']), run(tsx, [script, file, 'b', '60'])]);
  const state = new StateFile<Counter>(file, () => ({ count: 0n, writers: [] }));
  const final = await state.read();
  t.equal(final.count, 120n, 'every increment of both writers is there');
  t.equal(final.writers.filter((w) => w === 'a').length, 60);
});

t.test('the lock of a writer that died is taken over; a damaged file is refused with what to do', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'state.json');
  await writeFile(`${file}.lock`, '999999999');
  const state = new StateFile<Counter>(file, () => ({ count: 0n, writers: [] }));
  await state.update((s) => void (s.count = 5n));
  t.equal((await state.read()).count, 5n);
  await writeFile(file, '{"count": ');
  await t.rejects(state.read(), /cannot read the wallet state .*state\.json.*Restore it from a backup or move it away/);
});
