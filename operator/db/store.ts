/**
 * The operator's storage behind one class. postgres.js tagged templates only. A block is written in two
 * transactions, its membership first and its root and proofs once the tree is built (block-writes.ts).
 *
 * A coin's history is served from stored rows alone: per committed block either the coin's own transaction
 * (with its stored inclusion proof) or the two leaves around its slot, from one of which the exclusion proof
 * is derived (client/protocol/derive.ts). One query per page of blocks, whatever the block sizes.
 */
import { connect as netConnect, type Socket } from 'node:net';
import postgres, { type Sql } from 'postgres';
import {
  deriveExclusionProof,
  type Hash,
  type Hex,
  type HistoryEntry,
} from '../../client/protocol/index.ts';
import {
  blockLeaves,
  claimBlock,
  insertBlock,
  persistBlock,
  type ClaimedBlock,
  type ClaimOptions,
  type NewBlock,
  type WriteMode,
} from './block-writes.ts';
import { blockCommitState, blocksToCommit, builtBlocks, reopenBlocksFrom, setBlockStatus, type BlockCommitState, type BlockStatus } from './block-status.ts';
import { hexOf, slotFromDb, slotToDb } from './codec.ts';
import { migrate } from './migrate.ts';
import type { BlockRecord } from './transfers.ts';

export type { BlockTransaction, ClaimedBlock, ClaimOptions, NewBlock } from './block-writes.ts';
export type { BlockCommitState, BlockStatus } from './block-status.ts';
export { DuplicateSlotError, NotBuiltError } from './block-writes.ts';

export interface CoinHistoryPage {
  /** One entry per committed child block in range, ascending. */
  readonly entries: HistoryEntry[];
  /** Set when `limit` cut the page short: the block to continue from. */
  readonly next?: bigint;
}

export interface StorageFigures {
  /** Heap, TOAST and indexes of the transactions and proofs tables. */
  readonly bytes: number;
  readonly rows: number;
  readonly bytesPerTransfer: number;
}

/** -2^63: `x # MIN_INT8` orders int8 bit patterns as uint64 (coinHistory). */
const MIN_INT8 = '-9223372036854775808';

/**
 * The TCP connection postgres.js would open, with Nagle off. postgres.js leaves it on, and a COPY ends with a
 * small CopyDone written after the data: Nagle holds it for the server's delayed ACK, ~40 ms on every block.
 */
function noDelaySocket(options: { readonly host: readonly string[]; readonly port: readonly number[]; readonly path?: string | false }): Socket {
  const socket = options.path ? netConnect(options.path) : netConnect(options.port[0] ?? 5432, options.host[0]);
  socket.setNoDelay(true);
  return socket;
}

export interface StoreOptions {
  /**
   * Stream a block's transactions with COPY (default). The embedded Postgres (PGlite behind its socket server)
   * drops the connection on COPY, so it inserts them with multi-row INSERTs instead.
   */
  readonly copy?: boolean;
}

export class Store {
  readonly sql: Sql;
  readonly #mode: WriteMode;

  constructor(sql: Sql, options: StoreOptions = {}) {
    this.sql = sql;
    this.#mode = { copy: options.copy ?? true };
  }

  static connect(url: string, options: { readonly max?: number } & StoreOptions = {}): Store {
    // `socket` is a documented option that postgres.js's types leave out. `backoff`: postgres.js waits
    // 3^failures/100 s (up to 20 s) before reconnecting after a failed attempt, and queries wait with it; after a
    // Postgres restart that held requests and the block loop for many seconds. Capped at 1 s here.
    const settings = {
      max: options.max ?? 4,
      onnotice: () => {},
      socket: noDelaySocket,
      backoff: (failures: number) => Math.min(0.05 * 2 ** failures, 1),
      connect_timeout: 10,
    };
    return new Store(postgres(url, settings), options);
  }

  migrate(): Promise<number[]> {
    return migrate(this.sql);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  /** Writes a complete block (root and proofs known) in one transaction: see block-writes.ts insertBlock. */
  insertBlock(block: NewBlock, status: BlockStatus = 'persisted'): Promise<void> {
    return insertBlock(this.sql, this.#mode, block, status);
  }

  /** Claims the next block from pending transfers ('built', no root yet): see block-writes.ts claimBlock. */
  claimBlock(options: ClaimOptions, onLeaves?: (claim: ClaimedBlock) => void): Promise<ClaimedBlock | undefined> {
    return claimBlock(this.sql, options, onLeaves);
  }

  /** 'built' → 'persisted' with the root and the proofs (in slot order): see block-writes.ts persistBlock. */
  persistBlock(number: bigint, root: Uint8Array | Hash, slots: readonly bigint[], proofs: readonly (Uint8Array | Hex)[]): Promise<void> {
    return persistBlock(this.sql, this.#mode, number, root, slots, proofs);
  }

  /**
   * The last child block claimed and the highest deposit block applied by the follower (0n for none): the
   * deposits numbered after that block wait for the next one (block/deposits.ts). Two primary-key lookups.
   */
  async depositInterval(): Promise<{ lastChild: bigint; lastDeposit: bigint }> {
    const [row] = await this.sql<{ last_child: string | null; last_deposit: string | null }[]>`
      select (select max(number) from blocks)::text as last_child, (select max(block) from deposits)::text as last_deposit`;
    return { lastChild: BigInt(row?.last_child ?? 0), lastDeposit: BigInt(row?.last_deposit ?? 0) };
  }

  /** The numbers of the blocks claimed but not persisted (their tree was never finished), ascending. */
  builtBlocks(): Promise<bigint[]> {
    return builtBlocks(this.sql);
  }

  /** A stored block's leaves in slot order. */
  blockLeaves(number: bigint): Promise<ClaimedBlock> {
    return blockLeaves(this.sql, number);
  }

  /** Block-status writes and the committer's reads: see block-status.ts. */
  setBlockStatus(number: bigint, status: BlockStatus, l1: { readonly rawTx?: Uint8Array; readonly txHash?: Uint8Array } = {}): Promise<void> {
    return setBlockStatus(this.sql, number, status, l1);
  }

  reopenBlocksFrom(nextOnL1: bigint): Promise<bigint[]> {
    return reopenBlocksFrom(this.sql, nextOnL1);
  }

  blocksToCommit(): Promise<bigint[]> {
    return blocksToCommit(this.sql);
  }

  blockCommitState(number: bigint): Promise<BlockCommitState> {
    return blockCommitState(this.sql, number);
  }

  /** Child blocks whose root is confirmed on L1, in `[from, to]`, ascending. */
  async committedChildBlocks(from: bigint, to: bigint): Promise<(Pick<BlockRecord, 'number' | 'txCount' | 'status'> & { readonly root: Hash })[]> {
    const rows = await this.sql<{ number: string; root: Buffer; tx_count: number; status: BlockStatus }[]>`
      select number, root, tx_count, status from blocks
      where status = 'confirmed' and number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by number`;
    return rows.map((row) => ({ number: BigInt(row.number), root: hexOf(row.root), txCount: row.tx_count, status: row.status }));
  }

  /** Numbers of the child blocks confirmed on L1 in `[from, to]`, ascending, at most `limit` (index-only scan). */
  async committedBlockNumbers(from: bigint, to: bigint, limit: number, on: Sql = this.sql): Promise<bigint[]> {
    const rows = await on<{ number: string }[]>`
      select number from blocks
      where status = 'confirmed' and number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by number limit ${limit}`;
    return rows.map((row) => BigInt(row.number));
  }

  /**
   * The §5 entries of one coin for the committed child blocks in `[from, to]` (at most `limit` of them), in one
   * query. Per block: a probe of the primary key (block, slot) for the coin's own transaction; only when it has
   * none, one index-only probe each for the nearest present slot below and above it (slot and digest are in the
   * key, migrations/0002), then the proof of the nearer of the two (pickNeighbour's rule) from `proofs`.
   *
   * "Nearer" is the lower common height with the slot, i.e. the smaller `neighbour xor slot` as a uint64. The two
   * candidates lie on opposite sides of the slot, so their highest differing bits differ and there is no tie. The
   * stored values are `slot - 2^63` (the top bit flipped), so `a # b` of stored values is the xor of the slots,
   * and `x # min(int8)` maps a uint64 bit pattern to an int8 with the same order.
   *
   * `on`: a connection of a ReadSnapshot (db/snapshot.ts), so that every page of one answer sees one state.
   */
  async coinHistory(slot: bigint, from: bigint, to: bigint, limit = 10_000, on: Sql = this.sql): Promise<CoinHistoryPage> {
    const s = slotToDb(slot);
    const rows = await on<HistoryRow[]>`
      select b.number, t.prev_block, t.denomination, t.new_owner, t.signature, tp.proof,
             n.slot as n_slot, n.digest as n_digest, np.proof as n_proof
      from blocks b
      left join transactions t on t.block = b.number and t.slot = ${s}::int8
      left join proofs tp on t.slot is not null and tp.block = b.number and tp.slot = ${s}::int8
      left join lateral (
        select x.slot from transactions x
        where t.slot is null and x.block = b.number and x.slot < ${s}::int8
        order by x.slot desc limit 1
      ) lo on true
      left join lateral (
        select x.slot from transactions x
        where t.slot is null and x.block = b.number and x.slot > ${s}::int8
        order by x.slot limit 1
      ) hi on true
      left join lateral (
        select x.slot, x.digest from transactions x
        where x.block = b.number and x.slot = case
          when hi.slot is null then lo.slot
          when lo.slot is null then hi.slot
          when (hi.slot # ${s}::int8) # ${MIN_INT8}::int8 < (lo.slot # ${s}::int8) # ${MIN_INT8}::int8 then hi.slot
          else lo.slot end
      ) n on true
      left join proofs np on np.block = b.number and np.slot = n.slot
      where b.status = 'confirmed' and b.number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by b.number
      limit ${limit + 1}`;
    const entries: HistoryEntry[] = [];
    for (const row of rows.slice(0, limit)) entries.push(toEntry(slot, row));
    const extra = rows[limit];
    return extra === undefined ? { entries } : { entries, next: BigInt(extra.number) };
  }

  /** Storage cost of committed transfers: the transactions and proofs tables with their TOAST and indexes, per row. */
  async bytesPerTransfer(): Promise<StorageFigures> {
    const [row] = await this.sql<{ bytes: string; rows: string }[]>`
      select pg_total_relation_size('transactions') + pg_total_relation_size('proofs') as bytes,
             (select count(*) from transactions) as rows`;
    const bytes = Number(row!.bytes);
    const rows = Number(row!.rows);
    return { bytes, rows, bytesPerTransfer: rows === 0 ? 0 : bytes / rows };
  }
}

interface HistoryRow {
  number: string;
  prev_block: string | null;
  denomination: string | null;
  new_owner: Buffer | null;
  signature: Buffer | null;
  proof: Buffer | null;
  /** The nearest present slot (when the coin has no transaction in the block), its digest and proof. */
  n_slot: string | null;
  n_digest: Buffer | null;
  n_proof: Buffer | null;
}

function toEntry(slot: bigint, row: HistoryRow): HistoryEntry {
  const block = BigInt(row.number);
  if (row.prev_block !== null && row.denomination !== null && row.new_owner && row.signature && row.proof) {
    return {
      block,
      kind: 'inclusion',
      transaction: { slot, prevBlock: BigInt(row.prev_block), denomination: BigInt(row.denomination), newOwner: hexOf(row.new_owner) },
      signature: hexOf(row.signature),
      proof: hexOf(row.proof),
    };
  }
  const nearest = row.n_slot === null || row.n_digest === null || row.n_proof === null
    ? undefined
    : { slot: slotFromDb(row.n_slot), leaf: row.n_digest, proof: row.n_proof };
  return { block, kind: 'exclusion', proof: deriveExclusionProof(slot, nearest) };
}
