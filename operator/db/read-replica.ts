/**
 * The read replica (--database-read-url): a streaming replica of the primary that serves the API's reads
 * (histories, proofs, owners' coins, blocks, checkpoints). Transfer acceptance never reads it: a replica is behind
 * the primary, and a decision taken on stale rows could accept a spend of a coin that already moved.
 *
 * At start it must be a replica of this very primary (same system identifier) holding this database with the
 * migrations the primary has; otherwise the operator would serve another chain's rows, or none.
 */
import postgres, { type Sql } from 'postgres';
import { Store } from './store.ts';

export interface ReplicaLag {
  /** WAL the replica has not replayed: the primary's pg_current_wal_lsn() minus its pg_last_wal_replay_lsn(). */
  readonly bytes: number;
  /**
   * now() − pg_last_xact_replay_timestamp() on the replica while it is behind; 0 once it has replayed all the
   * primary wrote (on an idle primary the last replayed commit grows old without the replica lagging).
   */
  readonly seconds: number;
  /** False when the server at the read URL is not in recovery (a promoted replica, or a primary). */
  readonly inRecovery: boolean;
}

/** Why the read URL cannot serve reads for this primary, as a message for the person who started the operator. */
export class ReadReplicaError extends Error {
  override name = 'ReadReplicaError';
}

/**
 * Checks the replica against the primary (after the primary's migrations ran) and waits, up to `waitMs`, for it to
 * replay them. Throws ReadReplicaError saying what is wrong.
 */
export async function checkReadReplica(primary: Sql, replica: Sql, waitMs = 30_000): Promise<{ inRecovery: boolean }> {
  let identity: { id: string | null; recovery: boolean; database: string }[];
  try {
    identity = await replica`select (select system_identifier::text from pg_control_system()) as id, pg_is_in_recovery() as recovery, current_database() as database`;
  } catch (error) {
    throw new ReadReplicaError(`cannot reach it: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [primaryIdentity] = await primary<{ id: string | null; database: string }[]>`
    select (select system_identifier::text from pg_control_system()) as id, current_database() as database`;
  const { id, recovery, database } = identity[0]!;
  if (id !== primaryIdentity!.id) {
    throw new ReadReplicaError(`it is not a replica of the primary (system identifier ${id}, the primary's ${primaryIdentity!.id}); point it at a streaming replica of --database-url`);
  }
  if (database !== primaryIdentity!.database) {
    throw new ReadReplicaError(`it names database "${database}", the primary "${primaryIdentity!.database}"; use the same database name in both URLs`);
  }
  const [wanted] = await primary<{ v: number }[]>`select max(version)::int4 as v from schema_migrations`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const [has] = await replica<{ v: number | null }[]>`
      select case when to_regclass('schema_migrations') is null then null else (select max(version)::int4 from schema_migrations) end as v`;
    if (has!.v !== null && has!.v >= wanted!.v) return { inRecovery: recovery };
    if (Date.now() > deadline) {
      throw new ReadReplicaError(`it has not replayed the primary's schema (migration ${has!.v ?? 'none'} of ${wanted!.v}) after ${waitMs / 1000} s; check that it streams from the primary`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The replica's lag behind the primary. Two servers, two reads: the primary's position is read first, so a
 * replica that replays past it meanwhile shows 0, never a negative lag.
 */
export async function replicaLag(primary: Sql, replica: Sql): Promise<ReplicaLag> {
  const [head] = await primary<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  const [row] = await replica<{ recovery: boolean; bytes: string | null; seconds: number | null }[]>`
    select pg_is_in_recovery() as recovery,
           greatest(pg_wal_lsn_diff(${head!.lsn}::pg_lsn, pg_last_wal_replay_lsn()), 0)::text as bytes,
           extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as seconds`;
  if (!row!.recovery) return { bytes: 0, seconds: 0, inRecovery: false };
  const bytes = Number(row!.bytes ?? 0);
  return { bytes, seconds: bytes === 0 ? 0 : Math.max(0, row!.seconds ?? 0), inRecovery: true };
}

/** The primary and replica connections the lag is read on (small pools of their own, so a busy API never delays it). */
export function lagProbe(primaryUrl: string, replicaUrl: string): { lag(): Promise<ReplicaLag>; close(): Promise<void> } {
  const options = { max: 1, onnotice: () => {}, connect_timeout: 5, idle_timeout: 60 };
  const primary = postgres(primaryUrl, options);
  const replica = postgres(replicaUrl, options);
  return {
    lag: () => replicaLag(primary, replica),
    close: async () => {
      await Promise.all([primary.end({ timeout: 2 }), replica.end({ timeout: 2 })]);
    },
  };
}

export interface ReadReplica {
  /** The API's read store, on the replica. */
  readonly store: Store;
  readonly lag: () => Promise<ReplicaLag>;
  /** True when the server at the read URL was not in recovery at start (a promoted replica, or a primary). */
  readonly notInRecovery: boolean;
  close(): Promise<void>;
}

/** Connects to the replica and checks it against the primary (checkReadReplica); throws ReadReplicaError. */
export async function openReadReplica(replicaUrl: string, primaryUrl: string, primary: Store, pool: { readonly max: number }): Promise<ReadReplica> {
  const store = Store.connect(replicaUrl, { max: pool.max });
  try {
    const { inRecovery } = await checkReadReplica(primary.sql, store.sql);
    const probe = lagProbe(primaryUrl, replicaUrl);
    return {
      store,
      lag: probe.lag,
      notInRecovery: !inRecovery,
      close: async () => {
        await Promise.all([probe.close(), store.close()]);
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
