import t from 'tap';
import { startEmbeddedPostgres } from '../../../operator/embedded-postgres.ts';
import { Store } from '../../../operator/db/store.ts';
import { readMigrations } from '../../../operator/db/migrate.ts';
import { buildBlock } from '../../../operator/block/builder.ts';
import { EMPTY_ROOT } from '../../../client/protocol/index.ts';

t.test('postgres.js and the migrations run on PGlite served over the wire protocol, and the data survive a restart', async (t) => {
  const dataDir = t.testdir();
  const first = await startEmbeddedPostgres({ dataDir });
  t.match(first.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
  let store = Store.connect(first.url, { max: 1 });
  const versions = (await readMigrations()).map((m) => m.version);
  t.same(await store.migrate(), versions, 'every migration applies');
  t.same(await store.migrate(), [], 'a second run finds nothing to do');
  t.same(await buildBlock(store, { maxTransactions: 10, allowEmpty: true }), { number: 1000n, root: EMPTY_ROOT, txCount: 0 });
  await store.close();
  await first.stop();
  await first.stop(); // idempotent

  const second = await startEmbeddedPostgres({ dataDir });
  store = Store.connect(second.url, { max: 1 });
  t.same(await store.migrate(), [], 'the schema survived');
  const [row] = await store.sql<{ n: number }[]>`select count(*)::int as n from blocks`;
  t.equal(row?.n, 1, 'the block survived');
  await store.close();
  await second.stop();
});

t.test('blocks with transactions go into the embedded Postgres (no COPY, which its socket server drops)', async (t) => {
  const embedded = await startEmbeddedPostgres({ dataDir: t.testdir() });
  const store = Store.connect(embedded.url, { max: 1, copy: false });
  t.teardown(async () => {
    await store.close();
    await embedded.stop();
  });
  await store.migrate();
  const transactions = Array.from({ length: 12_000 }, (_, i) => ({
    tx: { slot: BigInt(i) * 1_000_003n, prevBlock: 5n, denomination: 1n, newOwner: `0x${'ab'.repeat(20)}` as const },
    signature: new Uint8Array(65).fill(1),
    digest: new Uint8Array(32).fill((i % 250) + 1),
    proof: new Uint8Array(8),
  }));
  await store.insertBlock({ number: 1000n, root: new Uint8Array(32).fill(9), transactions });
  const [row] = await store.sql<{ n: number }[]>`select count(*)::int as n from transactions where block = 1000`;
  t.equal(row?.n, 12_000, 'every transaction of the block, across several INSERT chunks');
  const [one] = await store.sql<{ slot: string; signature: Buffer }[]>`select slot::text, signature from transactions where block = 1000 order by slot limit 1`;
  t.equal(one?.signature.length, 65);
  t.equal((await store.sql`select 1 as ok`).length, 1, 'the connection is still usable');
});
