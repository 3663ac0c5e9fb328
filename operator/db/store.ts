/**
 * The operator's storage behind one class. postgres.js tagged templates only; every block is written inside
 * one `sql.begin`, with its transactions streamed in by one COPY (operator/db/copy.ts).
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
  type Transaction,
} from '../../client/protocol/index.ts';
import { hexBody, hexOf, slotFromDb, slotToDb, toBuffer } from './codec.ts';
import { copyIn } from './copy.ts';
import { migrate } from './migrate.ts';

export type BlockStatus = 'built' | 'persisted' | 'signed' | 'broadcast' | 'confirmed';

export interface BlockTransaction {
  readonly tx: Transaction;
  readonly signature: Uint8Array | Hex;
  /** EIP-712 digest of `tx`: its leaf in the block's tree. */
  readonly digest: Uint8Array | Hex;
  /** Canonical inclusion proof of `digest` at `tx.slot` under the block's root. */
  readonly proof: Uint8Array | Hex;
}

export interface NewBlock {
  readonly number: bigint;
  readonly root: Uint8Array | Hash;
  readonly transactions: readonly BlockTransaction[];
}

/**
 * A block whose root and proofs are still being computed (operator/block/tree-workers.ts): insertBlock does the
 * database work that needs neither while `tree` resolves, then writes the block row and the transactions.
 */
export interface NewBlockParts {
  readonly number: bigint;
  readonly transactions: readonly Omit<BlockTransaction, 'proof'>[];
  /** The block's root and each transaction's inclusion proof, in the order of `transactions`. */
  readonly tree: Promise<{ readonly root: Uint8Array | Hash; readonly proofs: readonly (Uint8Array | Hex)[] }>;
}

export interface StoredBlock {
  readonly number: bigint;
  readonly root: Hash;
  readonly txCount: number;
  readonly status: BlockStatus;
}

export interface CoinHistoryPage {
  /** One entry per committed child block in range, ascending. */
  readonly entries: HistoryEntry[];
  /** Set when `limit` cut the page short: the block to continue from. */
  readonly next?: bigint;
}

export interface StorageFigures {
  /** Heap, TOAST and indexes of the transactions table. */
  readonly bytes: number;
  readonly rows: number;
  readonly bytesPerTransfer: number;
}

/** Slots per `= any($1)` when matching and removing pending transfers. */
const PENDING_CHUNK = 50_000;
/** -2^63: `x # MIN_INT8` orders int8 bit patterns as uint64 (coinHistory). */
const MIN_INT8 = '-9223372036854775808';

/** A block names one slot twice: refused before anything is written. */
export class DuplicateSlotError extends Error {
  readonly block: bigint;
  readonly slot: bigint;

  constructor(block: bigint, slot: bigint) {
    super(`block ${block} has two transactions of slot ${slot}`);
    this.name = 'DuplicateSlotError';
    this.block = block;
    this.slot = slot;
  }
}

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

/** Rows per INSERT when COPY is off: well under Postgres's 65,535 bind parameters (arrays count as one). */
const INSERT_CHUNK = 5_000;

export class Store {
  readonly sql: Sql;
  readonly #copy: boolean;

  constructor(sql: Sql, options: StoreOptions = {}) {
    this.sql = sql;
    this.#copy = options.copy ?? true;
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

  /**
   * Writes a built block and its transactions atomically (status `persisted` unless told otherwise), removes
   * the pending transfers it includes, and moves each coin's owner and last block. A second transaction of one
   * slot (DuplicateSlotError, before anything is written), or a block number already stored, fails the whole
   * block.
   *
   * The transactions go in with one COPY (operator/db/copy.ts) inside the block's `sql.begin`. A transfer taken
   * from pending_transactions (same slot and digest) keeps its accepted_at; any other gets the transaction's now().
   */
  async insertBlock(block: NewBlock | NewBlockParts, status: BlockStatus = 'persisted'): Promise<void> {
    const number = block.number.toString();
    const slots = block.transactions.map((item) => slotToDb(item.tx.slot));
    const seen = new Set<string>();
    for (const [i, slot] of slots.entries()) {
      if (seen.has(slot)) throw new DuplicateSlotError(block.number, block.transactions[i]!.tx.slot);
      seen.add(slot);
    }
    const tree = 'tree' in block ? block.tree : Promise.resolve({ root: block.root, proofs: block.transactions.map((item) => item.proof) });
    tree.catch(() => {}); // awaited below; if the transaction fails first, its error is the one reported
    await this.sql.begin(async (tx) => {
      // Everything that needs no root or proof comes first, while a caller's tree (NewBlockParts) is still being
      // built on the worker threads: lock and remove the pending rows the block takes, move the coins.
      const [row] = await tx<{ now: string }[]>`select now()::text as now`;
      const now = row!.now;
      // the pending rows this block takes: locked, so the delete below removes exactly what was matched
      const pending = new Map<string, { digest: string; acceptedAt: string }>();
      for (let start = 0; start < slots.length; start += PENDING_CHUNK) {
        const rows = await tx<{ slot: string; digest: Buffer; accepted_at: string }[]>`
          select slot::text, digest, accepted_at::text from pending_transactions
          where slot = any(${slots.slice(start, start + PENDING_CHUNK)}::int8[])
          for update`;
        for (const p of rows) pending.set(p.slot, { digest: p.digest.toString('hex'), acceptedAt: p.accepted_at });
      }
      const taken: string[] = [];
      const acceptedAt = block.transactions.map((item, i) => {
        const match = pending.get(slots[i]!);
        if (match === undefined || match.digest !== hexBody(item.digest)) return now;
        taken.push(slots[i]!);
        return match.acceptedAt;
      });
      for (let start = 0; start < taken.length; start += PENDING_CHUNK) {
        await tx`delete from pending_transactions where slot = any(${taken.slice(start, start + PENDING_CHUNK)}::int8[])`;
      }
      for (let start = 0; start < slots.length; start += PENDING_CHUNK) {
        const end = start + PENDING_CHUNK;
        await tx`
          update coins c set owner = decode(u.owner, 'hex'), last_block = ${number}::int8
          from unnest(${slots.slice(start, end)}::int8[], ${block.transactions.slice(start, end).map((item) => hexBody(item.tx.newOwner))}::text[]) as u (slot, owner)
          where c.slot = u.slot`;
      }
      const { root, proofs } = await tree;
      if (proofs.length !== block.transactions.length) throw new Error(`block ${number}: ${proofs.length} proofs for ${block.transactions.length} transactions`);
      await tx`
        insert into blocks (number, root, tx_count, status)
        values (${number}, ${toBuffer(root)}, ${block.transactions.length}, ${status})`;
      if (block.transactions.length === 0) return;
      if (this.#copy) {
        await copyIn(
          tx`copy transactions (block, slot, prev_block, denomination, new_owner, signature, digest, proof, accepted_at) from stdin`,
          (function* () {
            for (const [i, item] of block.transactions.entries()) {
              yield `${number}\t${slots[i]}\t${item.tx.prevBlock}\t${item.tx.denomination}\t\\\\x${hexBody(item.tx.newOwner)}\t\\\\x${hexBody(item.signature)}\t\\\\x${hexBody(item.digest)}\t\\\\x${hexBody(proofs[i]!)}\t${acceptedAt[i]}\n`;
            }
          })(),
        );
      } else {
        for (let start = 0; start < block.transactions.length; start += INSERT_CHUNK) {
          const items = block.transactions.slice(start, start + INSERT_CHUNK);
          await tx`
            insert into transactions (block, slot, prev_block, denomination, new_owner, signature, digest, proof, accepted_at)
            select ${number}::int8, r.slot, r.prev_block, r.denomination, decode(r.new_owner, 'hex'), decode(r.signature, 'hex'),
                   decode(r.digest, 'hex'), decode(r.proof, 'hex'), r.accepted_at
            from unnest(
              ${slots.slice(start, start + INSERT_CHUNK)}::int8[],
              ${items.map((item) => item.tx.prevBlock.toString())}::int8[],
              ${items.map((item) => item.tx.denomination.toString())}::numeric[],
              ${items.map((item) => hexBody(item.tx.newOwner))}::text[],
              ${items.map((item) => hexBody(item.signature))}::text[],
              ${items.map((item) => hexBody(item.digest))}::text[],
              ${proofs.slice(start, start + INSERT_CHUNK).map((proof) => hexBody(proof))}::text[],
              ${acceptedAt.slice(start, start + INSERT_CHUNK)}::timestamptz[]
            ) as r (slot, prev_block, denomination, new_owner, signature, digest, proof, accepted_at)`;
        }
      }
    });
  }

  async setBlockStatus(number: bigint, status: BlockStatus, l1: { readonly rawTx?: Uint8Array; readonly txHash?: Uint8Array } = {}): Promise<void> {
    const rawTx = l1.rawTx === undefined ? null : toBuffer(l1.rawTx);
    const txHash = l1.txHash === undefined ? null : toBuffer(l1.txHash);
    const rows = await this.sql`
      update blocks set status = ${status},
        raw_l1_tx = coalesce(${rawTx}::bytea, raw_l1_tx),
        l1_tx_hash = coalesce(${txHash}::bytea, l1_tx_hash)
      where number = ${number.toString()}::int8
      returning number`;
    if (rows.length !== 1) throw new Error(`block ${number} is not stored`);
  }

  /** Child blocks whose root is confirmed on L1, in `[from, to]`, ascending. */
  async committedChildBlocks(from: bigint, to: bigint): Promise<StoredBlock[]> {
    const rows = await this.sql<{ number: string; root: Buffer; tx_count: number; status: BlockStatus }[]>`
      select number, root, tx_count, status from blocks
      where status = 'confirmed' and number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by number`;
    return rows.map((row) => ({ number: BigInt(row.number), root: hexOf(row.root), txCount: row.tx_count, status: row.status }));
  }

  /** Numbers of the child blocks confirmed on L1 in `[from, to]`, ascending, at most `limit` (index-only scan). */
  async committedBlockNumbers(from: bigint, to: bigint, limit: number): Promise<bigint[]> {
    const rows = await this.sql<{ number: string }[]>`
      select number from blocks
      where status = 'confirmed' and number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by number limit ${limit}`;
    return rows.map((row) => BigInt(row.number));
  }

  /**
   * The §5 entries of one coin for the committed child blocks in `[from, to]` (at most `limit` of them), in one
   * query. Per block: a probe of the primary key (block, slot) for the coin's own transaction; only when it has
   * none, one index-only probe each for the nearest present slot below and above it (slot and digest are in the
   * key, migrations/0002), then the proof of the nearer of the two (pickNeighbour's rule) from the table.
   *
   * "Nearer" is the lower common height with the slot, i.e. the smaller `neighbour xor slot` as a uint64. The two
   * candidates lie on opposite sides of the slot, so their highest differing bits differ and there is no tie. The
   * stored values are `slot - 2^63` (the top bit flipped), so `a # b` of stored values is the xor of the slots,
   * and `x # min(int8)` maps a uint64 bit pattern to an int8 with the same order.
   */
  async coinHistory(slot: bigint, from: bigint, to: bigint, limit = 10_000): Promise<CoinHistoryPage> {
    const s = slotToDb(slot);
    const rows = await this.sql<HistoryRow[]>`
      select b.number, t.prev_block, t.denomination, t.new_owner, t.signature, t.proof,
             n.slot as n_slot, n.digest as n_digest, n.proof as n_proof
      from blocks b
      left join transactions t on t.block = b.number and t.slot = ${s}::int8
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
        select x.slot, x.digest, x.proof from transactions x
        where x.block = b.number and x.slot = case
          when hi.slot is null then lo.slot
          when lo.slot is null then hi.slot
          when (hi.slot # ${s}::int8) # ${MIN_INT8}::int8 < (lo.slot # ${s}::int8) # ${MIN_INT8}::int8 then hi.slot
          else lo.slot end
      ) n on true
      where b.status = 'confirmed' and b.number between ${from.toString()}::int8 and ${to.toString()}::int8
      order by b.number
      limit ${limit + 1}`;
    const entries: HistoryEntry[] = [];
    for (const row of rows.slice(0, limit)) entries.push(toEntry(slot, row));
    const extra = rows[limit];
    return extra === undefined ? { entries } : { entries, next: BigInt(extra.number) };
  }

  /** Storage cost of committed transfers: the transactions table with its TOAST and indexes, per row. */
  async bytesPerTransfer(): Promise<StorageFigures> {
    const [row] = await this.sql<{ bytes: string; rows: string }[]>`
      select pg_total_relation_size('transactions') as bytes, (select count(*) from transactions) as rows`;
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
