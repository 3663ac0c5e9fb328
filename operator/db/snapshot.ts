/**
 * One database snapshot for one answer. A history names `lastCommittedBlock` and then lists an entry per committed
 * block up to it, over several queries (pages, two in flight on two connections). Read from a replica that keeps
 * replaying, or from a primary whose blocks change status, separate statements could see different states: a
 * history naming a committed block its entries lack fails the client's verification. So every statement of one
 * answer runs in one REPEATABLE READ, READ ONLY transaction, and a second connection joins it through
 * pg_export_snapshot()/SET TRANSACTION SNAPSHOT (allowed on a hot standby too).
 *
 * The connections are reserved from the pool for the answer's life (a streamed history holds them while its client
 * reads): close() gives them back, and is idempotent because a streamed answer may end by finishing or by the
 * client going away. So that slow readers can never take the whole pool, which transfer acceptance shares when
 * there is no replica, at most (max − 2) / 2 snapshots of a pool are open at once (each may hold two
 * connections); more wait their turn. A pool of fewer than 3 connections (the embedded Postgres has one) cannot
 * spare any: there the statements run on the pool itself, outside a transaction, as one backend serves them in
 * order anyway.
 */
import type { ReservedSql, Sql } from 'postgres';

/** Connections of a pool never held by snapshots. */
const SPARE_CONNECTIONS = 2;

/** Open snapshots per pool, and the opens waiting for one to close. */
const turns = new WeakMap<Sql, { open: number; waiting: (() => void)[] }>();

function turnsOf(pool: Sql): { open: number; waiting: (() => void)[] } {
  let state = turns.get(pool);
  if (state === undefined) turns.set(pool, (state = { open: 0, waiting: [] }));
  return state;
}

const poolSize = (pool: Sql): number => Number((pool.options as { max?: number }).max ?? 10);

async function takeTurn(pool: Sql): Promise<void> {
  const limit = Math.max(1, Math.floor((poolSize(pool) - SPARE_CONNECTIONS) / 2));
  const state = turnsOf(pool);
  while (state.open >= limit) await new Promise<void>((resolve) => state.waiting.push(resolve));
  state.open += 1;
}

function giveTurn(pool: Sql): void {
  const state = turnsOf(pool);
  state.open -= 1;
  state.waiting.shift()?.();
}

export class ReadSnapshot {
  readonly #pool: Sql;
  /** Undefined for a pool too small to reserve from: statements then go to the pool. */
  readonly #main: ReservedSql | undefined;
  #id: string | undefined;
  #joined: Promise<ReservedSql> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(pool: Sql, main: ReservedSql | undefined) {
    this.#pool = pool;
    this.#main = main;
  }

  static async open(pool: Sql): Promise<ReadSnapshot> {
    if (poolSize(pool) < SPARE_CONNECTIONS + 1) return new ReadSnapshot(pool, undefined);
    await takeTurn(pool);
    let main: ReservedSql | undefined;
    try {
      main = await pool.reserve();
      await main`begin isolation level repeatable read read only`;
    } catch (error) {
      main?.release();
      giveTurn(pool);
      throw error;
    }
    return new ReadSnapshot(pool, main);
  }

  /** The snapshot's first connection. */
  get sql(): Sql {
    return this.#main ?? this.#pool;
  }

  /** A second connection in the same snapshot (opened on first use), for a query run beside the first. */
  second(): Promise<Sql> {
    const main = this.#main;
    if (main === undefined) return Promise.resolve(this.#pool);
    this.#joined ??= (async () => {
      this.#id ??= (await main<{ id: string }[]>`select pg_export_snapshot() as id`)[0]!.id;
      const other = await this.#pool.reserve();
      try {
        await other`begin isolation level repeatable read read only`;
        // A utility statement: no bind parameters. The id is the server's own, checked before it is spliced in.
        if (!/^[0-9A-F]+-[0-9A-F]+-\d+$/i.test(this.#id!)) throw new Error(`unexpected snapshot id "${this.#id}"`);
        await other.unsafe(`set transaction snapshot '${this.#id}'`);
      } catch (error) {
        await other`rollback`.catch(() => undefined);
        other.release();
        throw error;
      }
      return other;
    })();
    return this.#joined;
  }

  close(): Promise<void> {
    const main = this.#main;
    if (main === undefined) return Promise.resolve();
    this.#closed ??= (async () => {
      const joined = this.#joined;
      if (joined !== undefined) {
        const other = await joined.catch(() => undefined);
        if (other !== undefined) {
          await other`commit`.catch(() => undefined);
          other.release();
        }
      }
      // The exporting transaction must outlive every importer's use: it ends last.
      await main`commit`.catch(() => undefined);
      main.release();
      giveTurn(this.#pool);
    })();
    return this.#closed;
  }
}

/** Runs `read` on one snapshot's connection and closes it: the answers made of two or three statements. */
export async function inReadSnapshot<T>(pool: Sql, read: (sql: Sql) => Promise<T>): Promise<T> {
  const snapshot = await ReadSnapshot.open(pool);
  try {
    return await read(snapshot.sql);
  } finally {
    await snapshot.close();
  }
}
