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
