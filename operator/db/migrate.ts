/**
 * Applies the numbered SQL files of migrations/ that are not yet in `schema_migrations`, all in one
 * transaction under a transaction-scoped advisory lock: a second operator starting at the same time waits for
 * the first and then finds nothing left to do. Forward-only: a file once applied is never run again.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** Arbitrary constant naming the advisory lock ("plasma migrations"). */
export const MIGRATION_LOCK_KEY = 0x706c_6173_6d61n;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    if (migrations.some((m) => m.version === version)) throw new Error(`two migrations numbered ${version} in ${dir}`);
    migrations.push({ version, name: file, sql: await readFile(new URL(file, `file://${dir}/`), 'utf8') });
  }
  return migrations;
}

/** Returns the versions applied by this call (empty when the schema was already current). */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await readMigrations(dir);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()}::int8)`;
    await tx`
      create table if not exists schema_migrations (
        version    int4 primary key,
        name       text not null,
        applied_at timestamptz not null default now()
      )`;
    const rows = await tx<{ version: number }[]>`select version from schema_migrations`;
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql).simple();
      await tx`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
      applied.push(migration.version);
    }
    return applied;
  });
}
