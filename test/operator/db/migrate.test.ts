import t from 'tap';
import postgres from 'postgres';
import { migrate, MIGRATION_LOCK_KEY, readMigrations } from '../../../operator/db/migrate.ts';
import { createTestDatabase } from './helpers.ts';

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
    'blocks', 'coins', 'deposits', 'exits', 'l1_cursor', 'pending_transactions', 'schema_migrations', 'transactions',
  ]);
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
