/**
 * One database snapshot for one answer. A history names `lastCommittedBlock` and then lists an entry per committed
 * block up to it, over several queries (pages, two in flight on two connections). Read from a replica that keeps
 * replaying, or from a primary whose blocks change status, separate statements could see different states: a
 * history naming a committed block its entries lack fails the client's verification. So every statement of one
 * answer runs in one REPEATABLE READ, READ ONLY transaction, and a second connection joins it through
 * pg_export_snapshot()/SET TRANSACTION SNAPSHOT (allowed on a hot standby too).
 *
 * The connections are reserved from the pool for the answer's life: close() gives them back, and is idempotent
 * because a streamed answer may end by finishing or by the client going away.
 */
import type { ReservedSql, Sql } from 'postgres';

export class ReadSnapshot {
  readonly #pool: Sql;
  readonly #main: ReservedSql;
  #id: string | undefined;
  #joined: Promise<ReservedSql> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(pool: Sql, main: ReservedSql) {
    this.#pool = pool;
    this.#main = main;
  }

  static async open(pool: Sql): Promise<ReadSnapshot> {
    const main = await pool.reserve();
    try {
      await main`begin isolation level repeatable read read only`;
    } catch (error) {
      main.release();
      throw error;
    }
    return new ReadSnapshot(pool, main);
  }

  /** The snapshot's first connection. */
  get sql(): Sql {
    return this.#main;
  }

  /** A second connection in the same snapshot (opened on first use), for a query run beside the first. */
  second(): Promise<Sql> {
    this.#joined ??= (async () => {
      this.#id ??= (await this.#main<{ id: string }[]>`select pg_export_snapshot() as id`)[0]!.id;
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
      await this.#main`commit`.catch(() => undefined);
      this.#main.release();
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
