import t from 'tap';
import postgres from 'postgres';
import { migrate, MIGRATION_LOCK_KEY, readMigrations } from '../../../operator/db/migrate.ts';
import { createTestDatabase } from './helpers.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes, SparseMerkleTree, verifyProof } from '../../../client/protocol/index.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import { Store } from '../../../operator/db/store.ts';

t.test('migrations apply once, in order, and a second run does nothing', async (t) => {
  const url = await createTestDatabase(t, 'migrate_once');
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  t.teardown(() => sql.end());
  const all = (await readMigrations()).map((m) => m.version);
  t.same(await migrate(sql), all);
  t.same(await migrate(sql), []);
  const rows = await sql<{ version: number }[]>`select version from schema_migrations order by version`;
  t.same(rows.map((row) => row.version), all);
  const tables = await sql<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
  t.same(tables.map((row) => row.table_name), [
    'blocks', 'checkpoint_buckets', 'checkpoint_nodes', 'checkpoints', 'coins', 'deposits', 'exits', 'l1_block_hashes', 'l1_cursor', 'l1_reorgs', 'leaf_challenges',
    'pending_transactions', 'producer_election', 'proofs', 'schema_migrations', 'transactions',
  ]);
});

t.test('0004 moves the proofs of a database written before it into their own table, and its history still serves', async (t) => {
  const url = await createTestDatabase(t, 'migrate_0004');
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  t.teardown(() => sql.end());
  const dir = await mkdtemp(join(tmpdir(), 'plasma-migrations-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const migration of await readMigrations()) {
    if (migration.version < 4) await writeFile(join(dir, migration.name), migration.sql);
  }
  t.same(await migrate(sql, dir), [1, 2, 3]);
  // one committed block as 0001–0003 stored it: the proof in the transactions row
  const tree = SparseMerkleTree.build([{ slot: 5n, leaf: new Uint8Array(32).fill(1) }, { slot: 9n, leaf: new Uint8Array(32).fill(2) }]);
  await sql`insert into blocks (number, root, tx_count, status) values (1000, ${Buffer.from(tree.rootBytes)}, 2, 'confirmed')`;
  for (const [slot, fill] of [[5n, 1], [9n, 2]] as const) {
    await sql`
      insert into transactions (block, slot, prev_block, denomination, new_owner, signature, digest, proof, accepted_at)
      values (1000, ${slotToDb(slot)}::int8, 1, 1, ${Buffer.alloc(20)}, ${Buffer.alloc(65)}, ${Buffer.alloc(32, fill)},
              ${Buffer.from(tree.proofBytes(slot))}, now())`;
  }
  t.same(await migrate(sql), (await readMigrations()).map((m) => m.version).filter((version) => version >= 4));
  const proofs = await sql<{ slot: string; proof: Buffer }[]>`select slot::text, proof from proofs where block = 1000 order by proofs.slot`;
  t.same(proofs.map((row) => Buffer.from(row.proof).toString('hex')), [5n, 9n].map((slot) => Buffer.from(tree.proofBytes(slot)).toString('hex')));
  const store = new Store(sql);
  const page = await store.coinHistory(7n, 1000n, 1000n);
  t.equal(page.entries.length, 1);
  t.ok(verifyProof(tree.root, 7n, new Uint8Array(32), hexToBytes(page.entries[0]!.proof)), 'an exclusion proof derived from a moved neighbour proof verifies');
});

t.test('two operators migrating at once: one applies, the other waits and finds nothing to do', async (t) => {
  const url = await createTestDatabase(t, 'migrate_race');
  const a = postgres(url, { max: 1, onnotice: () => {} });
  const b = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(async () => {
    await a.end();
    await b.end();
  });
  const results = await Promise.all([migrate(a), migrate(b)]);
  t.same(results.map((versions) => versions.length).sort(), [0, (await readMigrations()).length]);
});

t.test('migrate waits while another session holds the migration lock', async (t) => {
  const url = await createTestDatabase(t, 'migrate_lock');
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(async () => {
    await holder.end();
    await sql.end();
  });
  const lock = await holder.reserve();
  await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::int8)`;
  let finished = false;
  const running = migrate(sql).then((versions) => {
    finished = true;
    return versions;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(finished, 'still waiting for the lock');
  const [{ count } = { count: '' }] = await lock<{ count: string }[]>`
    select count(*)::text as count from information_schema.tables where table_name = 'schema_migrations'`;
  t.equal(count, '0', 'nothing created while the lock is held');
  await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::int8)`;
  lock.release();
  t.ok((await running).length > 0, 'applied once the lock is free');
});
