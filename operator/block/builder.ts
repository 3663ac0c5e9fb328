/**
 * Builds the next child block from pending transfers: oldest first, up to a size, only for coins still
 * `deposited` (an exiting or exited coin takes no transfer; its pending row waits for a cancelled exit). The
 * tree's leaves are the stored digests, each transfer gets its inclusion proof, and the block is persisted with
 * Store.insertBlock, which removes the pending rows in the same transaction. One builder runs at a time.
 */
import { CHILD_BLOCK_INTERVAL, EMPTY_ROOT, type Address, type Hash } from '../../client/protocol/index.ts';
import { hexOf, slotFromDb } from '../db/codec.ts';
import type { Store } from '../db/store.ts';
import { buildBlockTree } from './tree-workers.ts';

export interface BuildOptions {
  readonly maxTransactions: number;
  /** Build a block even with no pending transfer (root EMPTY_ROOT). Default false. */
  readonly allowEmpty?: boolean;
}

export interface BuiltBlock {
  readonly number: bigint;
  readonly root: Hash;
  readonly txCount: number;
}

interface PendingRow {
  slot: string;
  prev_block: string;
  denomination: string;
  new_owner: Buffer;
  signature: Buffer;
  digest: Buffer;
}

/** The number the contract will accept next, as the database knows it: last stored child block + 1000. */
export async function nextBlockNumber(store: Store): Promise<bigint> {
  const [row] = await store.sql<{ last: string | null }[]>`select max(number) as last from blocks`;
  return row?.last == null ? CHILD_BLOCK_INTERVAL : BigInt(row.last) + CHILD_BLOCK_INTERVAL;
}

/** Builds and persists one block; undefined when there is nothing to include and no empty block was asked. */
export async function buildBlock(store: Store, options: BuildOptions): Promise<BuiltBlock | undefined> {
  if (!Number.isInteger(options.maxTransactions) || options.maxTransactions < 0) throw new RangeError('maxTransactions must be an integer ≥ 0');
  // The oldest transfers, then in slot order: the block's rows go into the table and its primary key
  // (block, slot) in key order, so the key grows at its right edge (compact, no page splits) and a block's rows
  // sit together on disk, which is what the history's per-block neighbour probes read.
  const rows = await store.sql<PendingRow[]>`
    select * from (
      select p.slot, p.prev_block, p.denomination, p.new_owner, p.signature, p.digest
      from pending_transactions p join coins c on c.slot = p.slot and c.state = 'deposited'
      order by p.accepted_at, p.slot
      limit ${options.maxTransactions}
    ) oldest order by slot`;
  if (rows.length === 0 && !options.allowEmpty) return undefined;
  const number = await nextBlockNumber(store);
  const slots = rows.map((row) => slotFromDb(row.slot));
  // Tree and proofs on two worker threads (tree-workers.ts), while insertBlock already locks and removes the
  // pending rows and moves the coins: it awaits the tree only to write the block row and the transactions.
  const tree = buildBlockTree(rows.map((row, i) => ({ slot: slots[i]!, leaf: row.digest }))).then((built) => ({
    root: rows.length === 0 ? EMPTY_ROOT : built.root,
    proofs: built.proofs,
  }));
  const transactions = rows.map((row, i) => ({
    tx: { slot: slots[i]!, prevBlock: BigInt(row.prev_block), denomination: BigInt(row.denomination), newOwner: hexOf(row.new_owner) as Address },
    signature: row.signature,
    digest: row.digest,
  }));
  await store.insertBlock({ number, transactions, tree }, 'persisted');
  const { root } = await tree;
  return { number, root, txCount: rows.length };
}
