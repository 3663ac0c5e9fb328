// Each test file gets its own database on the real Postgres (TOOLCHAIN.md), dropped in teardown.
import type { Test } from 'tap';
import postgres from 'postgres';
import { Store } from '../../../operator/db/store.ts';

const SERVER = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

export async function createTestDatabase(t: Test, label: string): Promise<string> {
  const name = `plasma_${label}_${process.pid}_${Math.floor(Math.random() * 1e9)}`.replace(/[^a-z0-9_]/g, '_');
  const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return `${SERVER}/${name}`;
}

/** A migrated Store on a fresh database, closed before the database is dropped. */
export async function createTestStore(t: Test, label: string): Promise<Store> {
  const url = await createTestDatabase(t, label);
  const store = Store.connect(url);
  t.teardown(() => store.close());
  await store.migrate();
  return store;
}
